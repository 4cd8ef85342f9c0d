"""In-memory job records (``jobs.ports``) with the semantics of ``adapters.aws.dynamodb_jobs``."""

from dataclasses import dataclass, field
from typing import Any

from norce_integration.contracts.connect import Job
from norce_integration.jobs.ports import RecordedJob


@dataclass
class InMemoryJobRecords:
    jobs: dict[int, dict[str, Any]] = field(default_factory=dict)
    open: dict[int, float] = field(default_factory=dict)

    def recorded(self, job_id: int) -> RecordedJob | None:
        item = self.jobs.get(job_id, {})
        if "started_at" not in item:
            return None
        return RecordedJob(
            item.get("kind"),
            item.get("mode"),
            item.get("records"),
            item.get("started_at"),
            item.get("status"),
            "finished_at" in item,
        )

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
        fields: dict[str, Any] = {"status": status, "status_id": status_id, "job_errors": errors}
        self.jobs.setdefault(job_id, {}).update(fields, finished_at=at)
        if applied is not None:
            self.jobs[job_id]["applied"] = applied
        self.open.pop(job_id, None)

    def note_foreign(self, job_id: int, status: str, status_id: int, at: float) -> RecordedJob | None:
        if self.recorded(job_id) is not None:
            return self.recorded(job_id)
        self.jobs[job_id] = {"status": status, "status_id": status_id, "finished_at": at, "foreign_job": True}
        return None

    def start(self, job_id: int, at: float, **fields: Any) -> None:
        """A job we started (as ``record_started_job``: an earlier foreign note is taken back)."""
        self.jobs[job_id] = {**fields, "status": "Queued", "started_at": at}
        self.open[job_id] = at

    def open_jobs(self) -> dict[int, float]:
        return dict(self.open)


@dataclass
class InMemoryCodeJobs:
    jobs: dict[int, dict[str, Any]] = field(default_factory=dict)
    codes: dict[tuple[str, str], int] = field(default_factory=dict)

    def record(self, job_id: int, kind: str, at: float, **fields: Any) -> None:
        self.jobs[job_id] = {"kind": kind, "started_at": at, **fields}

    def record_codes(self, kind: str, codes: list[str], job_id: int) -> None:
        self.codes.update({(kind, code): job_id for code in codes})

    def job_of_code(self, kind: str, code: str) -> dict[str, Any] | None:
        job_id = self.codes.get((kind, code))
        if job_id is None:
            return None
        return {"job_id": job_id, "status": self.jobs.get(job_id, {}).get("status")}

    def set_status(self, job_id: int, status: str) -> None:
        self.jobs.setdefault(job_id, {})["status"] = status


@dataclass
class InMemoryJobLog:
    """Connect's job service: ``Job/GetLog`` lines and ``Job/Get`` answers (a job not given: Succeeded)."""

    logs: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    jobs: dict[int, Job] = field(default_factory=dict)

    def job_log(self, job_id: int) -> list[dict[str, Any]]:
        return self.logs.get(job_id, [])

    def get_job(self, job_id: int) -> Job:
        return self.jobs.get(job_id) or Job(JobId=job_id, StatusId=2, IsFinished=True)
