"""norce_writeback: ERP codes of new customers/companies -> Norce, batched (ImportCustomers/ImportCompanies).

The write-back queue collects one message per code; this function receives them in large batches
(batching window) and sends one import per kind, companies before their contacts, so Norce's job queue
sees a few imports, not one per order. What could not be sent now (an import failed, a company Norce
Query does not know yet, a contact whose company's import is still running) is reported as a batch
item failure and comes back later; after the queue's receive limit it is parked in the DLQ (alarm).
"""

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from norce_integration.adapters.aws.sqs_processing import writeback_from_body
from norce_integration.adapters.aws.sqs_retry import retry_later
from norce_integration.observability import LazyTracer
from norce_integration.processing.ports import Writeback

if TYPE_CHECKING:
    from norce_integration.bootstrap.processing import ProcessingComponents

logger = Logger()
metrics = Metrics()
tracer = LazyTracer()


@cache
def components() -> "ProcessingComponents":
    """Built on the first record (boto3 and HTTP clients stay out of the import: cold start)."""
    from norce_integration.bootstrap.processing import processing_from_env  # noqa: PLC0415

    return processing_from_env()


def _retry_later(parts: "ProcessingComponents", record: dict[str, Any]) -> None:
    """A deferred code comes back after a growing delay (a contact waiting for its company's job needs
    seconds, not the queue's visibility timeout); best effort: without it, the timeout applies."""
    try:
        retry_later(
            parts.sqs,
            parts.settings.writeback_queue_url,
            record["receiptHandle"],
            receive_count=int(record.get("attributes", {}).get("ApproximateReceiveCount", "1")),
            retry_after=None,
            base_seconds=parts.settings.retry_base_seconds,
            max_seconds=parts.settings.retry_max_seconds,
        )
    except Exception:  # noqa: BLE001 - the message still comes back, later
        logger.warning("Could not shorten the retry delay of a write-back message")


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    received: list[tuple[dict[str, Any], Writeback]] = []
    for record in event.get("Records", []):
        try:
            received.append((record, writeback_from_body(record["body"])))
        except (ValueError, TypeError, KeyError):
            logger.error(
                "Unreadable write-back message dropped", extra={"message_id": record.get("messageId")}
            )
            metrics.add_metric(name="WritebacksUnreadable", unit=MetricUnit.Count, value=1)
    if not received:
        return {"batchItemFailures": []}
    parts = components()
    result = parts.writeback.send(item for _, item in received)
    for (kind, code), reason in result.deferred.items():
        logger.warning(
            "Code not written back yet; it will be retried",
            extra={"kind": kind, "code": code, "reason": reason},
        )
    deferred = [record for record, item in received if (item.kind, item.code) in result.deferred]
    for record in deferred:
        _retry_later(parts, record)
    failures = [{"itemIdentifier": record["messageId"]} for record in deferred]
    if failures:
        metrics.add_metric(name="WritebacksRetried", unit=MetricUnit.Count, value=len(failures))
    sent = len(received) - len(failures)
    if sent:
        metrics.add_metric(name="WritebackCodesSent", unit=MetricUnit.Count, value=sent)
    for job in result.jobs:
        logger.info(
            "Codes sent to Norce", extra={"kind": job.kind, "count": len(job.codes), "job_id": job.job_id}
        )
    return {"batchItemFailures": failures}
