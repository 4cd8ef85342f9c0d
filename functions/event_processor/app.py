"""event_processor: the events queue -> the flow of each type (``norce_integration.events.service``).

Order events send the customer one e-mail each (SES; once per type and order, ever); customer and company
changes reach the ERP (Event -> Query -> ERP, bursts coalesced, never over newer ERP data); JobCompletedEvent
records the end of an import job and its errors. Partial batch responses: a transient failure (Query, SES or
the ERP down) comes back after a growing delay, then lands on the DLQ after the queue's maxReceiveCount; a
permanent one is parked on the DLQ at once with its reason. Both are alarmed; redrive the DLQ to replay.
"""

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from norce_integration.adapters.aws.sqs_retry import retry_record_later
from norce_integration.events.envelope import QueuedEvent
from norce_integration.events.outcomes import Outcome
from norce_integration.failures import PermanentFailure, TransientFailure
from norce_integration.observability import LazyTracer
from norce_integration.settings import EventProcessorSettings

if TYPE_CHECKING:
    from norce_integration.adapters.aws.wiring_events import ProcessorComponents

logger = Logger()
metrics = Metrics()
tracer = LazyTracer()
batch = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
ALARMED = {Outcome.JOB_FAILED: "ImportJobsFailed", Outcome.IN_DOUBT: "NotificationsInDoubt"}


@cache
def components() -> "ProcessorComponents":
    from norce_integration.adapters.aws.wiring_events import build_event_processor  # noqa: PLC0415

    return build_event_processor(EventProcessorSettings.from_env())


def _correlation(event: QueuedEvent) -> str:
    body = event.body
    for name in ("ClientOrderRef", "CustomerId", "CompanyId", "JobId", "OrderId"):
        if body.get(name) not in (None, ""):
            return f"{name}:{body[name]}"
    return event.event_key


@tracer.capture_method(capture_response=False)
def process_record(record: SQSRecord) -> str:
    parts = components()
    try:
        event = QueuedEvent.from_json(record.body)
    except (ValueError, TypeError, KeyError) as error:  # not an event message: no retry can fix it
        parts.dead_letters.park(record.body, f"unreadable event message ({type(error).__name__})")
        metrics.add_metric(name="EventsFailed", unit=MetricUnit.Count, value=1)
        logger.error("Unreadable message parked in the DLQ", extra={"message_id": record.message_id})
        return "parked"
    logger.set_correlation_id(_correlation(event))
    logger.append_keys(event_type=event.event_type)
    try:
        handled = parts.processor.process(event)
    except TransientFailure as failure:
        delay = retry_record_later(
            parts.sqs, parts.settings.events_queue_url, record, failure.retry_after, parts.settings
        )
        metrics.add_metric(name="EventsRetried", unit=MetricUnit.Count, value=1)
        logger.warning("Event will be retried", extra={"reason": failure.reason, "retry_in_seconds": delay})
        raise
    except PermanentFailure as failure:
        parts.dead_letters.park(record.body, failure.reason)
        metrics.add_metric(name="EventsFailed", unit=MetricUnit.Count, value=1)
        logger.error("Event failed and was parked in the DLQ", extra={"reason": failure.reason})
        return "parked"
    name = "".join(part.capitalize() for part in handled.outcome.value.split("_"))
    metrics.add_metric(name=f"Events{name}", unit=MetricUnit.Count, value=1)
    if handled.outcome in ALARMED:
        metrics.add_metric(name=ALARMED[handled.outcome], unit=MetricUnit.Count, value=1)
    log = logger.warning if handled.outcome in ALARMED else logger.info
    log("Event handled", extra={"outcome": handled.outcome.value, "detail": handled.detail})
    return handled.outcome.value


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=process_record, processor=batch, context=context
    )
    return dict(response)
