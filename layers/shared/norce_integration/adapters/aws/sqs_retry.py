"""A failed SQS message comes back after the backoff delay, set through its visibility timeout."""

from typing import Any

from norce_integration.processing.retry import backoff_seconds


def retry_later(
    sqs: Any,
    queue_url: str,
    receipt_handle: str,
    *,
    receive_count: int,
    retry_after: float | None,
    base_seconds: float,
    max_seconds: float,
) -> int:
    """Hide the message for the delay of its ``receive_count``-th delivery (never below ``retry_after``);
    returns the delay in seconds."""
    delay = backoff_seconds(receive_count, retry_after, base_seconds, max_seconds)
    sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=delay)
    return delay
