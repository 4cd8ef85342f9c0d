"""What job tracking needs from the outside world: the job records, Norce's job service, and the one
consumer of a completed full import (the shrink guard's reference)."""

from dataclasses import dataclass
from typing import Any, Protocol

from norce_integration.contracts.connect import Job


@dataclass(frozen=True, slots=True)
class RecordedJob:
    """What ``JOB#{id}`` says of a job this integration started: ``kind`` customers/companies (or
    customer/company for the write-back), ``mode`` full/delta/write-back, how many records it carried,
    when it was started, its ``status`` label so far, and whether its end is already recorded."""

    kind: str | None
    mode: str | None
    records: int | None
    started_at: float | None
    status: str | None = None
    finished: bool = False


class JobRecords(Protocol):
    """``JOB#{id}`` records and the open jobs the follower polls."""

    def recorded(self, job_id: int) -> RecordedJob | None:
        """The record of a job this integration started; None for any other job (Norce tells of every
        job, also another integration's, and of ours before we recorded it: the follower finds those)."""
        ...

    def complete(
        self,
        job_id: int,
        status: str,
        status_id: int,
        errors: list[str],
        at: float,
        *,
        applied: int | None = None,
    ) -> None:
        """Record the end of a job we started (and take it off the open jobs); ``applied``: the rows Norce
        applied, when known."""
        ...

    def note_foreign(self, job_id: int, status: str, status_id: int, at: float) -> RecordedJob | None:
        """Record that Norce told of the end of a job we did not start (kept a short while, never on the
        open jobs). If it turned out to be ours meanwhile, nothing is written and its record is returned."""
        ...

    def open_jobs(self) -> dict[int, float]:
        """Jobs started and not known to be finished: job id -> started at."""
        ...


class CodeJobs(Protocol):
    """The write-back's jobs: which import carried each ERP code (a contact waits for its company's)."""

    def record(self, job_id: int, kind: str, at: float, **fields: Any) -> None:
        """Store the record of an import job we started (it goes on the open jobs)."""
        ...

    def record_codes(self, kind: str, codes: list[str], job_id: int) -> None:
        """Remember which job carried each code to Norce."""
        ...

    def job_of_code(self, kind: str, code: str) -> dict[str, Any] | None:
        """The record of the last job that carried ``code`` (``job_id``, ``status``), if any."""
        ...

    def set_status(self, job_id: int, status: str) -> None: ...


class JobLog(Protocol):
    def job_log(self, job_id: int) -> list[dict[str, Any]]:
        """Connect ``Job/GetLog``: ``[{SeverityId, Message, TimeStamp, ImportedRow}]``."""
        ...


class JobReader(Protocol):
    def get_job(self, job_id: int) -> Job:
        """Connect ``Job/Get``."""
        ...


class JobService(JobLog, JobReader, Protocol):
    """Connect's job service: ``Job/Get`` and ``Job/GetLog``."""


class FullImports(Protocol):
    def full_applied(self, entity: str, records: int, job_id: int, started_at: float) -> None:
        """A full import Norce has ended, and how many of its records Norce applied (whatever the job's
        final status): the shrink guard's new reference (never an older import's)."""
        ...
