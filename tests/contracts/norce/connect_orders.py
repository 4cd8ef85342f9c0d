"""Norce Commerce Connect 4.0's order service, as Norce publishes it: SendOrderStatus, CreateDeliveryNote,
CreateInvoice and CreditPayment (their request bodies; Norce publishes no response body for them).

Copied from the project's reference notes (norce-contracts.md, section 3, checked 2026-12-02). Where Norce
publishes a field but not whether it is required (CreateDeliveryNote), the description takes the strict
side: what our client always sends and the simulator requires (docs/simulators.md says so).
"""

from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from tests.contracts.norce.base import Published

Int32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
Number = float | int  # a JSON number (strict: never a string)
Text50 = Annotated[str, Field(max_length=50)]

CURRENT_STATUSES = (
    "Created",
    "Allocation",
    "Confirmed",
    "BackOrder",
    "Delivered",
    "Invoiced",
    "Cancelled",
    "CreditControl",
    "PartlyDelivered",
    "Acknowledged",
)
OLDER_STATUSES = (  # only on the older nc-latest page, which also lacks Created: unconfirmed
    "ErpConfirmed",
    "ReadyForPickup",
    "PickedUp",
    "NotPickedUp",
    "OnHold",
    "WaitingForCancel",
    "WaitingForOnHoldRemoved",
    "CancelError",
    "AcknowledgementError",
    "ReadyForReservation",
    "Reserved",
)
PACKAGE_STATUS_IDS = (4, 6, 11, 12, 20)  # Delivered, Canceled, Ready for pickup, Pickedup, Reserved


class OrderInfo(Published):
    """An entry of ``Infos``: the page names the type, its fields are not published (so none is allowed)."""

    SOURCE: ClassVar[str] = "C/orderservice/openapi/schemas/orderinfo (fields n/r)"


class SendOrderStatusRequest(Published):
    """``POST Order/SendOrderStatus``: "Either ClientOrderRef or ErpOrderNo must be provided." The current
    schema's OrderStatus enum has 10 values (the older page's 11 others are not accepted here)."""

    SOURCE: ClassVar[str] = "C/orderservice/openapi/schemas/sendorderstatusrequest"

    ClientOrderRef: Int32 | None = None
    ErpOrderNo: str | None = None
    OrderStatus: Literal[CURRENT_STATUSES]
    AccountId: Int32 | None = None
    Infos: list[OrderInfo] | None = None

    @model_validator(mode="after")
    def _names_the_order(self) -> "SendOrderStatusRequest":
        if self.ClientOrderRef is None and not self.ErpOrderNo:
            raise ValueError("either ClientOrderRef or ErpOrderNo must be provided")
        return self


class Address(Published):
    SOURCE: ClassVar[str] = "D/api-reference/schemas/connectorder (Address)"

    Box: Annotated[str, Field(max_length=100)] | None = None
    CareOf: Annotated[str, Field(max_length=100)] | None = None
    City: Text50 | None = None
    Country: Annotated[str, Field(max_length=2)] | None = None
    Line1: Annotated[str, Field(max_length=100)] | None = None
    Line2: Annotated[str, Field(max_length=100)] | None = None
    Region: Text50 | None = None
    Type: None = None  # "Always null. Deprecated"
    ZipCode: Text50 | None = None


class DeliveryNoteItem(Published):
    SOURCE: ClassVar[str] = "D/api-reference/schemas/connectorder (DeliveryNoteItem)"

    ItemNo: str  # the part no of the delivered item (required: our choice, n/r)
    Qty: int  # the quantity shipped (required: our choice, n/r)
    RowNumber: int | None = None
    Comment: str | None = None
    Description: str | None = None
    Id: None = None  # "always null, deprecated"


class DeliveryNotePackage(Published):
    SOURCE: ClassVar[str] = "D/api-reference/schemas/connectorder (DeliveryNotePackage)"

    Id: None = None  # "always null, deprecated"
    ParcelNumber: str | None = None
    StatusId: Literal[PACKAGE_STATUS_IDS] | None = None


