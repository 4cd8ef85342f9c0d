"""Norce Event's delivery, for the simulators: JSON POSTs per event type, retried like Norce retries.

What Norce documents and this copies: one POST per event to the URL configured for its type, with static
headers of the subscriber's choosing; the payload names neither the event type nor an event id (so the
URL or a header has to); a 5-second timeout per POST; any non-2xx or timeout is retried after 5 s, 10 s,
15 s, 30 s, 1, 2, 5, 10, 15, 30 min, 1, 2, 3, 4, 5, 6 h (16 retries), then the event is dead.

Choices of ours: the waits are multiplied by ``time_scale`` (default 0.001, so 5 s becomes 5 ms) while the
timeout is not; a subscription for ``"*"`` takes every type without its own; ``{EventType}`` in the URL
becomes the type's name. Deliveries run on a small thread pool, so a burst is sent in parallel and one
event's retries (kept on a timer heap, not in a sleeping worker) never hold back another.
"""

import heapq
import itertools
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import requests

RETRY_SCHEDULE_SECONDS = (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 14400, 18000, 21600)
ANY_EVENT = "*"


@dataclass
class Subscription:
    url: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Attempt:
    at: float  # wall clock (time.time()) when the POST started
    status: int | None  # None when there was no answer (timeout, connection error)
    error: str | None  # None when delivered
    seconds: float


@dataclass
class Delivery:
    event_type: str
    payload: dict[str, Any]
    url: str | None
    attempts: list[Attempt]
    state: str  # "pending" | "delivered" | "dead" | "unsubscribed"


@dataclass
class _Job:
    """One delivery in flight; ``epoch`` goes stale on ``reset``/``stop`` so old retries stop quietly."""

    delivery: Delivery
    headers: dict[str, str]
    epoch: int


@dataclass
class _Runtime:
    """The pool and the retry timer thread, made on the first emit and dropped on ``stop``."""

    pool: ThreadPoolExecutor
    timer: threading.Thread | None = None
    stopping: bool = False


def delivery_view(delivery: Delivery) -> dict[str, Any]:
    """A delivery as the simulators' ``GET /_events`` shows it."""
    return {
        "event_type": delivery.event_type,
        "payload": delivery.payload,
        "url": delivery.url,
        "state": delivery.state,
        "attempts": [
            {"at": a.at, "status": a.status, "error": a.error, "seconds": a.seconds}
            for a in delivery.attempts
        ],
    }


