"""The write fence: one writer per key, because Business Central keeps no unique key of ours.

Business Central refuses nothing twice: two POSTs of one sales order (or one customer) make two. So before a
create, the adapter claims the entity's key here (the orders table in Lambda): a second attempt, on another
instance or after a crash, finds the claim and waits; a claim whose attempt has died lets a new one take
over only after Business Central's own ceiling for a request (10 minutes, then 504) has surely passed, and
the new owner looks the entity up before it writes. ``written`` remembers what was made (its number), so a
retry, also of an entity with no natural key, finds it.
"""

import threading
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

UNCERTAIN_SECONDS = 660.0  # Business Central ends any request within 10 minutes (504): past that, it is done


class Fence(StrEnum):
    WRITING = "writing"
    WRITTEN = "written"
    RELEASED = "released"  # the attempt surely wrote nothing: the key is free again


@dataclass(frozen=True, slots=True)
class FenceState:
    state: Fence
    owner: str
    started_at: float
    number: str | None = None


class WriteFence(Protocol):
    def get(self, key: str) -> FenceState | None: ...

    def begin(self, key: str, owner: str, now: float) -> tuple[bool, FenceState | None]:
        """Claim ``key`` for ``owner``: granted when it is free, released, or held by an attempt that started
        more than ``UNCERTAIN_SECONDS`` ago. Returns whether it was granted and the state found before."""
        ...

    def written(self, key: str, owner: str, number: str) -> None: ...

    def release(self, key: str, owner: str) -> None:
        """The attempt surely wrote nothing (refused, rejected): the next one may go at once."""
        ...


@dataclass
class InMemoryWriteFence:
    """The same rules in memory (tests, and an adapter built without a table)."""

    states: dict[str, FenceState] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def get(self, key: str) -> FenceState | None:
        with self._lock:
            return self.states.get(key)

    def begin(self, key: str, owner: str, now: float) -> tuple[bool, FenceState | None]:
        with self._lock:
            found = self.states.get(key)
            if found is None or free(found, now):
                self.states[key] = FenceState(Fence.WRITING, owner, now)
                return True, found
            return False, found

    def written(self, key: str, owner: str, number: str) -> None:
        with self._lock:
            found = self.states.get(key)
            started = found.started_at if found else 0.0
            self.states[key] = FenceState(Fence.WRITTEN, owner, started, number)

    def release(self, key: str, owner: str) -> None:
        with self._lock:
            found = self.states.get(key)
            if found is not None and found.owner == owner and found.state is Fence.WRITING:
                self.states[key] = FenceState(Fence.RELEASED, owner, found.started_at)


def free(state: FenceState, now: float) -> bool:
    """Whether a new attempt may claim a key in ``state``."""
    return state.state is Fence.RELEASED or (
        state.state is Fence.WRITING and state.started_at + UNCERTAIN_SECONDS < now
    )
