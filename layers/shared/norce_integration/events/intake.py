"""Taking a Norce event: tell its type, check it, queue it, and always answer fast.

Every outcome but a failed queue is a 200 for Norce: an unknown type, a type we do not act on, and a
body that can never be valid (parked with its reason) would otherwise be retried for 22 hours. What can
never be valid: not UTF-8, not JSON (also ``NaN``), nested deeper than ``MAX_DEPTH``, a string with a lone
surrogate or a NUL, not the type's shape, or too large for a queue message once escaped. Such a body is
parked as the bytes it was (``envelope.parked``), never re-encoded into something SQS refuses.
"""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from norce_integration.events.contracts import InvalidEvent, parse_event
from norce_integration.events.envelope import MAX_QUEUED_BYTES, QueuedEvent, event_key, parked
from norce_integration.events.ports import EventDeadLetters, EventQueue
from norce_integration.events.types import Action, action_for, canonical_type

MAX_DEPTH = 32  # Norce's events are flat; a deeper body is not one of them


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
        data = raw if isinstance(raw, bytes) else raw.encode("utf-8", errors="surrogatepass")
        try:
            body = read_body(event_type, data)
            parse_event(event_type, body)
        except InvalidEvent as error:
            return self.park(event_type, data, error.reason)
        queued = QueuedEvent(event_type, body, self.clock(), event_key(event_type, body))
        size = len(queued.as_json())
        if size > MAX_QUEUED_BYTES:
            return self.park(
                event_type,
                data,
                f"{event_type}: the event is {size} bytes as a queue message (limit "
                f"{MAX_QUEUED_BYTES}): not one of Norce's",
            )
        self.queue.send(queued, self.delays.get(event_type, 0))
        return Taken(Acknowledgement.QUEUED, event_type, queued.event_key)

    def park(self, event_type: str | None, raw: bytes, reason: str) -> Taken:
        """Put the body as it came on the DLQ with ``reason``: a person sees it, a redrive replays it."""
        self.dead_letters.park(parked(event_type, raw, self.clock(), reason), reason)
        return Taken(Acknowledgement.PARKED, event_type, reason=reason)


def read_body(event_type: str, raw: bytes) -> Any:
    """The JSON of ``raw``, or ``InvalidEvent`` naming what is wrong (never the content: no PII)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidEvent(f"{event_type}: the body is not UTF-8 (byte {error.start})") from error
    if not text.strip():
        raise InvalidEvent(f"{event_type}: the body is empty")
    try:
        body = json.loads(text, parse_constant=_no_constant)
    except RecursionError as error:
        raise InvalidEvent(f"{event_type}: the body is nested too deeply") from error
    except ValueError as error:  # JSONDecodeError, NaN/Infinity, an integer over 4,300 digits
        raise InvalidEvent(f"{event_type}: the body is not JSON ({_position(error)})") from error
    _check_tree(event_type, body)
    return body


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _position(error: ValueError) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg} at line {error.lineno} column {error.colno}"
    return str(error).split(":")[0][:100]


def _check_tree(event_type: str, body: Any) -> None:
    """Depth and text of every value, without recursion (a deep body must not blow the stack here)."""
    stack: list[tuple[Any, int]] = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InvalidEvent(f"{event_type}: the body is nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            for key, item in value.items():
                _check_text(event_type, key)
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            _check_text(event_type, value)


def _check_text(event_type: str, text: str) -> None:
    if "\x00" in text:
        raise InvalidEvent(f"{event_type}: the body has a NUL character in a string")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidEvent(
            f"{event_type}: the body has a lone surrogate (\\ud800-\\udfff) in a string"
        ) from error
