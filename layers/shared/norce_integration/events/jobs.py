"""JobCompletedEvent: the end of a Norce import job, recorded on its ``JOB#{id}`` record.

A failed job (3 Failed, 4 Validation failed) reads ``Job/GetLog`` and keeps its error lines, so the person
on call sees why without Norce Admin; the processor counts it (``ImportJobsFailed``, alarmed).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from norce_integration.events.contracts import JobCompletedEvent
from norce_integration.events.outcomes import Handled, Outcome
from norce_integration.events.ports import JobLog, JobRecords
from norce_integration.imports.ports import FullImports
from norce_integration.norce.ports import NorceRejected, NorceUnavailable
from norce_integration.processing.errors import TransientFailure

JOB_STATUSES = {
    1: "Initialized",
    2: "Succeeded",
    3: "Failed",
    4: "ValidationFailed",
    5: "Validating",
    6: "Queued",
}
FAILED = (3, 4)
ERROR_SEVERITY = 3
MAX_ERROR_LINES = 50


@dataclass
class JobCompletion:
    """The end of a job, told by JobCompletedEvent or found by the job follower's ``Job/Get``."""

    jobs: JobRecords
    log: JobLog
    full_imports: FullImports | None = None
    clock: Callable[[], float] = field(default=time.time)

    def handle(self, event: JobCompletedEvent) -> Handled:
        return self.finish(event.JobId, event.StatusId)

    def finish(self, job_id: int, status_id: int) -> Handled:
        status = JOB_STATUSES.get(status_id, f"Status{status_id}")
        errors = self._errors(job_id) if status_id in FAILED else []
        recorded = self.jobs.complete(job_id, status, status_id, errors, self.clock())
        origin = "" if recorded else " (a job this integration did not start)"
        if status_id in FAILED:
            return Handled(Outcome.JOB_FAILED, f"job {job_id} {status}, {len(errors)} error lines{origin}")
        if recorded and recorded.mode == "full" and recorded.kind and self.full_imports:
            # A full import Norce completed is the shrink guard's reference; it supersedes failed ones.
            self.full_imports.full_succeeded(
                recorded.kind, recorded.records or 0, job_id, recorded.started_at or 0.0
            )
        return Handled(Outcome.JOB_SUCCEEDED, f"job {job_id} {status}{origin}")

    def _errors(self, job_id: int) -> list[str]:
        try:
            lines = self.log.job_log(job_id)
        except NorceUnavailable as error:
            raise TransientFailure(str(error), error.retry_after) from error
        except NorceRejected as error:
            return [f"Job/GetLog failed: {error}"]
        errors = []
        for line in lines:
            if int(line.get("SeverityId") or 0) >= ERROR_SEVERITY:
                row = line.get("ImportedRow")
                where = f"row {row}: " if row not in (None, "") else ""
                errors.append(f"{where}{line.get('Message') or ''}"[:500])
        return errors[:MAX_ERROR_LINES]
