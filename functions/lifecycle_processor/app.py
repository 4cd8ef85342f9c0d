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

from norce_integration.adapters.aws.sqs_documents import document_from_body
from norce_integration.adapters.aws.sqs_retry import retry_record_later
from norce_integration.failures import PermanentFailure, TransientFailure
from norce_integration.observability import LazyTracer
from norce_integration.settings import LifecycleSettings

if TYPE_CHECKING:
    from norce_integration.adapters.aws.wiring_lifecycle import LifecycleComponents

logger = Logger()
metrics = Metrics()
tracer = LazyTracer()
batch = SqsFifoPartialProcessor(skip_group_on_error=True)
# A Norce outage fails whole batches; report them as item failures (each has its own retry delay)
# instead of erroring the invocation, so the Errors alarm keeps meaning "a bug or a timeout".
batch.raise_on_entire_batch_failure = False


@cache
def components() -> "LifecycleComponents":
    """Built on the first record (boto3 and HTTP clients stay out of the import: cold start)."""
    from norce_integration.adapters.aws.wiring_lifecycle import build_lifecycle  # noqa: PLC0415

    return build_lifecycle(LifecycleSettings.from_env())


@tracer.capture_method(capture_response=False)
def process_record(record: SQSRecord) -> str:
    parts = components()
    try:
        document = document_from_body(record.body)
    except (ValueError, TypeError) as error:  # not a document message: no retry can fix it
        parts.dead_letters.park(record.body, f"unreadable document message ({type(error).__name__})")
        metrics.add_metric(name="DocumentsFailed", unit=MetricUnit.Count, value=1)
        logger.error("Unreadable message parked in the DLQ", extra={"message_id": record.message_id})
        return "parked"
    logger.set_correlation_id(document.client_order_ref)
    logger.append_keys(document=document.key.split("#", 1)[0], source=document.source)
    try:
        outcome = parts.processor.process(document)
    except TransientFailure as failure:
        delay = retry_record_later(
            parts.sqs, parts.settings.lifecycle_queue_url, record, failure.retry_after, parts.settings
        )
        metrics.add_metric(name="DocumentsRetried", unit=MetricUnit.Count, value=1)
        logger.warning(
            "Document will be retried", extra={"reason": failure.reason, "retry_in_seconds": delay}
        )
        raise
    except PermanentFailure as failure:
        parts.dead_letters.park(record.body, failure.reason, document.order_key, dedup=document.key)
        metrics.add_metric(name="DocumentsFailed", unit=MetricUnit.Count, value=1)
        logger.error("Document failed and was parked in the DLQ", extra={"reason": failure.reason})
        return "parked"
    metrics.add_metric(
        name=f"Documents{outcome.value.title().replace('_', '')}", unit=MetricUnit.Count, value=1
    )
    logger.info("Document processed", extra={"outcome": outcome.value})
    return outcome.value


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=process_record, processor=batch, context=context
    )
    return dict(response)
