"""Norce Commerce Query (OData v4, read-only): the entity sets the integration reads, as Norce publishes them.

General (``D/api-reference/query/querygeneral``,
``D/developer-portal/system-integration/calling-norce-commerce-query``):
``https://{slug}.api-se.norce.tech/commerce/query/2.0/``; header ``applicationId`` (or
``application-id``, an int) required; lists ``{"@odata.context", "value": [...], "@odata.nextLink"?}`` (500 a
page, ``$skip=500``); navigation properties only with ``$expand``; ``$select`` limits the properties; an
unknown property in ``$filter`` is, in Microsoft's OData (which Norce's type names suggest), a 400 "The query
specified in the URI is not valid. Could not find a property named 'X' on type 'Y'."
(https://github.com/OData/WebApi/issues/2331). Query 3.0 (``D/api-reference/query/openapi/order``):
``.../commerce/query/3.0/``, camelCase, header ``ApplicationId``.

Every property is optional here because ``$select`` may leave it out; a row without ``$select`` carries them
all (``tests/contracts/test_query.py`` checks that). JSON dates are ``str``, decimals JSON numbers.

Where Norce's pages leave something out, the choice is named (``CHOSEN``) and in docs/events.md:
- ``Customers/Customers`` 2.0 publishes only ``Id``; the other properties are 3.0's ``ClientCustomer`` in
  PascalCase (2.0's ``Company`` is 3.0's ``ClientCompany`` property for property, so the two versions read
  one table), and the navigation ``Addresses`` is 3.0's ``addresses``.
- ``CompanyAddress`` is ``CustomerAddress`` with ``CompanyId``; 3.0's address types are 2.0's in camelCase.
- The set names ``Customers/Companies``, ``Orders/Invoices`` and ``Orders/DeliveryNotes`` were not seen (their
  types were). 3.0's ``*CustomerInfoId`` properties and ``*CustomerInfo`` navigations are named from the
  descriptions and from ``CustomerInfo``'s inverse navigations (``orderBuyerCustomerInfo``, ...).
"""

import re
from typing import Annotated, Any, ClassVar

from pydantic import Field

from tests.contracts.norce.base import Published

Int32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
QO = "D/api-reference/query/queryorders/openapi"
QC = "D/api-reference/query/querycustomers/openapi"
Q3 = "D/api-reference/query/openapi"


def _text(length: int) -> Any:
    return Annotated[str | None, Field(max_length=length)]


class QueryRow(Published):
    """A row of an entity set; ``NAVIGATIONS`` name its navigation properties (only with ``$expand``)."""

    NAVIGATIONS: ClassVar[tuple[str, ...]] = ()
    TYPE: ClassVar[str] = ""
    CHOSEN: ClassVar[str] = ""  # what we chose where the page is silent


# -- 2.0 Orders namespace (PascalCase; the ids of the Orders entities are strings)
class OrderItem(QueryRow):
    SOURCE: ClassVar[str] = f"{QO}/schemas/enferno.storm.query.api.datacontexts.ordermodel.order"
    TYPE: ClassVar[str] = "Enferno.Storm.Query.Api.DataContexts.OrderModel.OrderItem"
    CHOSEN: ClassVar[str] = "TransId and Stock/PriceUnitOfMeasurementCount are left out: no type is published"
    Id: str | None = None
    OrderId: str | None = None
    LineNumber: float | None = None
    ParentLineNumber: float | None = None
    StatusId: Int32 | None = None
    PartNo: _text(50) = None
    ExternalPartNo: _text(50) = None
    ProductName: _text(255) = None
    WarehouseId: Int32 | None = None
    LocationId: Int32 | None = None
    QtyOrdered: float | None = None
    CurrencyId: Int32 | None = None
    VatRate: float | None = None
    CostUnit: float | None = None
    PriceSale: float | None = None
    DiscountPercentage: float | None = None
    DiscountAmount: float | None = None
    LineAmount: float | None = None
    DeliveryMode: _text(50) = None
    IsPartDelivery: bool | None = None
    ExpectedDeliveryDate: str | None = None
    ConfirmedDeliveryDate: str | None = None
    SalesRepContactId: Int32 | None = None
    LedgerAccount: _text(50) = None
    Department: _text(10) = None
    Centre: _text(10) = None
    ExternalStatusText: _text(255) = None
    Created: str | None = None
    CreatedBy: Int32 | None = None
    Updated: str | None = None
    UpdatedBy: Int32 | None = None
    LineNumberString: str | None = None
    PriceRecommended: float | None = None
    PriceCatalog: float | None = None
    PriceStandard: float | None = None
    ClientId: Int32 | None = None


