"""SQS event source mappings on loopback: pollers that feed a function's queue to it in batches,
delete what succeeded and leave the reported failures to come back (partial batch responses).

A batch whose invocation fails as a whole (the handler raised, or its worker died or timed out) is not
deleted: every message of it comes back after its visibility timeout, as with Lambda's event source mapping.
"""

import hashlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from local.workers import HandlerFailed, WorkerDied

log = logging.getLogger("local.queues")
Handler = Callable[[dict[str, Any]], Any]  # the SQS event -> the function's answer


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {
                    name: {"stringValue": v.get("StringValue"), "dataType": v["DataType"]}
                    for name, v in (m.get("MessageAttributes") or {}).items()
                },
                "md5OfBody": m.get("MD5OfBody") or hashlib.md5(m["Body"].encode()).hexdigest(),  # noqa: S324
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "eu-north-1",
            }
            for m in messages
        ]
    }


class QueuePoller:
    """One poller is one concurrent Lambda instance reading the queue (``handler`` invokes the function)."""

    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        queue_arn: str,
        function_name: str,
        handler: Handler,
        batch_size: int = 10,
        idle_seconds: float = 0.05,
        max_idle_seconds: float = 1.0,
    ) -> None:
        self._sqs, self._url, self._arn = sqs, queue_url, queue_arn
        self._function_name, self._handler = function_name, handler
        self._batch_size = max(1, min(10, batch_size))
        self._idle_seconds, self._max_idle_seconds = idle_seconds, max_idle_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"poller:{function_name}", daemon=True)
        self.batches = 0

    def start(self) -> None:
        self._thread.start()

    def stopping(self) -> None:
        """Take no new batch (``stop`` also waits for the one in hand)."""
        self._stop.set()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def poll_once(self) -> int:
        """Receive one batch, run the handler on it, delete the successes; the number of messages."""
        messages = self._sqs.receive_message(
            QueueUrl=self._url,
            MaxNumberOfMessages=self._batch_size,
            WaitTimeSeconds=0,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        self.batches += 1
        try:
            answer = self._handler(sqs_event(messages, self._arn))
        except (WorkerDied, HandlerFailed) as error:  # as in Lambda: every message comes back
            failure = error.error_type if isinstance(error, HandlerFailed) else str(error)
            log.warning("%s failed on a batch of %d: %s", self._function_name, len(messages), failure)
            return len(messages)
        failed = {item["itemIdentifier"] for item in (answer or {}).get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            self._sqs.delete_message_batch(
                QueueUrl=self._url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(done[start : start + 10])
                ],
            )
        return len(messages)

    def _run(self) -> None:
        # Short polls: the local moto serves one request at a time, so a long poll would stall the rest.
        # An empty queue is asked again after a wait that doubles up to ``max_idle_seconds`` (and starts over
        # with the next message): a dozen idle pollers would otherwise keep the one-at-a-time moto busy.
        idle = self._idle_seconds
        while not self._stop.is_set():
            try:
                if self.poll_once() == 0:
                    self._stop.wait(idle)
                    idle = min(idle * 2, self._max_idle_seconds)
                else:
                    idle = self._idle_seconds
            except Exception:  # moto went away while stopping, or a transient error: keep polling
                if not self._stop.is_set():
                    log.exception("polling %s failed", self._url)
                    self._stop.wait(1)
