"""The rows of one ImportCustomers / ImportCompanies, applied as Norce's customer service documents it.

Matching (``match``): a customer by ``Id``, then ``Code``, and by ``EmailAddress`` only when both are
omitted and the header does not list ``SearchOnlyByCode``; a company by ``Id``, then ``Code``, then
``OrganizationNo`` (likewise). A Code that matches nothing creates a new entity; an Id that matches nothing
is refused (Norce gives out Ids, an import cannot choose one), and so is a new entity without a Code.

Writing: only the fields the header lists (``*FieldsThatAreSet``; a new entity also gets its Code and
e-mail / organisation number); ``Id`` never. Every entity named is active unless the row writes
``IsActive`` itself. Relations, held as company Ids on the customer (``Companies``):
- ``Customer.Companies`` (listed): each must exist (its Id, else Code, else OrganizationNo: the first given
  is used); they replace the customer's companies unless ``IsCompanyListDelta`` is true (Norce's default:
  false, the companies not listed lose the relation).
- ``Company.Customers`` (listed): full customer records that must exist (Id, Code, EmailAddress), written
  through ``CustomerFieldsThatAreSet``; they replace the company's customers unless ``IsCustomerListDelta``.
- ``Company.Contacts`` (listed): customers by ``Code``; ``IsActive: false`` ends the link. A code Norce
  does not hold is a warning line, the row is applied (Norce does not say; refusing it would fail every
  first import of companies, whose contacts are imported after them).
A row refused is not applied at all (one log line, SeverityId 3, ``ImportedRow`` its position); the
others are.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from local.norce.state import NATURAL_KEYS, NorceState, scalar

NOT_WRITTEN = frozenset(
    [
        "Id",
        "SearchOnlyByCode",
        "PreserveFlags",
        "Companies",
        "Contacts",
        "Customers",
        "IsCompanyListDelta",
        "IsCustomerListDelta",
    ]
)
SINGULAR = {"customers": "customer", "companies": "company"}


class Refused(Exception):
    """The row cannot be applied; the message is its log line."""


@dataclass
class Applied:
    log: list[dict[str, Any]] = field(default_factory=list)
    validation: list[str] = field(default_factory=list)  # ValidationSummary.Messages
    inserted: int = 0
    updated: int = 0
    refused: int = 0  # rows not applied (validation included)

    def line(self, row: int, message: str, severity: int = 3) -> None:
        self.log.append(
            {
                "SeverityId": severity,
                "Message": message,
                "TimeStamp": datetime.now(UTC).isoformat(),
                "ImportedRow": str(row),
            }
        )

    def as_job(self) -> dict[str, Any]:
        return {
            "log": self.log,
            "validation": self.validation,
            "inserted": self.inserted,
            "updated": self.updated,
            "refused": self.refused,
        }


def failed_whole(entities: list[Any]) -> dict[str, Any]:
    """The ``failJobs`` fault: the job fails as a whole, nothing applied."""
    applied = Applied(refused=len(entities))
    applied.line(0, "The job failed")
    return applied.as_job()


def apply(
    state: NorceState,
    kind: str,
    entities: list[dict[str, Any]],
    fields: frozenset[str],
    customer_fields: frozenset[str],
    full: bool,
) -> dict[str, Any]:
    """Under the lock: every row that can be applied, then (a full import) every entity of the kind it did
    not name deactivated. The job's ``log``, ``validation``, ``inserted``, ``updated``, ``refused``."""
    applied = Applied()
    named: set[int] = set()
    by_code_only = "SearchOnlyByCode" in fields
    for row, entity in enumerate(entities, start=1):
        keys = ("Id", "Code") if by_code_only else ("Id", "Code", NATURAL_KEYS[kind])
        if all(entity.get(key) in (None, "") for key in keys):
            message = f"no {', '.join(keys[:-1])} or {keys[-1]} to match the {SINGULAR[kind]} by"
            applied.validation.append(f"Row {row}: {message}")
            applied.line(row, message)
            applied.refused += 1
            continue
        try:
            entity_id = _apply_row(state, kind, entity, fields, customer_fields, applied, row)
        except Refused as refused:
            applied.line(row, str(refused))
            applied.refused += 1
            held_id = _held_by_id(state, kind, entity)
            if held_id is not None:
                named.add(held_id)  # a refused row of an entity Norce holds never deactivates it
            continue
        named.add(entity_id)
    if full:
        for entity_id, held in state.store(kind).items():
            if entity_id not in named and held.get("IsActive", True):
                held["IsActive"] = False
                held["Updated"] = state.stamp()
    return applied.as_job()


def _held_by_id(state: NorceState, kind: str, entity: dict[str, Any]) -> int | None:
    try:
        held = match(state, kind, entity, by_code_only=False)
    except Refused:
        return None
    return held["Id"] if held else None


