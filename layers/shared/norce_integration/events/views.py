"""What the event handlers read from Norce Query, independent of Query's version and field casing
(the ``HttpEventQuery`` adapter maps Query 2.0 PascalCase / 3.0 camelCase rows to these)."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class AddressView:
    line1: str | None = None
    line2: str | None = None
    care_of: str | None = None
    zip_code: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class CustomerView:
    id: int
    code: str | None  # the ERP's customer number: None while the customer exists in Norce only
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    cell_phone: str | None = None
    address: AddressView | None = None
    is_active: bool = True
    updated: datetime | None = None


@dataclass(frozen=True, slots=True)
class CompanyView:
    id: int
    code: str | None
    name: str | None = None
    organization_no: str | None = None
    vat_no: str | None = None
    email: str | None = None
    phone: str | None = None
    address: AddressView | None = None
    is_active: bool = True
    updated: datetime | None = None


@dataclass(frozen=True, slots=True)
class OrderLineView:
    part_no: str | None
    name: str | None
    quantity: Decimal
    amount: Decimal | None = None  # the line's amount including VAT, when Query has it


@dataclass(frozen=True, slots=True)
class OrderView:
    order_id: int | None
    order_no: str | None
    client_order_ref: str | None
    culture: str | None = None  # e.g. "sv-SE"
    currency: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    delivery_mode: str | None = None
    delivery_address: AddressView | None = None
    total: Decimal | None = None
    lines: list[OrderLineView] = field(default_factory=list)
