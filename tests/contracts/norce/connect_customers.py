"""Norce Commerce Connect 4.0's customer service and job service, as published (norce-contracts.md §4, §5).

Every field is optional and may be null unless Norce marks it required; a field Norce does not document is
an error. Where Norce names a list without the shape of its items (``PriceLists``, ``Flags``,
``DeliveryMethods``, ``Discounts``, ``PaymentMethods``) the description takes the strict side: the code
reference every other such list has (``{Code, IsActive}``). Dates are ``str`` (JSON text).
"""

import uuid
from typing import Annotated, ClassVar, Literal

from pydantic import Field, StrictInt, field_validator

from tests.contracts.norce.base import Published

Int32 = Annotated[StrictInt, Field(ge=-(2**31), le=2**31 - 1)]

CUSTOMER_FIELD_NAMES = (
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
COMPANY_FIELD_NAMES = (
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


class Address(Published):
    SOURCE: ClassVar[str] = "C/customerservice/openapi/schemas/customer (Address)"

    AddressLine1: str | None = None
    AddressLine2: str | None = None
    CareOf: str | None = None
    City: str | None = None
    Code: Annotated[str, Field(max_length=50)] | None = None
    CountryCode: Annotated[str, Field(max_length=2)] | None = None
    Gln: Annotated[str, Field(max_length=50)] | None = None
    IsPrimary: bool | None = None
    IsValidated: bool | None = None
    Region: str | None = None
    ShippingPhoneNumber: Annotated[str, Field(max_length=50)] | None = None
    ZipCode: str | None = None


class CodeReference(Published):
    """A code reference (``Contacts``, ``Roles``; also, our strict choice, the lists Norce names only)."""

    SOURCE: ClassVar[str] = "C/customerservice/openapi/schemas/companyidentifier (Contacts)"

    Code: str
    IsActive: bool | None = None


Contact = CodeReference  # Company.Contacts (field 13): {Code (required, used for matching), IsActive}


class CodeValue(Published):
    SOURCE: ClassVar[str] = "C/customerservice/openapi/schemas/customer (AdditionalInfo)"

    Code: str
    Value: str


class Account(Published):
    SOURCE: ClassVar[str] = "C/customerservice/openapi/schemas/customer (Accounts)"

    ApplicationKey: str
    LoginName: str
    Password: str | None = None
    Roles: list[CodeReference] | None = None
    Status: Literal[1, 2] | None = None

    @field_validator("ApplicationKey")
    @classmethod
    def _uuid(cls, value: str) -> str:
        return _guid(value) or value


class CompanyIdentifier(Published):
    """One of ``Customer.Companies``: must exist; Id, then Code, then OrganizationNo (the first given)."""

    SOURCE: ClassVar[str] = "C/customerservice/openapi/schemas/companyidentifier"

    Id: Int32 | None = None
    Code: str | None = None
    OrganizationNo: str | None = None
    IsPrimary: bool | None = None


class Customer(Published):
    """ImportCustomers' entity; matched by Id, then Code, then EmailAddress (only when both are omitted)."""

    SOURCE: ClassVar[str] = "C/customerservice/openapi/schemas/customer"

    Accounts: list[Account] | None = None
    AdditionalInfo: list[CodeValue] | None = None
    ApplicationKey: str | None = None
    CellPhoneNumber: str | None = None
    Code: str | None = None
    Companies: list[CompanyIdentifier] | None = None
    CrmId: str | None = None
    DeliveryAddresses: list[Address] | None = None
    EmailAddress: str | None = None
    FirstName: str | None = None
    Flags: list[CodeReference] | None = None
    Id: Int32 | None = None
    InvoiceAddress: Address | None = None
    IsActive: bool | None = None
    IsCompanyListDelta: bool | None = None
    LastName: str | None = None
    MiddleName: str | None = None
    PhoneNumber: str | None = None
    PriceLists: list[CodeReference] | None = None
    SocialSecurityNumber: str | None = None
    Title: str | None = None
    Type: Int32 | None = None

    @field_validator("ApplicationKey")
    @classmethod
    def _uuid(cls, value: str | None) -> str | None:
        return _guid(value)


class Company(Published):
    """ImportCompanies' entity: ``ApplicationKey`` (uuid) required; matched by Id, Code, OrganizationNo."""

    SOURCE: ClassVar[str] = "C/customerservice/openapi/customers/importcompanies.md"

    ApplicationKey: str
    AdditionalInfo: list[CodeValue] | None = None
    Code: str | None = None
    Contacts: list[Contact] | None = None
    Customers: list[Customer] | None = None
    DeliveryAddresses: list[Address] | None = None
    DeliveryMethods: list[CodeReference] | None = None
    Discounts: list[CodeReference] | None = None
    EmailAddress: str | None = None
    Flags: list[CodeReference] | None = None
    Id: Int32 | None = None
    InvoiceAddress: Address | None = None
    IsActive: bool | None = None
    IsCustomerListDelta: bool | None = None
    LogoImage: str | None = None
    Name: str | None = None
    OrganizationNo: str | None = None
    ParentCompanyCode: str | None = None
    PaymentMethods: list[CodeReference] | None = None
    PhoneNumber: str | None = None
    PriceLists: list[CodeReference] | None = None
    VatNo: str | None = None

    @field_validator("ApplicationKey")
    @classmethod
    def _uuid(cls, value: str) -> str:
        return _guid(value) or value


def _guid(value: str | None) -> str | None:
    """``value`` when it is a GUID (Norce's ``uuid``); ValueError otherwise."""
    if value is not None:
        uuid.UUID(value)
    return value


FieldList = list[str | Int32]


class CustomerHeader(Published):
    """``X-StormConnect-Header``: one line of JSON; both field lists are marked required."""

    SOURCE: ClassVar[str] = "C/customerservice/openapi/schemas/customerheader"

    AccountId: Int32
    CustomerFieldsThatAreSet: FieldList
    CompanyFieldsThatAreSet: FieldList
    AccountFieldsThatAreSet: list[str | Int32] | None = None
    JobId: Int32 | None = None
    SerializationType: Literal[0, 1] | None = None
    StorageName: str | None = None
    SupplierId: Int32 | None = None

    @field_validator("CustomerFieldsThatAreSet")
    @classmethod
    def _customer_fields(cls, value: FieldList) -> FieldList:
        return _known(value, CUSTOMER_FIELD_NAMES)

    @field_validator("CompanyFieldsThatAreSet")
    @classmethod
    def _company_fields(cls, value: FieldList) -> FieldList:
        return _known(value, COMPANY_FIELD_NAMES)


def _known(value: FieldList, names: tuple[str, ...]) -> FieldList:
    for item in value:
        if not (item in names or (isinstance(item, int) and 0 <= item < len(names))):
            raise ValueError(f"{item!r} is not one of its fields")
    return value


class ValidationSummary(Published):
    SOURCE: ClassVar[str] = "D/api-reference/schemas/connectjob (ValidationSummary)"

    NrOfItemsInTotal: Int32
    NrOfValidationFailures: Int32
    Messages: list[str]


class JobResponse(Published):
    """An import's answer: ``JobId`` a string of int32 digits."""

    SOURCE: ClassVar[str] = "D/api-reference/schemas/connectjob (JobResponse)"

    StatusCode: str
    Description: str
    JobId: Annotated[str, Field(pattern=r"^[0-9]{1,10}$")]
    ValidationSummary: ValidationSummary


class Job(Published):
    """``GET Job/Get?id={int32}``. StatusId 1 Initialized, 2 Succeeded, 3 Failed, 4 Validation failed.
    ``Stop`` and ``StorageName`` may be null (a running job; an import sent in the request body)."""

    SOURCE: ClassVar[str] = "D/api-reference-storm/stormconnect/jobservice/openapi/job"

    Fail: Int32
    Insert: Int32
    IsFinished: bool
    JobId: Int32
    LastUpdated: str
    RunTime: str
    Start: str
    StatusId: Literal[1, 2, 3, 4]
    Stop: str | None
    StorageName: str | None
    Totals: Int32
    Updates: Int32


class JobLogLine(Published):
    """One line of ``GET Job/GetLog``: SeverityId 1 Information, 2 Warning, 3 Error."""

    SOURCE: ClassVar[str] = "D/api-reference-storm/stormconnect/jobservice/openapi/job (GetLog)"

    SeverityId: Literal[1, 2, 3]
    Message: str
    TimeStamp: str
    ImportedRow: str | None