class NorceEventSender:
    """Sends events to their subscriptions in the background; ``emit`` never blocks on the network."""

    def __init__(
        self,
        *,
        time_scale: float = 0.001,
        timeout: float = 5.0,
        schedule: Sequence[float] = RETRY_SCHEDULE_SECONDS,
        workers: int = 8,
    ) -> None:
        self.time_scale = time_scale
        self.timeout = timeout
        self.schedule = tuple(schedule)
        self.workers = workers
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._wake = threading.Condition(self._lock)
        self._subscriptions: dict[str, Subscription] = {}
        self._deliveries: list[Delivery] = []
        self._pending = 0
        self._epoch = 0
        self._timers: list[tuple[float, int, _Job]] = []  # (due, sequence, job): the retry heap
        self._sequence = itertools.count()
        self._runtime: _Runtime | None = None

    # -- subscriptions
    def subscribe(self, event_type: str, url: str, headers: dict[str, str] | None = None) -> None:
        """Send ``event_type`` (``"*"``: every type without its own subscription) to ``url``."""
        with self._lock:
            self._subscriptions[event_type] = Subscription(url, dict(headers or {}))

    def unsubscribe_all(self) -> None:
        with self._lock:
            self._subscriptions.clear()

    @property
    def subscriptions(self) -> dict[str, Subscription]:
        with self._lock:
            return {k: replace(v, headers=dict(v.headers)) for k, v in self._subscriptions.items()}

    # -- events
    def emit(self, event_type: str, payload: dict[str, Any]) -> Delivery:
        """Queue one event; the returned ``Delivery`` is live (its state and attempts change as it goes)."""
        with self._lock:
            subscription = self._subscriptions.get(event_type) or self._subscriptions.get(ANY_EVENT)
            if subscription is None:
                delivery = Delivery(event_type, payload, None, [], "unsubscribed")
                self._deliveries.append(delivery)
                return delivery
            url = subscription.url.replace("{EventType}", event_type)
            delivery = Delivery(event_type, payload, url, [], "pending")
            self._deliveries.append(delivery)
            self._pending += 1
            job = _Job(delivery, dict(subscription.headers), self._epoch)
            self._running().pool.submit(self._attempt, job)
            return delivery

    @property
    def deliveries(self) -> list[Delivery]:
        """A snapshot: copies of every delivery since the last reset, oldest first."""
        with self._lock:
            return [replace(d, attempts=list(d.attempts)) for d in self._deliveries]

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """True once no delivery is pending (delivered, dead or unsubscribed), False after ``timeout``."""
        with self._lock:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def reset(self) -> None:
        """Forget deliveries and subscriptions; retries of earlier events are dropped."""
        with self._lock:
            self._subscriptions.clear()
            self._forget()

    def stop(self) -> None:
        """Stop the workers and the retry timer (a later ``emit`` starts them again)."""
        with self._lock:
            runtime, self._runtime = self._runtime, None
            self._forget()
            if runtime is None:
                return
            runtime.stopping = True
            self._wake.notify_all()
        runtime.pool.shutdown(wait=False, cancel_futures=True)
        if runtime.timer is not None and runtime.timer is not threading.current_thread():
            runtime.timer.join(timeout=1)

    # -- the machinery (callers hold ``_lock`` where noted)
    def _forget(self) -> None:
        """Under the lock: drop deliveries, pending retries and the count of pending ones."""
        self._deliveries = []
        self._timers = []
        self._pending = 0
        self._epoch += 1
        self._idle.notify_all()

    def _running(self) -> _Runtime:
        """Under the lock: the pool and timer thread, started on first use."""
        if self._runtime is None:
            runtime = _Runtime(ThreadPoolExecutor(self.workers, thread_name_prefix="norce-event"))
            runtime.timer = threading.Thread(
                target=self._run_timers, args=(runtime,), name="norce-event-retries", daemon=True
            )
            runtime.timer.start()
            self._runtime = runtime
        return self._runtime

    def _attempt(self, job: _Job) -> None:
        """One POST; then delivered, dead, or a retry after the next step of the schedule."""
        with self._lock:
            if job.epoch != self._epoch:
                return
        delivery = job.delivery
        assert delivery.url is not None
        at, started = time.time(), time.monotonic()
        status: int | None = None
        try:
            response = requests.post(
                delivery.url, json=delivery.payload, headers=job.headers, timeout=self.timeout
            )
            status = response.status_code
            error = None if 200 <= status < 300 else f"HTTP {status}"
        except Exception as exc:  # noqa: BLE001 - any failure is a failed attempt, never a lost delivery
            error = f"{type(exc).__name__}: {exc}"
        attempt = Attempt(at, status, error, time.monotonic() - started)
        with self._lock:
            if job.epoch != self._epoch:
                return
            delivery.attempts.append(attempt)
            retries = len(delivery.attempts) - 1
            if error is None or retries >= len(self.schedule):
                delivery.state = "delivered" if error is None else "dead"
                self._pending -= 1
                self._idle.notify_all()
                return
            due = time.monotonic() + self.schedule[retries] * self.time_scale
            heapq.heappush(self._timers, (due, next(self._sequence), job))
            self._wake.notify_all()

    def _run_timers(self, runtime: _Runtime) -> None:
        """The retry timer: hands each due retry to the pool, sleeping until the next one is due."""
        while True:
            with self._lock:
                while not runtime.stopping:
                    now = time.monotonic()
                    if self._timers and self._timers[0][0] <= now:
                        job = heapq.heappop(self._timers)[2]
                        break
                    self._wake.wait(self._timers[0][0] - now if self._timers else None)
                if runtime.stopping:
                    return
                runtime.pool.submit(self._attempt, job)