class OrderInfo(QueryRow):
    SOURCE: ClassVar[str] = f"{QO}/orders/orders.md"
    CHOSEN: ClassVar[str] = "its properties are not published: the local Norce never has one"


class Order(QueryRow):
    """No ClientOrderRef (the basket id is ``QuotationId``), no e-mail, name, culture, currency code, total
    or delivery address: the buyer is reached through ``BuyerCustomerId`` (Customers) or Query 3.0's
    CustomerInfo."""

    SOURCE: ClassVar[str] = f"{QO}/orders/orders.md"
    TYPE: ClassVar[str] = "Enferno.Storm.Query.Api.DataContexts.OrderModel.Order"
    NAVIGATIONS: ClassVar[tuple[str, ...]] = ("Items", "Infos")
    CHOSEN: ClassVar[str] = "the properties after DeliveryCareOf are not published: left out"
    Id: str | None = None
    ClientId: Int32 | None = None
    ApplicationId: Int32 | None = None
    QuotationId: Int32 | None = None
    OrderNo: _text(50) = None
    OrderDate: str | None = None
    BuyerCompanyCode: _text(50) = None
    BuyerCompanyId: Int32 | None = None
    BuyerCustomerCode: _text(50) = None
    BuyerCustomerId: Int32 | None = None
    PayerCompanyCode: _text(50) = None
    PayerCompanyId: Int32 | None = None
    PayerCustomerCode: _text(50) = None
    PayerCustomerId: Int32 | None = None
    ResellerCompanyCode: _text(50) = None
    ResellerCompanyId: Int32 | None = None
    ResellerCustomerCode: _text(50) = None
    ResellerCustomerId: Int32 | None = None
    GroupCode: _text(50) = None
    StatusId: Int32 | None = None
    SalesRepContactId: Int32 | None = None
    Source: _text(255) = None
    DeliveryTerms: _text(10) = None
    DeliveryMode: _text(50) = None
    DeliveryDate: str | None = None
    IsPartDelivery: bool | None = None
    PaymentTerms: _text(100) = None
    CurrencyId: Int32 | None = None
    VatRate: float | None = None
    CashDiscount: float | None = None
    LineDiscount: float | None = None
    FreightCost: float | None = None
    OrderFee: float | None = None
    DeliveryAttention: _text(100) = None
    DeliveryCareOf: _text(100) = None
    Items: list[OrderItem] | None = None
    Infos: list[OrderInfo] | None = None


class Invoice(QueryRow):
    SOURCE: ClassVar[str] = (
        f"{QO}/schemas/enferno.storm.query.api.datacontexts.ordermodel.warehousetransaction"
    )
    TYPE: ClassVar[str] = "Enferno.Storm.Query.Api.DataContexts.OrderModel.Invoice"
    CHOSEN: ClassVar[str] = (
        "set name Orders/Invoices not seen; TypeId 2 for a credit is ours (1 = sales order invoice, in"
        " 3.0); the VatDutiable amounts and what follows are not published: left out"
    )
    Id: str | None = None
    ClientId: Int32 | None = None
    InvoiceNo: _text(50) = None
    TypeId: Int32 | None = None
    ReferenceOrderId: str | None = None
    BuyerCompanyId: Int32 | None = None
    BuyerCustomerId: Int32 | None = None
    PayerCompanyId: Int32 | None = None
    PayerCustomerId: Int32 | None = None
    ResellerCompanyId: Int32 | None = None
    ResellerCustomerId: Int32 | None = None
    GroupCode: _text(50) = None
    DeliveryDate: str | None = None
    InvoiceDate: str | None = None
    InvoiceDueDate: str | None = None
    SalesRepContactId: Int32 | None = None
    Source: _text(255) = None
    Quantity: float | None = None
    Volume: float | None = None
    Weight: float | None = None
    CurrencyId: Int32 | None = None
    CurrencyRate: float | None = None
    CashDiscount: float | None = None
    SumLineDiscount: float | None = None
    FreightCost: float | None = None
    InvoiceFee: float | None = None
    CostValue: float | None = None
    SalesBalance: float | None = None
    InvoiceAmount: float | None = None
    InvoiceRoundOff: float | None = None


