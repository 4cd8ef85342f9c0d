"""Looking into SQS queues without consuming them, and moving a DLQ's messages back to their queue.

A *peek* receives messages with a short visibility timeout, reads them and makes them visible again at
once (``change_message_visibility`` 0); nothing is deleted. Every receive counts as a delivery
(``ApproximateReceiveCount``), which matters only on a queue with a redrive policy: the CLI peeks the DLQs
freely and the consumed queues only for one short look (their oldest visible message).
"""

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

EXHAUSTED = "exhausted retries"  # a DLQ message without FailureReason: SQS moved it after maxReceiveCount
FIFO_DEDUP_WINDOW_SECONDS = 5 * 60
NO_RETRIES = Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 1, "mode": "standard"})
# botocore's code for an action the endpoint does not know; moto answers 500 (server) or raises
# NotImplementedError (in-process) for an action it has not implemented.
_MISSING_API_CODES = frozenset(
    {"InvalidAction", "UnsupportedOperation", "UnknownOperationException", "NotImplemented", "500", "501"}
)


@dataclass
class Message:
    """One received message, as the CLI reports it."""

    queue: str  # the queue's logical id
    message_id: str
    body: str
    attributes: dict[str, str] = field(default_factory=dict)  # SentTimestamp, ApproximateReceiveCount, …
    message_attributes: dict[str, dict[str, Any]] = field(default_factory=dict)
    receipt_handle: str = ""

    @classmethod
    def of(cls, queue: str, raw: dict[str, Any]) -> "Message":
        return cls(
            queue=queue,
            message_id=raw["MessageId"],
            body=raw.get("Body", ""),
            attributes=dict(raw.get("Attributes", {})),
            message_attributes=dict(raw.get("MessageAttributes", {})),
            receipt_handle=raw.get("ReceiptHandle", ""),
        )

    def attribute(self, name: str) -> str | None:
        value = self.message_attributes.get(name, {}).get("StringValue")
        return str(value) if value is not None else None

    @property
    def sent_at(self) -> float | None:
        sent = self.attributes.get("SentTimestamp")
        return int(sent) / 1000 if sent else None

    @property
    def receive_count(self) -> int:
        return int(self.attributes.get("ApproximateReceiveCount", "0") or 0)

    @property
    def failure_reason(self) -> str | None:
        return self.attribute("FailureReason")

    @property
    def reason(self) -> str:
        """Why it is on a DLQ: the ``FailureReason`` its consumer gave, else SQS's redrive policy."""
        return self.failure_reason or EXHAUSTED

    def json_body(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def client_order_refs(self) -> set[str]:
        """Every ClientOrderRef the message names (attribute, or the body's ``client_order_ref`` /
        ``ClientOrderRef`` at any depth: orders, documents and events carry it differently)."""
        refs = {self.attribute("ClientOrderRef")} - {None}
        found: set[str] = {str(ref) for ref in refs}

        def walk(value: Any, depth: int) -> None:
            if depth > 4:
                return
            if isinstance(value, dict):
                for key, item in value.items():
                    if key in ("client_order_ref", "ClientOrderRef") and isinstance(item, str | int):
                        found.add(str(item))
                    else:
                        walk(item, depth + 1)
            elif isinstance(value, list):
                for item in value[:50]:
                    walk(item, depth + 1)

        walk(self.json_body(), 0)
        return found

    def order_key(self) -> str | None:
        """The ledger key of an order message (``ORDER#…``), or the document's order."""
        body = self.json_body()
        if isinstance(body, dict):
            for name in ("key", "order_key"):
                value = body.get(name)
                if isinstance(value, str) and value.startswith("ORDER#"):
                    return value
        return None

    def as_dict(self, now: float | None = None) -> dict[str, Any]:
        sent = self.sent_at
        return {
            "queue": self.queue,
            "message_id": self.message_id,
            "sent_at": sent,
            "age_seconds": round((now or time.time()) - sent, 1) if sent else None,
            "receive_count": self.receive_count,
            "failure_reason": self.failure_reason,
            "reason": self.reason,
            "client_order_refs": sorted(self.client_order_refs()),
        }


def depth(sqs: Any, url: str) -> dict[str, int]:
    """``visible`` (ApproximateNumberOfMessages), ``in_flight`` (received, or hidden for a retry) and
    ``delayed``."""
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return {
        "visible": int(attributes.get(names[0], 0)),
        "in_flight": int(attributes.get(names[1], 0)),
        "delayed": int(attributes.get(names[2], 0)),
    }


def queue_arn(sqs: Any, url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def is_fifo(url: str) -> bool:
    return url.endswith(".fifo")


def _receive(
    sqs: Any, url: str, hide_seconds: int, wait_seconds: int, count: int = 10
) -> list[dict[str, Any]]:
    answer = sqs.receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=max(1, min(10, count)),
        VisibilityTimeout=hide_seconds,
        WaitTimeSeconds=wait_seconds,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
        MessageSystemAttributeNames=["All"],
    )
    return list(answer.get("Messages", []))


def release(sqs: Any, url: str, messages: Iterable[dict[str, Any]]) -> None:
    """Make received messages visible again at once."""
    handles = [m["ReceiptHandle"] for m in messages]
    for start in range(0, len(handles), 10):
        sqs.change_message_visibility_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                for i, handle in enumerate(handles[start : start + 10])
            ],
        )


def delete(sqs: Any, url: str, messages: Iterable[dict[str, Any]]) -> int:
    handles = [m["ReceiptHandle"] for m in messages]
    deleted = 0
    for start in range(0, len(handles), 10):
        answer = sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(handles[start : start + 10])],
        )
        deleted += len(answer.get("Successful", []))
    return deleted


