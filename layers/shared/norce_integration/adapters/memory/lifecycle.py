"""In-memory document ledger, accepted books, order index, document queue and watermarks, with the
semantics of the AWS ones."""

import threading
from dataclasses import dataclass, field
from typing import Any

from norce_integration.lifecycle.documents import QueuedDocument
from norce_integration.lifecycle.ports import Begun, Book, DocumentState, Watermark
from norce_integration.orders.records import IndexedOrder

_OPEN = (DocumentState.UNKNOWN, DocumentState.WAITING, DocumentState.PARKED)
_MAYBE_SENT = (DocumentState.SENDING, DocumentState.UNKNOWN)


@dataclass
class InMemoryDocumentLedger:
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def begin(self, key: str, token: str, now: float, lease_until: float, order_key: str) -> Begun:
        with self._lock:
            item = self.items.get(key)
            state = DocumentState(item["state"]) if item else None
            if item is not None and not (
                state in _OPEN or (state is DocumentState.SENDING and item["lease_until"] < now)
            ):
                return Begun(False, state)
            maybe_sent = state in _MAYBE_SENT or bool(item and item.get("maybe_sent"))
            self.items[key] = {
                **(item or {}),
                "state": DocumentState.SENDING.value,
                "token": token,
                "lease_until": lease_until,
                "order_key": order_key,
                "attempts": (item or {}).get("attempts", 0) + 1,
            }
            return Begun(True, state, maybe_sent)

    def finish(self, key: str, token: str, state: DocumentState, **fields: Any) -> None:
        with self._lock:
            item = self.items.get(key)
            if item is not None and item.get("token") == token:
                item.update(fields, state=state.value)

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            item = self.items.get(key)
            return dict(item) if item else None


@dataclass
class InMemoryAcceptedBooks:
    """The door's book per order; a write wins only over the version it read (as DynamoDB's condition)."""

    books: dict[str, Book] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def read(self, order_key: str) -> Book:
        with self._lock:
            return self.books.get(order_key) or Book()

    def write(self, order_key: str, book: Book) -> bool:
        with self._lock:
            if (self.books.get(order_key) or Book()).version != book.version - 1:
                return False
            self.books[order_key] = book
            return True


@dataclass
class InMemoryWatermarks:
    marks: dict[str, Watermark] = field(default_factory=dict)

    def get(self, name: str) -> Watermark | None:
        return self.marks.get(name)

    def put(self, name: str, watermark: Watermark) -> None:
        self.marks[name] = watermark


@dataclass
class InMemoryOrderIndex:
    by_ref: dict[str, IndexedOrder] = field(default_factory=dict)
    by_erp_no: dict[str, IndexedOrder] = field(default_factory=dict)

    def find(self, *, client_order_ref: str | None, erp_order_no: str | None) -> IndexedOrder | None:
        if client_order_ref and client_order_ref in self.by_ref:
            return self.by_ref[client_order_ref]
        return self.by_erp_no.get(erp_order_no or "")

    def remember(self, order: IndexedOrder) -> None:
        self.by_ref[order.client_order_ref] = order
        if order.erp_order_no:
            self.by_erp_no[order.erp_order_no] = order


@dataclass
class InMemoryDocumentQueue:
    documents: list[QueuedDocument] = field(default_factory=list)

    def send(self, document: QueuedDocument) -> None:
        self.documents.append(document)
