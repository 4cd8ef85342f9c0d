"""Business validation of an OrderRequest: what a retry from Norce cannot fix.

Every problem is collected (not just the first) and worded so that a person reading Norce's
order log knows exactly which field of which line to correct. Messages never quote personal data.
"""

import re
from decimal import Decimal

from norce_integration.contracts import ClientCustomer, OrderItem, OrderRequest
from norce_integration.contracts.base import NorceModel
from norce_integration.contracts.order_request import MAX_LENGTHS, REFERENCE_LENGTHS

_CURRENCY = re.compile(r"^[A-Z]{3}$")
# What a reference may not hold: it becomes a DynamoDB key and an SQS attribute, and names the order in logs.
_NOT_PRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
MAX_AMOUNT = Decimal(10) ** 12  # an amount is below this (and finite): the XML screen's patterns agree
MAX_QUANTITY = Decimal(10) ** 9
_LINE_AMOUNTS = ("UnitPrice", "UnitPriceOriginal", "Discount", "UnitVat", "VatRate")
_COUNTRY = re.compile(r"[A-Za-z]{2}")  # ISO 3166-1 alpha-2; Norce sends upper case, either case is accepted
_ALPHANUMERIC = re.compile(r"[0-9A-Za-z]")  # a VatNo without one is empty once normalised (processing.vat)
MAX_DESCRIPTION_CHARS = 2000


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


def business_problems(
    order: OrderRequest,
    allowed_currencies: frozenset[str] | None = None,
    already_reported: frozenset[str] = frozenset(),
    lines_known_valid: bool = False,
) -> list[str]:
    """Every rule the order breaks; an empty list means the order may be accepted.

    ``already_reported``: paths (``Items[1].Quantity``) already named as wrong-typed, which are
    not reported a second time as missing. ``lines_known_valid``: the items were checked already
    (``codec.xml_screen``) and are not in ``order``.
    """
    problems: list[str] = []
    if _blank(order.ClientOrderRef) and "ClientOrderRef" not in already_reported:
        problems.append("ClientOrderRef is missing")
    problems.extend(_reference_problems(order, already_reported))
    problems.extend(_order_amount_problems(order))
    if "CurrencyCode" in already_reported:
        pass
    elif _blank(order.CurrencyCode):
        problems.append("CurrencyCode is missing")
    elif not _CURRENCY.match(order.CurrencyCode or ""):
        problems.append("CurrencyCode must be a three-letter ISO 4217 code")
    elif allowed_currencies and order.CurrencyCode not in allowed_currencies:
        problems.append(
            f"CurrencyCode {order.CurrencyCode} is not one of {', '.join(sorted(allowed_currencies))}"
        )
    if order.SellTo is None or (order.SellTo.Person is None and order.SellTo.Company is None):
        problems.append("SellTo must name a Person or a Company")
    problems.extend(_party_problems(order, already_reported))
    if lines_known_valid:
        pass
    elif not order.Items:
        problems.append("Items is empty: an order needs at least one item")
    else:
        problems.extend(_item_problems(order, already_reported))
    return problems


def _reference_problems(order: OrderRequest, already_reported: frozenset[str]) -> list[str]:
    """The order's own references within Norce's lengths (ClientOrderRef: 50), and the two that name the
    order in our records (ClientOrderRef, Header.ApplicationKey) printable text: a retry could never fix
    them, so Norce gets ``Failed``, never a 503 it would retry for six hours."""
    problems = _too_long(order, "", "OrderRequest", already_reported, REFERENCE_LENGTHS)
    problems.extend(_too_long(order.Header, "Header", "Header", already_reported, REFERENCE_LENGTHS))
    for path, value in (
        ("ClientOrderRef", order.ClientOrderRef),
        ("Header.ApplicationKey", order.application_key),
    ):
        if value and _NOT_PRINTABLE.search(value) and path not in already_reported:
            problems.append(f"{path} must be printable text (it holds a control character)")
    return problems


def _order_amount_problems(order: OrderRequest) -> list[str]:
    """Fees, discounts and payments with believable amounts (finite, 12 digits at most): an amount no ERP
    or payment provider could take is refused now, not found out by the processor."""
    problems = []
    for collection, names in (
        ("Fees", ("Amount", "VatRate")),
        ("Discounts", ("Amount",)),
        ("Payments", ("Amount",)),
    ):
        for index, entry in enumerate(getattr(order, collection) or []):
            for name in names:
                amount = getattr(entry, name)
                if amount is not None and abs(amount) >= MAX_AMOUNT:
                    problems.append(
                        f"{collection}[{index}].{name} is not a believable amount (12 digits at most)"
                    )
    return problems


def _party_problems(order: OrderRequest, already_reported: frozenset[str]) -> list[str]:
    """SellTo, BillTo and ShipTo against Norce's published limits (``MAX_LENGTHS``), and a SellTo the
    ERP can find or create: per party, not per line, so cheap whatever the size of the order.

    A ``Person.Address.Country``, when given (not null or empty), must be exactly two letters; upper or
    lower case is accepted (Norce sends upper case). Lengths are ``len()`` of the text, in characters.
    """
    problems: list[str] = []
    for role, party in (("SellTo", order.SellTo), ("BillTo", order.BillTo), ("ShipTo", order.ShipTo)):
        if party is None:
            continue
        problems.extend(_too_long(party.Company, f"{role}.Company", "Company", already_reported))
        problems.extend(_too_long(party.Person, f"{role}.Person", "Person", already_reported))
        address = party.Person.Address if party.Person else None
        path = f"{role}.Person.Address"
        problems.extend(_too_long(address, path, "Address", already_reported))
        country = address.Country if address else None
        if country and not _COUNTRY.fullmatch(country) and f"{path}.Country" not in already_reported:
            problems.append(f"{path}.Country must be an ISO 3166-1 alpha-2 code (two letters)")
    if order.SellTo is not None:
        problems.extend(_unidentifiable(order.SellTo, already_reported))
    return problems


