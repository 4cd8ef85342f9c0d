"""The one state every simulated Norce service shares: what Norce holds, and what the simulator records.

Plays no Norce service itself and knows nothing of Flask: Identity's issued tokens and rate-limit buckets,
Connect's order statuses, documents, customers, companies (with their match-key indexes) and import jobs,
the orders placed at checkout, the Norce Event sender, and the simulator's own calls log, statistics and
injected faults. Everything is read and changed under ``lock`` (re-entrant).
"""

import base64
import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from local.norce_event_sender import NorceEventSender

FIRST_ORDER_ID = 700000001
FIRST_CUSTOMER_INFO_ID = 800000001
FIRST_DOCUMENT_ID = 600000001
NATURAL_KEYS = {"customers": "EmailAddress", "companies": "OrganizationNo"}


@dataclass
class ConnectFaults:
    status: int = 503
    count: int = 0
    paths: list[str] = field(
        default_factory=list
    )  # e.g. ["Order/SendOrderStatus"]; empty = every Connect path
    retry_after_seconds: int = 1
    latency_ms: int = 0
    fail_jobs: bool = False
    drop_responses: int = 0  # process the request, then answer 504 (the answer was lost); respects paths
    query_down_until: float = 0.0  # Query answers 503 until then (state.clock); set as query_down_for_seconds
    capture_errors: int = 0  # the next N invoices' InvoiceCaptureCompletedEvent say State "Error"


