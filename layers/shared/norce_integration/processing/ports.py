"""What order processing needs besides the ERP and Norce: the order record and the write-back queue."""

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from norce_integration.intake.ports import QueuedOrder


@dataclass(frozen=True, slots=True)
class Writeback:
    """An ERP code Norce must learn: sent later, batched, with ImportCustomers / ImportCompanies.

    ``match_value`` is how Norce finds the entity without a code: the e-mail of a customer; for a
    company the organisation number (or VAT number), while ``vat_no`` (as Norce sent it) and
    ``organization_no`` let the write-back look its Norce Id up in Query. A customer with
    ``company_code`` is imported as that company's contact; ``company_pending``: the company is new
    to Norce too, so the customer waits until the company's import has succeeded (Norce links only
    to companies it already holds).
    """

    kind: Literal["customer", "company"]
    code: str
    match_value: str
    application_key: str | None = None
    client_order_ref: str | None = None
    vat_no: str | None = None
    organization_no: str | None = None
    company_code: str | None = None
    company_pending: bool = False


class WritebackQueue(Protocol):
    def enqueue(self, items: list[Writeback]) -> None: ...


class OrderRecords(Protocol):
    """The support trail of each order (one record per ClientOrderRef, next to its ledger entry)."""

    def get(self, key: str) -> dict[str, Any] | None:
        """The record's fields (``processing_state``, ``erp_order_no``, ``target``, ``trail``, …)."""
        ...

    def note(self, key: str, event: str, at: float, **fields: Any) -> None:
        """Append ``event`` to the trail and set ``fields`` on the record."""
        ...

    def lock(self, key: str, owner: str, now: float, until: float) -> bool:
        """Take the order's processing lock (free, expired, or already ``owner``'s); False if held.

        Two deliveries of one order (SQS is at-least-once) must never run the ERP steps side by side:
        with an ERP that does not enforce unique external references, that could create two orders.
        """
        ...

    def unlock(self, key: str, owner: str) -> None: ...


class DeadLetters(Protocol):
    def park(self, order: QueuedOrder, reason: str) -> None:
        """Put a message that cannot succeed on the dead-letter queue, with the reason."""
        ...
