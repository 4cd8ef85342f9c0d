"""SQS event records shaped like Lambda's event source mapping delivers them."""

import hashlib
import uuid
from typing import Any


def sqs_record(
    body: str,
    queue_arn: str = "arn:aws:sqs:eu-north-1:123456789012:orders",
    receive_count: int = 1,
    message_id: str | None = None,
    receipt_handle: str | None = None,
) -> dict[str, Any]:
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": receipt_handle or f"handle-{uuid.uuid4()}",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": "1732450000000",
            "SenderId": "AIDAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": "1732450000100",
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "eu-north-1",
    }


def from_received(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """An SQS event from messages received with ``receive_message`` (real receipt handles)."""
    return {
        "Records": [
            sqs_record(
                m["Body"],
                queue_arn,
                int(m.get("Attributes", {}).get("ApproximateReceiveCount", "1")),
                m["MessageId"],
                m["ReceiptHandle"],
            )
            for m in messages
        ]
    }
