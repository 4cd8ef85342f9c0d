"""event_processor: the events queue -> the flow of each type (``norce_integration.events.service``).

Order events send the customer one e-mail each (SES; once per type and order, ever; the buyer found through
Norce Query, the address checked); customer and company changes reach the ERP (Event -> Query -> ERP, with
the address, bursts coalesced, never over newer ERP data); JobCompletedEvent records the end of an import
job and its errors; InvoiceCaptureCompletedEvent goes onto the order's trail (``State: Error`` alarmed).
Partial batch responses: a transient failure (Query, SES or the ERP down) comes back after a growing delay,
then lands on the DLQ after the queue's maxReceiveCount; a permanent one is parked on the DLQ at once with
its reason. Both are alarmed; redrive the DLQ to replay.
"""

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from norce_integration.adapters.aws.sqs_consumer import ConsumerNames, QueueConsumer
from norce_integration.events.envelope import QueuedEvent
from norce_integration.events.outcomes import Outcome
from norce_integration.observability import LazyTracer
from norce_integration.settings import EventProcessorSettings

if TYPE_CHECKING:
    from norce_integration.bootstrap.events import ProcessorComponents

logger = Logger()
metrics = Metrics()
tracer = LazyTracer()
batch = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
METRICS = {
    Outcome.SENT: "EventsSent",
    Outcome.ALREADY_SENT: "EventsAlreadySent",
    Outcome.IN_DOUBT: "EventsInDoubt",
    Outcome.NO_RECIPIENT: "EventsNoRecipient",
    Outcome.INVALID_RECIPIENT: "EventsInvalidRecipient",
    Outcome.FILTERED: "EventsFiltered",
    Outcome.COALESCED: "EventsCoalesced",
    Outcome.UNCHANGED: "EventsUnchanged",
    Outcome.UPDATED: "EventsUpdated",
    Outcome.NO_CODE: "EventsNoCode",
    Outcome.NOT_IN_NORCE: "EventsNotInNorce",
    Outcome.ERP_NEWER: "EventsErpNewer",
    Outcome.JOB_SUCCEEDED: "EventsJobSucceeded",
    Outcome.JOB_FAILED: "EventsJobFailed",
    Outcome.JOB_FOREIGN: "EventsJobForeign",
    Outcome.JOB_RUNNING: "EventsJobRunning",
    Outcome.IGNORED: "EventsIgnored",
    Outcome.CAPTURED: "EventsInvoiceCaptured",
    Outcome.CAPTURE_FAILED: "EventsInvoiceCaptureFailed",
    Outcome.REPEATED: "EventsRepeated",
}
ALARMED = {
    Outcome.JOB_FAILED: "ImportJobsFailed",
    Outcome.IN_DOUBT: "NotificationsInDoubt",
    Outcome.CAPTURE_FAILED: "InvoiceCaptureFailed",  # the payment provider did not collect the money
}


@cache
def components() -> "ProcessorComponents":
    from norce_integration.bootstrap.events import build_event_processor  # noqa: PLC0415

    return build_event_processor(EventProcessorSettings.from_env())


def _correlation(event: QueuedEvent) -> str:
    body = event.body
    for name in ("ClientOrderRef", "CustomerId", "CompanyId", "JobId", "OrderId", "CapturedInvoiceId"):
        if body.get(name) not in (None, ""):
            return f"{name}:{body[name]}"
    return event.event_key


def _park(record: SQSRecord, event: QueuedEvent | None, reason: str) -> None:
    components().dead_letters.park(record.body, reason)


consumer = QueueConsumer(
    ConsumerNames("Event", "EventsRetried", "EventsFailed"), logger, metrics, QueuedEvent.from_json, _park
)


def _process(event: QueuedEvent) -> str:
    logger.set_correlation_id(_correlation(event))
    logger.append_keys(event_type=event.event_type)
    handled = components().processor.process(event)
    metrics.add_metric(name=METRICS[handled.outcome], unit=MetricUnit.Count, value=1)
    if handled.outcome in ALARMED:
        metrics.add_metric(name=ALARMED[handled.outcome], unit=MetricUnit.Count, value=1)
    log = logger.warning if handled.outcome in ALARMED else logger.info
    log("Event handled", extra={"outcome": handled.outcome.value, "detail": handled.detail})
    return handled.outcome.value


@tracer.capture_method(capture_response=False)
def process_record(record: SQSRecord, lambda_context: LambdaContext | None = None) -> str:
    """One record; with the invocation's context (Powertools passes it), one there is too little time left
    for is given back unstarted rather than cut off by the timeout."""
    parts = components()
    return consumer.consume(
        record,
        _process,
        sqs=parts.sqs,
        context=lambda_context,
        queue_url=parts.settings.events_queue_url,
        settings=parts.settings,
    )


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=process_record, processor=batch, context=context
    )
    return dict(response)
