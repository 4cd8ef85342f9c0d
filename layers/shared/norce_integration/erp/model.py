"""What the integration sends to and reads from an ERP, independent of any one ERP's API.

An ERP adapter maps these to its ERP's own calls (see docs/erp-adapter.md). Field names are
snake_case in Python and camelCase on the wire of the generic REST ERP (``model_dump(by_alias=True)``).
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class ErpModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")


class ErpAddress(ErpModel):
    name: str | None = None
    care_of: str | None = None
    line1: str | None = None
    line2: str | None = None
    box: str | None = None
    zip_code: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None
    phone: str | None = None


class ErpCustomer(ErpModel):
    """A person. ``code`` is the ERP's customer number (Norce's Customer.Code).

    ``external_ref`` is our idempotency key for creating it (``email:...``, or derived from the order
    when the person has no e-mail): the ERP keeps it and never creates a second customer with it.
    """

    code: str | None = None
    external_ref: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    cell_phone: str | None = None
    company_code: str | None = None
    address: ErpAddress | None = None
    is_active: bool = True
    changed_at: datetime | None = None
    # What a scheduled import also carries (docs/imports.md): more companies, price lists, delivery
    # addresses, login accounts; ``anonymised`` (GDPR): never sent to Norce with personal data again.
    company_codes: list[str] | None = None
    price_lists: list[str] | None = None
    delivery_addresses: list[ErpAddress] | None = None
    accounts: list[dict[str, Any]] | None = None
    anonymised: bool = False


class ErpCompany(ErpModel):
    """An organisation. ``code`` is the ERP's customer number for it (Norce's Company.Code).

    ``vat_no`` is normalised (see ``processing.vat``); ``organization_no`` is the one the order brought
    or the one derived from the VAT number. ``external_ref`` is our idempotency key for creating it
    (``vat:...``, or derived from the order when the company has no VAT number).
    """

    code: str | None = None
    external_ref: str | None = None
    name: str | None = None
    organization_no: str | None = None
    vat_no: str | None = None
    email: str | None = None
    phone: str | None = None
    address: ErpAddress | None = None
    is_active: bool = True
    changed_at: datetime | None = None
    price_lists: list[str] | None = None
    delivery_addresses: list[ErpAddress] | None = None
    contact_codes: list[str] | None = None  # customer codes of its contacts


class ErpOrderLine(ErpModel):
    line_no: int
    part_no: str
    description: str | None = None
    quantity: Decimal
    unit_of_measure: str | None = None
    unit_price: Decimal = Decimal(0)
    unit_price_original: Decimal | None = None
    discount: Decimal = Decimal(0)
    unit_vat: Decimal = Decimal(0)
    vat_rate: Decimal = Decimal(0)
    line_amount: Decimal = Decimal(0)  # quantity x unit price - discount, excluding VAT
    line_vat: Decimal = Decimal(0)
    parent_line_no: int | None = None
    price_list_no: int | None = None
    comment: str | None = None
    kind: str | None = None  # Norce's Type / TypeGroup, e.g. "ErpStandard/Physical"
    manufacturer_code: str | None = None
    additional_info: dict[str, Any] = Field(default_factory=dict)
    passthrough: dict[str, Any] = Field(default_factory=dict)  # price lists, promotions, unknown fields


class ErpCharge(ErpModel):
    """A fee (shipping, invoice) or an order-level discount."""

    code: str | None = None
    description: str | None = None
    amount: Decimal = Decimal(0)
    vat: Decimal = Decimal(0)
    vat_rate: Decimal | None = None
    kind: str | None = None  # a fee's Norce Type (Shipping, Invoice) or a discount's Type


class ErpPayment(ErpModel):
    method: str  # the ERP's payment method code (mapped from Norce's PaymentMethodCode)
    provider_code: str | None = None  # Norce's PaymentCode
    reference: str | None = None
    amount: Decimal = Decimal(0)
    currency: str | None = None
    name: str | None = None
    additional_info: dict[str, Any] = Field(default_factory=dict)


class ErpDelivery(ErpModel):
    method: str  # the ERP's delivery method code (mapped from Norce's DeliveryMethodCode)
    pickup_store_code: str | None = None
    pickup_store_name: str | None = None
    address: ErpAddress | None = None
    is_drop_point: bool | None = None
    sms_notify: bool | None = None
    complete_delivery: bool | None = None
    fee_charged_once: bool | None = None
    ship_advisor_order_code: str | None = None
    tms_reference: str | None = None


class ErpOrder(ErpModel):
    """One sales order. ``external_ref`` is Norce's ClientOrderRef: the ERP's idempotency key."""

    external_ref: str
    target: str = "default"  # which ERP (routing), not sent to it
    customer_code: str | None = None
    company_code: str | None = None
    currency: str
    submitted_at: datetime | None = None
    customer_order_ref: str | None = None
    comment: str | None = None
    sales_contact_code: str | None = None
    on_hold: bool = False
    source: str | None = None
    application_key: str | None = None
    bill_to: ErpAddress | None = None
    delivery: ErpDelivery
    lines: list[ErpOrderLine]
    fees: list[ErpCharge] = Field(default_factory=list)
    discounts: list[ErpCharge] = Field(default_factory=list)
    payments: list[ErpPayment] = Field(default_factory=list)
    total_amount: Decimal = Decimal(0)  # excluding VAT
    total_vat: Decimal = Decimal(0)
    additional_info: dict[str, Any] = Field(default_factory=dict)
    passthrough: dict[str, Any] = Field(default_factory=dict)  # fields Norce sent that we don't know


class ErpOrderRef(ErpModel):
    """The ERP's answer for an order: its number, and whether this call created it."""

    external_ref: str
    order_no: str
    created: bool = True


class ErpDocumentLine(ErpModel):
    line_no: int | None = None
    part_no: str | None = None
    quantity: Decimal = Decimal(0)
    unit_price: Decimal | None = None
    unit_vat: Decimal | None = None
    vat_rate: Decimal | None = None
    line_amount: Decimal | None = None


class ErpDocument(ErpModel):
    """A document the ERP made for an order, in the ERP's own terms (the poll reads these).

    ``kind``: ``deliveryNote``, ``invoice``, ``creditNote`` or ``status``; ``external_ref`` is the
    order's ClientOrderRef; ``total_amount`` includes ``vat``.
    """

    document_no: str
    kind: str
    order_no: str | None = None
    external_ref: str | None = None
    currency: str | None = None
    changed_at: datetime
    document_date: datetime | None = None
    lines: list[ErpDocumentLine] = Field(default_factory=list)
    total_amount: Decimal | None = None
    vat: Decimal | None = None
    parcel_number: str | None = None
    credited_invoice_no: str | None = None
    status: str | None = None


class ErpChange(ErpModel):
    """The ERP's word that something changed (a webhook notification), in the ERP's own terms: ``resource``
    names the entity or collection, ``change_type`` what happened (``created``, ``updated``, ``deleted``,
    ``collection``). It carries no data: the adapter reads the entity to know what changed."""

    resource: str
    change_type: str
    changed_at: datetime | None = None
