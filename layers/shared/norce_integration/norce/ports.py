"""The ``NorceConnect`` and ``NorceQuery`` ports: the Connect calls and Query look-ups we need.

``NorceUnavailable`` (timeouts, 5xx, 429, token endpoint rate limit): retry later.
``NorceRejected`` (4xx other than 408/429): the request itself is wrong; retrying cannot help.
"""

from dataclasses import dataclass
from typing import Protocol

from norce_integration.contracts.connect import (
    ImportHeader,
    Job,
    JobResponse,
    NorceCompany,
    NorceCustomer,
    OrderStatusUpdate,
)
from norce_integration.contracts.lifecycle import DeliveryNote, Invoice


class NorceError(Exception):
    pass


class NorceUnavailable(NorceError):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NorceRejected(NorceError):
    pass


class NorceConnect(Protocol):
    def send_order_status(self, update: OrderStatusUpdate) -> None: ...

    def import_customers(
        self, customers: list[NorceCustomer], header: ImportHeader, full_file: bool = False
    ) -> JobResponse:
        """Queue an import job in Norce; its JobResponse (the job id, what its validation refused).

        ``full_file``: a full import, after which Norce deactivates what the import did not name (only
        where the full-import flag is switched on: Norce documents none for customers).
        """
        ...

    def import_companies(
        self, companies: list[NorceCompany], header: ImportHeader, full_file: bool = False
    ) -> JobResponse: ...

    def get_job(self, job_id: int) -> Job: ...

    def create_delivery_note(self, note: DeliveryNote) -> None:
        """Not idempotent in Norce: sent once per NoteNo (the lifecycle flow sees to it)."""
        ...

    def create_invoice(self, invoice: Invoice) -> None:
        """Captures the payment at the PSP: never sent twice for one InvoiceNo."""
        ...

    def credit_payment(self, credit: Invoice) -> None:
        """Pays money back: never sent twice for one InvoiceNo."""
        ...


@dataclass(frozen=True, slots=True)
class OrderBuyer:
    """Norce's own Ids of an order's buyer, as its checkout stored them (Query's ``Orders/Orders``)."""

    company_id: int | None
    customer_id: int | None


class NorceQuery(Protocol):
    """Norce Commerce Query (read only): what Norce holds, for the entities it knows no code for."""

    def order_buyer(self, basket_id: int) -> OrderBuyer | None:
        """The buyer Ids of the order placed from this basket (``ClientOrderRef`` is the basket id);
        ``None`` when Query does not hold the order (yet: Query caches a while)."""
        ...

    def find_company_id(self, *, vat_no: str | None, organization_no: str | None) -> int | None:
        """Norce's internal Id of the company with this VAT number (compared normalised), else with this
        organisation number; ``None`` when Norce holds no such company (yet: Query caches a while)."""
        ...

    def has_delivery_note(self, note_no: str) -> bool:
        """Whether Norce's order history holds a delivery note with this NoteNo."""
        ...

    def has_invoice(self, invoice_no: str) -> bool:
        """Whether Norce's order history holds an invoice or credit with this InvoiceNo."""
        ...
