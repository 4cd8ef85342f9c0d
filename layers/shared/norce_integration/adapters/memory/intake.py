"""In-memory adapters with the same semantics as the AWS ones, for unit tests and benchmarks."""

import threading
from dataclasses import dataclass, field, replace
from typing import Any

from norce_integration.orders.ledger import LedgerEntry, LedgerState, QueuedOrder


@dataclass
class InMemoryLedger:
    """Thread-safe: every method is one atomic step, like a DynamoDB conditional write."""

    entries: dict[str, LedgerEntry] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def claim(self, entry: LedgerEntry, expires_at: int) -> LedgerEntry | None:
        with self._lock:
            existing = self.entries.get(entry.key)
            if existing is None:
                self.entries[entry.key] = entry
            return existing

    def get(self, key: str) -> LedgerEntry | None:
        with self._lock:
            return self.entries.get(key)

    def take_over(self, expired_token: str, claim: LedgerEntry, now: float) -> bool:
        with self._lock:
            entry = self.entries.get(claim.key)
            if (
                entry is None
                or entry.state is not LedgerState.IN_PROGRESS
                or entry.token != expired_token
                or entry.lease_until > now
            ):
                return False
            self.entries[claim.key] = claim
            return True

    def complete(self, key: str, token: str, response: dict[str, Any]) -> bool:
        with self._lock:
            entry = self.entries.get(key)
            if entry is None or entry.token != token:
                return False
            if entry.state is LedgerState.IN_PROGRESS:
                self.entries[key] = replace(entry, state=LedgerState.ACCEPTED, response=response)
            return True

    def release(self, key: str, token: str) -> None:
        with self._lock:
            entry = self.entries.get(key)
            if entry is not None and entry.token == token and entry.state is LedgerState.IN_PROGRESS:
                del self.entries[key]

    def admit(self, key: str, token: str, response: dict[str, Any]) -> bool:
        return self.complete(key, token, response)


@dataclass
class InMemoryArchive:
    objects: dict[str, bytes] = field(default_factory=dict)

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self.objects[key] = body

    def get(self, key: str) -> bytes:
        return self.objects[key]


@dataclass
class InMemoryQueue:
    messages: list[QueuedOrder] = field(default_factory=list)

    def send(self, order: QueuedOrder) -> None:
        self.messages.append(order)
