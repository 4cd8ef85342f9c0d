"""An event as it travels on the events queue (Norce's body untouched, its type, when it arrived), and the
DLQ message of a body that could not be queued as one (the bytes as sent, kept safely).

SQS takes a message of at most 256 KiB of certain Unicode characters only (no NUL, no lone surrogate, no
U+FFFE...): a queued event is JSON with every non-ASCII character escaped, and its size is checked by the
intake; a parked body is base64 of its bytes (compressed when that fits, else its first bytes, marked
``truncated``), with its original size and SHA-256, so nothing about it is lost but what cannot fit.
"""

import base64
import hashlib
import json
import zlib
from dataclasses import asdict, dataclass
from typing import Any

MAX_QUEUED_BYTES = 240_000  # of SQS's 262,144, leaving room for the message attributes
_RAW_BUDGET = 200_000  # base64 characters of a parked body (its envelope's other fields are small)


@dataclass(frozen=True, slots=True)
class QueuedEvent:
    event_type: str  # canonical (``OrderConfirmedEvent``)
    body: dict[str, Any]  # as Norce posted it
    received_at: float  # epoch seconds, when our receiver took it
    event_key: str  # the same for every redelivery of the same event (Norce sends no event id)

    def as_json(self) -> str:
        """ASCII JSON (every other character escaped): always a message SQS takes."""
        return json.dumps(asdict(self), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "QueuedEvent":
        """A queued event, or one the receiver parked as not valid (``raw_base64``, or ``raw`` text from
        before), redriven after a fix. ``ValueError`` when it cannot be one."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("an event message is a JSON object")
        if "body" not in data and ("raw_base64" in data or "raw" in data):
            event_type = data.get("event_type")
            if not isinstance(event_type, str):
                raise ValueError("the parked event has no known type: it cannot be replayed")
            body = json.loads(_parked_text(data))
            return cls(event_type, body, float(data["received_at"]), event_key(event_type, body))
        return cls(
            event_type=str(data["event_type"]),
            body=data["body"],
            received_at=float(data["received_at"]),
            event_key=str(data["event_key"]),
        )


def _parked_text(data: dict[str, Any]) -> str:
    if "raw_base64" not in data:
        return str(data["raw"])
    if data.get("truncated"):
        raise ValueError(
            f"the parked body was cut to fit a queue message (it had {data.get('raw_size')} bytes): "
            "it cannot be replayed"
        )
    raw = base64.b64decode(data["raw_base64"])
    if data.get("raw_encoding") == "zlib+base64":
        raw = zlib.decompress(raw)
    return raw.decode("utf-8-sig")


def parked(event_type: str | None, raw: bytes, received_at: float, reason: str) -> str:
    """The DLQ message of a body that cannot be queued as an event: always a message SQS takes."""
    envelope: dict[str, Any] = {
        "event_type": event_type,
        "received_at": received_at,
        "reason": reason,
        "raw_size": len(raw),
        "raw_sha256": hashlib.sha256(raw).hexdigest(),
        "truncated": False,
    }
    packed = base64.b64encode(zlib.compress(raw, 6)).decode("ascii")
    if len(packed) <= _RAW_BUDGET:
        envelope |= {"raw_encoding": "zlib+base64", "raw_base64": packed}
    else:
        kept = raw[: _RAW_BUDGET * 3 // 4]
        envelope |= {
            "raw_encoding": "base64",
            "raw_base64": base64.b64encode(kept).decode("ascii"),
            "truncated": True,
        }
    return json.dumps(envelope, separators=(",", ":"))


def event_key(event_type: str, body: Any) -> str:
    """A stable key of an event: its type and a digest of its body (key order does not matter)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return f"{event_type}#{hashlib.sha256(canonical.encode()).hexdigest()[:32]}"