@dataclass
class TokenBucket:
    """3 requests a minute with a burst of 20, per client IP, like Norce's token endpoint."""

    capacity: float = 20.0
    refill_per_second: float = 3 / 60
    tokens: float = 20.0
    updated: float = 0.0

    def take(self, now: float) -> bool:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.refill_per_second)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class NorceState:
    """What the simulated Norce holds; the services read and change it under ``lock``."""

    def __init__(
        self,
        client_id: str = "norce-local-client",
        client_secret: str = "norce-local-secret",
        application_id: str = "1001",
        secret_key: str = "connect-local-secret",
        clock: Callable[[], float] = time.monotonic,
        job_seconds: float = 0.0,
        full_file_key: str | None = None,
        event_time_scale: float = 0.001,
        client_number: int = 1,
    ) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.application_id = application_id
        self.basic = "Basic " + base64.b64encode(f"{application_id}:{secret_key}".encode()).decode()
        self.clock = clock
        self.job_seconds = job_seconds
        # the full-import flag this Norce honours (None: none, as Norce documents no customer flag)
        self.full_file_key = full_file_key
        self.faults = ConnectFaults()
        self.calls: list[dict[str, Any]] = []
        self.tokens: dict[str, float] = {}  # token -> expires at (clock)
        self.buckets: dict[str, TokenBucket] = {}
        self.orders: dict[str, list[dict[str, Any]]] = {}
        # ClientOrderRef -> {"DeliveryNotes": [...], "Invoices": [...], "Credits": [...]}, bodies as received
        self.documents: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self.erp_order_refs: dict[str, str] = {}  # ErpOrderNo (from SendOrderStatus) -> ClientOrderRef
        # SendOrderStatus also takes these of the older page's statuses (unconfirmed; none by default)
        self.extra_statuses: frozenset[str] = frozenset()
        # by Norce's internal Id; a customer's ``Companies`` are the Ids of the companies it is linked to
        self.customers: dict[int, dict[str, Any]] = {}
        self.companies: dict[int, dict[str, Any]] = {}
        self.jobs: dict[int, dict[str, Any]] = {}
        # per kind, per match key (Code and EmailAddress / OrganizationNo): value -> Ids holding it, and
        # the Ids indexed (matching rebuilds when the store no longer has as many)
        self.indexes: dict[str, dict[str, dict[Any, list[int]]]] = {}
        self.indexed: dict[str, set[int]] = {}
        self.clear_indexes()
        self.stats: Counter[str] = Counter()
        self.job_ids = itertools.count(5001)
        self.entity_ids = itertools.count(1)
        self.lock = threading.RLock()
        self.client_number = client_number  # Norce's ClientId in event payloads
        self.events = NorceEventSender(time_scale=event_time_scale)
        self.placed: dict[str, dict[str, Any]] = {}  # ClientOrderRef -> {"OrderId", "OrderRequest"}
        self.order_events: set[tuple[str, str]] = set()  # (order key, event type) already sent
        self.order_ids = itertools.count(FIRST_ORDER_ID)
        # Query 3.0's CustomerInfo (a guest buyer, a ship-to address) by its id; Query's ids of documents
        self.customer_infos: dict[int, dict[str, Any]] = {}
        self.customer_info_ids = itertools.count(FIRST_CUSTOMER_INFO_ID)
        self.document_ids: dict[tuple[str, str, int], int] = {}  # (ref, kind, index) -> Id
        self.next_document_id = itertools.count(FIRST_DOCUMENT_ID)
        self.job_timers: set[threading.Timer] = set()
        self.last_stamp = ""

    def reset(self) -> None:
        """Forget everything held and recorded (the Id counters go on), also the events' deliveries and
        subscriptions."""
        with self.lock:
            self.faults, self.calls, self.tokens, self.buckets = ConnectFaults(), [], {}, {}
            self.orders, self.customers, self.companies, self.jobs = {}, {}, {}, {}
            self.clear_indexes()
            self.documents, self.erp_order_refs = {}, {}
            self.placed, self.order_events = {}, set()
            self.customer_infos, self.document_ids = {}, {}
            self.stats.clear()
            self.cancel_job_timers()
        self.events.reset()

    def cancel_job_timers(self) -> None:
        """Under the lock: the import jobs still to complete never send their JobCompletedEvent."""
        for timer in self.job_timers:
            timer.cancel()
        self.job_timers = set()

    @property
    def application_number(self) -> int:
        return int(self.application_id)

    def event_ids(self) -> dict[str, Any]:
        """``ClientId`` and ``ApplicationId``, which every event starts with."""
        return {"ClientId": self.client_number, "ApplicationId": self.application_number}

    def stamp(self) -> str:
        """Under the lock: ``Updated`` now (ISO-8601 UTC, microseconds), strictly later than the last one."""
        stamp = datetime.now(UTC).isoformat(timespec="microseconds")
        if stamp <= self.last_stamp:
            last = datetime.fromisoformat(self.last_stamp)
            stamp = (last + timedelta(microseconds=1)).isoformat(timespec="microseconds")
        self.last_stamp = stamp
        return stamp

    def erp_order_no(self, ref: str) -> str | None:
        """Under the lock: the last ErpOrderNo sent with the order's statuses."""
        numbers = [s.get("ErpOrderNo") for s in self.orders.get(ref, []) if s.get("ErpOrderNo")]
        return str(numbers[-1]) if numbers else None

    # -- customers and companies, and their indexes by match key
    def store(self, kind: str) -> dict[int, dict[str, Any]]:
        return self.customers if kind == "customers" else self.companies

    def clear_indexes(self) -> None:
        self.indexes = {kind: {"Code": {}, natural: {}} for kind, natural in NATURAL_KEYS.items()}
        self.indexed = {kind: set() for kind in NATURAL_KEYS}

    def rebuild_index(self, kind: str) -> None:
        self.indexes[kind] = {"Code": {}, NATURAL_KEYS[kind]: {}}
        self.indexed[kind] = set()
        for entity in self.store(kind).values():
            self.index(kind, entity)

    def index(self, kind: str, entity: dict[str, Any]) -> None:
        """Under the lock, after the entity was stored or written: findable by its Code and natural key
        (ids under a value the entity no longer has are dropped when looked up)."""
        entity_id = entity.get("Id")
        self.indexed[kind].add(entity_id)  # type: ignore[arg-type]
        for key, index in self.indexes[kind].items():
            value = entity.get(key)
            if scalar(value):
                ids = index.setdefault(value, [])
                if entity_id not in ids:
                    ids.append(entity_id)  # type: ignore[arg-type]


def scalar(value: Any) -> bool:
    """A value a match key can have (and an index can hold)."""
    return isinstance(value, str | int | float)
