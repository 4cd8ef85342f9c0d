"""What the soak did, as the outside world did it: the orders Norce pushed and what it was answered, the
documents the ERP made and how they were sent, the customer edits made in Norce, the events Norce sent
again, the imports fired, the workers killed and the faults injected. The audit compares this with what
the simulators and the stack hold at the end; nothing here comes from the integration's own records."""

import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Push:
    """One delivery of an order by Norce's order sender (its retries included)."""

    started: float
    answered: float | None = None
    outcome: str | None = None  # "OK", "Failed" or "escalated to support"
    attempts: int = 0
    statuses: list[int | None] = field(default_factory=list)
    ok_seconds: float | None = None  # the HTTP round trip of the attempt answered OK
    duplicate: bool = False


@dataclass
class SentOrder:
    ref: str
    kind: str
    wire: str
    email: str | None
    placed: bool
    pushes: list[Push] = field(default_factory=list)

    @property
    def first(self) -> Push:
        return self.pushes[0]

    @property
    def accepted(self) -> bool:
        """Norce was answered OK for it (by any delivery)."""
        return any(push.outcome == "OK" for push in self.pushes)


@dataclass
class MadeDocument:
    number: str
    kind: str  # "deliveryNote", "invoice", "creditNote", "status"
    ref: str
    order_no: str
    made_at: float
    pushes: int = 0  # POST /erp/{method} calls (repeats included); 0: left to the poll
    push_statuses: list[int] = field(default_factory=list)
    status: str | None = None  # for a status document


@dataclass
class Edit:
    at: float
    code: str
    norce_id: int
    changes: dict[str, str]


@dataclass
class Kill:
    at: float
    function: str
    pid: int
    busy: bool


@dataclass
class Fault:
    at: float
    name: str
    seconds: float
    settings: dict[str, Any]


class Journal:
    """Thread-safe: every driver writes here as it goes."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.started = time.time()
        self.load_ended: float | None = None
        self.orders: dict[str, SentOrder] = {}
        self.documents: dict[str, MadeDocument] = {}
        self.edits: list[Edit] = []
        self.redelivered: list[tuple[float, str, dict[str, Any]]] = []
        self.imports: list[dict[str, Any]] = []
        self.polls: list[dict[str, Any]] = []
        self.kills: list[Kill] = []
        self.faults: list[Fault] = []
        self.problems: list[str] = []  # what a driver could not do (for the report; not an audit finding)

    def add_order(self, order: SentOrder) -> None:
        with self.lock:
            self.orders[order.ref] = order

    def add_push(self, ref: str, push: Push) -> None:
        with self.lock:
            self.orders[ref].pushes.append(push)

    def add_document(self, document: MadeDocument) -> None:
        with self.lock:
            self.documents[document.number] = document

    def note(self, what: str, item: Any) -> None:
        with self.lock:
            getattr(self, what).append(item)

    def problem(self, text: str) -> None:
        with self.lock:
            self.problems.append(text)
