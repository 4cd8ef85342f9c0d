"""In-memory job records (``jobs.ports``) with the semantics of ``adapters.aws.dynamodb_jobs``."""

from dataclasses import dataclass, field
from typing import Any

from norce_integration.jobs.ports import RecordedJob


@dataclass
class InMemoryJobRecords:
    jobs: dict[int, dict[str, Any]] = field(default_factory=dict)
    open: dict[int, float] = field(default_factory=dict)

    def complete(
        self, job_id: int, status: str, status_id: int, errors: list[str], at: float
    ) -> RecordedJob | None:
        before = dict(self.jobs.get(job_id, {}))
        self.jobs.setdefault(job_id, {}).update(
            status=status, status_id=status_id, job_errors=errors, finished_at=at
        )
        self.open.pop(job_id, None)
        if not before:
            return None
        return RecordedJob(
            before.get("kind"), before.get("mode"), before.get("records"), before.get("started_at")
        )

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
    logs: dict[int, list[dict[str, Any]]] = field(default_factory=dict)

    def job_log(self, job_id: int) -> list[dict[str, Any]]:
        return self.logs.get(job_id, [])
