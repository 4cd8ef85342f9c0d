"""order_processor: SQS orders queue -> ERP order -> Confirmed in Norce (one order per record).

Partial batch responses: a failing order never makes its neighbours retry. A transient failure
(ERP/Norce down, slow, throttling) comes back after a growing delay set through the message's
visibility; a permanent one (invalid order, no mapping rule) is recorded, parked on the DLQ with its
reason and alarmed, and replayed by redriving the DLQ once fixed.
"""

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from norce_integration.adapters.aws.sqs_consumer import ConsumerNames, QueueConsumer
from norce_integration.adapters.aws.sqs_queue import queued_order_from_body
from norce_integration.observability import LazyTracer
from norce_integration.orders.ledger import QueuedOrder
from norce_integration.processing.service import Processed

if TYPE_CHECKING:
    from norce_integration.bootstrap.processing import ProcessingComponents

logger = Logger()
metrics = Metrics()
tracer = LazyTracer()
# An ERP outage fails whole batches; report them as item failures (each already has its own retry
# delay) instead of erroring the invocation, so the Errors alarm keeps meaning "a bug or a timeout".
batch = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
METRICS = {
    Processed.CONFIRMED: "OrdersConfirmed",
    Processed.ALREADY_CONFIRMED: "OrdersAlreadyConfirmed",
    Processed.STALE: "OrdersStale",
}


@cache
def components() -> "ProcessingComponents":
    """Built on the first record (boto3 and HTTP clients stay out of the import: cold start)."""
    from norce_integration.bootstrap.processing import processing_from_env  # noqa: PLC0415

    return processing_from_env()


def _park(record: SQSRecord, order: QueuedOrder | None, reason: str) -> None:
    if order is None:
        components().dead_letters.park_body(record.body, reason)
    else:
        components().dead_letters.park(order, reason)


consumer = QueueConsumer(
    ConsumerNames("Order", "OrdersRetried", "OrdersFailed"), logger, metrics, queued_order_from_body, _park
)


def _process(message: QueuedOrder) -> str:
    logger.set_correlation_id(message.client_order_ref)
    result = components().processor.process(message)
    metrics.add_metric(name=METRICS[result.outcome], unit=MetricUnit.Count, value=1)
    if result.outcome is Processed.CONFIRMED and result.created:
        metrics.add_metric(name="ErpOrdersCreated", unit=MetricUnit.Count, value=1)
    logger.info(
        "Order processed", extra={"outcome": result.outcome.value, "erp_order_no": result.erp_order_no}
    )
    return result.outcome.value


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
        queue_url=parts.settings.orders_queue_url,
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
