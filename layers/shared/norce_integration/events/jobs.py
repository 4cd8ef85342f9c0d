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
    jobs: JobRecords
    log: JobLog
    clock: Callable[[], float] = field(default=time.time)

    def handle(self, event: JobCompletedEvent) -> Handled:
        status = JOB_STATUSES.get(event.StatusId, f"Status{event.StatusId}")
        errors = self._errors(event.JobId) if event.StatusId in FAILED else []
        ours = self.jobs.complete(event.JobId, status, event.StatusId, errors, self.clock())
        origin = "" if ours else " (a job this integration did not start)"
        if event.StatusId in FAILED:
            return Handled(
                Outcome.JOB_FAILED, f"job {event.JobId} {status}, {len(errors)} error lines{origin}"
            )
        return Handled(Outcome.JOB_SUCCEEDED, f"job {event.JobId} {status}{origin}")

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
