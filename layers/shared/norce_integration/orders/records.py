"""What every flow keeps of an order besides the ledger: the raw body Norce sent (the archive), the support
record with its trail, and the index that finds an order from what the ERP knows of it."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol


class OrderArchive(Protocol):
    def put(self, key: str, body: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...


class OrderRecords(Protocol):
    """The support trail of each order (one record per ClientOrderRef, next to its ledger entry)."""

    def get(self, key: str, fields: Iterable[str] | None = None) -> dict[str, Any] | None:
        """The record's fields (``processing_state``, ``erp_order_no``, ``target``, ``trail``, …), or only
        ``fields``: the trail grows with every step, and a read costs (and moves) the whole record."""
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


@dataclass(frozen=True, slots=True)
class IndexedOrder:
    order_key: str
    client_order_ref: str
    erp_order_no: str | None


class OrderIndex(Protocol):
    """Finds an order's record from what the ERP knows of it: Norce's ClientOrderRef or its own number."""

    def find(self, *, client_order_ref: str | None, erp_order_no: str | None) -> IndexedOrder | None: ...

    def remember(self, order: IndexedOrder) -> None: ...
