"""One SQS record through a queue handler: read it, hand it to the flow, and when that fails either bring
it back later (transient: its visibility becomes the backoff delay) or park it on the DLQ with the reason
(permanent, and a message no code can read). The three queue processors share this step, so they differ
only in what they parse, what they call and how they count outcomes.

A record the invocation has too little time left to finish is not started: it is given back to the queue at
once (visible again), untouched, instead of being cut off by the function's timeout, which would fail the
whole batch, hold its records until their visibility timeout and leave a lease or lock behind. The time a
record may take is learnt from the records before it; the first record of an invocation is always started.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from norce_integration.adapters.aws.sqs_retry import RetrySettings, retry_record_later
from norce_integration.failures import PermanentFailure, TransientFailure

PARKED = "parked"
MIN_RESERVE_SECONDS = 1.0  # never start a record with less time than this left
RESERVE_FACTOR = 1.5  # x the longest recent record
DECAY = 0.9  # per record: a slow record's weight fades over ~20 records


class OutOfTime(Exception):
    """The record was given back unstarted: too little time was left in the invocation."""


@dataclass(frozen=True)
class ConsumerNames:
    """How a consumer speaks: the message's noun in log lines, and its two failure metrics (spelt out, so
    a metric can be found with grep)."""

    noun: str  # "Order", "Document", "Event"
    retried_metric: str  # e.g. "OrdersRetried"
    failed_metric: str  # e.g. "OrdersFailed" (parked: alarmed)


@dataclass
class QueueConsumer[M]:
    names: ConsumerNames
    logger: Logger
    metrics: Metrics
    parse: Callable[[str], M]
    park: Callable[[SQSRecord, M | None, str], None]  # (record, message or None if unreadable, reason)
    longest_seconds: float = field(default=0.0, init=False)  # recent records' longest, decaying
    _invocation: str | None = field(default=None, init=False)

    def consume(
        self,
        record: SQSRecord,
        handle: Callable[[M], str],
        *,
        sqs: Any,
        queue_url: str,
        settings: RetrySettings,
        context: Any = None,
    ) -> str:
        """``handle``'s outcome; ``"parked"`` when the message was parked; a transient failure is raised
        again (the record is a batch item failure) after its backoff delay was set. With the invocation's
        ``context``, a record there is too little time left for is given back unstarted (``OutOfTime``)."""
        if context is not None and self._out_of_time(context):
            sqs.change_message_visibility(
                QueueUrl=queue_url, ReceiptHandle=record.receipt_handle, VisibilityTimeout=0
            )
            self.logger.set_correlation_id(None)  # not the previous record's
            self.logger.warning(
                f"{self.names.noun} given back unstarted: too little time left in this invocation",
                extra={"message_id": record.message_id, "reserve_seconds": round(self._reserve(), 1)},
            )
            raise OutOfTime(record.message_id)
        started = time.monotonic()
        try:
            return self._consume(record, handle, sqs=sqs, queue_url=queue_url, settings=settings)
        finally:
            self.longest_seconds = max(time.monotonic() - started, self.longest_seconds * DECAY)

    def _reserve(self) -> float:
        return max(MIN_RESERVE_SECONDS, RESERVE_FACTOR * self.longest_seconds)

    def _out_of_time(self, context: Any) -> bool:
        """Whether to give the record back: never the invocation's first, else when what is left is less
        than the reserve."""
        if context.aws_request_id != self._invocation:
            self._invocation = context.aws_request_id
            return False
        return bool(context.get_remaining_time_in_millis() / 1000 < self._reserve())

    def _consume(
        self,
        record: SQSRecord,
        handle: Callable[[M], str],
        *,
        sqs: Any,
        queue_url: str,
        settings: RetrySettings,
    ) -> str:
        try:
            message = self.parse(record.body)
        except (ValueError, TypeError, KeyError) as error:  # not our message: no retry can fix it
            self.park(record, None, f"unreadable {self.names.noun.lower()} message ({type(error).__name__})")
            self._count(self.names.failed_metric)
            self.logger.error("Unreadable message parked in the DLQ", extra={"message_id": record.message_id})
            return PARKED
        try:
            return handle(message)
        except TransientFailure as failure:
            delay = retry_record_later(sqs, queue_url, record, failure.retry_after, settings)
            self._count(self.names.retried_metric)
            self.logger.warning(
                f"{self.names.noun} will be retried",
                extra={
                    "reason": failure.reason,
                    "retry_in_seconds": delay,
                    "receive_count": int(record.attributes.approximate_receive_count or 1),
                },
            )
            raise
        except PermanentFailure as failure:
            self.park(record, message, failure.reason)
            self._count(self.names.failed_metric)
            self.logger.error(
                f"{self.names.noun} failed and was parked in the DLQ", extra={"reason": failure.reason}
            )
            return PARKED

    def _count(self, name: str) -> None:
        self.metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
