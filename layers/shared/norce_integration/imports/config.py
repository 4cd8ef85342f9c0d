"""What an import run is asked to do, and how imports are configured."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from norce_integration.contracts.connect import is_guid


class Entity(StrEnum):
    CUSTOMERS = "customers"
    COMPANIES = "companies"


class Mode(StrEnum):
    FULL = "full"  # everything; Norce deactivates what the import does not name
    DELTA = "delta"  # what changed since the watermark


@dataclass(frozen=True, slots=True)
class RunRequest:
    entity: Entity
    mode: Mode
    force: bool = False  # a full import past the shrink guard, on purpose

    @classmethod
    def parse(cls, payload: Any) -> "RunRequest":
        """``{"entity": "customers"|"companies", "mode": "full"|"delta", "force": false}``; ValueError names
        what is wrong."""
        if not isinstance(payload, dict):
            raise ValueError('the input must be a JSON object like {"entity": "customers", "mode": "delta"}')
        try:
            entity = Entity(str(payload.get("entity", "")).lower())
        except ValueError:
            raise ValueError(
                f"entity must be customers or companies, not {payload.get('entity')!r}"
            ) from None
        try:
            mode = Mode(str(payload.get("mode", "")).lower())
        except ValueError:
            raise ValueError(f"mode must be full or delta, not {payload.get('mode')!r}") from None
        force = payload.get("force", False)
        if not isinstance(force, bool):
            raise ValueError("force must be true or false")
        return cls(entity, mode, force)


CUSTOMER_FIELDS = (
    "Code",
    "EmailAddress",
    "FirstName",
    "LastName",
    "PhoneNumber",
    "CellPhoneNumber",
    "InvoiceAddress",
    "DeliveryAddresses",
    "Companies",
    "PriceLists",
)
COMPANY_FIELDS = (
    "Code",
    "OrganizationNo",
    "Name",
    "VatNo",
    "InvoiceAddress",
    "DeliveryAddresses",
    "Contacts",
    "PriceLists",
)


@dataclass(frozen=True, slots=True)
class ImportConfig:
    """``customer_fields``/``company_fields``: what the import writes (the header's *FieldsThatAreSet*);
    ``application_key``: the application's key (a GUID), sent on every record; Norce requires it on every
    company, so a company import without it is refused before it starts (``refusal``); ``accounts``: send
    the customers' login accounts too."""

    account_id: int
    customer_fields: tuple[str, ...] = CUSTOMER_FIELDS
    company_fields: tuple[str, ...] = COMPANY_FIELDS
    application_key: str | None = None
    accounts: bool = False
    shrink_limit: float = 0.10  # a full import this much smaller than the last good one is refused
    overlap_seconds: float = 300.0  # a delta reads this far back before the watermark (clock skew)
    max_records_per_job: int = 200_000  # a delta bigger than this becomes several jobs; a full never does

    def refusal(self, entity: Entity) -> str | None:
        """Why an import of ``entity`` must not start with this configuration (None: it may)."""
        key = self.application_key
        if key is not None and not is_guid(key):
            return (
                f"ImportApplicationKey {key[:40]!r} is not a GUID: Norce refuses an ApplicationKey that is "
                "not one; set it to the application's key"
            )
        if key is None and entity is Entity.COMPANIES:
            return (
                "ImportApplicationKey (IMPORT_APPLICATION_KEY) is not set: Norce's ImportCompanies requires "
                "ApplicationKey on every company, so the import would be refused; set it to the "
                "application's key (a GUID)"
            )
        return None

    def fields(self, entity: Entity) -> tuple[str, ...]:
        chosen = self.customer_fields if entity is Entity.CUSTOMERS else self.company_fields
        extra: tuple[str, ...] = ("ApplicationKey",) if self.application_key else ()
        if entity is Entity.CUSTOMERS and self.accounts:
            extra += ("Accounts",)
        return tuple(dict.fromkeys((*chosen, *extra)))
