"""Norce Commerce Event 1.0.0: the JSON body of each event type, exactly as Norce publishes it.

Sources: ``D/api-reference/schemas/event`` and the pages under ``E`` named in each ``SOURCE``. Delivery
(``D/developer-portal/system-integration/using-norceevent``): a JSON POST of these fields only, with **no
event type, id or timestamp** in the body; any non-2xx is retried for about 22 hours (16 retries); each POST
has a 5-second timeout. Every payload has ``ClientId`` (int32, required). Ints are int32 unless noted;
``opt`` fields may be absent or null.
"""

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from tests.contracts.norce.base import Published

Int32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]

CUSTOMER_TABLES = Literal[
    "tApplicationAccount",
    "tClientCustomer",
    "tClientCustomerAddress",
    "tClientCustomerDivision",
    "tClientCustomerFlag",
    "tClientCustomerInfo",
    "tClientCustomerPriceList",
]
COMPANY_TABLES = Literal[
    "tClientCompany",
    "tClientCompanyAddress",
    "tClientCompanyDeliveryMethod",
    "tClientCompanyDiscount",
    "tClientCompanyDivision",
    "tClientCompanyFlag",
    "tClientCompanyInfo",
    "tClientCompanyPaymentMethod",
    "tClientCompanyPriceList",
    "tClientCustomer",
    "tClientCustomerCompany",
]


class NorceEventBody(Published):
    ClientId: Int32


class OrderReceivedEvent(NorceEventBody):
    """The only order event with ``Email``; sent before the order is complete in Norce."""

    SOURCE: ClassVar[str] = "E/openapi/schemas/orderreceivedevent"
    ApplicationId: Int32
    ClientOrderRef: str
    Email: str | None = None
    CellPhone: str | None = None
    FirstName: str | None = None
    LastName: str | None = None
    Source: str


class OrderStatusEvent(NorceEventBody):
    """OrderConfirmedEvent, OrderCancelledEvent, OrderDeliveredEvent, OrderPartlyDeliveredEvent: **no Email**.
    ``OrderId`` is int64; ``OrderNo`` usually the ERP's number; ``Source`` 'WEB' for a Norce order."""

    SOURCE: ClassVar[str] = (
        "E/openapi/schemas/orderconfirmedevent; E/openapi/order/paths/orderpartlydeliveredevent/post.md"
    )
    ApplicationId: Int32
    OrderId: Int64
    OrderNo: str
    ClientOrderRef: str
    CellPhone: str | None = None
    FirstName: str | None = None
    LastName: str | None = None
    Source: str


class OrderReadyForPickupEvent(OrderStatusEvent):
    SOURCE: ClassVar[str] = "E/openapi/schemas/orderreadyforpickupevent"
    DropPointCode: str | None = None


class InvoiceCaptureCompletedEvent(NorceEventBody):
    """The payment provider's answer to an invoice's capture: ``Error`` means the money was not collected."""

    SOURCE: ClassVar[str] = "E/openapi/order/paths/invoicecapturecompletedevent/post.md"
    ApplicationId: Int32
    CapturedInvoiceId: Int32  # Norce's invoice id (Query's Invoice.Id)
    State: Literal["Captured", "Error"]


class CustomerChangedNotification(NorceEventBody):
    SOURCE: ClassVar[str] = "E/tag/Customer/paths/CustomerChangedNotification/post"
    ApplicationId: Int32 | None = None
    CustomerId: Int32
    EntityChanged: CUSTOMER_TABLES


class CompanyChangedNotification(NorceEventBody):
    SOURCE: ClassVar[str] = "E/tag/Customer/paths/CompanyChangedNotification/post"
    ApplicationId: Int32 | None = None
    CompanyId: Int32
    EntityChanged: COMPANY_TABLES


class JobCompletedEvent(NorceEventBody):
    """StatusId 1 Initialized, 2 Succeeded, 3 Failed, 4 Validation failed, 5 Validating, 6 Queued ("should
    be 2, 3 or 4")."""

    SOURCE: ClassVar[str] = "E/openapi/schemas/jobcompletedevent; E/tag/System/paths/JobCompletedEvent/post"
    ApplicationId: Int32 | None = None
    JobId: Int32
    StatusId: Literal[1, 2, 3, 4, 5, 6]


class OrderPaymentReceivedEvent(NorceEventBody):
    SOURCE: ClassVar[str] = "E/openapi/order/paths/orderpaymentreceivedevent/post.md"
    ApplicationId: Int32
    ClientOrderRef: str
    ErpOrderNo: str
    PaymentCode: str
    PaymentMethodCode: str | None = None
    PaymentRef: str | None = None
    Amount: float | None = None
    CurrencyCode: str | None = None


# The body of every type the local Norce posts, by event type (the documented 19 have more; these are the
# ones the simulator sends and the integration reads).
BY_TYPE: dict[str, type[Published]] = {
    "OrderReceivedEvent": OrderReceivedEvent,
    "OrderConfirmedEvent": OrderStatusEvent,
    "OrderCancelledEvent": OrderStatusEvent,
    "OrderDeliveredEvent": OrderStatusEvent,
    "OrderPartlyDeliveredEvent": OrderStatusEvent,
    "OrderReadyForPickupEvent": OrderReadyForPickupEvent,
    "OrderPaymentReceivedEvent": OrderPaymentReceivedEvent,
    "InvoiceCaptureCompletedEvent": InvoiceCaptureCompletedEvent,
    "CustomerChangedNotification": CustomerChangedNotification,
    "CompanyChangedNotification": CompanyChangedNotification,
    "JobCompletedEvent": JobCompletedEvent,
}
# Norce's list of types (D/api-reference/schemas/event), casing as Norce writes it.
DOCUMENTED_TYPES = frozenset(
    [
        "CustomerChangedNotification",
        "CompanyChangedNotification",
        "InvoiceCaptureCompletedEvent",
        "OrderCancelledEvent",
        "OrderConfirmedEvent",
        "OrderDeliveredEvent",
        "OrderPartlyDeliveredEvent",
        "OrderReadyForPickupEvent",
        "OrderPaymentReceivedEvent",
        "OrderReceivedEvent",
        "SubscriptionFailedEvent",
        "JobCompletedEvent",
        "SkuPriceChangedNotification",
        "SkuOnHandBreakPointNotification",
        "SkuChangedNotification",
        "TranslationRequestedNotification",
        "SupplierSkuChangedNotification",
        "SupplierSkuOnHandChangedNotification",
        "SupplierSkuPriceChangedNotification",
    ]
)
