"""The lifecycle queue on SQS FIFO: one group per order (its documents stay in order), deduplicated by
document key for SQS's five minutes (the document ledger covers the rest, for ever)."""

import json
from typing import Any

from norce_integration.adapters.aws.errors import unavailable_on_aws_error
from norce_integration.lifecycle.documents import QueuedDocument, document_id
from norce_integration.snapstart import Rehearsals, rehearsal_queue_url


def _group(order_key: str) -> str:
    return document_id(order_key)  # MessageGroupId allows 128 characters of a limited alphabet


class SqsDocumentQueue:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    @staticmethod
    def rehearsals(queue_url: str) -> Rehearsals:
        """A request's call, for SnapStart's ``rehearse_calls`` (answered in-process; no real queue)."""
        send = {
            "QueueUrl": rehearsal_queue_url(queue_url),
            "MessageBody": "{}",
            "MessageGroupId": "rehearsal",
            "MessageDeduplicationId": "rehearsal",
            "MessageAttributes": {"Document": {"DataType": "String", "StringValue": "R"}},
        }
        return {"sqs": [("send_message", send)]}

    def send(self, document: QueuedDocument) -> None:
        with unavailable_on_aws_error("Queueing the document"):
            self._client.send_message(
                QueueUrl=self._queue_url,
                MessageBody=json.dumps(document.as_dict(), separators=(",", ":")),
                MessageGroupId=_group(document.order_key),
                MessageDeduplicationId=document_id(document.key),
                MessageAttributes={
                    "ClientOrderRef": {"DataType": "String", "StringValue": document.client_order_ref},
                    "Document": {"DataType": "String", "StringValue": document.key},
                },
            )


def document_from_body(body: str) -> QueuedDocument:
    return QueuedDocument(**json.loads(body))


class SqsDocumentDeadLetters:
    """Parks a document that cannot succeed on the lifecycle DLQ (FIFO), with the reason."""

    def __init__(self, client: Any, dlq_url: str) -> None:
        self._client = client
        self._dlq_url = dlq_url

    def park(self, body: str, reason: str, order_key: str = "unreadable", dedup: str | None = None) -> None:
        with unavailable_on_aws_error("Parking the document in the dead-letter queue"):
            self._client.send_message(
                QueueUrl=self._dlq_url,
                MessageBody=body,
                MessageGroupId=_group(order_key),
                MessageDeduplicationId=dedup or document_id(body),
                MessageAttributes={"FailureReason": {"DataType": "String", "StringValue": reason[:1000]}},
            )
