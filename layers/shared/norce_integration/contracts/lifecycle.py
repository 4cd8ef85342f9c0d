"""What the ERP tells Norce after the order: Connect's CreateDeliveryNote, CreateInvoice and
CreditPayment bodies (SendOrderStatus is ``contracts.connect.OrderStatusUpdate``).

Field names are Norce's (Connect Order Service 4.0). Every field is optional here, as in the order
contract: what a document must carry is decided by ``lifecycle.validation`` so that every problem is
named at once. Unknown fields are kept and reach Norce unchanged.
"""

from datetime import datetime

from norce_integration.contracts.base import Money, NorceModel
from norce_integration.contracts.connect import OrderInfo


class DeliveryAddress(NorceModel):
    Box: str | None = None
    CareOf: str | None = None
    City: str | None = None
    Country: str | None = None
    Line1: str | None = None
    Line2: str | None = None
    Region: str | None = None
    Type: str | None = None
    ZipCode: str | None = None


class DeliveryNoteItem(NorceModel):
    ItemNo: str | None = None  # the part no delivered
    Qty: Money | None = None
    RowNumber: int | None = None  # the order's line number
    Comment: str | None = None
    Description: str | None = None
    Id: int | None = None


class DeliveryNotePackage(NorceModel):
    Id: int | None = None
    ParcelNumber: str | None = None  # the tracking number
    StatusId: int | None = None  # 4 Delivered, 6 Canceled, 11 Ready for pickup, 12 Picked up, ...


_DeliveryAddress = DeliveryAddress


class DeliveryNote(NorceModel):
    """``POST Order/CreateDeliveryNote``: one dispatch of (part of) an order; several per order."""

    ClientOrderRef: int | str | None = None
    OrderNo: str | None = None  # the ERP order number
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
    TrackingUrl: str | None = None


class InvoiceItem(NorceModel):
    PartNo: str | None = None
    Quantity: Money | None = None
    UnitPrice: Money | None = None
    Description: str | None = None
    Discount: Money | None = None
    LineAmount: Money | None = None
    LineNo: int | None = None
    PriceList: str | None = None
    ProductName: str | None = None
    SalePrice: Money | None = None
    UnitVat: Money | None = None
    VatRate: Money | None = None


class InvoicePayment(NorceModel):
    PaymentCode: int | str | None = None
    PaymentMethodCode: str | None = None
    PaymentRef: str | None = None
    AdditionalInfo: list[OrderInfo] | None = None
    Amount: Money | None = None
    CurrencyCode: str | None = None
    PaymentName: str | None = None


class Invoice(NorceModel):
    """``POST Order/CreateInvoice`` (captures the payment at the PSP) and ``Order/CreditPayment`` (pays
    back; then ``CreditedInvoiceNo`` names the invoice credited). Amounts: ``TotalAmount`` includes VAT
    (``Vat``); each item's ``LineAmount`` excludes it."""

    ClientOrderRef: int | str | None = None
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
    SuppressPspCall: bool | None = None
    TotalAmount: Money | None = None
    Vat: Money | None = None
    InvoiceRoundOff: Money | None = None
    VatRoundOff: Money | None = None
    ApplicationKey: str | None = None
    CountryCode: str | None = None
    CultureCode: str | None = None
    GroupCode: str | None = None
    ZipCode: str | None = None