def _apply_row(
    state: NorceState,
    kind: str,
    entity: dict[str, Any],
    fields: frozenset[str],
    customer_fields: frozenset[str],
    applied: Applied,
    row: int,
) -> int:
    current = match(state, kind, entity, "SearchOnlyByCode" in fields)
    if current is None and entity.get("Code") in (None, ""):
        raise Refused(f"a new {SINGULAR[kind]} needs a Code")
    companies = _companies_of(state, entity) if kind == "customers" and "Companies" in fields else None
    customers = None
    if kind == "companies" and "Customers" in fields:
        customers = _customers_of(state, entity, customer_fields)
    if current is None:
        current = {"Id": next(state.entity_ids)}
        state.store(kind)[current["Id"]] = current
        applied.inserted += 1
        new_keys = ("Code", NATURAL_KEYS[kind])
        written = {key: entity[key] for key in new_keys if entity.get(key) is not None}
    else:
        applied.updated += 1
        written = {}
    written |= {key: value for key, value in entity.items() if key in fields and key not in NOT_WRITTEN}
    _write(state, kind, current, written)
    if companies is not None:
        kept = (current.get("Companies") or []) if entity.get("IsCompanyListDelta") else []
        current["Companies"] = list(dict.fromkeys([*kept, *companies]))
    if customers is not None:
        _link_customers(state, current["Id"], entity, customers, customer_fields)
    if kind == "companies" and "Contacts" in fields:
        _link_contacts(state, current["Id"], entity.get("Contacts") or [], applied, row)
    return int(current["Id"])


def _write(state: NorceState, kind: str, current: dict[str, Any], written: dict[str, Any]) -> None:
    current["IsActive"] = True  # named: active, unless the row writes IsActive itself
    current.update(written)
    current["Updated"] = state.stamp()
    state.index(kind, current)


def match(state: NorceState, kind: str, entity: dict[str, Any], by_code_only: bool) -> dict[str, Any] | None:
    """Under the lock: Norce's order (see the module doc); with several holding a value, the first held
    (lowest Id). ``Refused`` for an Id Norce does not hold. Indexed, so a 100k import stays linear."""
    store = state.store(kind)
    if entity.get("Id") is not None:
        held = store.get(entity["Id"])
        if held is None:
            raise Refused(f"no {SINGULAR[kind]} with Id {entity['Id']}")
        return held
    if entity.get("Code") not in (None, ""):
        return _by_key(state, kind, "Code", entity["Code"])  # a Code that matches nothing: a new one
    if by_code_only:
        return None
    natural = NATURAL_KEYS[kind]
    return _by_key(state, kind, natural, entity.get(natural))


def _by_key(state: NorceState, kind: str, key: str, wanted: Any) -> dict[str, Any] | None:
    if wanted in (None, "") or not scalar(wanted):
        return None
    store = state.store(kind)
    if len(state.indexed[kind]) != len(store):  # entities put into / taken from the store directly
        state.rebuild_index(kind)
    index = state.indexes[kind][key]
    ids = index.get(wanted)
    if not ids:
        return None
    live = [i for i in ids if i in store and store[i].get(key) == wanted]
    if len(live) != len(ids):
        if live:
            index[wanted] = live
        else:
            del index[wanted]
    return store[min(live)] if live else None


def _companies_of(state: NorceState, entity: dict[str, Any]) -> list[int]:
    """A customer's ``Companies`` as the Ids of held companies; ``Refused`` naming one Norce lacks."""
    ids = []
    for identifier in entity.get("Companies") or []:
        keys = ("Id", "Code", "OrganizationNo")
        given = next((key for key in keys if identifier.get(key) not in (None, "")), None)
        if given is None:
            raise Refused("a company of Companies has no Id, Code or OrganizationNo")
        if given == "Id":
            held = state.companies.get(identifier["Id"])
        else:
            held = _by_key(state, "companies", given, identifier[given])
        if held is None:
            raise Refused(f"Company {identifier[given]} does not exist")
        ids.append(int(held["Id"]))
    return ids


def _customers_of(
    state: NorceState, company: dict[str, Any], customer_fields: frozenset[str]
) -> list[dict[str, Any]]:
    """A company's ``Customers`` as the held customers; ``Refused`` naming one Norce lacks."""
    found = []
    for record in company.get("Customers") or []:
        try:
            held = match(state, "customers", record, "SearchOnlyByCode" in customer_fields)
        except Refused:
            held = None
        if held is None:
            name = record.get("Id") or record.get("Code") or record.get("EmailAddress") or "(no Id or Code)"
            raise Refused(f"Customer {name} does not exist")
        found.append(held)
    return found


def _link_customers(
    state: NorceState,
    company_id: int,
    company: dict[str, Any],
    customers: list[dict[str, Any]],
    customer_fields: frozenset[str],
) -> None:
    """The company's customers, written through ``CustomerFieldsThatAreSet`` and linked; the others lose
    the relation unless ``IsCustomerListDelta``."""
    records = company.get("Customers") or []
    for held, record in zip(customers, records, strict=True):
        written = {k: v for k, v in record.items() if k in customer_fields and k not in NOT_WRITTEN}
        _write(state, "customers", held, written)
        held["Companies"] = list(dict.fromkeys([*(held.get("Companies") or []), company_id]))
    if not company.get("IsCustomerListDelta"):
        listed = {held["Id"] for held in customers}
        for customer in state.customers.values():
            if customer["Id"] not in listed and company_id in (customer.get("Companies") or []):
                customer["Companies"] = [c for c in customer["Companies"] if c != company_id]


def _link_contacts(
    state: NorceState, company_id: int, contacts: list[dict[str, Any]], applied: Applied, row: int
) -> None:
    for contact in contacts:
        held = _by_key(state, "customers", "Code", contact.get("Code"))
        if held is None:
            applied.line(row, f"Contact {contact.get('Code')} does not exist: not linked", severity=2)
            continue
        links = [c for c in held.get("Companies") or [] if c != company_id]
        held["Companies"] = links if contact.get("IsActive") is False else [*links, company_id]
