"""The lifecycle queue on SQS FIFO: one group per order (its documents stay in order), deduplicated by
document key for SQS's five minutes (the document ledger covers the rest, for ever).

The body is JSON with non-ASCII text as itself (``QueuedDocument.encode``), and the intake has checked
that it fits SQS's 256 KB with its attributes (``QueuedDocument.message_bytes``)."""

import json
from typing import Any

from norce_integration.adapters.aws.errors import unavailable_on_aws_error
from norce_integration.lifecycle.documents import QueuedDocument, document_id
from norce_integration.lifecycle.screen import text_problem
from norce_integration.snapstart import Rehearsals, rehearsal_queue_url

REASON_CHARACTERS = 1000


def _group(order_key: str) -> str:
    return document_id(order_key)  # MessageGroupId allows 128 characters of a limited alphabet


def _attributes(values: dict[str, str]) -> dict[str, dict[str, str]]:
    return {name: {"DataType": "String", "StringValue": value} for name, value in values.items()}


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
                MessageBody=document.encode(),
                MessageGroupId=_group(document.order_key),
                MessageDeduplicationId=document_id(document.key),
                MessageAttributes=_attributes(document.message_attributes()),
            )


def document_from_body(body: str) -> QueuedDocument:
    """The queued document; ``ValueError``/``TypeError`` (parked as unreadable) unless every field has its
    type: a message that is not ours never reaches the processor half-read."""
    fields = json.loads(body)
    if not isinstance(fields, dict):
        raise TypeError("the message is not a JSON object")
    document = QueuedDocument(**fields)
    texts = (document.key, document.kind, document.order_key, document.client_order_ref, document.source)
    if not all(isinstance(text, str) and text for text in texts):
        raise TypeError("key, kind, order_key, client_order_ref and source must be text")
    if document.erp_order_no is not None and not isinstance(document.erp_order_no, str):
        raise TypeError("erp_order_no must be text")
    if isinstance(document.received_at, bool) or not isinstance(document.received_at, int | float):
        raise TypeError("received_at must be a number")
    return document


def sqs_text(text: str, limit: int = REASON_CHARACTERS) -> str:
    """``text`` as an SQS attribute value can hold it: at most ``limit`` characters, and nothing SQS
    refuses (a control character, a lone surrogate: Norce's error text may hold anything) replaced."""
    cut = text[:limit]
    if text_problem(cut) is None:
        return cut
    return "".join(char if text_problem(char) is None and char not in "\t" else "?" for char in cut)


class SqsDocumentDeadLetters:
    """Parks a document that cannot succeed on the lifecycle DLQ (FIFO), with the reason."""

    def __init__(self, client: Any, dlq_url: str) -> None:
        self._client = client
        self._dlq_url = dlq_url

    def park(self, body: str, reason: str, order_key: str = "unreadable", dedup: str | None = None) -> None:
        """``dedup``: what makes this parking unique (a document's key), hashed to SQS's 128 characters."""
        with unavailable_on_aws_error("Parking the document in the dead-letter queue"):
            self._client.send_message(
                QueueUrl=self._dlq_url,
                MessageBody=body,
                MessageGroupId=_group(order_key),
                MessageDeduplicationId=document_id(dedup or body),
                MessageAttributes=_attributes({"FailureReason": sqs_text(reason)}),
            )
