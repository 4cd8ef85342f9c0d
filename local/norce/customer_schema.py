"""Connect 4.0 customer service's published shapes, as the simulator checks them: ``X-StormConnect-Header``
(CustomerHeader) and the Customer and Company entities of ``ImportCustomers`` / ``ImportCompanies``.

Sources (docs.norce.io): ``connect/customerservice/x-stormconnect-header``,
``connect/customerservice/openapi/schemas/{customerheader, customer, companyidentifier}``,
``connect/customerservice/openapi/customers/{importcustomers, importcompanies}``. A field Norce does not
document is refused, and so is a value of another JSON type; a documented field may be null (Norce says to
omit what is not used) unless it is required. Where Norce publishes a name without its shape (the items of
``PriceLists``, ``Flags``, ``DeliveryMethods``, ``Discounts``, ``PaymentMethods``) the simulator takes the
strict side: ``{Code, IsActive}`` as Norce's other code references (``Contacts``, ``Roles``).
"""

import uuid
from collections.abc import Callable
from typing import Any

# The header's *FieldsThatAreSet values, by number (a name or its number is accepted)
CUSTOMER_FIELDS = (
    "ApplicationKey",
    "Id",
    "Code",
    "EmailAddress",
    "SocialSecurityNumber",
    "Title",
    "FirstName",
    "MiddleName",
    "LastName",
    "PhoneNumber",
    "CellPhoneNumber",
    "IsActive",
    "InvoiceAddress",
    "DeliveryAddresses",
    "Accounts",
    "AdditionalInfo",
    "Flags",
    "PriceLists",
    "SearchOnlyByCode",
    "Companies",
    "CrmId",
    "PreserveFlags",
)
COMPANY_FIELDS = (
    "ApplicationKey",
    "Id",
    "Code",
    "OrganizationNo",
    "Name",
    "EmailAddress",
    "PhoneNumber",
    "LogoImage",
    "ParentCompanyCode",
    "IsActive",
    "InvoiceAddress",
    "DeliveryAddresses",
    "AdditionalInfo",
    "Contacts",
    "Customers",
    "DeliveryMethods",
    "Discounts",
    "Flags",
    "PaymentMethods",
    "PriceLists",
    "SearchOnlyByCode",
    "VatNo",
    "PreserveFlags",
)
FIELD_LISTS = {"CustomerFieldsThatAreSet": CUSTOMER_FIELDS, "CompanyFieldsThatAreSet": COMPANY_FIELDS}

Check = Callable[[Any], str | None]  # None: the value keeps the shape; else what is wrong with it


def text(max_length: int | None = None) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            return "must be a string"
        if max_length is not None and len(value) > max_length:
            return f"must be at most {max_length} characters"
        return None

    return check


def integer(value: Any) -> str | None:
    return (
        None
        if isinstance(value, int) and not isinstance(value, bool) and -(2**31) <= value < 2**31
        else ("must be an int32")
    )


def boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def guid(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be a GUID string"
    try:
        uuid.UUID(value)
    except ValueError:
        return "must be a GUID"
    return None


def array(of: Check) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, list):
            return "must be an array"
        for index, item in enumerate(value):
            problem = of(item)
            if problem:
                return f"[{index}]{'' if problem.startswith('.') else ' '}{problem}"
        return None

    return check


def entity(fields: dict[str, Check], required: tuple[str, ...] = ()) -> Check:
    """An object with exactly these documented fields; ``required`` ones present and not null."""

    def check(value: Any) -> str | None:
        if not isinstance(value, dict):
            return "must be an object"
        for name in required:
            if value.get(name) is None:
                return f".{name} is required"
        for name, item in value.items():
            known = fields.get(name)
            if known is None:
                return f".{name} is not a documented field"
            if item is not None:
                problem = known(item)
                if problem:
                    return f".{name}{'' if problem.startswith(('.', '[')) else ' '}{problem}"
        return None

    return check


