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
    amount: Decimal | None = None  # the line's amount excluding VAT (Query's LineAmount)


@dataclass(frozen=True, slots=True)
class OrderView:
    """An order as Query holds it: Orders/Orders by Id, its Items, and the buyer (the customer, or a guest's
    CustomerInfo) and ship-to. Query has no culture, currency code, e-mail or total on the order."""

    order_id: int | None
    order_no: str | None
    client_order_ref: str | None  # the basket id (Query's QuotationId), when there is one
    culture: str | None = None  # not in Query: the e-mail is in the default language
    currency: str | None = None  # the code of Query's CurrencyId, when configured (NorceCurrencyCodes)
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    delivery_mode: str | None = None
    delivery_address: AddressView | None = None
    total: Decimal | None = None  # the lines' amounts, excluding VAT
    lines: list[OrderLineView] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class InvoiceOrder:
    """Where a Norce invoice belongs (Query's Orders/Invoices -> ReferenceOrderId -> Orders/Orders)."""

    invoice_id: int
    invoice_no: str | None
    order_id: str | None
    client_order_ref: str | None  # the order's QuotationId (our ClientOrderRef), when Query has the order
    order_no: str | None
