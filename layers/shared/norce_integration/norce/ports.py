"""The ``NorceConnect`` and ``NorceQuery`` ports: the Connect calls and Query look-ups we need.

``NorceUnavailable`` (timeouts, 5xx, 429, token endpoint rate limit): retry later.
``NorceRejected`` (4xx other than 408/429): the request itself is wrong; retrying cannot help.
"""

from typing import Protocol

from norce_integration.contracts.connect import (
    ImportHeader,
    Job,
    NorceCompany,
    NorceCustomer,
    OrderStatusUpdate,
)


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
    ) -> int:
        """Queue an import job in Norce; returns its job id.

        ``full_file``: a full import, after which Norce deactivates what the import did not name.
        """
        ...

    def import_companies(
        self, companies: list[NorceCompany], header: ImportHeader, full_file: bool = False
    ) -> int: ...

    def get_job(self, job_id: int) -> Job: ...


class NorceQuery(Protocol):
    """Norce Commerce Query (read only): what Norce holds, for the entities it knows no code for."""

    def find_company_id(self, *, vat_no: str | None, organization_no: str | None) -> int | None:
        """Norce's internal Id of the company with this VAT number (compared normalised), else with this
        organisation number; ``None`` when Norce holds no such company (yet: Query caches a while)."""
        ...
