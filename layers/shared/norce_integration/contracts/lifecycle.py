"""What the ERP tells Norce after the order: Connect's CreateDeliveryNote, CreateInvoice and
CreditPayment bodies (SendOrderStatus is ``contracts.connect.OrderStatusUpdate``).

Field names and types are Norce's published ones (Connect Order Service 4.0; docs/lifecycle.md lists the
pages), and nothing else: an undocumented field is refused (``extra="forbid"``), because what we cannot
send to Norce must never be accepted from the ERP and then silently dropped. Quantities are integers, as
Norce publishes them (``Qty``, ``Quantity``). Every field is optional here: what a document must carry is
decided by ``lifecycle.validation`` so that every problem is named at once.

CreateDeliveryNote has no ``ClientOrderRef``: a delivery note names its order by ``OrderNo`` (the ERP order
number our SendOrderStatus Confirmed gave Norce).
"""

from datetime import datetime

from pydantic import ConfigDict

from norce_integration.contracts.base import Money, NorceModel
from norce_integration.contracts.connect import Count


class PublishedModel(NorceModel):
    """A Connect order-service body: exactly the published fields."""

    model_config = ConfigDict(extra="forbid")


class DeliveryAddress(PublishedModel):
    Box: str | None = None  # max 100
    CareOf: str | None = None  # max 100
    City: str | None = None  # max 50
    Country: str | None = None  # ISO 3166-1 alpha-2
    Line1: str | None = None  # max 100
    Line2: str | None = None  # max 100
    Region: str | None = None  # max 50
    Type: str | None = None  # always null, deprecated
    ZipCode: str | None = None  # max 50


class DeliveryNoteItem(PublishedModel):
    ItemNo: str | None = None  # the part no delivered
    Qty: Count | None = None  # the quantity shipped
    RowNumber: Count | None = None  # the delivery note's line number (the order's line, when it names one)
    Comment: str | None = None  # the supplier's comment
    Description: str | None = None
    Id: Count | None = None  # always null, deprecated


class DeliveryNotePackage(PublishedModel):
    Id: Count | None = None  # always null, deprecated
    ParcelNumber: str | None = None  # the tracking number
    StatusId: Count | None = None  # 4 Delivered, 6 Canceled, 11 Ready for pickup, 12 Picked up, 20 Reserved


_DeliveryAddress = DeliveryAddress


class DeliveryNote(PublishedModel):
    """``POST Order/CreateDeliveryNote``: one dispatch of (part of) an order; several per order."""

    OrderNo: str | None = None  # the ERP order number: how Norce finds the order
    NoteNo: str | None = None  # the ERP's delivery note number: our idempotency key
    DeliveryDate: datetime | None = None
    BuyerCompanyCode: str | None = None
    BuyerCustomerCode: str | None = None
    DeliveryAddress: _DeliveryAddress | None = None
    DeliveryAttention: str | None = None
    DeliveryMode: str | None = None
    DeliveryName: str | None = None
    DeliverynoteItems: list[DeliveryNoteItem] | None = None
    DeliveryNotePackages: list[DeliveryNotePackage] | None = None


class InvoiceItem(PublishedModel):
    PartNo: str | None = None  # required
    Quantity: Count | None = None  # required, an integer
    UnitPrice: Money | None = None  # required
    Description: str | None = None
    Discount: Money | None = None
    LineAmount: Money | None = None
    LineNo: Count | None = None  # the order's line
    PriceList: str | None = None
    ProductName: str | None = None
    SalePrice: Money | None = None
    UnitVat: Money | None = None
    VatRate: Money | None = None


class CodeValue(PublishedModel):
    Code: str | None = None
    Code2: str | None = None
    Id: Count | None = None
    Value: str | None = None


class InvoicePayment(PublishedModel):
    """Either PaymentCode or PaymentRef must be provided."""

    PaymentCode: Count | None = None
    PaymentMethodCode: str | None = None
    PaymentRef: str | None = None
    AdditionalInfo: list[CodeValue] | None = None
    Amount: Money | None = None
    CurrencyCode: str | None = None
    PaymentName: str | None = None


class Invoice(PublishedModel):
    """``POST Order/CreateInvoice`` (captures the payment at the PSP) and ``Order/CreditPayment`` (pays
    back; then ``CreditedInvoiceNo`` names the invoice credited). Norce requires ``ClientOrderRef`` (an
    int32 basket id), ``CurrencyCode``, ``ErpOrderNo`` and ``InvoiceDate``. Amounts: ``TotalAmount``
    includes VAT (``Vat``); each item's ``LineAmount`` excludes it."""

    ClientOrderRef: Count | None = None
    ErpOrderNo: str | None = None
    InvoiceNo: str | None = None  # the ERP's invoice (or credit note) number: our idempotency key
    InvoiceDate: datetime | None = None
    CurrencyCode: str | None = None
    CreditedInvoiceNo: str | None = None
    DeliveryDate: datetime | None = None
    InvoiceDueDate: datetime | None = None
    IsLastInvoiceForOrder: bool | None = None  # null counts as true
    Items: list[InvoiceItem] | None = None
    Payment: InvoicePayment | None = None
    PaymentMethodCode: str | None = None
    PaymentMethodName: str | None = None
    SuppressPspCall: bool | None = None
    TotalAmount: Money | None = None
    Vat: Money | None = None
    InvoiceRoundOff: Money | None = None
    VatRoundOff: Money | None = None
    ApplicationKey: str | None = None
    Name: str | None = None
    Attention: str | None = None
    CareOf: str | None = None
    AddressLine1: str | None = None
    AddressLine2: str | None = None
    ZipCode: str | None = None
    City: str | None = None
    Region: str | None = None
    Country: str | None = None
    CountryCode: str | None = None
    CultureCode: str | None = None
    Gln: str | None = None
    GroupCode: str | None = None
    Comment: str | None = None
