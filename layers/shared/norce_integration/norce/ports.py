"""The ``NorceConnect`` port: the Connect calls the order flow needs.

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
