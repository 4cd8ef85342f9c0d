"""Content-based routing: which ERP target gets an order (first matching route wins)."""

from norce_integration.contracts import ClientCustomer, OrderRequest
from norce_integration.failures import MappingError
from norce_integration.processing.config import Route, RouteCondition


def _country(party: ClientCustomer | None) -> str | None:
    """The country of the party's person (a company in an order carries no address)."""
    person = party.Person if party else None
    return person.Address.Country if person and person.Address and person.Address.Country else None


def _facts(order: OrderRequest) -> dict[str, str | None]:
    advice = order.ShippingAdvice
    return {
        "application_key": order.application_key,
        "country": _country(order.ShipTo) or _country(order.SellTo),
        "warehouse": advice.PickupStore.Code if advice and advice.PickupStore else None,
        "currency": order.CurrencyCode,
        "source": order.Source,
    }


def _matches(condition: RouteCondition, facts: dict[str, str | None]) -> bool:
    for name, allowed in condition.model_dump(exclude_none=True).items():
        value = facts.get(name)
        if value is None or value.casefold() not in {option.casefold() for option in allowed}:
            return False
    return True


def route(order: OrderRequest, routes: list[Route]) -> str:
    """The target of the first route whose condition the order meets."""
    facts = _facts(order)
    for candidate in routes:
        if _matches(candidate.when, facts):
            return candidate.target
    described = ", ".join(
        f"{name}={value}" for name, value in facts.items() if value and name != "application_key"
    )
    raise MappingError(
        f"no route matches the order ({described}): add a route to the processing configuration"
    )
