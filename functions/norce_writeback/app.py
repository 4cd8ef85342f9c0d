"""norce_writeback: ERP codes of new customers/companies -> Norce, batched (ImportCustomers/ImportCompanies).

The write-back queue collects one message per code; this function receives them in large batches
(batching window) and sends one import per kind, companies before their contacts, each by Norce's own Id,
so Norce's job queue sees a few imports, not one per order. What could not be sent now (an import failed,
an order or company Norce Query does not know yet, a contact whose company's import is still running) is
reported as a batch item failure and comes back later; after the queue's receive limit it is parked in the
DLQ (alarm), and on that last attempt the order's trail says why. What can never be written back (a guest
buyer, a reference that is no basket id, an order without ApplicationKey) is done: its trail says why.
Rows Norce's validation refused (the JobResponse's ValidationSummary) are a warning and
``NorceValidationFailures`` (alarmed).
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
            receive_count=_receive_count(record),
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
    receives = {id(item): _receive_count(record) for record, item in received}
    last = parts.settings.writeback_max_receives
    result = parts.writeback.send(
        (item for _, item in received), last_attempt=lambda item: receives.get(id(item), 1) >= last
    )
    for (kind, code), reason in result.deferred.items():
        logger.warning(
            "Code not written back yet; it will be retried",
            extra={"kind": kind, "code": code, "reason": reason},
        )
    if result.trails_not_noted:
        logger.warning(
            "Could not note the write-back on the trails", extra={"orders": result.trails_not_noted}
        )
    for (kind, code), reason in result.not_written_back.items():
        logger.warning(
            "Code not written back: Norce cannot be given it",
            extra={"kind": kind, "code": code, "reason": reason},
        )
    if result.not_written_back:
        metrics.add_metric(
            name="WritebackCodesNotWrittenBack", unit=MetricUnit.Count, value=len(result.not_written_back)
        )
    deferred = [record for record, item in received if (item.kind, item.code) in result.deferred]
    for record in deferred:
        _retry_later(parts, record)
    failures = [{"itemIdentifier": record["messageId"]} for record in deferred]
    if failures:
        metrics.add_metric(name="WritebacksRetried", unit=MetricUnit.Count, value=len(failures))
    sent = sum(len(job.codes) for job in result.jobs)
    if sent:
        metrics.add_metric(name="WritebackCodesSent", unit=MetricUnit.Count, value=sent)
    for job in result.jobs:
        extra = {
            "kind": job.kind,
            "count": len(job.codes),
            "job_id": job.job_id,
            "validation": job.validation,
        }
        refused = (job.validation or {}).get("failures") or 0
        if refused:
            metrics.add_metric(name="NorceValidationFailures", unit=MetricUnit.Count, value=refused)
            logger.warning("Codes sent to Norce, whose validation refused some", extra=extra)
        else:
            logger.info("Codes sent to Norce", extra=extra)
    return {"batchItemFailures": failures}


def _receive_count(record: dict[str, Any]) -> int:
    try:
        return int(record.get("attributes", {}).get("ApproximateReceiveCount", "1"))
    except (TypeError, ValueError):
        return 1
