"""lifecycle_processor: the lifecycle queue (SQS FIFO, one group per order) -> Norce Connect.

Statuses, delivery notes, invoices and credit payments reach Norce exactly once and in order (see
``norce_integration.lifecycle.service``). Partial batch responses, per order: a document that fails
holds back the later documents of its order only (``skip_group_on_error``), never other orders. A
transient failure (Norce down, throttling, the order not confirmed yet) comes back after a growing
delay; a permanent one (Norce refused it, a credit above what was invoiced, waited too long) is
recorded on the order, parked on the DLQ with its reason and alarmed; redrive the DLQ to replay it.
"""

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from norce_integration.adapters.aws.sqs_consumer import ConsumerNames, QueueConsumer
from norce_integration.adapters.aws.sqs_documents import document_from_body
from norce_integration.lifecycle.documents import QueuedDocument
from norce_integration.lifecycle.service import Sent
from norce_integration.observability import LazyTracer
from norce_integration.settings import LifecycleSettings

if TYPE_CHECKING:
    from norce_integration.bootstrap.lifecycle import LifecycleComponents

logger = Logger()
metrics = Metrics()
tracer = LazyTracer()
batch = SqsFifoPartialProcessor(skip_group_on_error=True)
# A Norce outage fails whole batches; report them as item failures (each has its own retry delay)
# instead of erroring the invocation, so the Errors alarm keeps meaning "a bug or a timeout".
batch.raise_on_entire_batch_failure = False
METRICS = {
    Sent.SENT: "DocumentsSent",
    Sent.FOUND_IN_NORCE: "DocumentsFoundInNorce",
    Sent.REPEAT: "DocumentsRepeat",
    Sent.SKIPPED: "DocumentsSkipped",
}


@cache
def components() -> "LifecycleComponents":
    """Built on the first record (boto3 and HTTP clients stay out of the import: cold start)."""
    from norce_integration.bootstrap.lifecycle import build_lifecycle  # noqa: PLC0415

    return build_lifecycle(LifecycleSettings.from_env())


def _park(record: SQSRecord, document: QueuedDocument | None, reason: str) -> None:
    if document is None:
        components().dead_letters.park(record.body, reason)
    else:
        # unique per delivery: a replayed document parked again within SQS's five minutes is kept too
        dedup = f"{document.key}#{record.message_id}"
        components().dead_letters.park(record.body, reason, document.order_key, dedup=dedup)


consumer = QueueConsumer(
    ConsumerNames("Document", "DocumentsRetried", "DocumentsFailed"),
    logger,
    metrics,
    document_from_body,
    _park,
)


def _process(document: QueuedDocument) -> str:
    logger.set_correlation_id(document.client_order_ref)
    logger.append_keys(document=document.key.split("#", 1)[0], source=document.source)
    outcome = components().processor.process(document)
    metrics.add_metric(name=METRICS[outcome], unit=MetricUnit.Count, value=1)
    logger.info("Document processed", extra={"outcome": outcome.value})
    return outcome.value


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
        queue_url=parts.settings.lifecycle_queue_url,
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
