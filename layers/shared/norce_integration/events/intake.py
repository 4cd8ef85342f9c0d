"""Taking a Norce event: tell its type, check it, queue it, and always answer fast.

Every outcome but a failed queue is a 200 for Norce: an unknown type, a type we do not act on, and a
body that can never be valid (parked with its reason) would otherwise be retried for 22 hours.
"""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from norce_integration.events.contracts import InvalidEvent, parse_event
from norce_integration.events.envelope import QueuedEvent, event_key
from norce_integration.events.ports import EventDeadLetters, EventQueue
from norce_integration.events.types import Action, action_for, canonical_type


class Acknowledgement(StrEnum):
    QUEUED = "queued"
    IGNORED = "ignored"  # a Norce type we do not act on
    UNKNOWN_TYPE = "unknown_type"
    PARKED = "parked"  # not valid for its type: on the DLQ with the reason


@dataclass(frozen=True, slots=True)
class Taken:
    outcome: Acknowledgement
    event_type: str | None
    event_key: str | None = None
    reason: str | None = None


@dataclass
class EventIntake:
    queue: EventQueue
    dead_letters: EventDeadLetters
    notify: frozenset[str]
    delays: dict[str, int] = field(default_factory=dict)  # seconds a type waits on the queue (bursts)
    clock: Callable[[], float] = field(default=time.time)

    def take(self, named_type: str | None, raw: bytes | str) -> Taken:
        event_type = canonical_type(named_type)
        if event_type is None:
            return Taken(
                Acknowledgement.UNKNOWN_TYPE, None, reason=f"unknown event type {(named_type or '')[:100]!r}"
            )
        if action_for(event_type, self.notify) is Action.IGNORE:
            return Taken(Acknowledgement.IGNORED, event_type)
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
        try:
            body = json.loads(text) if text.strip() else None
            parse_event(event_type, body)
        except (ValueError, InvalidEvent) as error:
            reason = (
                error.reason if isinstance(error, InvalidEvent) else f"{event_type}: the body is not JSON"
            )
            envelope = json.dumps({"event_type": event_type, "raw": text, "received_at": self.clock()})
            self.dead_letters.park(envelope, reason)
            return Taken(Acknowledgement.PARKED, event_type, reason=reason)
        assert isinstance(body, dict)  # parse_event refused anything else
        queued = QueuedEvent(event_type, body, self.clock(), event_key(event_type, body))
        self.queue.send(queued, self.delays.get(event_type, 0))
        return Taken(Acknowledgement.QUEUED, event_type, queued.event_key)
