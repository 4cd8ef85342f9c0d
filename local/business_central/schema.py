"""The entities the Business Central simulator serves, field by field, as BC's API v2.0 has them.

Names, order and which are read-only come from the API pages (``microsoft/BCApps``,
``src/Apps/W1/APIV2/app/src/pages/APIV2{Customers,SalesOrders,SalesOrderLines,SalesShipments,
SalesShipmentLines,SalesInvoices,SalesInvoiceLines,SalesCreditMemos,SalesCreditMemLines}.Page.al``); lengths
from the tables behind them (``src/Layers/W1/BaseApp``: Customer, Sales Header, Sales Line, Sales Shipment
Header); the subscription from learn.microsoft.com ``api-reference/v2.0/resources/dynamics_subscriptions``.
A field bound to a page variable instead of a table field (``unbound``: ``taxRegistrationNumber``,
``currencyCode``...) cannot be filtered or sorted on: the simulator refuses it (docs/simulators.md).
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # guid, text, code (upper-cased by BC), date, datetime, decimal, boolean, integer, enum
    length: int | None = None
    read_only: bool = False
    unbound: bool = False  # a page variable: not filterable or sortable
    values: tuple[str, ...] = ()  # an enum's values


@dataclass(frozen=True)
class Entity:
    name: str  # EntityName, e.g. customer
    set_name: str  # EntitySetName, e.g. customers
    fields: tuple[Field, ...]
    lines: str | None = None  # the navigation to its lines (a part), e.g. salesOrderLines
    by_name: dict[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})

    @property
    def type_name(self) -> str:
        return f"Microsoft.NAV.{self.name}"


def _f(name: str, kind: str = "text", length: int | None = None, **options: object) -> Field:
    return Field(name, kind, length, **options)  # type: ignore[arg-type]


RO = {"read_only": True}
_ADDRESS = {"AddressLine1": 100, "AddressLine2": 50, "City": 30, "Country": 10, "State": 30, "PostCode": 20}
BLOCKED = (" ", "Ship", "Invoice", "All")  # Customer Blocked enum
CONTACT_TYPES = ("Company", "Person")  # Contact Type enum (Company is its default)
LINE_TYPES = ("Comment", "Account", "Item", "Resource", "Fixed Asset", "Charge")  # Invoice Line Agg. API Type
SHIPMENT_LINE_TYPES = (
    " ",
    "G/L Account",
    "Item",
    "Resource",
    "Fixed Asset",
    "Charge (Item)",
)  # Sales Line Type
INVOICE_STATUSES = (" ", "Draft", "In Review", "Open", "Paid", "Canceled", "Corrective")
CREDIT_MEMO_STATUSES = ("Draft", "In Review", "Open", "Paid", "Canceled", "Corrective")
ORDER_STATUSES = ("Draft", "In Review", "Open")


def _address(prefix: str, read_only: bool = False) -> list[Field]:
    kinds = {"Country": "code", "PostCode": "code"}
    return [
        Field(f"{prefix}{part}", kinds.get(part, "text"), length, read_only=read_only)
        for part, length in _ADDRESS.items()
    ]


CUSTOMER = Entity(
    "customer",
    "customers",
    (
        _f("id", "guid", **RO),
        _f("number", "code", 20),
        _f("displayName", "text", 100),
        _f("type", "enum", values=CONTACT_TYPES),
        _f("addressLine1", "text", 100),
        _f("addressLine2", "text", 50),
        _f("city", "text", 30),
        _f("state", "text", 30),
        _f("country", "code", 10),
        _f("postalCode", "code", 20),
        _f("phoneNumber", "text", 30),
        _f("email", "text", 80),
        _f("website", "text", 80),
        _f("salespersonCode", "code", 20),
        _f("balanceDue", "decimal", **RO),
        _f("creditLimit", "decimal"),
        _f("taxLiable", "boolean"),
        _f("taxAreaId", "guid"),
        _f("taxAreaDisplayName", "text", read_only=True, unbound=True),
        _f("taxRegistrationNumber", "text", 20, unbound=True),  # Customer."VAT Registration No." Text[20]
        _f("currencyId", "guid"),
        _f("currencyCode", "code", 10, unbound=True),
        _f("paymentTermsId", "guid"),
        _f("shipmentMethodId", "guid"),
        _f("paymentMethodId", "guid"),
        _f("blocked", "enum", values=BLOCKED),
        _f("lastModifiedDateTime", "datetime", **RO),
    ),
)

_DOCUMENT_HEAD = [
    _f("id", "guid", **RO),
    _f("number", "code", 20, **RO),
    _f("externalDocumentNumber", "code", 35),  # Sales Header."External Document No." Code[35]
]
_CUSTOMER_REF = [
    _f("customerId", "guid"),
    _f("customerNumber", "code", 20),
    _f("customerName", "text", 100, **RO),
]

SALES_ORDER = Entity(
    "salesOrder",
    "salesOrders",
    (
        *_DOCUMENT_HEAD,
        _f("orderDate", "date"),
        _f("postingDate", "date"),
        *_CUSTOMER_REF,
        _f("billToName", "text", 100, **RO),
        _f("billToCustomerId", "guid"),
        _f("billToCustomerNumber", "code", 20),
        _f("shipToName", "text", 100),
        _f("shipToContact", "text", 100),
        *_address("sellTo"),
        *_address("billTo", read_only=True),
        *_address("shipTo"),
        _f("shortcutDimension1Code", "code", 20),
        _f("shortcutDimension2Code", "code", 20),
        _f("currencyId", "guid"),
        _f("currencyCode", "code", 10, unbound=True),
        _f("pricesIncludeTax", "boolean"),
        _f("paymentTermsId", "guid"),
        _f("shipmentMethodId", "guid"),
        _f("salesperson", "code", 20),
        _f("partialShipping", "boolean", unbound=True),
        _f("requestedDeliveryDate", "date"),
        _f("discountAmount", "decimal"),
        _f("discountAppliedBeforeTax", "boolean", **RO),
        _f("totalAmountExcludingTax", "decimal", **RO),
        _f("totalTaxAmount", "decimal", **RO),
        _f("totalAmountIncludingTax", "decimal", **RO),
        _f("fullyShipped", "boolean"),
        _f("status", "enum", values=ORDER_STATUSES, read_only=True),
        _f("lastModifiedDateTime", "datetime", **RO),
        _f("phoneNumber", "text", 30),
        _f("email", "text", 80),
    ),
    lines="salesOrderLines",
)

_LINE_HEAD = [
    _f("id", "guid", **RO),
    _f("documentId", "guid"),
    _f("sequence", "integer"),
    _f("itemId", "guid"),
    _f("accountId", "guid"),
    _f("lineType", "enum", values=LINE_TYPES),
    _f("lineObjectNumber", "code", 20),  # Sales Line."No." Code[20]
    _f("description", "text", 100),
    _f("description2", "text", 50),
    _f("unitOfMeasureId", "guid"),
    _f("unitOfMeasureCode", "code", 10),
]
_LINE_AMOUNTS = [
    _f("discountAmount", "decimal"),
    _f("discountPercent", "decimal"),
    _f("discountAppliedBeforeTax", "boolean", **RO),
    _f("amountExcludingTax", "decimal", **RO),
    _f("taxCode", "code", 20),
    _f("taxPercent", "decimal", **RO),
    _f("totalTaxAmount", "decimal", **RO),
    _f("amountIncludingTax", "decimal", **RO),
    _f("invoiceDiscountAllocation", "decimal", **RO),
    _f("netAmount", "decimal", **RO),
    _f("netTaxAmount", "decimal", **RO),
    _f("netAmountIncludingTax", "decimal", **RO),
    _f("shipmentDate", "date"),
]

SALES_ORDER_LINE = Entity(
    "salesOrderLine",
    "salesOrderLines",
    (
        *_LINE_HEAD,
        _f("quantity", "decimal"),
        _f("unitPrice", "decimal"),
        *_LINE_AMOUNTS,
        _f("shippedQuantity", "decimal"),
        _f("invoicedQuantity", "decimal"),
        _f("invoiceQuantity", "decimal"),
        _f("shipQuantity", "decimal"),
        _f("itemVariantId", "guid"),
        _f("locationId", "guid"),
    ),
)

SALES_SHIPMENT = Entity(
    "salesShipment",
    "salesShipments",
    (
        *_DOCUMENT_HEAD,
        _f("invoiceDate", "date"),
        _f("postingDate", "date"),
        _f("dueDate", "date"),
        _f("customerPurchaseOrderReference", "text", 35),
        _f("customerId", "guid"),
        _f("customerNumber", "code", 20),
        _f("customerName", "text", 100, **RO),
        _f("billToCustomerId", "guid"),
        _f("billToName", "text", 100, **RO),
        _f("billToCustomerNumber", "code", 20),
        _f("shipToName", "text", 100),
        _f("shipToContact", "text", 100),
        *_address("sellTo"),
        *_address("billTo", read_only=True),
        *_address("shipTo"),
        _f("currencyCode", "code", 10, unbound=True),
        _f("orderNumber", "code", 20, **RO),
        _f("paymentTermsCode", "code", 10),
        _f("shipmentMethodCode", "code", 10),
        _f("salesperson", "code", 20),
        _f("pricesIncludeTax", "boolean", **RO),
        _f("lastModifiedDateTime", "datetime", **RO),
        _f("phoneNumber", "text", 30),
        _f("email", "text", 80),
    ),
    lines="salesShipmentLines",
)

SALES_SHIPMENT_LINE = Entity(
    "salesShipmentLine",
    "salesShipmentLines",
    (
        _f("id", "guid", **RO),
        _f("documentId", "guid", **RO),
        _f("documentNo", "code", 20),
        _f("sequence", "integer"),
        _f("lineType", "enum", values=SHIPMENT_LINE_TYPES),
        _f("lineObjectNumber", "code", 20),
        _f("description", "text", 100),
        _f("description2", "text", 50),
        _f("unitOfMeasureCode", "code", 10),
        _f("unitPrice", "decimal"),
        _f("quantity", "decimal"),
        _f("discountPercent", "decimal"),
        _f("taxPercent", "decimal", **RO),
        _f("shipmentDate", "date"),
    ),
)

SALES_INVOICE = Entity(
    "salesInvoice",
    "salesInvoices",
    (
        *_DOCUMENT_HEAD,
        _f("invoiceDate", "date"),
        _f("postingDate", "date"),
        _f("dueDate", "date"),
        _f("promisedPayDate", "date"),
        _f("customerPurchaseOrderReference", "text", 35),
        *_CUSTOMER_REF,
        _f("billToName", "text", 100, **RO),
        _f("billToCustomerId", "guid"),
        _f("billToCustomerNumber", "code", 20),
        _f("shipToName", "text", 100),
        _f("shipToContact", "text", 100),
        *_address("sellTo"),
        *_address("billTo", read_only=True),
        *_address("shipTo"),
        _f("currencyId", "guid"),
        _f("shortcutDimension1Code", "code", 20),
        _f("shortcutDimension2Code", "code", 20),
        _f("currencyCode", "code", 10, unbound=True),
        _f("orderId", "guid", **RO),
        _f("orderNumber", "code", 20, **RO),
        _f("paymentTermsId", "guid"),
        _f("shipmentMethodId", "guid"),
        _f("salesperson", "code", 20),
        _f("disputeStatusId", "guid"),
        _f("disputeStatus", "code", 10),
        _f("pricesIncludeTax", "boolean", **RO),
        _f("remainingAmount", "decimal", read_only=True, unbound=True),
        _f("discountAmount", "decimal"),
        _f("discountAppliedBeforeTax", "boolean", **RO),
        _f("totalAmountExcludingTax", "decimal", **RO),
        _f("totalTaxAmount", "decimal", **RO),
        _f("totalAmountIncludingTax", "decimal", **RO),
        _f("status", "enum", values=INVOICE_STATUSES, read_only=True),
        _f("lastModifiedDateTime", "datetime", **RO),
        _f("phoneNumber", "text", 30),
        _f("email", "text", 80),
    ),
    lines="salesInvoiceLines",
)

_MONEY_LINE = (
    *_LINE_HEAD,
    _f("unitPrice", "decimal"),
    _f("quantity", "decimal"),
    *_LINE_AMOUNTS,
    _f("itemVariantId", "guid"),
    _f("locationId", "guid"),
)
SALES_INVOICE_LINE = Entity("salesInvoiceLine", "salesInvoiceLines", _MONEY_LINE)

SALES_CREDIT_MEMO = Entity(
    "salesCreditMemo",
    "salesCreditMemos",
    (
        *_DOCUMENT_HEAD,
        _f("creditMemoDate", "date"),
        _f("postingDate", "date"),
        _f("dueDate", "date"),
        *_CUSTOMER_REF,
        _f("billToName", "text", 100, **RO),
        _f("billToCustomerId", "guid"),
        _f("billToCustomerNumber", "code", 20),
        *_address("sellTo"),
        *_address("billTo"),
        _f("shortcutDimension1Code", "code", 20),
        _f("shortcutDimension2Code", "code", 20),
        _f("currencyId", "guid"),
        _f("currencyCode", "code", 10, unbound=True),
        _f("paymentTermsId", "guid"),
        _f("shipmentMethodId", "guid"),
        _f("salesperson", "code", 20),
        _f("pricesIncludeTax", "boolean", **RO),
        _f("discountAmount", "decimal"),
        _f("discountAppliedBeforeTax", "boolean", **RO),
        _f("totalAmountExcludingTax", "decimal", **RO),
        _f("totalTaxAmount", "decimal", **RO),
        _f("totalAmountIncludingTax", "decimal", **RO),
        _f("status", "enum", values=CREDIT_MEMO_STATUSES, read_only=True),
        _f("lastModifiedDateTime", "datetime", **RO),
        _f("invoiceId", "guid", unbound=True),
        _f("invoiceNumber", "code", 20),  # Sales Header."Applies-to Doc. No." Code[20]
        _f("phoneNumber", "text", 30),
        _f("email", "text", 80),
        _f("customerReturnReasonId", "guid"),
    ),
    lines="salesCreditMemoLines",
)
SALES_CREDIT_MEMO_LINE = Entity("salesCreditMemoLine", "salesCreditMemoLines", _MONEY_LINE)

SUBSCRIPTION = Entity(
    "subscription",
    "subscriptions",
    (
        _f("subscriptionId", "text", **RO),
        _f("notificationUrl", "text"),
        _f("resource", "text"),
        _f("timestamp", "integer", **RO),
        _f("userId", "guid", **RO),
        _f("lastModifiedDateTime", "datetime", **RO),
        _f("clientState", "text", 2048),  # "optionalValueOf2048"
        _f("expirationDateTime", "datetime", **RO),
        _f("systemCreatedAt", "datetime", **RO),
        _f("systemCreatedBy", "guid", **RO),
        _f("systemModifiedAt", "datetime", **RO),
        _f("systemModifiedBy", "guid", **RO),
    ),
)

ENTITIES = {
    e.set_name: e
    for e in (
        CUSTOMER,
        SALES_ORDER,
        SALES_ORDER_LINE,
        SALES_SHIPMENT,
        SALES_SHIPMENT_LINE,
        SALES_INVOICE,
        SALES_INVOICE_LINE,
        SALES_CREDIT_MEMO,
        SALES_CREDIT_MEMO_LINE,
        SUBSCRIPTION,
    )
}
# What a webhook subscription may name (learn.microsoft.com dynamics-subscriptions, "List of supported
# entities", those this simulator serves): not salesShipments.
WEBHOOK_SETS = ("customers", "salesOrders", "salesInvoices", "salesCreditMemos")
