"""An event as it travels on the events queue: Norce's body untouched, its type, when it arrived."""

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class QueuedEvent:
    event_type: str  # canonical (``OrderConfirmedEvent``)
    body: dict[str, Any]  # as Norce posted it
    received_at: float  # epoch seconds, when our receiver took it
    event_key: str  # the same for every redelivery of the same event (Norce sends no event id)

    def as_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "QueuedEvent":
        """A queued event, or one the receiver parked as not valid (``raw``), redriven after a fix."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("an event message is a JSON object")
        if "raw" in data and "body" not in data:
            body = json.loads(data["raw"])
            return cls(
                str(data["event_type"]), body, float(data["received_at"]), event_key(data["event_type"], body)
            )
        return cls(
            event_type=str(data["event_type"]),
            body=data["body"],
            received_at=float(data["received_at"]),
            event_key=str(data["event_key"]),
        )


def event_key(event_type: str, body: Any) -> str:
    """A stable key of an event: its type and a digest of its body (key order does not matter)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return f"{event_type}#{hashlib.sha256(canonical.encode()).hexdigest()[:32]}"
