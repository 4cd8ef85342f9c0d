"""The orders queue on SQS: one small JSON claim-check message per accepted order."""

import json
from dataclasses import asdict
from typing import Any

from norce_integration.adapters.aws.errors import unavailable_on_aws_error
from norce_integration.orders.ledger import QueuedOrder
from norce_integration.snapstart import Rehearsals, rehearsal_queue_url


class SqsOrderQueue:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    @staticmethod
    def rehearsals(queue_url: str) -> Rehearsals:
        """A request's call, for SnapStart's ``rehearse_calls`` (answered in-process; no real queue)."""
        attributes = {"ClientOrderRef": {"DataType": "String", "StringValue": "R"}}
        send = {
            "QueueUrl": rehearsal_queue_url(queue_url),
            "MessageBody": "{}",
            "MessageAttributes": attributes,
        }
        return {"sqs": [("send_message", send)]}

    def send(self, order: QueuedOrder) -> None:
        with unavailable_on_aws_error("Queueing the order"):
            self._client.send_message(
                QueueUrl=self._queue_url,
                MessageBody=json.dumps(asdict(order), separators=(",", ":")),
                MessageAttributes={
                    "ClientOrderRef": {"DataType": "String", "StringValue": order.client_order_ref},
                },
            )


def queued_order_from_body(body: str) -> QueuedOrder:
    """The consumer side of ``SqsOrderQueue.send``."""
    return QueuedOrder(**json.loads(body))