class DeliveryNote(QueryRow):
    SOURCE: ClassVar[str] = "D/api-reference/schemas/queryorders"
    TYPE: ClassVar[str] = "Enferno.Storm.Query.Api.DataContexts.OrderModel.DeliveryNote"
    CHOSEN: ClassVar[str] = "set name Orders/DeliveryNotes not seen"
    Id: str | None = None
    ClientId: Int32 | None = None
    NoteNo: _text(50) = None
    SupplierId: Int32 | None = None
    TypeId: Int32 | None = None
    ReferenceOrderId: str | None = None
    BuyerCompanyId: Int32 | None = None
    BuyerCompanyCode: _text(50) = None
    BuyerCustomerId: Int32 | None = None
    BuyerCustomerCode: _text(50) = None
    PayerCompanyId: Int32 | None = None
    PayerCompanyCode: _text(50) = None
    PayerCustomerId: Int32 | None = None
    PayerCustomerCode: _text(50) = None
    ResellerCompanyId: Int32 | None = None
    ResellerCompanyCode: _text(50) = None
    ResellerCustomerId: Int32 | None = None
    ResellerCustomerCode: _text(50) = None
    GroupCode: _text(50) = None
    DeliveryName: _text(100) = None
    DeliveryAttention: _text(100) = None
    DeliveryCareOf: _text(100) = None
    DeliveryAddressLine1: _text(255) = None
    DeliveryAddressLine2: _text(255) = None
    DeliveryZipCode: _text(50) = None
    DeliveryCity: _text(50) = None
    DeliveryRegion: _text(100) = None
    DeliveryCountryId: Int32 | None = None
    DeliveryDate: str | None = None
    Quantity: float | None = None
    Volume: float | None = None
    Weight: float | None = None
    IsPrinted: bool | None = None
    DeliveryTerms: _text(10) = None
    DeliveryMode: _text(50) = None
    Source: _text(255) = None
    DeliveryMark: _text(255) = None
    NoteText: _text(255) = None


# -- 2.0 Customers namespace
class _Address(QueryRow):
    TypeId: Int32 | None = None
    CareOf: _text(100) = None
    AddressLine1: _text(255) = None
    AddressLine2: _text(255) = None
    ZipCode: _text(50) = None
    City: _text(50) = None
    Region: _text(50) = None
    CountryId: Int32 | None = None  # an integer id: no country code in Query
    Created: str | None = None
    CreatedBy: Int32 | None = None
    Updated: str | None = None
    UpdatedBy: Int32 | None = None
    StatusId: Int32 | None = None
    StatusUpdated: str | None = None
    StatusUpdatedBy: Int32 | None = None
    ClientId: Int32 | None = None


class CustomerAddress(_Address):
    SOURCE: ClassVar[str] = f"{QC}/schemas/enferno.storm.query.api.datacontexts.customermodel.customeraddress"
    TYPE: ClassVar[str] = "Enferno.Storm.Query.Api.DataContexts.CustomerModel.CustomerAddress"
    CHOSEN: ClassVar[str] = (
        "what follows ClientId is not published: left out; which TypeId is the invoice address is not"
        " published (1 is ours)"
    )
    Id: Int32 | None = None
    CustomerId: Int32 | None = None


