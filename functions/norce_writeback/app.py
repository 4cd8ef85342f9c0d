"""norce_writeback: ERP codes of new customers/companies -> Norce, batched (ImportCustomers/ImportCompanies).

The write-back queue collects one message per code; this function receives them in large batches
(batching window) and sends one import per kind, so Norce's job queue sees a few imports, not one per
order. If an import fails, only that kind's messages are reported as failed and come back later.
"""

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from norce_integration.adapters.aws.sqs_processing import writeback_from_body
from norce_integration.norce.ports import NorceError
from norce_integration.observability import LazyTracer
from norce_integration.processing.ports import Writeback

if TYPE_CHECKING:
    from norce_integration.adapters.aws.wiring import ProcessingComponents

logger = Logger()
metrics = Metrics()
tracer = LazyTracer()


@cache
def components() -> "ProcessingComponents":
    """Built on the first record (boto3 and HTTP clients stay out of the import: cold start)."""
    from norce_integration.adapters.aws.wiring import processing_from_env  # noqa: PLC0415

    return processing_from_env()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    by_kind: dict[str, list[tuple[str, Writeback]]] = {"customer": [], "company": []}
    failures: list[dict[str, str]] = []
    for record in event.get("Records", []):
        try:
            item = writeback_from_body(record["body"])
        except (ValueError, TypeError, KeyError):
            logger.error(
                "Unreadable write-back message dropped", extra={"message_id": record.get("messageId")}
            )
            metrics.add_metric(name="WritebacksUnreadable", unit=MetricUnit.Count, value=1)
            continue
        by_kind[item.kind].append((record["messageId"], item))
    service = components().writeback
    for kind, entries in by_kind.items():
        if not entries:
            continue
        try:
            jobs = service.send([item for _, item in entries])
        except NorceError as error:
            logger.warning(
                "Norce import failed; the codes will be retried", extra={"kind": kind, "reason": str(error)}
            )
            metrics.add_metric(name="WritebacksRetried", unit=MetricUnit.Count, value=len(entries))
            failures += [{"itemIdentifier": message_id} for message_id, _ in entries]
            continue
        metrics.add_metric(name="WritebackCodesSent", unit=MetricUnit.Count, value=len(entries))
        logger.info(
            "Codes sent to Norce",
            extra={"kind": kind, "count": len(entries), "job_ids": [job.job_id for job in jobs]},
        )
    return {"batchItemFailures": failures}
