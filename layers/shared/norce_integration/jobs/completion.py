"""The end of a Norce import job, recorded on its ``JOB#{id}`` record, however it was learnt: Norce's
JobCompletedEvent or the follower's ``Job/Get``.

A failed job (3 Failed, 4 Validation failed) reads ``Job/GetLog`` and keeps its error lines, so the person
on call sees why without Norce Admin; the caller counts it (``ImportJobsFailed``, alarmed).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from norce_integration.contracts.connect import JobStatus
from norce_integration.failures import TransientFailure
from norce_integration.jobs.ports import FullImports, JobLog, JobRecords
from norce_integration.norce.ports import NorceRejected, NorceUnavailable

ERROR_SEVERITY = 3
MAX_ERROR_LINES = 50


@dataclass(frozen=True, slots=True)
class JobEnd:
    """What completing a job came to: ``failed`` (Failed or ValidationFailed), and why, for the log."""

    failed: bool
    detail: str


@dataclass
class JobCompletion:
    jobs: JobRecords
    log: JobLog
    full_imports: FullImports | None = None
    clock: Callable[[], float] = field(default=time.time)

    def finish(self, job_id: int, status_id: int) -> JobEnd:
        status = JobStatus.label_of(status_id)
        failed = status_id in (JobStatus.FAILED, JobStatus.VALIDATION_FAILED)
        errors = self._errors(job_id) if failed else []
        recorded = self.jobs.complete(job_id, status, status_id, errors, self.clock())
        origin = "" if recorded else " (a job this integration did not start)"
        if failed:
            return JobEnd(True, f"job {job_id} {status}, {len(errors)} error lines{origin}")
        if recorded and recorded.mode == "full" and recorded.kind and self.full_imports:
            # A full import Norce completed is the shrink guard's reference; it supersedes failed ones.
            self.full_imports.full_succeeded(
                recorded.kind, recorded.records or 0, job_id, recorded.started_at or 0.0
            )
        return JobEnd(False, f"job {job_id} {status}{origin}")

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
