"""The events queue (SQS standard) and its dead-letter queue.

Standard, not FIFO: events of different orders and customers need no order between them, and a change
notification waits ``delay_seconds`` on the queue so that a burst is read from Norce once (``events.sync``).
"""

from typing import Any

from norce_integration.adapters.aws.errors import unavailable_on_aws_error
from norce_integration.events.envelope import QueuedEvent
from norce_integration.snapstart import Rehearsals, rehearsal_queue_url

MAX_DELAY_SECONDS = 900  # SQS's limit for DelaySeconds


class SqsEventQueue:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    @staticmethod
    def rehearsals(queue_url: str) -> Rehearsals:
        """A request's call, for SnapStart's ``rehearse_calls`` (answered in-process; no real queue)."""
        send = {
            "QueueUrl": rehearsal_queue_url(queue_url),
            "MessageBody": "{}",
            "DelaySeconds": 0,
            "MessageAttributes": {"EventType": {"DataType": "String", "StringValue": "R"}},
        }
        return {"sqs": [("send_message", send)]}

    def send(self, event: QueuedEvent, delay_seconds: int = 0) -> None:
        with unavailable_on_aws_error("Queueing the event"):
            self._client.send_message(
                QueueUrl=self._queue_url,
                MessageBody=event.as_json(),
                DelaySeconds=max(0, min(delay_seconds, MAX_DELAY_SECONDS)),
                MessageAttributes={
                    "EventType": {"DataType": "String", "StringValue": event.event_type},
                    "EventKey": {"DataType": "String", "StringValue": event.event_key},
                },
            )


class SqsEventDeadLetters:
    """Parks an event that cannot succeed on the events DLQ with its reason (alarmed; redrive to replay)."""

    def __init__(self, client: Any, dlq_url: str) -> None:
        self._client = client
        self._dlq_url = dlq_url

    def park(self, body: str, reason: str) -> None:
        with unavailable_on_aws_error("Parking the event in the dead-letter queue"):
            self._client.send_message(
                QueueUrl=self._dlq_url,
                MessageBody=body,
                MessageAttributes={
                    "FailureReason": {"DataType": "String", "StringValue": sqs_text(reason)[:1000] or "-"}
                },
            )


def sqs_text(text: str) -> str:
    """``text`` with what SQS refuses in a message or attribute (control characters but tab and newlines,
    lone surrogates, U+FFFE/U+FFFF) replaced by "?", so a reason naming hostile input is still sent."""
    return "".join(
        c
        if c in "\t\n\r" or ("\x20" <= c <= "\ud7ff") or ("\ue000" <= c <= "\ufffd") or c >= "\U00010000"
        else "?"
        for c in text
    )
