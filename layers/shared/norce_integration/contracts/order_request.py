"""The Norce ``OrderRequest`` (Enferno.Services.StormConnect.Contracts.Order.OrderRequest).

Field order follows Norce's DataContract order, which is also the XML element order.
Every field is optional here; what an order must carry is decided in ``intake.validation``.
"""

from datetime import datetime
from decimal import Decimal

from pydantic import Field

from norce_integration.contracts.base import IntOrCode, Money, NorceModel


class CodeValue(NorceModel):
    """One ``AdditionalInfo`` entry: a configurable info type and its value.

    Norce: ``Code2`` is the configurable identifier to use; ``Code`` "has erroneous behaviour"; ``Id`` is
    Norce's internal id of the info type (C/orderservice/openapi/schemas/codevalue)."""

    Id: int | None = None
    Code: str | None = None
    Code2: str | None = None
    Value: str | None = None

    @property
    def key(self) -> str | None:
        """What the info is keyed by: ``Code2`` as Norce advises, else ``Code``."""
        return self.Code2 or self.Code or None


class Address(NorceModel):
    Type: str | None = None
    Line1: str | None = None
    Line2: str | None = None
    Box: str | None = None
    ZipCode: str | None = None
    City: str | None = None
    Region: str | None = None
    Country: str | None = None
    CareOf: str | None = None
    ShippingPhoneNumber: str | None = None
    Gln: str | None = None
    ExtensionData: object | None = None


_Address = Address  # aliases: a field named like its type would shadow the type


class Person(NorceModel):
    """A buyer, payer or receiver (Connect Order Service 4.0 schema; lengths are Norce's).

    ``CustomerCode`` (50) is set when the person is already in the ERP. ``FirstName``/``LastName`` (50),
    ``Email`` (255), the phones and ``SSN`` (50), ``JobTitle`` (10). ``CompanyCode`` is always null
    (deprecated) but kept for setups that still send it.
    """

    CustomerCode: str | None = None
    CompanyCode: str | None = None
    FirstName: str | None = None
    LastName: str | None = None
    JobTitle: str | None = None
    PrivatePhone: str | None = None
    CellPhone: str | None = None
    WorkPhone: str | None = None
    Email: str | None = None
    SSN: str | None = None
    Address: _Address | None = None
    AdditionalInfo: list[CodeValue] | None = None
    IsActive: bool | None = None


class Company(NorceModel):
    """The buying company, as Norce's OrderRequest schema has it: ``Code`` (50, set when the company is
    already in the ERP), ``Name`` (100) and ``VatNo`` (50).

    Every other field of the schema is documented "always null, deprecated" and typed loosely so an old
    setup that still fills one is never refused. There is no ``OrganizationNo`` in the schema; a setup
    that adds one keeps it as an extra field (``organization_no`` reads it).
    """

    Code: str | None = None
    Name: str | None = None
    VatNo: str | None = None
    Email: object | None = None  # deprecated, always null
    Phone: object | None = None  # deprecated, always null
    Fax: object | None = None  # deprecated, always null
    Addresses: object | None = None  # deprecated, always null
    AdditionalInfo: object | None = None  # deprecated, always null
    IsActive: object | None = None  # deprecated, always null
    PriceListCodes: object | None = None  # deprecated, always null
    PaymentCodes: object | None = None  # deprecated, always null
    DeliveryCodes: object | None = None  # deprecated, always null

    @property
    def organization_no(self) -> str | None:
        """An ``OrganizationNo`` some setups add to the company (not in Norce's schema)."""
        value = (self.model_extra or {}).get("OrganizationNo")
        text = str(value).strip() if value is not None else ""
        return text or None


_Company = Company
_Person = Person

REFERENCE_LENGTHS: dict[str, dict[str, int]] = {
    "OrderRequest": {"ClientOrderRef": 50, "CustomerOrderRef": 50, "ErpOrderNo": 50, "SalesContactCode": 50},
    "Header": {"ApplicationKey": 50},
}
"""Norce's published maximum lengths of the order's own references (``Header.ApplicationKey`` is a Guid: 50
leaves room for its braced forms). The ledger keys an order by ApplicationKey and ClientOrderRef."""

MAX_LENGTHS: dict[str, dict[str, int]] = {
    "Company": {"Code": 50, "Name": 100, "VatNo": 50},
    "Person": {
        "CustomerCode": 50,
        "FirstName": 50,
        "LastName": 50,
        "JobTitle": 10,
        "PrivatePhone": 50,
        "CellPhone": 50,
        "WorkPhone": 50,
        "Email": 255,
        "SSN": 50,
    },
    "Address": {
        "Line1": 100,
        "Line2": 100,
        "Box": 100,
        "ZipCode": 50,
        "City": 50,
        "Region": 50,
        "CareOf": 100,
    },
}
"""Norce's published maximum lengths (characters) of the party fields (Connect Order Service 4.0
OrderRequest schema), per model and field; ``Address.Country`` is a two-letter ISO 3166-1 code.

Enforced at intake, by the business validation (``intake.validation``), and deliberately not by the
models: an order accepted before a limit was enforced must still parse in the processor."""


