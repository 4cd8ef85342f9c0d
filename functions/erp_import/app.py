"""erp_import: scheduled (and manual) customer and company imports from the ERP into Norce.

Input (EventBridge Scheduler, or a manual invoke): ``{"entity": "customers"|"companies", "mode":
"full"|"delta", "force": false}`` runs one import (``norce_integration.imports.service``): streamed from
the ERP to ImportCustomers/ImportCompanies, one entity at a time, the delta watermark moved only once Norce
has the job, a full import refused by the shrink guard unless forced. ``{"action": "follow-jobs"}`` polls
``Job/Get`` for the jobs not known to be finished. The answer is the run's summary (also stored), with
the rows Norce's validation refused (``NorceValidationFailures``, alarmed).
"""

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from norce_integration.imports.config import RunRequest
from norce_integration.observability import LazyTracer
from norce_integration.settings import ImportSettings

if TYPE_CHECKING:
    from norce_integration.bootstrap.imports import ImportComponents

logger = Logger()
metrics = Metrics()
tracer = LazyTracer()
OUTCOME_METRICS = {
    "failed": "ImportRunsFailed",
    "refused_by_shrink_guard": "ImportShrinkGuardTripped",
    "locked": "ImportRunsLocked",
}


@cache
def components() -> "ImportComponents":
    from norce_integration.bootstrap.imports import build_import  # noqa: PLC0415

    return build_import(ImportSettings.from_env())


def follow_jobs() -> dict[str, Any]:
    report = components().follower.follow()
    for name, jobs in (("ImportJobsFailed", report.failed), ("ImportJobsLate", report.late)):
        if jobs:
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=len(jobs))
    log = logger.warning if report.failed or report.late else logger.info
    log("Import jobs followed", extra={"report": report.__dict__})
    return dict(report.__dict__)


def run_import(event: dict[str, Any]) -> dict[str, Any]:
    try:
        request = RunRequest.parse(event)
    except ValueError as error:
        metrics.add_metric(name="ImportRunsInvalid", unit=MetricUnit.Count, value=1)
        logger.error("Import input refused", extra={"reason": str(error)})
        return {"outcome": "invalid_input", "reason": str(error)}
    logger.append_keys(entity=request.entity.value, mode=request.mode.value, force=request.force)
    summary = components().runner.run(request)
    if summary.job_ids:
        logger.set_correlation_id(",".join(str(job) for job in summary.job_ids))
    metrics.add_metric(name="ImportRecordsSent", unit=MetricUnit.Count, value=summary.sent)
    metrics.add_metric(
        name="ImportRecordsSkipped", unit=MetricUnit.Count, value=sum(summary.skipped.values())
    )
    if summary.outcome in OUTCOME_METRICS:
        metrics.add_metric(name=OUTCOME_METRICS[summary.outcome], unit=MetricUnit.Count, value=1)
    if summary.validation_failures:  # rows Norce's validation refused: a warning, alarmed
        metrics.add_metric(
            name="NorceValidationFailures", unit=MetricUnit.Count, value=summary.validation_failures
        )
    good = summary.outcome in ("sent", "nothing_to_send")
    log = logger.error if not good else logger.warning if summary.validation_failures else logger.info
    log("Import run finished", extra={"summary": summary.as_dict()})
    return summary.as_dict()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if isinstance(event, dict) and event.get("action") == "follow-jobs":
        return follow_jobs()
    return run_import(event if isinstance(event, dict) else {})
