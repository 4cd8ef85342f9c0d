"""What an import run needs from the outside world (ports)."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from norce_integration.contracts.connect import ImportHeader, JobResponse
from norce_integration.erp.model import ErpCompany, ErpCustomer
from norce_integration.imports.config import Entity, Mode
from norce_integration.jobs.ports import FullImports


class Importer(Protocol):
    def import_stream(
        self, entity: Entity, body: Iterable[bytes], header: ImportHeader, full_file: bool
    ) -> JobResponse:
        """POST ImportCustomers/ImportCompanies with ``body`` (a JSON array, in chunks) sent as it is made;
        Norce's JobResponse. An exception raised while ``body`` is made aborts the request (no job)."""
        ...


class ErpExport(Protocol):
    def export_customers(self, changed_since: datetime | None) -> Iterator[ErpCustomer]: ...

    def export_companies(self, changed_since: datetime | None) -> Iterator[ErpCompany]: ...


@dataclass(frozen=True, slots=True)
class ImportState:
    """``IMPORT#{entity}``: how far deltas have read, and what Norce applied of the last full import."""

    delta_watermark: datetime | None = None
    last_full_records: int | None = None  # what Norce applied of the last full import (the guard's reference)
    last_full_job: int | None = None


@dataclass(frozen=True, slots=True)
class StartedJob:
    job_id: int
    entity: Entity
    mode: Mode
    records: int
    started_at: float
    validation: dict[str, Any] | None = None  # the JobResponse's ValidationSummary (``JobResponse.summary``)


@dataclass
class RunSummary:
    """What one run did, stored for the person on call (``IMPORTRUN#…``) and returned by the function."""

    entity: Entity
    mode: Mode
    started_at: float
    outcome: str = "running"  # sent | nothing_to_send | refused_by_shrink_guard | locked | failed
    sent: int = 0
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count
    skipped_codes: list[str] = field(default_factory=list)  # the first ones, for the report
    job_ids: list[int] = field(default_factory=list)
    validation_failures: int = 0  # rows Norce's validation refused (its JobResponses' ValidationSummary)
    validation_messages: list[str] = field(default_factory=list)  # the first ones
    since: str | None = None
    watermark: str | None = None
    reason: str | None = None
    finished_at: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "entity": self.entity.value,
            "mode": self.mode.value,
            "startedAt": self.started_at,
            "finishedAt": self.finished_at,
            "outcome": self.outcome,
            "sent": self.sent,
            "skipped": dict(self.skipped),
            "skippedCodes": list(self.skipped_codes),
            "jobIds": list(self.job_ids),
            "validationFailures": self.validation_failures,
            "validationMessages": list(self.validation_messages),
            "since": self.since,
            "watermark": self.watermark,
            "reason": self.reason,
        }


class ImportStore(FullImports, Protocol):
    def lock(self, entity: Entity, owner: str, now: float, lease_seconds: float) -> bool:
        """Take the entity's import lock (one run at a time); False when another run holds it."""
        ...

    def unlock(self, entity: Entity, owner: str) -> None: ...

    def state(self, entity: Entity) -> ImportState: ...

    def move_watermark(self, entity: Entity, to: datetime) -> None: ...

    def job_started(self, job: StartedJob) -> None:
        """``JOB#{id}`` (status Queued, the ValidationSummary) and the open-jobs index the follower reads
        (also when Norce told of the job's end first: JobCompletedEvent can be that fast)."""
        ...

    def save_summary(self, summary: RunSummary) -> None: ...
