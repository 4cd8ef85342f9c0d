"""The entity types of Norce Query the local Norce serves, as Norce publishes them (the descriptions in
``tests/contracts/norce/query.py`` name the page of each): 2.0 in PascalCase with string ids on the Orders
entities, 3.0 in camelCase (its ``Order`` with an int64 id and the CustomerInfo navigations). Where a page is
silent, the choice is in docs/simulators.md (2.0's Customer is 3.0's ClientCustomer in PascalCase; a
company's address is CustomerAddress with CompanyId)."""

from local.norce.odata import BOOLEAN, DECIMAL, GUID, INT32, INT64, MOMENT, STRING, EntityType

ORDERS_2 = "Enferno.Storm.Query.Api.DataContexts.OrderModel"
CUSTOMERS_2 = "Enferno.Storm.Query.Api.DataContexts.CustomerModel"


def names_of(edm: str, *names: str) -> dict[str, str]:
    return dict.fromkeys(names, edm)


# -- the entity types, as published (PascalCase, 2.0)
ORDER_ITEM = EntityType(
    f"{ORDERS_2}.OrderItem",
    {
        **names_of(STRING, "Id", "OrderId"),
        **names_of(DECIMAL, "LineNumber", "ParentLineNumber"),
        "StatusId": INT32,
        **names_of(STRING, "PartNo", "ExternalPartNo", "ProductName"),
        **names_of(INT32, "WarehouseId", "LocationId"),
        "QtyOrdered": DECIMAL,
        "CurrencyId": INT32,
        **names_of(DECIMAL, "VatRate", "CostUnit", "PriceSale", "DiscountPercentage", "DiscountAmount"),
        "LineAmount": DECIMAL,
        "DeliveryMode": STRING,
        "IsPartDelivery": BOOLEAN,
        **names_of(MOMENT, "ExpectedDeliveryDate", "ConfirmedDeliveryDate"),
        "SalesRepContactId": INT32,
        **names_of(STRING, "LedgerAccount", "Department", "Centre", "ExternalStatusText"),
        "Created": MOMENT,
        "CreatedBy": INT32,
        "Updated": MOMENT,
        "UpdatedBy": INT32,
        "LineNumberString": STRING,
        **names_of(DECIMAL, "PriceRecommended", "PriceCatalog", "PriceStandard"),
        "ClientId": INT32,
    },
)
ORDER_INFO = EntityType(f"{ORDERS_2}.OrderInfo", {})  # its properties are not published: never any row
PARTIES = {
    f"{role}{kind}{what}": (STRING if what == "Code" else INT32)
    for role in ("Buyer", "Payer", "Reseller")
    for kind in ("Company", "Customer")
    for what in ("Code", "Id")
}
ORDER = EntityType(
    f"{ORDERS_2}.Order",
    {
        "Id": STRING,
        "ClientId": INT32,
        "ApplicationId": INT32,
        "QuotationId": INT32,
        "OrderNo": STRING,
        "OrderDate": MOMENT,
        **PARTIES,
        "GroupCode": STRING,
        "StatusId": INT32,
        "SalesRepContactId": INT32,
        **names_of(STRING, "Source", "DeliveryTerms", "DeliveryMode"),
        "DeliveryDate": MOMENT,
        "IsPartDelivery": BOOLEAN,
        "PaymentTerms": STRING,
        "CurrencyId": INT32,
        **names_of(DECIMAL, "VatRate", "CashDiscount", "LineDiscount", "FreightCost", "OrderFee"),
        **names_of(STRING, "DeliveryAttention", "DeliveryCareOf"),
    },
    {"Items": ORDER_ITEM, "Infos": ORDER_INFO},
    frozenset(["Items", "Infos"]),
)
DOCUMENT_PARTIES = {
    f"{r}{k}Id": INT32 for r in ("Buyer", "Payer", "Reseller") for k in ("Company", "Customer")
}
INVOICE_TYPE = EntityType(
    f"{ORDERS_2}.Invoice",
    {
        "Id": STRING,
        "ClientId": INT32,
        "InvoiceNo": STRING,
        "TypeId": INT32,
        "ReferenceOrderId": STRING,
        **DOCUMENT_PARTIES,
        "GroupCode": STRING,
        **names_of(MOMENT, "DeliveryDate", "InvoiceDate", "InvoiceDueDate"),
        "SalesRepContactId": INT32,
        "Source": STRING,
        **names_of(DECIMAL, "Quantity", "Volume", "Weight"),
        "CurrencyId": INT32,
        **names_of(DECIMAL, "CurrencyRate", "CashDiscount", "SumLineDiscount", "FreightCost", "InvoiceFee"),
        **names_of(DECIMAL, "CostValue", "SalesBalance", "InvoiceAmount", "InvoiceRoundOff"),
    },
)
DELIVERY_NOTE = EntityType(
    f"{ORDERS_2}.DeliveryNote",
    {
        "Id": STRING,
        "ClientId": INT32,
        "NoteNo": STRING,
        "SupplierId": INT32,
        "TypeId": INT32,
        "ReferenceOrderId": STRING,
        **PARTIES,
        "GroupCode": STRING,
        **names_of(STRING, "DeliveryName", "DeliveryAttention", "DeliveryCareOf"),
        **names_of(STRING, "DeliveryAddressLine1", "DeliveryAddressLine2", "DeliveryZipCode", "DeliveryCity"),
        "DeliveryRegion": STRING,
        "DeliveryCountryId": INT32,
        "DeliveryDate": MOMENT,
        **names_of(DECIMAL, "Quantity", "Volume", "Weight"),
        "IsPrinted": BOOLEAN,
        **names_of(STRING, "DeliveryTerms", "DeliveryMode", "Source", "DeliveryMark", "NoteText"),
    },
)
ADDRESS_PROPERTIES = {
    "TypeId": INT32,
    **names_of(STRING, "CareOf", "AddressLine1", "AddressLine2", "ZipCode", "City", "Region"),
    "CountryId": INT32,
    "Created": MOMENT,
    "CreatedBy": INT32,
    "Updated": MOMENT,
    "UpdatedBy": INT32,
    "StatusId": INT32,
    "StatusUpdated": MOMENT,
    "StatusUpdatedBy": INT32,
    "ClientId": INT32,
}
CUSTOMER_ADDRESS = EntityType(
    f"{CUSTOMERS_2}.CustomerAddress", {"Id": INT32, "CustomerId": INT32, **ADDRESS_PROPERTIES}
)
COMPANY_ADDRESS = EntityType(
    f"{CUSTOMERS_2}.CompanyAddress", {"Id": INT32, "CompanyId": INT32, **ADDRESS_PROPERTIES}
)
CUSTOMER = EntityType(
    f"{CUSTOMERS_2}.Customer",
    {
        "Id": INT32,
        "Key": GUID,
        "ClientId": INT32,
        **names_of(STRING, "CustomerCodePrefix", "CustomerCode"),
        "TypeId": INT32,
        **names_of(STRING, "EmailAddress", "SocialSecurityNumber", "Title", "FirstName", "MiddleName"),
        **names_of(STRING, "LastName", "Suffix", "PhoneNumber", "CellPhoneNumber"),
        "ReferId": INT32,
        "ReferUrl": STRING,
        "UseBillingAddressAsShippingAddress": BOOLEAN,
        **names_of(STRING, "OldCustomerNoPrefix", "OldCustomerNo"),
        "ReplacementCustomerId": INT32,
        "IsActive": BOOLEAN,
        "Created": MOMENT,
        "CreatedBy": INT32,
        "Updated": MOMENT,
        "UpdatedBy": INT32,
        "LastOrderDate": MOMENT,
        "NormalizedSocialSecurityNumber": STRING,
        "ApplicationId": INT32,
        "IsForgotten": BOOLEAN,
        "ForgottenBy": INT32,
        **names_of(MOMENT, "ForgottenDate", "StoppedDate"),
        "StoppedBy": INT32,
        "CrmId": STRING,
    },
    {"Addresses": CUSTOMER_ADDRESS},
    frozenset(["Addresses"]),
)
COMPANY = EntityType(
    f"{CUSTOMERS_2}.Company",
    {
        "Id": INT32,
        "Key": GUID,
        "ClientId": INT32,
        **names_of(STRING, "CompanyCodePrefix", "CompanyCode"),
        "TypeId": INT32,
        **names_of(STRING, "LogoPath", "OrganizationNo", "Name", "EmailAddress", "PhoneNumber", "FaxNumber"),
        **names_of(INT32, "ParentCompanyId", "ReferId"),
        "ReferUrl": STRING,
        "UseBillingAddressAsShippingAddress": BOOLEAN,
        **names_of(STRING, "OldCompanyCodePrefix", "OldCompanyCode"),
        "IsActive": BOOLEAN,
        "Created": MOMENT,
        "CreatedBy": INT32,
        "Updated": MOMENT,
        "UpdatedBy": INT32,
        "LogoKey": GUID,
        "NormalizedOrganizationNo": STRING,
        "ApplicationId": INT32,
        "VatNo": STRING,
    },
    {"Addresses": COMPANY_ADDRESS},
    frozenset(["Addresses"]),
)


def camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _camel_type(entity: EntityType, name: str, ids: dict[str, str] | None = None) -> EntityType:
    """3.0's spelling of a 2.0 type (camelCase; ``ids`` overrides an Edm type, e.g. int64 ids)."""
    properties = {camel(k): (ids or {}).get(k, v) for k, v in entity.properties.items()}
    navigations = {camel(k): v for k, v in entity.navigations.items()}
    return EntityType(name, properties, navigations, frozenset(camel(m) for m in entity.many))


CUSTOMER_ADDRESS_3 = _camel_type(CUSTOMER_ADDRESS, "ClientCustomerAddress")
COMPANY_ADDRESS_3 = _camel_type(COMPANY_ADDRESS, "ClientCompanyAddress")
CLIENT_CUSTOMER = _camel_type(CUSTOMER, "ClientCustomer")
CLIENT_CUSTOMER.navigations = {"addresses": CUSTOMER_ADDRESS_3}
CLIENT_COMPANY = _camel_type(COMPANY, "ClientCompany")
CLIENT_COMPANY.navigations = {"addresses": COMPANY_ADDRESS_3}
CUSTOMER_INFO = EntityType(
    "CustomerInfo",
    {
        "id": INT64,
        **names_of(STRING, "firstName", "lastName", "emailAddress", "phoneNumber", "cellPhoneNumber"),
        "created": MOMENT,
        "createdBy": INT32,
        "rowid": STRING,
        **names_of(
            STRING, "companyName", "careOf", "addressLine1", "addressLine2", "zipCode", "city", "region"
        ),
        "countryId": INT32,
        "clientId": INT32,
        **names_of(STRING, "shippingPhoneNumber", "gln"),
    },
)
INFO_ROLES = ("buyer", "payer", "shipTo", "dropPoint")
ORDER_3 = EntityType(
    "Order",
    {
        "id": INT64,
        "clientId": INT32,
        "applicationId": INT32,
        "quotationId": INT32,
        "orderNo": STRING,
        "orderDate": MOMENT,
        **{camel(k): v for k, v in PARTIES.items()},
        "groupCode": STRING,
        "statusId": INT32,
        "salesRepContactId": INT32,
        **names_of(STRING, "source", "deliveryMode"),
        "isPartDelivery": BOOLEAN,
        "paymentTerms": STRING,
        "freightCost": DECIMAL,
        "deliveryAttention": STRING,
        **{f"{role}CustomerInfoId": INT64 for role in INFO_ROLES},
        "orderTypeId": INT32,
    },
    {"buyerCustomer": CLIENT_CUSTOMER, **{f"{role}CustomerInfo": CUSTOMER_INFO for role in INFO_ROLES}},
)
