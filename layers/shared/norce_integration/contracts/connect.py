"""Messages sent to Norce Connect (order status, customer/company imports) and what it answers.

Field names are Norce's, exactly (see the Connect API reference); unknown fields are allowed so a
user can add what their Norce setup needs.
"""

from datetime import datetime

from pydantic import Field

from norce_integration.contracts.base import NorceModel


class OrderInfo(NorceModel):
    Code: str | None = None
    Value: str | None = None


class OrderStatusUpdate(NorceModel):
    """Body of ``POST Order/SendOrderStatus``. ClientOrderRef is Norce's basket id: sent as a number
    when it is numeric, as text otherwise."""

    ClientOrderRef: int | str | None = None
    ErpOrderNo: str | None = None
    OrderStatus: str
    AccountId: int | None = None
    Infos: list[OrderInfo] | None = None

    @staticmethod
    def ref(client_order_ref: str) -> int | str:
        return int(client_order_ref) if client_order_ref.isdigit() else client_order_ref


class NorceCustomer(NorceModel):
    """A Customer entity for ``ImportCustomers``: only the fields named in the header are written.

    ``Companies``: the companies the customer is a contact of; each must already exist in Norce
    (matched by Id, then Code, then OrganizationNo).
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
    Companies: "list[NorceCompany] | None" = None


class NorceCompany(NorceModel):
    """A Company entity for ``ImportCompanies``: matched by Id, then Code, then OrganizationNo."""

    Id: int | None = None
    Code: str | None = None
    OrganizationNo: str | None = None
    Name: str | None = None
    EmailAddress: str | None = None
    PhoneNumber: str | None = None
    VatNo: str | None = None
    ApplicationKey: str | None = None
    IsActive: bool | None = None


NorceCustomer.model_rebuild()


class ImportHeader(NorceModel):
    """``X-StormConnect-Header``: serialised as one line of JSON, unused properties omitted."""

    AccountId: int
    CustomerFieldsThatAreSet: list[str] | None = None
    CompanyFieldsThatAreSet: list[str] | None = None
    AccountFieldsThatAreSet: list[str] | None = None
    JobId: int | None = None
    SerializationType: int | str | None = None
    StorageName: str | None = None
    SupplierId: int | None = None


class Job(NorceModel):
    """``GET Job/Get``.

    StatusId: 1 Initialized, 2 Succeeded, 3 Failed, 4 Validation failed, 5 Validating, 6 Queued.
    """

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
        return self.StatusId == 2

    @property
    def failed(self) -> bool:
        return self.StatusId in (3, 4)