class CompanyAddress(_Address):
    SOURCE: ClassVar[str] = f"{QC}/schemas/enferno.storm.query.api.datacontexts.customermodel.customeraddress"
    TYPE: ClassVar[str] = "Enferno.Storm.Query.Api.DataContexts.CustomerModel.CompanyAddress"
    CHOSEN: ClassVar[str] = "not published: CustomerAddress with CompanyId"
    Id: Int32 | None = None
    CompanyId: Int32 | None = None


class Customer(QueryRow):
    SOURCE: ClassVar[str] = (
        f"{QC}/customers/customercompanies (Id); {Q3}/customers (the rest, as ClientCustomer)"
    )
    TYPE: ClassVar[str] = "Enferno.Storm.Query.Api.DataContexts.CustomerModel.Customer"
    NAVIGATIONS: ClassVar[tuple[str, ...]] = ("Addresses",)
    CHOSEN: ClassVar[str] = "2.0 publishes only Id: 3.0 ClientCustomer's properties in PascalCase"
    Id: Int32 | None = None
    Key: str | None = None
    ClientId: Int32 | None = None
    CustomerCodePrefix: _text(10) = None
    CustomerCode: _text(50) = None
    TypeId: Int32 | None = None
    EmailAddress: _text(255) = None
    SocialSecurityNumber: _text(50) = None
    Title: _text(10) = None
    FirstName: _text(100) = None
    MiddleName: _text(100) = None
    LastName: _text(100) = None
    Suffix: _text(10) = None
    PhoneNumber: _text(50) = None
    CellPhoneNumber: _text(50) = None
    ReferId: Int32 | None = None
    ReferUrl: _text(255) = None
    UseBillingAddressAsShippingAddress: bool | None = None
    OldCustomerNoPrefix: _text(10) = None
    OldCustomerNo: _text(50) = None
    ReplacementCustomerId: Int32 | None = None
    IsActive: bool | None = None
    Created: str | None = None
    CreatedBy: Int32 | None = None
    Updated: str | None = None
    UpdatedBy: Int32 | None = None
    LastOrderDate: str | None = None
    NormalizedSocialSecurityNumber: str | None = None
    ApplicationId: Int32 | None = None
    IsForgotten: bool | None = None
    ForgottenBy: Int32 | None = None
    ForgottenDate: str | None = None
    StoppedDate: str | None = None
    StoppedBy: Int32 | None = None
    CrmId: str | None = None
    Addresses: list[CustomerAddress] | None = None


class Company(QueryRow):
    SOURCE: ClassVar[str] = f"{QC}/schemas/enferno.storm.query.api.datacontexts.customermodel.customerorder"
    TYPE: ClassVar[str] = "Enferno.Storm.Query.Api.DataContexts.CustomerModel.Company"
    NAVIGATIONS: ClassVar[tuple[str, ...]] = ("Addresses",)
    CHOSEN: ClassVar[str] = (
        "set name Customers/Companies not seen; the navigation Addresses is 3.0's addresses"
    )
    Id: Int32 | None = None
    Key: str | None = None
    ClientId: Int32 | None = None
    CompanyCodePrefix: _text(10) = None
    CompanyCode: _text(50) = None
    TypeId: Int32 | None = None
    LogoPath: _text(255) = None
    OrganizationNo: _text(50) = None
    Name: _text(100) = None
    EmailAddress: _text(255) = None
    PhoneNumber: _text(50) = None
    FaxNumber: _text(50) = None
    ParentCompanyId: Int32 | None = None
    ReferId: Int32 | None = None
    ReferUrl: _text(255) = None
    UseBillingAddressAsShippingAddress: bool | None = None
    OldCompanyCodePrefix: _text(10) = None
    OldCompanyCode: _text(50) = None
    IsActive: bool | None = None
    Created: str | None = None
    CreatedBy: Int32 | None = None
    Updated: str | None = None
    UpdatedBy: Int32 | None = None
    LogoKey: str | None = None
    NormalizedOrganizationNo: _text(50) = None
    ApplicationId: Int32 | None = None
    VatNo: _text(50) = None
    Addresses: list[CompanyAddress] | None = None


