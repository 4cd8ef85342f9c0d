"""What the lifecycle flow needs from the outside world, as small interfaces (ports)."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from norce_integration.lifecycle.documents import QueuedDocument


class DocumentState(StrEnum):
    SENDING = "SENDING"  # an attempt owns it (token, lease); if it dies, the outcome is unknown
    UNKNOWN = "UNKNOWN"  # an attempt ended without knowing whether Norce took the document
    WAITING = "WAITING"  # never sent: waiting for the order's confirmation or the credited invoice
    SENT = "SENT"  # Norce has it: never sent again
    SKIPPED = "SKIPPED"  # recorded, deliberately not sent (a status that would go backwards)
    PARKED = "PARKED"  # failed for a person to look at (Norce refused it, or nobody can tell if it was sent)


@dataclass(frozen=True, slots=True)
class Begun:
    started: bool  # this attempt owns the document now
    state: DocumentState | None  # the state before (None: first time)
    maybe_sent: bool = False  # an earlier attempt may have reached Norce: look there before sending


class DocumentLedger(Protocol):
    """One record per document key (``DOC#{key}``), every transition a conditional write."""

    def begin(self, key: str, token: str, now: float, lease_until: float, order_key: str) -> Begun:
        """Own the document unless it is SENT/SKIPPED or another attempt's lease is alive."""
        ...

    def finish(self, key: str, token: str, state: DocumentState, **fields: Any) -> None:
        """Move an owned document to ``state`` (with e.g. ``reason``, ``maybe_sent``)."""
        ...

    def get(self, key: str) -> dict[str, Any] | None: ...


@dataclass(frozen=True, slots=True)
class Entry:
    """One document accepted at the door, as counted against its order (no personal data)."""

    fingerprint: str
    total: str | None = None  # an invoice's or credit's total incl. VAT (exact, as text)
    lines: dict[str, str] = field(default_factory=dict)  # order line -> quantity (as text)


@dataclass(frozen=True, slots=True)
class Book:
    """What the door accepted for one order: ``entries[kind][number]``, and the version it was read at."""

    version: int = 0
    entries: dict[str, dict[str, Entry]] = field(default_factory=dict)

    def entry(self, kind: str, number: str) -> Entry | None:
        return self.entries.get(kind, {}).get(number)

    def size(self) -> int:
        return sum(len(numbers) for numbers in self.entries.values())

    def with_entry(self, kind: str, number: str, entry: Entry | None) -> "Book":
        """A copy with ``entry`` recorded (None: forgotten), one version on."""
        entries = {name: dict(numbers) for name, numbers in self.entries.items()}
        if entry is None:
            entries.get(kind, {}).pop(number, None)
        else:
            entries.setdefault(kind, {})[number] = entry
        return Book(self.version + 1, entries)


class AcceptedBooks(Protocol):
    """The door's count per order, on the order's record: written only if nobody wrote it since it was
    read (an optimistic, conditional write), so two documents accepted at once are both counted."""

    def read(self, order_key: str) -> Book: ...

    def write(self, order_key: str, book: Book) -> bool:
        """Store ``book`` if the stored one is still at ``book.version - 1``; False if another write won."""
        ...


class DocumentQueue(Protocol):
    def send(self, document: QueuedDocument) -> None:
        """Durably queue the document, in order with the other documents of its order."""
        ...


@dataclass(frozen=True, slots=True)
class Pending:
    """A document of an order not known yet, younger than the grace: remembered, tried again next run."""

    document: dict[str, Any]  # the ERP's document as read (``ErpDocument``, JSON)
    first_seen: float


@dataclass(frozen=True, slots=True)
class Watermark:
    """How far the poll has read the ERP's change feed: the last ``changed_at`` taken, the documents taken
    at exactly that instant (the feed's ``changedSince`` is inclusive: they come again), and the documents
    passed over for now because their order is not known yet (``pending``, bounded)."""

    at: datetime
    document_nos: tuple[str, ...] = ()
    pending: tuple[Pending, ...] = ()


class WatermarkStore(Protocol):
    def get(self, name: str) -> Watermark | None: ...

    def put(self, name: str, watermark: Watermark) -> None: ...
