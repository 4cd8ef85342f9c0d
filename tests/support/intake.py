"""An OrderIntake with fault-injecting adapters and a controllable clock, for reliability tests."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from norce_integration.adapters.memory.intake import InMemoryArchive, InMemoryLedger, InMemoryQueue
from norce_integration.intake.service import Clock, IntakeSettings, OrderIntake
from norce_integration.orders.ledger import IntakeLedger, QueuedOrder


class Crash(BaseException):
    """The Lambda process dies here: nothing after this point runs, nothing is cleaned up."""


@dataclass
class FakeClock:
    now_value: float = 1_000_000.0

    def now(self) -> float:
        return self.now_value

    def sleep(self, seconds: float) -> None:
        self.now_value += seconds

    def advance(self, seconds: float) -> None:
        self.now_value += seconds


@dataclass
class Faults:
    """Names of the steps at which the *next* call crashes, before or after its effect."""

    points: set[str] = field(default_factory=set)

    def hit(self, point: str) -> None:
        if point in self.points:
            self.points.discard(point)
            raise Crash(point)


class FaultyArchive(InMemoryArchive):
    def __init__(self, faults: Faults) -> None:
        super().__init__()
        self.faults = faults

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self.faults.hit("before-archive")
        super().put(key, body, content_type)
        self.faults.hit("after-archive")


class FaultyQueue(InMemoryQueue):
    def __init__(self, faults: Faults) -> None:
        super().__init__()
        self.faults = faults

    def send(self, order: QueuedOrder) -> None:
        self.faults.hit("before-send")
        super().send(order)
        self.faults.hit("after-send")


class FaultyLedger:
    """Wraps any ledger; crashes around ``claim`` and ``complete``."""

    def __init__(self, inner: IntakeLedger, faults: Faults) -> None:
        self.inner = inner
        self.faults = faults

    def claim(self, entry: Any, expires_at: int) -> Any:
        result = self.inner.claim(entry, expires_at)
        self.faults.hit("after-claim")
        return result

    def get(self, key: str) -> Any:
        return self.inner.get(key)

    def take_over(self, *args: Any) -> bool:
        return self.inner.take_over(*args)

    def complete(self, key: str, token: str, response: dict[str, Any]) -> bool:
        self.faults.hit("before-complete")
        done = self.inner.complete(key, token, response)
        self.faults.hit("after-complete")
        return done

    def release(self, key: str, token: str) -> None:
        self.inner.release(key, token)

    def admit(self, key: str, token: str, response: dict[str, Any]) -> bool:
        return self.inner.admit(key, token, response)


CRASH_POINTS = [
    "after-claim",
    "before-archive",
    "after-archive",
    "before-send",
    "after-send",
    "before-complete",
    "after-complete",
]


@dataclass
class Harness:
    intake: OrderIntake
    ledger: FaultyLedger
    archive: FaultyArchive
    queue: FaultyQueue
    clock: FakeClock
    faults: Faults

    def admitted_messages(self) -> list[QueuedOrder]:
        """What a consumer would process: each queued message that the ledger admits."""
        ok = {"StatusCode": "OK"}
        return [m for m in self.queue.messages if self.ledger.admit(m.key, m.token, ok)]


def make_harness(ledger_factory: Callable[[], IntakeLedger] = InMemoryLedger, **settings: Any) -> Harness:
    faults = Faults()
    clock = FakeClock()
    ledger = FaultyLedger(ledger_factory(), faults)
    archive = FaultyArchive(faults)
    queue = FaultyQueue(faults)
    intake = OrderIntake(
        ledger=ledger,
        archive=archive,
        queue=queue,
        settings=IntakeSettings(**{"lease_seconds": 60.0, "busy_wait_seconds": 5.0, **settings}),
        clock=Clock(now=clock.now, sleep=clock.sleep),
    )
    return Harness(intake, ledger, archive, queue, clock, faults)
