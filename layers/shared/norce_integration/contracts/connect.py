"""Messages sent to Norce Connect (order status, customer/company imports) and what it answers.

Field names are Norce's, exactly (see the Connect API reference); unknown fields are allowed so a
user can add what their Norce setup needs.
"""

import uuid
from datetime import datetime
from enum import IntEnum
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field

from norce_integration.contracts.base import NorceModel

INT32_MAX = 2**31 - 1


def _not_a_bool(value: object) -> object:
    if isinstance(value, bool):  # pydantic would take true as 1
        raise ValueError("must be a number, not true or false")
    return value


Count = Annotated[int, BeforeValidator(_not_a_bool)]
"""An integer Norce publishes as one (an id, a basket id)."""


def basket_id(client_order_ref: str | None) -> int | None:
    """The order's ClientOrderRef as Norce's int32 basket id, or None when it is not one (an external order
    number, leading zeros, out of int32's range): Connect's ClientOrderRef fields are int32."""
    text = client_order_ref or ""
    if not (text.isascii() and text.isdigit()) or str(int(text)) != text:
        return None
    number = int(text)
    return number if number <= INT32_MAX else None


class OrderInfo(NorceModel):
    """An entry of SendOrderStatus's ``Infos``: Norce publishes the list, not the entry's fields, so the
    push API refuses ``Infos`` (docs/lifecycle.md) and nothing here sends one."""

    model_config = ConfigDict(extra="forbid")


class OrderStatusUpdate(NorceModel):
    """Body of ``POST Order/SendOrderStatus`` (the current schema): either ClientOrderRef (Norce's int32
    basket id) or ErpOrderNo must be provided. An order whose ClientOrderRef is not a basket id (an
    external order number) is named by its ErpOrderNo alone."""

    model_config = ConfigDict(extra="forbid")

    ClientOrderRef: Count | None = None
    ErpOrderNo: str | None = None
    OrderStatus: str
    AccountId: Count | None = None
    Infos: list[OrderInfo] | None = None

    @staticmethod
    def ref(client_order_ref: str) -> int | None:
        """What the ClientOrderRef field carries for this order: its basket id, else nothing."""
        return basket_id(client_order_ref)


class CompanyIdentifier(NorceModel):
    """One of ``Customer.Companies``: a company Norce must already hold, named by ``Id``, else ``Code``,
    else ``OrganizationNo`` (the first given is used, the others are not tried)."""

    Id: int | None = None
    Code: str | None = None
    OrganizationNo: str | None = None
    IsPrimary: bool | None = None


class Contact(NorceModel):
    """One of ``Company.Contacts`` (field 13): a customer by its Code; ``IsActive`` false ends the link."""

    Code: str
    IsActive: bool | None = None


class NorceCustomer(NorceModel):
    """A Customer entity for ``ImportCustomers``: only the fields named in the header are written.

    Norce matches it by ``Id``, then ``Code`` (a Code that matches nothing creates a new customer), and by
    ``EmailAddress`` only when both are omitted. ``Companies`` replaces the customer's company relations
    unless ``IsCompanyListDelta`` is true (Norce's default is false: unlisted companies are unlinked).
    """

    Id: int | None = None
    Code: str | None = None
    EmailAddress: str | None = None
    FirstName: str | None = None
    LastName: str | None = None
    PhoneNumber: str | None = None
    CellPhoneNumber: str | None = None
    ApplicationKey: str | None = None
    IsActive: bool | None = None
    Companies: list[CompanyIdentifier] | None = None
    IsCompanyListDelta: bool | None = None


class NorceCompany(NorceModel):
    """A Company entity for ``ImportCompanies``: matched by Id, then Code, then OrganizationNo.

    ``ApplicationKey`` (a GUID) is required by Norce on every company. ``Contacts`` links customers by
    code; ``Customers`` are full customer records (written through ``CustomerFieldsThatAreSet``) and
    replace the company's customers unless ``IsCustomerListDelta`` is true.
    """

    Id: int | None = None
    Code: str | None = None
    OrganizationNo: str | None = None
    Name: str | None = None
    EmailAddress: str | None = None
    PhoneNumber: str | None = None
    VatNo: str | None = None
    ApplicationKey: str | None = None
    IsActive: bool | None = None
    Contacts: list[Contact] | None = None
    Customers: list[NorceCustomer] | None = None
    IsCustomerListDelta: bool | None = None


