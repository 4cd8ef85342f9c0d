"""erp_poll: for an ERP that cannot push, on a schedule (EventBridge Scheduler): read the ERP's change
feed since the watermark and queue each document as a push would (``lifecycle.poll.DocumentPoll``).

An ERP outage ends the run with the watermark saved where it stopped; the next run goes on from there.
Documents passed over (another channel's order, a broken document, more than its order allows, a changed
version of a document already taken) are logged and counted (``DocumentsPassedOver``, alarmed); those of
an order not known yet are remembered and tried again next run (``DocumentsPending``).
"""

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from norce_integration.observability import LazyTracer
from norce_integration.settings import ErpPollSettings

if TYPE_CHECKING:
    from norce_integration.lifecycle.poll import DocumentPoll

logger = Logger()
metrics = Metrics()
tracer = LazyTracer()


@cache
def poll() -> "DocumentPoll":
    from norce_integration.bootstrap.lifecycle import build_poll  # noqa: PLC0415 - cold start

    return build_poll(ErpPollSettings.from_env())


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = poll().run()
    metrics.add_metric(name="DocumentsPolled", unit=MetricUnit.Count, value=len(result.queued))
    metrics.add_metric(name="DocumentsPassedOver", unit=MetricUnit.Count, value=len(result.passed_over))
    metrics.add_metric(name="DocumentsPending", unit=MetricUnit.Count, value=len(result.pending))
    for number, reason in result.passed_over.items():
        logger.warning("ERP document passed over", extra={"document_no": number, "reason": reason})
    summary = {
        "queued": result.queued,
        "passedOver": result.passed_over,
        "pending": result.pending,
        "waitingAt": result.waiting,
        "watermark": result.watermark.isoformat() if result.watermark else None,
        "more": result.more,
    }
    logger.info("ERP change feed polled", extra=summary)
    return summary
