"""One SQS record through a queue handler: read it, hand it to the flow, and when that fails either bring
it back later (transient: its visibility becomes the backoff delay) or park it on the DLQ with the reason
(permanent, and a message no code can read). The three queue processors share this step, so they differ
only in what they parse, what they call and how they count outcomes."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from norce_integration.adapters.aws.sqs_retry import RetrySettings, retry_record_later
from norce_integration.failures import PermanentFailure, TransientFailure

PARKED = "parked"


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

    def consume(
        self,
        record: SQSRecord,
        handle: Callable[[M], str],
        *,
        sqs: Any,
        queue_url: str,
        settings: RetrySettings,
    ) -> str:
        """``handle``'s outcome; ``"parked"`` when the message was parked; a transient failure is raised
        again (the record is a batch item failure) after its backoff delay was set."""
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