class ImportHeader(NorceModel):
    """``X-StormConnect-Header``: serialised as one line of JSON, unused properties omitted.

    Norce marks both field lists required, so both are always sent (the one of the other kind empty).
    Listing ``SearchOnlyByCode`` makes Norce match by Code alone (never by e-mail / OrganizationNo)."""

    AccountId: int
    CustomerFieldsThatAreSet: list[str] = Field(default_factory=list)
    CompanyFieldsThatAreSet: list[str] = Field(default_factory=list)
    AccountFieldsThatAreSet: list[str] | None = None
    JobId: int | None = None
    SerializationType: int | str | None = None
    StorageName: str | None = None
    SupplierId: int | None = None


class ValidationSummary(NorceModel):
    """What Norce's validation of an import found before it queued the job."""

    NrOfItemsInTotal: int | None = None
    NrOfValidationFailures: int | None = None
    Messages: list[str] | None = None

    @property
    def failures(self) -> int:
        return self.NrOfValidationFailures or 0


_Summary = ValidationSummary  # the field below has the class's name


class JobResponse(NorceModel):
    """What ``ImportCustomers`` / ``ImportCompanies`` answer: ``JobId`` is a string (int32 digits)."""

    StatusCode: str | None = None
    Description: str | None = None
    JobId: str | None = None
    ValidationSummary: "_Summary | None" = None

    @property
    def job_id(self) -> int:
        """The job id as a number; ValueError when Norce named none (or not an int32)."""
        text = (self.JobId or "").strip()
        if not (text.isascii() and text.isdigit() and int(text) < 2**31):
            raise ValueError(f"the import was answered without a job id (JobId {self.JobId!r})")
        return int(text)

    def summary(self) -> dict[str, Any] | None:
        """The ValidationSummary as kept on ``JOB#{id}`` (None when Norce sent none)."""
        found = self.ValidationSummary
        if found is None:
            return None
        return {
            "items": found.NrOfItemsInTotal,
            "failures": found.failures,
            "messages": [str(message)[:500] for message in (found.Messages or [])[:20]],
        }


class JobStatus(IntEnum):
    """A Norce job's ``StatusId`` (``Job/Get`` documents 1-4; ``JobCompletedEvent`` adds 5 and 6).

    ``label`` is how the integration stores and shows a status (``JOB#{id}``'s ``status``, the ops CLI).
    """

    INITIALIZED = 1
    SUCCEEDED = 2
    FAILED = 3
    VALIDATION_FAILED = 4
    VALIDATING = 5
    QUEUED = 6

    @property
    def label(self) -> str:
        return "".join(part.capitalize() for part in self.name.split("_"))

    @property
    def failed(self) -> bool:
        return self in (JobStatus.FAILED, JobStatus.VALIDATION_FAILED)

    @property
    def finished(self) -> bool:
        return self is JobStatus.SUCCEEDED or self.failed

    @classmethod
    def label_of(cls, status_id: int) -> str:
        """The label of a status id, ``Status{id}`` for one Norce has not documented."""
        try:
            return cls(status_id).label
        except ValueError:
            return f"Status{status_id}"


FINISHED_LABELS = frozenset(status.label for status in JobStatus if status.finished)


class Job(NorceModel):
    """``GET Job/Get``; ``StatusId`` is a ``JobStatus``."""

    JobId: int
    StatusId: int | None = None
    IsFinished: bool | None = None
    Fail: int | None = None
    Insert: int | None = None
    Updates: int | None = None
    Totals: int | None = None
    Start: datetime | None = None
    Stop: datetime | None = None
    LastUpdated: datetime | None = None
    StorageName: str | None = None
    RunTime: str | int | float | None = Field(default=None)

    @property
    def succeeded(self) -> bool:
        return self.StatusId == JobStatus.SUCCEEDED

    @property
    def failed(self) -> bool:
        return self.StatusId in (JobStatus.FAILED, JobStatus.VALIDATION_FAILED)


def is_guid(value: str | None) -> bool:
    """Whether ``value`` is a GUID, as Norce's ``ApplicationKey`` (uuid) must be."""
    text = (value or "").strip()
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return len(text) in (32, 36, 38)