# -- Query 3.0 (camelCase, int64 order ids)
def _camel(model: type[QueryRow], name: str, source: str, **overrides: Any) -> type[QueryRow]:
    """A 2.0 description in 3.0's spelling (``overrides``: field -> (type, default))."""
    fields: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        camel = field_name[:1].lower() + field_name[1:]
        fields[camel] = overrides.get(camel, (info.annotation, None))
    from pydantic import create_model  # noqa: PLC0415

    made = create_model(name, __base__=QueryRow, **fields)
    made.SOURCE = source  # type: ignore[misc]
    made.TYPE = name  # type: ignore[misc]
    made.NAVIGATIONS = tuple(n[:1].lower() + n[1:] for n in model.NAVIGATIONS)  # type: ignore[misc]
    made.CHOSEN = model.CHOSEN  # type: ignore[misc]
    return made


ClientCustomerAddress = _camel(CustomerAddress, "ClientCustomerAddress", f"{Q3}/schemas/clientcustomer")
ClientCompanyAddress = _camel(CompanyAddress, "ClientCompanyAddress", f"{Q3}/schemas/clientcompanyaddress")
ClientCustomer = _camel(
    Customer,
    "ClientCustomer",
    f"{Q3}/customers",
    addresses=(list[ClientCustomerAddress] | None, None),  # type: ignore[valid-type]
)
ClientCompany = _camel(
    Company,
    "ClientCompany",
    f"{Q3}/schemas/clientcompanyaddress",
    addresses=(list[ClientCompanyAddress] | None, None),  # type: ignore[valid-type]
)


class CustomerInfo(QueryRow):
    """A guest buyer's (or a ship-to's) details, for customers "not having a ClientCustomer record"."""

    SOURCE: ClassVar[str] = f"{Q3}/schemas/deliverynote"
    TYPE: ClassVar[str] = "CustomerInfo"
    id: Int64 | None = None
    firstName: _text(100) = None
    lastName: _text(100) = None
    emailAddress: _text(255) = None
    phoneNumber: _text(100) = None
    cellPhoneNumber: _text(100) = None
    created: str | None = None
    createdBy: Int32 | None = None
    rowid: str | None = None
    companyName: _text(100) = None
    careOf: _text(100) = None
    addressLine1: _text(255) = None
    addressLine2: _text(255) = None
    zipCode: _text(50) = None
    city: _text(50) = None
    region: _text(100) = None
    countryId: Int32 | None = None
    clientId: Int32 | None = None
    shippingPhoneNumber: _text(100) = None
    gln: _text(50) = None


class Order3(QueryRow):
    SOURCE: ClassVar[str] = f"{Q3}/order; {Q3}/schemas/customerinfo"
    TYPE: ClassVar[str] = "Order"
    NAVIGATIONS: ClassVar[tuple[str, ...]] = (
        "buyerCustomer",
        "buyerCustomerInfo",
        "payerCustomerInfo",
        "shipToCustomerInfo",
        "dropPointCustomerInfo",
    )
    CHOSEN: ClassVar[str] = (
        "the *CustomerInfoId names and *CustomerInfo navigations follow the descriptions and CustomerInfo's"
        " inverse navigations; properties not seen by name are left out"
    )
    id: Int64 | None = None
    clientId: Int32 | None = None
    applicationId: Int32 | None = None
    quotationId: Int32 | None = None
    orderNo: _text(50) = None
    orderDate: str | None = None
    buyerCompanyCode: _text(50) = None
    buyerCompanyId: Int32 | None = None
    buyerCustomerCode: _text(50) = None
    buyerCustomerId: Int32 | None = None
    payerCompanyCode: _text(50) = None
    payerCompanyId: Int32 | None = None
    payerCustomerCode: _text(50) = None
    payerCustomerId: Int32 | None = None
    resellerCompanyCode: _text(50) = None
    resellerCompanyId: Int32 | None = None
    resellerCustomerCode: _text(50) = None
    resellerCustomerId: Int32 | None = None
    groupCode: _text(50) = None
    statusId: Int32 | None = None
    salesRepContactId: Int32 | None = None
    source: _text(255) = None
    deliveryMode: _text(50) = None
    isPartDelivery: bool | None = None
    paymentTerms: _text(100) = None
    freightCost: float | None = None
    deliveryAttention: _text(100) = None
    buyerCustomerInfoId: Int64 | None = None
    payerCustomerInfoId: Int64 | None = None
    shipToCustomerInfoId: Int64 | None = None
    dropPointCustomerInfoId: Int64 | None = None
    orderTypeId: Int32 | None = None
    buyerCustomer: ClientCustomer | None = None  # type: ignore[valid-type]
    buyerCustomerInfo: CustomerInfo | None = None
    payerCustomerInfo: CustomerInfo | None = None
    shipToCustomerInfo: CustomerInfo | None = None
    dropPointCustomerInfo: CustomerInfo | None = None


