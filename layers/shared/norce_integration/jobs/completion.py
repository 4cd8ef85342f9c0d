"""The end of a Norce import job, recorded on its ``JOB#{id}`` record, however it was learnt: Norce's
JobCompletedEvent or the follower's ``Job/Get``.

Norce tells of the end of **every** job, also of other integrations' imports: a job this integration did
not start is noted (``note_foreign``) and never counted as one of ours that failed. One of ours that
failed (3 Failed, 4 Validation failed) reads ``Job/GetLog`` and keeps its error lines, so the person on call
sees why without Norce Admin; the caller counts it (``ImportJobsFailed``, alarmed).

A full import's end moves the shrink guard's reference to what Norce **applied**, whatever the job's final
status: a job that ended Failed because Norce refused some rows (customers linked to a company it does not
hold, as real imports often do) still applied the others, and deactivated what it did not name.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from norce_integration.contracts.connect import Job, JobStatus
from norce_integration.failures import TransientFailure
from norce_integration.jobs.ports import FullImports, JobRecords, JobService, RecordedJob
from norce_integration.norce.ports import NorceRejected, NorceUnavailable

ERROR_SEVERITY = 3
MAX_ERROR_LINES = 50


@dataclass(frozen=True, slots=True)
class JobEnd:
    """What completing a job came to: ``failed`` (one of ours, Failed or ValidationFailed), ``foreign``
    (not ours: acknowledged, never alarmed), ``finished`` (false: Norce told of a status that is not an
    end, the follower goes on polling), and why, for the log."""

    failed: bool
    detail: str
    foreign: bool = False
    finished: bool = True


@dataclass
class JobCompletion:
    jobs: JobRecords
    norce: JobService
    full_imports: FullImports | None = None
    clock: Callable[[], float] = field(default=time.time)

    def finish(self, job_id: int, status_id: int, job: Job | None = None) -> JobEnd:
        """Record the end Norce told of (``job``: its ``Job/Get``, when the follower already read it)."""
        status = JobStatus.label_of(status_id)
        failed = status_id in (JobStatus.FAILED, JobStatus.VALIDATION_FAILED)
        final = failed or status_id == JobStatus.SUCCEEDED
        recorded = self.jobs.recorded(job_id)
        if recorded is None:
            recorded = self.jobs.note_foreign(job_id, status, status_id, self.clock()) if final else None
            if recorded is None:
                return JobEnd(False, f"job {job_id} {status}: a job this integration did not start", True)
        if not final:
            return JobEnd(False, f"job {job_id} is {status}, not finished: followed on", finished=False)
        if recorded.finished:  # the event and the follower both learnt it: recorded (and counted) once
            return JobEnd(False, f"job {job_id} {status}: its end was already recorded ({recorded.status})")
        lines = self._log(job_id) if failed else []
        errors = _error_lines(lines)
        applied = self._applied(job_id, status_id, recorded, lines, job) if recorded.mode == "full" else None
        self.jobs.complete(job_id, status, status_id, errors, self.clock(), applied=applied)
        if applied and recorded.kind and self.full_imports:
            # What Norce applied of a full import is what it holds now: the shrink guard's reference.
            self.full_imports.full_applied(recorded.kind, applied, job_id, recorded.started_at or 0.0)
        of = f", {applied} of {recorded.records} records applied" if applied is not None else ""
        if failed:
            return JobEnd(True, f"job {job_id} {status}, {len(errors)} error lines{of}")
        return JobEnd(False, f"job {job_id} {status}{of}")

    def _log(self, job_id: int) -> list[dict[str, Any]]:
        try:
            return self.norce.job_log(job_id)
        except NorceUnavailable as error:
            raise TransientFailure(str(error), error.retry_after) from error
        except NorceRejected as error:
            return [{"SeverityId": ERROR_SEVERITY, "Message": f"Job/GetLog failed: {error}"}]

    def _applied(
        self, job_id: int, status_id: int, recorded: RecordedJob, lines: list[dict[str, Any]], job: Job | None
    ) -> int | None:
        """How many of the import's records Norce applied: all of a Succeeded job; else ``Job/Get``'s
        ``Totals - Fail`` (or ``Insert + Updates``), else the records less the rows its log refused."""
        records = recorded.records
        if status_id == JobStatus.SUCCEEDED:
            return records
        if job is None:
            try:
                job = self.norce.get_job(job_id)
            except NorceUnavailable as error:
                raise TransientFailure(str(error), error.retry_after) from error
            except NorceRejected:
                job = None
        if job is not None:
            total = job.Totals if job.Totals is not None else records
            if job.Fail is not None and total is not None:
                return max(total - job.Fail, 0)
            if job.Insert is not None or job.Updates is not None:
                return (job.Insert or 0) + (job.Updates or 0)
        if records is None:
            return None
        refused = {str(line.get("ImportedRow")) for line in lines if _is_error(line) and _row(line)}
        return max(records - len(refused), 0)


def _is_error(line: dict[str, Any]) -> bool:
    try:
        return int(line.get("SeverityId") or 0) >= ERROR_SEVERITY
    except (TypeError, ValueError):
        return False


def _row(line: dict[str, Any]) -> str:
    row = line.get("ImportedRow")
    return "" if row in (None, "") else str(row)


def _error_lines(lines: list[dict[str, Any]]) -> list[str]:
    errors = []
    for line in lines:
        if _is_error(line):
            where = f"row {_row(line)}: " if _row(line) else ""
            errors.append(f"{where}{line.get('Message') or ''}"[:500])
    return errors[:MAX_ERROR_LINES]