class ClientCustomer(NorceModel):
    """SellTo / BillTo / ShipTo: a company, a person, or both (a company contact)."""

    Company: _Company | None = None
    Person: _Person | None = None


class Payment(NorceModel):
    PaymentCode: IntOrCode | None = None
    PaymentMethodCode: str | None = None
    PaymentRef: str | None = None
    Amount: Money | None = None
    CurrencyCode: str | None = None
    AdditionalInfo: list[CodeValue] | None = None
    PaymentName: str | None = None


class Discount(NorceModel):
    """An order discount not on a line (rare): ``{Amount, Code (used for discount matching), Type}``."""

    Amount: Money | None = None
    Code: str | None = None
    Type: str | None = None


class PickupStore(NorceModel):
    Code: str | None = None
    Name: str | None = None
    IsDropPoint: bool | None = None


_PickupStore = PickupStore


class ShippingAdvice(NorceModel):
    DeliveryMethodCode: str | None = None
    DoSMSNotify: bool | None = None
    PickupStore: _PickupStore | None = None
    IsFeeChargedOnce: bool | None = None
    IsComplete: bool | None = None
    ShipAdvisorOrderCode: str | None = None
    TmsReference: str | None = None


class PriceListItem(NorceModel):
    PriceListName: str | None = None
    QtyBreak: Money | None = None
    UnitPrice: Money | None = None
    IsStandardPriceList: bool | None = None
    IsActive: bool | None = None


class Promotion(NorceModel):
    Code: str | None = None
    Name: str | None = None
    Description: str | None = None
    DiscountAmount: Money | None = None


class OrderItem(NorceModel):
    LineNo: int | None = None
    ParentLineNo: int | None = None
    Type: str | None = None
    TypeGroup: str | None = None
    PartNo: str | None = None
    ErpPartNo: str | None = None
    InternalProductId: int | str | None = None
    Description: str | None = None
    Quantity: Money | None = None
    UnitOfMeasure: str | None = None
    UnitPrice: Money | None = None
    UnitPriceOriginal: Money | None = None
    Discount: Money | None = None
    UnitVat: Money | None = None
    PriceListNo: int | None = None
    VatRate: Money | None = None
    Comment: str | None = None
    AdditionalInfo: list[CodeValue] | None = None
    PriceLists: list[PriceListItem] | None = None
    Promotions: list[Promotion] | None = None
    ManufacturerCode: str | None = None
    Quantity2: Money | None = None

    @property
    def ordered_quantity(self) -> Decimal | None:
        """How much was ordered: ``Quantity`` is Norce's whole number of items; goods sold by weight or
        length carry a non-integer quantity in ``Quantity2`` ("item quantity for non-integer values"),
        which is then the line's quantity (its amount is UnitPrice x Quantity2)."""
        if self.Quantity2 is not None and self.Quantity2 != self.Quantity2.to_integral_value():
            return self.Quantity2
        if not self.Quantity and self.Quantity2:
            return self.Quantity2
        return self.Quantity


FEE_TYPES = {0: "Shipping", 1: "Invoice"}
"""Norce's ``Fee.Type`` (int32)."""


class Fee(NorceModel):
    """A fee on the order (rare: fees are mostly order items with TypeGroup ``Fee``):
    ``{Amount, Description, Type (0 Shipping, 1 Invoice), VatRate (percent)}``."""

    Amount: Money | None = None
    Description: str | None = None
    Type: IntOrCode | None = None
    VatRate: Money | None = None


class Header(NorceModel):
    ApplicationKey: str | None = None


_ShippingAdvice = ShippingAdvice
_Header = Header


class OrderRequest(NorceModel):
    """A finished checkout, as Norce pushes it to the order receiver."""

    SellTo: ClientCustomer | None = None
    BillTo: ClientCustomer | None = None
    ShipTo: ClientCustomer | None = None
    SalesContactCode: str | None = None
    SalesContactDivision: str | None = None
    DoHold: bool | None = None
    ClientOrderRef: str | None = Field(default=None, coerce_numbers_to_str=True)
    ErpOrderNo: str | None = None
    CustomerOrderRef: str | None = None
    CustomerOrderComment: str | None = None
    SubmitDate: datetime | None = None
    CurrencyCode: str | None = None
    ReferId: int | None = None
    Payments: list[Payment] | None = None
    Discounts: list[Discount] | None = None
    ShippingAdvice: _ShippingAdvice | None = None
    Items: list[OrderItem] | None = None
    Fees: list[Fee] | None = None
    AdditionalInfo: list[CodeValue] | None = None
    Header: _Header | None = None
    OrderType: IntOrCode | None = None
    Source: str | None = None
    CustomerInvoiceRef: str | None = None
    DiscountCode: str | None = None
    ExtensionData: object | None = None

    @property
    def application_key(self) -> str | None:
        return self.Header.ApplicationKey if self.Header else None
