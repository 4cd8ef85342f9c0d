"""The ``Erp`` port: everything the integration asks of an ERP.

Errors are split the way retries need them: ``ErpUnavailable`` (timeouts, 5xx, 429: try again later,
optionally after ``retry_after`` seconds) and ``ErpRejected`` (the ERP refuses the data: retrying the same
message cannot help; a person must fix data or configuration, then replay).
"""

from collections.abc import Iterator
from datetime import datetime
from typing import Protocol

from norce_integration.erp.model import (
    ErpChange,
    ErpCompany,
    ErpCustomer,
    ErpDocument,
    ErpOrder,
    ErpOrderRef,
)


class ErpError(Exception):
    pass


class ErpUnavailable(ErpError):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ErpRejected(ErpError):
    """The ERP refused the request as invalid (HTTP 4xx other than 408/409/429)."""


class Erp(Protocol):
    def find_order(self, external_ref: str) -> ErpOrderRef | None:
        """The order created earlier for this ClientOrderRef, if any."""
        ...

    def create_order(self, order: ErpOrder) -> ErpOrderRef:
        """Create the order. Must not create a second order for the same ``external_ref``: when the ERP
        already has one, return it with ``created=False``."""
        ...

    def find_customer(
        self, *, code: str | None = None, email: str | None = None, external_ref: str | None = None
    ) -> ErpCustomer | None:
        """Each given key is tried in the order code, external_ref, email; the first that finds one wins."""
        ...

    def create_customer(self, customer: ErpCustomer) -> ErpCustomer:
        """Create the customer; the result carries the ERP's new ``code``.

        Must not create a second customer with the same ``external_ref``: when the ERP already has one,
        return it. This is what makes a retry after a crash between the create and our record safe,
        and two orders of one new buyer at once make one customer.
        """
        ...

    def update_customer(self, customer: ErpCustomer) -> None: ...

    def find_company(
        self,
        *,
        code: str | None = None,
        organization_no: str | None = None,
        vat_no: str | None = None,
        external_ref: str | None = None,
    ) -> ErpCompany | None:
        """Each given key is tried in the order code, external_ref, vat_no (normalised),
        organization_no; the first that finds one wins. An ERP that keys companies by organisation
        number uses the one derived from the VAT number."""
        ...

    def create_company(self, company: ErpCompany) -> ErpCompany:
        """Create the company; the same ``external_ref`` rule as ``create_customer``."""
        ...

    def update_company(self, company: ErpCompany) -> None: ...

    def export_customers(self, changed_since: datetime | None) -> Iterator[ErpCustomer]:
        """Every customer changed since the watermark (all when ``None``), page by page."""
        ...

    def export_companies(self, changed_since: datetime | None) -> Iterator[ErpCompany]: ...

    def changed_documents(self, changed_since: datetime | None) -> Iterator[ErpDocument]:
        """Delivery notes, invoices, credit notes and statuses changed since the watermark (all when
        ``None``), oldest first, page by page. Only needed where the ERP cannot push (``erp_poll``)."""
        ...


class ErpChangeReader(Protocol):
    """An ERP that notifies changes (webhooks) and lets them be read back as documents (Business Central)."""

    def documents_for(self, changes: list[ErpChange]) -> Iterator[ErpDocument]:
        """The delivery notes, invoices and credit notes the changes stand for, read from the ERP now (a
        change of something else yields nothing). Raises ``ErpUnavailable`` when the ERP cannot be read."""
        ...
