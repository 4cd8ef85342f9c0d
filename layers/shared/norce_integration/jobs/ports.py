"""What job tracking needs from the outside world: the job records, Norce's job service, and the one
consumer of a completed full import (the shrink guard's reference)."""

from dataclasses import dataclass
from typing import Any, Protocol

from norce_integration.contracts.connect import Job


@dataclass(frozen=True, slots=True)
class RecordedJob:
    """What ``JOB#{id}`` said of a job we started: ``kind`` customers/companies, ``mode`` full/delta/
    write-back, how many records it carried, when it was started."""

    kind: str | None
    mode: str | None
    records: int | None
    started_at: float | None


class JobRecords(Protocol):
    """``JOB#{id}`` records and the open jobs the follower polls."""

    def complete(
        self, job_id: int, status: str, status_id: int, errors: list[str], at: float
    ) -> RecordedJob | None:
        """Record the job's end (and take it off the open jobs); what was recorded when it started, or
        None for a job this integration did not start (it gets a record now)."""
        ...

    def open_jobs(self) -> dict[int, float]:
        """Jobs started and not known to be finished: job id -> started at."""
        ...


class CodeJobs(Protocol):
    """The write-back's jobs: which import carried each ERP code (a contact waits for its company's)."""

    def record(self, job_id: int, kind: str, at: float, **fields: Any) -> None:
        """Store the record of an import job we started (never undoing an end Norce already told of)."""
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


class FullImports(Protocol):
    def full_succeeded(self, entity: str, records: int, job_id: int, started_at: float) -> None:
        """A full import Norce completed: the shrink guard's new reference (never an older one)."""
        ...
