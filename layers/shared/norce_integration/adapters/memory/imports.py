"""In-memory adapters of the import ports, for tests and benchmarks (same rules as the AWS ones)."""

import itertools
import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from norce_integration.contracts.connect import ImportHeader, JobResponse
from norce_integration.imports.config import Entity
from norce_integration.imports.ports import ImportState, RunSummary, StartedJob


class InMemoryImportStore:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.jobs: dict[int, StartedJob] = {}
        self.summaries: list[RunSummary] = []
        self._lock = threading.Lock()

    def _item(self, entity: Entity | str) -> dict[str, Any]:
        return self.items.setdefault(str(entity), {})

    def lock(self, entity: Entity, owner: str, now: float, lease_seconds: float) -> bool:
        with self._lock:
            item = self._item(entity)
            if item.get("lock_until", 0) >= now:
                return False
            item.update(lock_owner=owner, lock_until=now + lease_seconds)
            return True

    def unlock(self, entity: Entity, owner: str) -> None:
        with self._lock:
            item = self._item(entity)
            if item.get("lock_owner") == owner:
                item.pop("lock_owner"), item.pop("lock_until")

    def state(self, entity: Entity) -> ImportState:
        item = self._item(entity)
        return ImportState(
            item.get("delta_watermark"), item.get("last_full_records"), item.get("last_full_job")
        )

    def move_watermark(self, entity: Entity, to: datetime) -> None:
        self._item(entity)["delta_watermark"] = to

    def job_started(self, job: StartedJob) -> None:
        self.jobs[job.job_id] = job

    def save_summary(self, summary: RunSummary) -> None:
        self.summaries.append(summary)

    def full_applied(self, entity: str, records: int, job_id: int, started_at: float) -> None:
        item = self._item(entity)
        if item.get("last_full_started", -1.0) < started_at:
            item.update(last_full_records=records, last_full_job=job_id, last_full_started=started_at)


@dataclass
class InMemoryImporter:
    """Norce's import endpoints: reads the streamed body to its end, keeps what a test needs to see."""

    keep_records: bool = True
    imports: list[dict[str, Any]] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)  # raised (in order) instead of answering
    validation_failures: list[str] = field(default_factory=list)  # the next answer's ValidationSummary
    _ids: Any = field(default_factory=lambda: itertools.count(5001))

    def import_stream(
        self, entity: Entity, body: Iterable[bytes], header: ImportHeader, full_file: bool
    ) -> JobResponse:
        data = b"".join(body)  # an exception while the body is made aborts here, like an HTTP request
        if self.failures:
            raise self.failures.pop(0)
        records = json.loads(data)
        job_id = int(next(self._ids))
        self.imports.append(
            {
                "job_id": job_id,
                "entity": entity,
                "full": full_file,
                "header": header,
                "count": len(records),
                "bytes": len(data),
                "records": records if self.keep_records else None,
            }
        )
        messages, self.validation_failures = self.validation_failures, []
        return JobResponse.model_validate(
            {
                "StatusCode": "OK",
                "JobId": str(job_id),
                "ValidationSummary": {
                    "NrOfItemsInTotal": len(records),
                    "NrOfValidationFailures": len(messages),
                    "Messages": messages,
                },
            }
        )