def scan(
    sqs: Any,
    url: str,
    name: str,
    *,
    limit: int = 1000,
    hide_seconds: int = 30,
    wait_seconds: int = 0,
    take: Callable[[Message], bool] | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Message]:
    """Read up to ``limit`` messages of a queue without consuming them: each is hidden for ``hide_seconds``
    while the scan goes on (so the next receive returns others) and made visible again at the end. With
    ``take``, the messages it selects are deleted instead (after the caller has re-sent what they carry)."""
    seen: dict[str, dict[str, Any]] = {}
    try:
        while len(seen) < limit:
            batch = _receive(sqs, url, hide_seconds, wait_seconds, limit - len(seen))
            fresh = [m for m in batch if m["MessageId"] not in seen]
            if not fresh:  # a long poll (AWS) asks every server: empty means empty
                break
            for raw in fresh:
                seen[raw["MessageId"]] = raw
            if progress:
                progress(len(seen))
    finally:
        messages = [Message.of(name, raw) for raw in seen.values()]
        taken = [seen[m.message_id] for m in messages if take is not None and take(m)]
        if taken:
            delete(sqs, url, taken)
        taken_ids = {raw["MessageId"] for raw in taken}
        release(sqs, url, [raw for raw in seen.values() if raw["MessageId"] not in taken_ids])
    return messages


def oldest(sqs: Any, url: str, name: str) -> Message | None:
    """The oldest of up to ten messages seen on one short receive (1 s hidden, then visible again)."""
    batch = _receive(sqs, url, hide_seconds=1, wait_seconds=0)
    try:
        messages = [Message.of(name, raw) for raw in batch]
        dated = [m for m in messages if m.sent_at is not None]
        return min(dated, key=lambda m: m.sent_at or 0.0) if dated else None
    finally:
        release(sqs, url, batch)


def reasons(messages: Iterable[Message]) -> dict[str, int]:
    """How many messages per reason, the most frequent first."""
    counts: dict[str, int] = {}
    for message in messages:
        counts[message.reason] = counts.get(message.reason, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


# -- moving a DLQ back ------------------------------------------------------------------------------------
def is_missing_api(error: BaseException) -> bool:
    """True when the endpoint does not implement the action (moto, or an old SQS-compatible service)."""
    if isinstance(error, NotImplementedError):
        return True
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return code in _MISSING_API_CODES or status in (500, 501)
    return isinstance(error, BotoCoreError) and "not implemented" in str(error).lower()


def start_move_task(sqs: Any, source_arn: str, destination_arn: str) -> str:
    """SQS's own redrive (``StartMessageMoveTask``); raises what ``is_missing_api`` recognises when absent."""
    answer = sqs.start_message_move_task(SourceArn=source_arn, DestinationArn=destination_arn)
    return str(answer.get("TaskHandle", ""))


def move_task_status(sqs: Any, source_arn: str) -> dict[str, Any]:
    results = sqs.list_message_move_tasks(SourceArn=source_arn, MaxResults=1).get("Results", [])
    return dict(results[0]) if results else {}


def _send_entry(raw: dict[str, Any], index: int, fifo: bool, now: float) -> dict[str, Any]:
    entry: dict[str, Any] = {"Id": str(index), "MessageBody": raw["Body"]}
    attributes = {}
    for name, value in raw.get("MessageAttributes", {}).items():
        kept = {key: value[key] for key in ("DataType", "StringValue", "BinaryValue") if key in value}
        if "StringValue" in kept or "BinaryValue" in kept:
            attributes[name] = kept
    if attributes:
        entry["MessageAttributes"] = attributes
    if fifo:
        system = raw.get("Attributes", {})
        entry["MessageGroupId"] = system.get("MessageGroupId") or "redrive"
        dedup = system.get("MessageDeduplicationId") or raw["MessageId"]
        sent = int(system.get("SentTimestamp", "0") or 0) / 1000
        if now - sent < FIFO_DEDUP_WINDOW_SECONDS + 30:
            # Its first send may still be inside SQS's 5-minute deduplication window, where the same id
            # would be accepted and silently dropped: give the redriven copy an id of its own.
            dedup = f"{dedup[:90]}-redrive-{raw['MessageId'][:24]}"
        entry["MessageDeduplicationId"] = dedup
    return entry


def move_manually(
    sqs: Any,
    dlq_url: str,
    source_url: str,
    *,
    limit: int | None = None,
    wait_seconds: int = 0,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """Move messages one batch at a time: receive from the DLQ, send to the source with the same body and
    attributes (FIFO: the same MessageGroupId and MessageDeduplicationId), then delete from the DLQ only
    what was sent. Returns (moved, failed)."""
    fifo = is_fifo(source_url)
    moved = failed = 0
    while limit is None or moved + failed < limit:
        want = 10 if limit is None else min(10, limit - moved - failed)
        batch = _receive(sqs, dlq_url, hide_seconds=60, wait_seconds=wait_seconds, count=want)
        if not batch:
            break
        now = time.time()
        answer = sqs.send_message_batch(
            QueueUrl=source_url, Entries=[_send_entry(raw, i, fifo, now) for i, raw in enumerate(batch)]
        )
        sent = {int(entry["Id"]) for entry in answer.get("Successful", [])}
        delete(sqs, dlq_url, [raw for i, raw in enumerate(batch) if i in sent])
        unsent = [raw for i, raw in enumerate(batch) if i not in sent]
        if unsent:
            release(sqs, dlq_url, unsent)
            failed += len(unsent)
            if not sent:
                break  # the source refuses them: stop rather than spin
        moved += len(sent)
        if progress:
            progress(moved)
    return moved, failed
