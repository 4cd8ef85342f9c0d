"""A failed SQS message comes back after the backoff delay, set through its visibility timeout."""

from typing import Any, Protocol

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

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


class RetrySettings(Protocol):
    @property
    def retry_base_seconds(self) -> float: ...

    @property
    def retry_max_seconds(self) -> float: ...


def retry_record_later(
    sqs: Any, queue_url: str, record: SQSRecord, retry_after: float | None, settings: RetrySettings
) -> int:
    """``retry_later`` for a record of a Powertools batch, with the function's backoff settings."""
    return retry_later(
        sqs,
        queue_url,
        record.receipt_handle,
        receive_count=int(record.attributes.approximate_receive_count or 1),
        retry_after=retry_after,
        base_seconds=settings.retry_base_seconds,
        max_seconds=settings.retry_max_seconds,
    )
