"""The local stack's mail service: every e-mail is captured as one JSON line in a file, none is sent.

Lines stay whole across threads (a lock) and processes (one ``write`` in append mode, under ``flock``
where the platform has it), so the demo and the tests can read exactly what customers would get.

It can be throttled like SES: when the file ``{outbox}.faults`` holds ``{"throttleRate": r}``, each
e-mail is refused with chance r as SES refuses with ``TooManyRequestsException`` (``NotifierUnavailable``:
nothing sent, a retry may succeed), and the refusal is counted as a line in ``{outbox}.throttled``. The
local stack writes that file (``POST /_local/mail/faults``); every worker reads it, so one knob throttles all.
"""

import json
import os
import random
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from norce_integration.events.ports import Email, NotifierUnavailable

try:
    import fcntl
except ImportError:  # Windows has none: the lock and O_APPEND still keep lines whole
    fcntl = None  # type: ignore[assignment]


class OutboxNotifier:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._random = random.Random()  # noqa: S311 - fault injection, not security

    def send(self, email: Email) -> str:
        if self._throttled():
            note = {"at": datetime.now(UTC).isoformat(), "event_type": email.event_type}
            _append(faults_path(self._path, "throttled"), (json.dumps(note) + "\n").encode(), self._lock)
            raise NotifierUnavailable("SES TooManyRequestsException (HTTP 429, the outbox): try again later")
        message_id = f"local-{uuid.uuid4()}"
        _append(self._path, _line(message_id, email), self._lock)
        return message_id

    def _throttled(self) -> bool:
        try:
            faults = json.loads(faults_path(self._path, "faults").read_text())
        except (OSError, ValueError):
            return False
        rate = float(faults.get("throttleRate") or 0) if isinstance(faults, dict) else 0.0
        return rate > 0 and self._random.random() < rate


def faults_path(outbox: Path, kind: str) -> Path:
    """``{outbox}.faults`` (the knob) or ``{outbox}.throttled`` (one line per refused e-mail)."""
    return outbox.with_name(f"{outbox.name}.{kind}")


def _line(message_id: str, email: Email) -> bytes:
    record = {
        "message_id": message_id,
        "sent_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "to": email.to,
        "subject": email.subject,
        "event_type": email.event_type,
        "client_order_ref": email.client_order_ref,
        "language": email.language,
        "text": email.text,
        "html": email.html,
    }
    return (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")


def _append(path: Path, line: bytes, lock: threading.Lock) -> None:
    """One write of the whole line to the file's end; the file holds personal data, so owner-only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with lock:
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            if fcntl is not None:
                fcntl.flock(descriptor, fcntl.LOCK_EX)  # released when the descriptor closes
            written = os.write(descriptor, line)
            while written < len(line):  # a regular file takes it all at once; just in case
                written += os.write(descriptor, line[written:])
        finally:
            os.close(descriptor)


def read_outbox(path: Path) -> list[dict[str, Any]]:
    """Every captured e-mail, oldest first. A last line without its newline is torn (a writer is still
    at it, or died) and skipped; any other unreadable line raises, as the file is then damaged."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    complete = data.split(b"\n")[:-1]  # what follows the last newline is torn or empty
    return [json.loads(line) for line in complete if line.strip()]