ADDRESS = entity(
    {
        "AddressLine1": text(),
        "AddressLine2": text(),
        "CareOf": text(),
        "City": text(),
        "Code": text(50),
        "CountryCode": text(2),
        "Gln": text(50),
        "IsPrimary": boolean,
        "IsValidated": boolean,
        "Region": text(),
        "ShippingPhoneNumber": text(50),
        "ZipCode": text(),
    }
)
CODE_REFERENCE = entity({"Code": text(), "IsActive": boolean}, required=("Code",))
CODE_VALUE = entity({"Code": text(), "Value": text()}, required=("Code", "Value"))
ACCOUNT = entity(
    {
        "ApplicationKey": guid,
        "LoginName": text(),
        "Password": text(),
        "Roles": array(CODE_REFERENCE),
        "Status": lambda value: None if value in (1, 2) else "must be 1 (Active) or 2 (Inactive)",
    },
    required=("ApplicationKey", "LoginName"),
)
COMPANY_IDENTIFIER = entity({"Id": integer, "Code": text(), "OrganizationNo": text(), "IsPrimary": boolean})
CUSTOMER_SHAPE: dict[str, Check] = {
    "Accounts": array(ACCOUNT),
    "AdditionalInfo": array(CODE_VALUE),
    "ApplicationKey": guid,
    "CellPhoneNumber": text(),
    "Code": text(),
    "Companies": array(COMPANY_IDENTIFIER),
    "CrmId": text(),
    "DeliveryAddresses": array(ADDRESS),
    "EmailAddress": text(),
    "FirstName": text(),
    "Flags": array(CODE_REFERENCE),
    "Id": integer,
    "InvoiceAddress": ADDRESS,
    "IsActive": boolean,
    "IsCompanyListDelta": boolean,
    "LastName": text(),
    "MiddleName": text(),
    "PhoneNumber": text(),
    "PriceLists": array(CODE_REFERENCE),
    "SocialSecurityNumber": text(),
    "Title": text(),
    "Type": integer,
}
CUSTOMER = entity(CUSTOMER_SHAPE)
COMPANY = entity(
    {
        "ApplicationKey": guid,
        "AdditionalInfo": array(CODE_VALUE),
        "Code": text(),
        "Contacts": array(CODE_REFERENCE),
        "Customers": array(CUSTOMER),
        "DeliveryAddresses": array(ADDRESS),
        "DeliveryMethods": array(CODE_REFERENCE),
        "Discounts": array(CODE_REFERENCE),
        "EmailAddress": text(),
        "Flags": array(CODE_REFERENCE),
        "Id": integer,
        "InvoiceAddress": ADDRESS,
        "IsActive": boolean,
        "IsCustomerListDelta": boolean,
        "LogoImage": text(),
        "Name": text(),
        "OrganizationNo": text(),
        "ParentCompanyCode": text(),
        "PaymentMethods": array(CODE_REFERENCE),
        "PhoneNumber": text(),
        "PriceLists": array(CODE_REFERENCE),
        "VatNo": text(),
    },
    required=("ApplicationKey",),
)
ENTITIES = {"customers": CUSTOMER, "companies": COMPANY}


def header_problem(header: Any, full_file_key: str | None) -> str | None:
    """What in ``X-StormConnect-Header`` (parsed) breaks CustomerHeader; ``full_file_key``: the one extra
    property the simulator is configured to take (the full-import flag Norce does not document)."""
    if not isinstance(header, dict):
        return "X-StormConnect-Header must be a JSON object"
    scalars: dict[str, Check] = {
        "AccountId": integer,
        "JobId": integer,
        "SupplierId": integer,
        "StorageName": text(),
        "SerializationType": lambda value: None if value in (0, "JSON") else "must be 0 (JSON)",
        "AccountFieldsThatAreSet": array(lambda value: None if isinstance(value, str | int) else "a name"),
    }
    if full_file_key:
        scalars[full_file_key] = boolean
    for name, value in header.items():
        if name in FIELD_LISTS:
            continue
        check = scalars.get(name)
        if check is None:
            return f"X-StormConnect-Header: {name} is not a documented property"
        problem = check(value) if value is not None else None
        if problem:
            return f"X-StormConnect-Header: {name} {problem}"
    if header.get("AccountId") is None:
        return "X-StormConnect-Header: AccountId is required"
    for list_key, names in FIELD_LISTS.items():
        listed = header.get(list_key)
        if listed is None:
            return f"X-StormConnect-Header: {list_key} is required"
        if not isinstance(listed, list):
            return f"X-StormConnect-Header: {list_key} must be an array of field names or numbers"
        for value in listed:
            if not (value in names or (integer(value) is None and 0 <= value < len(names))):
                return f"X-StormConnect-Header: {list_key}: {value!r} is not one of its fields"
    return None


def listed_fields(header: dict[str, Any], list_key: str) -> frozenset[str]:
    """The names a header's field list gives (numbers as their names)."""
    names = FIELD_LISTS[list_key]
    return frozenset(names[value] if isinstance(value, int) else value for value in header[list_key])