class DeliveryNote(Published):
    """``POST Order/CreateDeliveryNote``: no ClientOrderRef; the order is named by OrderNo (the ERP order
    number). Required flags are not published: NoteNo, OrderNo and one item at least are required here."""

    SOURCE: ClassVar[str] = "C/orderservice/openapi/order/sendorderstatus (CreateDeliveryNote sample)"

    DeliveryDate: str | None = None
    NoteNo: Text50
    OrderNo: Text50
    BuyerCompanyCode: str | None = None
    BuyerCustomerCode: str | None = None
    DeliveryAddress: Address | None = None
    DeliveryAttention: str | None = None
    DeliveryMode: str | None = None
    DeliveryName: str | None = None
    DeliverynoteItems: Annotated[list[DeliveryNoteItem], Field(min_length=1)]
    DeliveryNotePackages: list[DeliveryNotePackage] | None = None


class CodeValue(Published):
    SOURCE: ClassVar[str] = "C/orderservice/openapi/schemas/codevalue"

    Code: str | None = None
    Code2: str | None = None
    Id: Int32 | None = None
    Value: str | None = None


class Payment(Published):
    """ "Either PaymentCode or PaymentRef must be provided." """

    SOURCE: ClassVar[str] = "C/orderservice/openapi/schemas/payment"

    PaymentCode: int | None = None
    PaymentMethodCode: str | None = None
    PaymentRef: str | None = None
    AdditionalInfo: list[CodeValue] | None = None
    Amount: Number | None = None
    CurrencyCode: Annotated[str, Field(max_length=3)] | None = None
    PaymentName: str | None = None

    @model_validator(mode="after")
    def _names_the_payment(self) -> "Payment":
        if self.PaymentCode is None and not self.PaymentRef:
            raise ValueError("either PaymentCode or PaymentRef must be provided")
        return self


_Payment = Payment  # the Invoice's field is named Payment too


class InvoiceItem(Published):
    SOURCE: ClassVar[str] = "C/orderservice/nc-latest/operation/CreateInvoice (InvoiceItem)"

    PartNo: str
    Quantity: int
    UnitPrice: Number
    Description: str | None = None
    Discount: Number | None = None
    LineAmount: Number | None = None
    LineNo: int | None = None
    PriceList: str | None = None
    ProductName: str | None = None
    SalePrice: Number | None = None
    UnitVat: Number | None = None
    VatRate: Number | None = None


class Invoice(Published):
    """``POST Order/CreateInvoice`` ("will capture/activate payment if applicable") and
    ``Order/CreditPayment`` share it. Required: ClientOrderRef (int32), CurrencyCode (3), ErpOrderNo,
    InvoiceDate (a DateTime string)."""

    SOURCE: ClassVar[str] = "C/orderservice/nc-latest/operation/CreateInvoice, .../invoice/creditpayment.md"

    ClientOrderRef: Int32
    CurrencyCode: Annotated[str, Field(min_length=3, max_length=3)]
    ErpOrderNo: Text50
    InvoiceDate: str
    InvoiceNo: Text50 | None = None  # "must be unique"
    AddressLine1: str | None = None
    AddressLine2: str | None = None
    ApplicationKey: str | None = None  # a Guid
    Attention: str | None = None
    CareOf: str | None = None
    City: str | None = None
    Comment: str | None = None
    Country: str | None = None
    CountryCode: str | None = None
    CreditedInvoiceNo: Text50 | None = None  # "only mandatory for credits"
    CultureCode: str | None = None
    DeliveryDate: str | None = None
    Gln: str | None = None
    GroupCode: str | None = None
    InvoiceDueDate: str | None = None
    InvoiceRoundOff: Number | None = None
    IsLastInvoiceForOrder: bool | None = None  # "null is considered as true"
    Items: list[InvoiceItem] | None = None  # "mandatory for PSP capture"
    Name: str | None = None
    Payment: _Payment | None = None
    PaymentMethodCode: str | None = None
    PaymentMethodName: str | None = None
    Region: str | None = None
    SuppressPspCall: bool | None = None
    TotalAmount: Number | None = None
    Vat: Number | None = None
    VatRoundOff: Number | None = None
    ZipCode: str | None = None


class CreditPayment(Invoice):
    """A credit is an Invoice whose ``CreditedInvoiceNo`` names the invoice credited ("only mandatory for
    credits")."""

    SOURCE: ClassVar[str] = "C/orderservice/openapi/invoice/creditpayment.md"

    CreditedInvoiceNo: Text50


REQUESTS: dict[str, type[Published]] = {
    "Order/SendOrderStatus": SendOrderStatusRequest,
    "Order/CreateDeliveryNote": DeliveryNote,
    "Order/CreateInvoice": Invoice,
    "Order/CreditPayment": CreditPayment,
}
"""Each order-service path and the description of its request body."""
