"""What the lifecycle flow needs from the outside world, as small interfaces (ports)."""

from dataclasses import dataclass
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


class DocumentQueue(Protocol):
    def send(self, document: QueuedDocument) -> None:
        """Durably queue the document, in order with the other documents of its order."""
        ...


@dataclass(frozen=True, slots=True)
class Watermark:
    """How far the poll has read the ERP's change feed: the last ``changed_at`` taken, and the documents
    taken at exactly that instant (the feed's ``changedSince`` is inclusive: they come again)."""

    at: datetime
    document_nos: tuple[str, ...] = ()


class WatermarkStore(Protocol):
    def get(self, name: str) -> Watermark | None: ...

    def put(self, name: str, watermark: Watermark) -> None: ...
