"""SQS adapters of order processing: the write-back queue and parking in the dead-letter queue."""

import json
from dataclasses import asdict
from typing import Any

from norce_integration.adapters.aws.errors import unavailable_on_aws_error
from norce_integration.failures import DependencyUnavailable
from norce_integration.orders.ledger import QueuedOrder
from norce_integration.processing.ports import Writeback


class SqsWritebackQueue:
    """One message per ERP code; the write-back function drains them in large batches."""

    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def enqueue(self, items: list[Writeback]) -> None:
        for start in range(0, len(items), 10):
            chunk = items[start : start + 10]
            with unavailable_on_aws_error("Queueing ERP codes for Norce"):
                answer = self._client.send_message_batch(
                    QueueUrl=self._queue_url,
                    Entries=[
                        {"Id": str(i), "MessageBody": json.dumps(asdict(item))}
                        for i, item in enumerate(chunk)
                    ],
                )
            if answer.get("Failed"):
                raise DependencyUnavailable(
                    f"Queueing ERP codes for Norce failed for {len(answer['Failed'])} codes"
                )


def writeback_from_body(body: str) -> Writeback:
    return Writeback(**json.loads(body))


class SqsDeadLetters:
    """Parks an order that cannot succeed on the orders DLQ, with the reason as a message attribute."""

    def __init__(self, client: Any, dlq_url: str) -> None:
        self._client = client
        self._dlq_url = dlq_url

    def park(self, order: QueuedOrder, reason: str) -> None:
        self.park_body(json.dumps(asdict(order), separators=(",", ":")), reason, order.client_order_ref)

    def park_body(self, body: str, reason: str, client_order_ref: str | None = None) -> None:
        """Park any message body (also one that is not an order message at all)."""
        attributes = {"FailureReason": {"DataType": "String", "StringValue": reason[:1000]}}
        if client_order_ref:
            attributes["ClientOrderRef"] = {"DataType": "String", "StringValue": client_order_ref}
        with unavailable_on_aws_error("Parking the order in the dead-letter queue"):
            self._client.send_message(QueueUrl=self._dlq_url, MessageBody=body, MessageAttributes=attributes)