# The entity sets, per version: (version, set) -> the description of a row
SETS: dict[tuple[str, str], type[QueryRow]] = {
    ("2.0", "Orders/Orders"): Order,
    ("2.0", "Orders/OrderItems"): OrderItem,
    ("2.0", "Orders/Invoices"): Invoice,
    ("2.0", "Orders/DeliveryNotes"): DeliveryNote,
    ("2.0", "Customers/Customers"): Customer,
    ("2.0", "Customers/Companies"): Company,
    ("3.0", "Orders/Orders"): Order3,
    ("3.0", "Customers/Customers"): ClientCustomer,
    ("3.0", "Customers/Companies"): ClientCompany,
}


class ODataList(Published):
    SOURCE: ClassVar[str] = "D/api-reference/query/querygeneral"
    context: str = Field(alias="@odata.context")
    count: int | None = Field(default=None, alias="@odata.count")
    value: list[dict[str, Any]]
    nextLink: str | None = Field(default=None, alias="@odata.nextLink")


class ODataErrorDetail(Published):
    code: str
    message: str


class ODataError(Published):
    """Norce does not publish its error body; Microsoft OData's is ``{"error": {"code", "message"}}``."""

    SOURCE: ClassVar[str] = "https://github.com/OData/WebApi/issues/2331 (Norce publishes no error body)"
    error: ODataErrorDetail


def structural(model: type[QueryRow]) -> set[str]:
    return set(model.model_fields) - set(model.NAVIGATIONS)


def navigation_target(model: type[QueryRow], name: str) -> type[QueryRow]:
    annotation = model.model_fields[name].annotation
    for candidate in getattr(annotation, "__args__", ()):
        inner = getattr(candidate, "__args__", (candidate,))
        for kind in inner:
            if isinstance(kind, type) and issubclass(kind, QueryRow):
                return kind
    raise KeyError(name)


def request_violations(version: str, entity_set: str, params: dict[str, str]) -> list[str]:
    """What in a Query request (``$filter``, ``$select``, ``$expand`` and its ``$select``) names a property
    the entity does not publish, or a set the description does not know."""
    model = SETS.get((version, entity_set))
    if model is None:
        return [f"{version} {entity_set}: not a described entity set"]
    problems = []
    known = set(model.model_fields)
    filter_ = re.sub(r"'(?:[^']|'')*'", "''", params.get("$filter", ""))
    for name in re.findall(r"([A-Za-z_]\w*)\s+(?:eq|ne|gt|ge|lt|le)\s", filter_):
        if name not in structural(model):
            problems.append(f"$filter: {name} is not a property of {model.TYPE}")
    for name in [n.strip() for n in params.get("$select", "").split(",") if n.strip()]:
        if name not in known:
            problems.append(f"$select: {name} is not a property of {model.TYPE}")
    for item in re.findall(r"([A-Za-z_]\w*)(\([^)]*\))?", params.get("$expand", "")):
        name, options = item
        if name not in model.NAVIGATIONS:
            problems.append(f"$expand: {name} is not a navigation property of {model.TYPE}")
            continue
        target = navigation_target(model, name)
        selected = re.search(r"\$select=([^;)]*)", options or "")
        for field_name in selected.group(1).split(",") if selected else []:
            if field_name.strip() not in target.model_fields:
                problems.append(f"$expand {name} $select: {field_name} is not a property of {target.TYPE}")
    return problems
