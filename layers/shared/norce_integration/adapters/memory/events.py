"""In-memory adapters of the event ports, for tests and benchmarks (same rules as the AWS ones)."""

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from norce_integration.events.envelope import QueuedEvent
from norce_integration.events.ports import Claim, Email, SyncState
from norce_integration.events.views import CompanyView, CustomerView, InvoiceOrder, OrderView


@dataclass
class InMemoryEventQueue:
    sent: list[tuple[QueuedEvent, int]] = field(default_factory=list)

    def send(self, event: QueuedEvent, delay_seconds: int = 0) -> None:
        self.sent.append((event, delay_seconds))


@dataclass
class InMemoryEventDeadLetters:
    parked: list[tuple[str, str]] = field(default_factory=list)

    def park(self, body: str, reason: str) -> None:
        self.parked.append((body, reason))


@dataclass
class CapturingNotifier:
    sent: list[Email] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def send(self, email: Email) -> str:
        self.sent.append(email)
        return f"memory-{next(self._ids)}"


class InMemoryNotificationLedger:
    def __init__(self, lease_seconds: float = 180) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self._lease = lease_seconds
        self._lock = threading.Lock()

    def claim(self, key: str, now: float) -> Claim:
        with self._lock:
            item = self.items.get(key)
            if item is None:
                self.items[key] = {"state": "SENDING", "lease_until": now + self._lease}
                return Claim.CLAIMED
            if item["state"] == "SENT":
                return Claim.SENT
            if item["state"] == "SENDING" and item["lease_until"] > now:
                return Claim.BUSY
            item["state"] = "IN_DOUBT"
            return Claim.IN_DOUBT

    def sent(self, key: str, message_id: str, now: float) -> None:
        with self._lock:
            self.items[key] = {"state": "SENT", "message_id": message_id, "sent_at": now}

    def release(self, key: str) -> None:
        with self._lock:
            if self.items.get(key, {}).get("state") == "SENDING":
                del self.items[key]


class InMemorySyncStates:
    def __init__(self) -> None:
        self.items: dict[str, SyncState] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> SyncState | None:
        return self.items.get(key)

    def save(self, key: str, state: SyncState, expected_version: int | None) -> bool:
        with self._lock:
            current = self.items.get(key)
            if (current.version if current else None) != expected_version:
                return False
            self.items[key] = state
            return True


@dataclass
class InMemoryEventQuery:
    customers: dict[int, CustomerView] = field(default_factory=dict)
    companies: dict[int, CompanyView] = field(default_factory=dict)
    orders: list[OrderView] = field(default_factory=list)
    invoices: dict[int, InvoiceOrder] = field(default_factory=dict)
    calls: int = 0

    def customer(self, customer_id: int) -> CustomerView | None:
        self.calls += 1
        return self.customers.get(customer_id)

    def company(self, company_id: int) -> CompanyView | None:
        self.calls += 1
        return self.companies.get(company_id)

    def order(self, order_id: int) -> OrderView | None:
        self.calls += 1
        return next((order for order in self.orders if order.order_id == order_id), None)

    def invoice_order(self, invoice_id: int) -> InvoiceOrder | None:
        self.calls += 1
        return self.invoices.get(invoice_id)