def _too_long(
    model: NorceModel | None,
    path: str,
    kind: str,
    already_reported: frozenset[str],
    limits: dict[str, dict[str, int]] = MAX_LENGTHS,
) -> list[str]:
    if model is None:
        return []
    problems: list[str] = []
    for name, limit in limits[kind].items():
        value = getattr(model, name)
        where = f"{path}.{name}" if path else name
        if isinstance(value, str) and len(value) > limit and where not in already_reported:
            problems.append(f"{where} is longer than {limit} characters ({len(value)})")
    return problems


def _unidentifiable(sell_to: ClientCustomer, already_reported: frozenset[str]) -> list[str]:
    """A SellTo company or person with nothing to find or create it by in the ERP (as the processor's
    ``ensure_parties`` would find out later). Not judged when one of those fields was wrong-typed."""
    problems: list[str] = []
    company, person = sell_to.Company, sell_to.Person
    company_fields = ("SellTo.Company.Code", "SellTo.Company.Name", "SellTo.Company.VatNo")
    if (
        company is not None
        and _blank(company.Code)
        and _blank(company.Name)
        and not _ALPHANUMERIC.search(company.VatNo or "")
        and already_reported.isdisjoint(company_fields)
    ):
        problems.append(
            "SellTo.Company has no Code, Name or VatNo: nothing to find or create the ERP company by"
        )
    person_fields = tuple(
        f"SellTo.Person.{name}" for name in ("CustomerCode", "Email", "FirstName", "LastName")
    )
    if (
        person is not None
        and all(
            _blank(value) for value in (person.CustomerCode, person.Email, person.FirstName, person.LastName)
        )
        and already_reported.isdisjoint(person_fields)
    ):
        problems.append(
            "SellTo.Person has no CustomerCode, Email, FirstName or LastName: "
            "nothing to find or create the ERP customer by"
        )
    return problems


def _where(index: int, line_no: int | None) -> str:
    return f"Items[{index}]" + (f" (LineNo {line_no})" if line_no is not None else "")


def _item_problems(order: OrderRequest, already_reported: frozenset[str]) -> list[str]:
    """Per-line rules; messages are only formatted for lines that break one (a 3,000-line order is common)."""
    problems: list[str] = []
    seen_line_numbers: set[int] = set()
    zero = Decimal(0)
    for index, item in enumerate(order.Items or []):
        line_no, price = item.LineNo, item.UnitPrice
        if _blank(item.PartNo) and f"Items[{index}].PartNo" not in already_reported:
            problems.append(f"{_where(index, line_no)}.PartNo is missing")
        problems.extend(_quantity_problems(index, item, already_reported))
        if price is not None and price < zero:
            problems.append(f"{_where(index, line_no)}.UnitPrice must not be negative (got {price})")
        if item.UnitVat is not None and item.UnitVat < zero:
            problems.append(f"{_where(index, line_no)}.UnitVat must not be negative (got {item.UnitVat})")
        for name in _LINE_AMOUNTS:
            amount = getattr(item, name)
            if amount is not None and abs(amount) >= MAX_AMOUNT:
                problems.append(
                    f"{_where(index, line_no)}.{name} is not a believable amount (at most 12 digits)"
                )
        if line_no is not None:
            if line_no in seen_line_numbers:
                problems.append(f"{_where(index, line_no)}.LineNo {line_no} is used by more than one item")
            seen_line_numbers.add(line_no)
    return problems


def _quantity_problems(index: int, item: OrderItem, already_reported: frozenset[str]) -> list[str]:
    """``Quantity`` is Norce's whole number of items (int32); a non-integer quantity (weight, length)
    travels in ``Quantity2``. The line's quantity (``OrderItem.ordered_quantity``) must be above 0."""
    where, quantity, quantity2 = _where(index, item.LineNo), item.Quantity, item.Quantity2
    if f"Items[{index}].Quantity" in already_reported:
        return []
    if quantity is None and not quantity2:
        return [f"{where}.Quantity is missing"]
    problems = []
    if quantity is not None and (quantity != quantity.to_integral_value() or quantity >= MAX_QUANTITY):
        problems.append(
            f"{where}.Quantity must be a whole number of items below {MAX_QUANTITY:,} (got {quantity}); "
            "a quantity such as a weight travels in Quantity2"
        )
    if quantity2 is not None and (quantity2 < 0 or quantity2 >= MAX_QUANTITY):
        problems.append(f"{where}.Quantity2 must be at least 0 and below {MAX_QUANTITY:,} (got {quantity2})")
    ordered = item.ordered_quantity
    if not problems and (ordered is None or ordered <= 0):
        problems.append(f"{where}.Quantity must be greater than 0 (got {quantity})")
    return problems


def failure_description(problems: list[str]) -> str:
    """One line for Norce's log, bounded in length so a pathological order cannot blow it up."""
    description = f"Order rejected: {'; '.join(problems)}."
    if len(description) <= MAX_DESCRIPTION_CHARS:
        return description
    shown: list[str] = []
    for problem in problems:
        candidate = f"Order rejected: {'; '.join([*shown, problem])}"
        if len(candidate) > MAX_DESCRIPTION_CHARS - 40:
            break
        shown.append(problem)
    return f"Order rejected: {'; '.join(shown)}; and {len(problems) - len(shown)} more problems."
