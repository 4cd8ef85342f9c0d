"""One import run: lock, read the ERP, stream to Norce, record the job, move the watermark, report.

- **Delta**: what changed since the watermark less an overlap (clock skew), full-import flag off; split
  into several jobs past ``max_records_per_job``. The watermark (the newest ``changed_at`` read) moves only
  after Norce has accepted every job of the run.
- **Our own echoes**: a delta leaves out a record whose ERP change is only our own write of Norce's data
  (``erp/own_writes.py``): sent back, it could overwrite a newer edit made in Norce meanwhile.
- **Full**: everything in one job with the flag on (Norce deactivates what it does not name); never split.
  The shrink guard refuses it, before its last byte, when it is more than ``shrink_limit`` smaller than
  what Norce applied of the last full import (whatever that job's final status), or empty, unless
  ``force``.
- The configuration Norce would refuse (no ``ApplicationKey`` for companies, one that is not a GUID): the run
  fails before it reads the ERP, with the reason.
- Norce's JobResponse: its ValidationSummary (rows Norce's validation refused) is kept on ``JOB#{id}`` and
  in the run's summary.
- Norce refusing (429/503) or the connection failing: the run is made again from the ERP, a few times.
  The ERP failing on any page: the request is aborted, nothing is imported, the run fails and the next
  one starts from the same watermark.
"""

import contextlib
import itertools
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from norce_integration.contracts.connect import ImportHeader
from norce_integration.erp.model import ErpCompany, ErpCustomer
from norce_integration.erp.own_writes import OwnWrites
from norce_integration.erp.ports import ErpError
from norce_integration.imports.config import Entity, ImportConfig, Mode, RunRequest
from norce_integration.imports.echoes import Echo, kind_of, without_echoes
from norce_integration.imports.ports import (
    ErpExport,
    Importer,
    ImportState,
    ImportStore,
    RunSummary,
    StartedJob,
)
from norce_integration.imports.records import RecordWriter
from norce_integration.imports.stream import ImportBody
from norce_integration.norce.ports import NorceRejected, NorceUnavailable

LOCK_LEASE_SECONDS = 960  # longer than the function's 15 minutes: a crashed run's lock runs out
MAX_VALIDATION_MESSAGES = 20


class ShrinkGuardTripped(Exception):
    pass


class NothingToSend(Exception):
    """A delta request with nothing new: every record skipped, or only the overlap read again (records
    not changed since the watermark). Aborted rather than sent as a job that changes nothing."""


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _news_since(watermark: datetime | None) -> Callable[[int, datetime | None], None]:
    def check(count: int, latest: datetime | None) -> None:
        if count == 0:
            raise NothingToSend
        if watermark is not None and latest is not None and _aware(latest) <= _aware(watermark):
            raise NothingToSend

    return check


@dataclass
class ImportRunner:
    erp: ErpExport
    norce: Importer
    store: ImportStore
    config: ImportConfig
    own_writes: OwnWrites | None = None  # our own writes to the ERP, which a delta leaves out (echoes)
    attempts: int = 3
    clock: Callable[[], float] = field(default=time.time)
    sleep: Callable[[float], None] = field(default=time.sleep)

    def run(self, request: RunRequest) -> RunSummary:
        summary = RunSummary(request.entity, request.mode, self.clock())
        refusal = self.config.refusal(request.entity)
        if refusal:
            summary.outcome, summary.reason = "failed", refusal
            return self._finish(summary)
        owner = uuid.uuid4().hex
        if not self.store.lock(request.entity, owner, summary.started_at, LOCK_LEASE_SECONDS):
            summary.outcome, summary.reason = "locked", f"another {request.entity} import is running"
            return self._finish(summary, save=False)
        try:
            self._attempts(request, summary)
        finally:
            self.store.unlock(request.entity, owner)
        return self._finish(summary)

    def _attempts(self, request: RunRequest, summary: RunSummary) -> None:
        for attempt in range(1, self.attempts + 1):
            fresh = RunSummary(request.entity, request.mode, summary.started_at)
            try:
                self._once(request, fresh)
            except NorceUnavailable as error:
                if attempt == self.attempts:
                    self._failed(summary, fresh, f"Norce Connect unavailable: {error}")
                    return
                self.sleep(min(error.retry_after or 2.0 * attempt, 30.0))
                continue
            except ShrinkGuardTripped as error:
                self._copy(fresh, summary, "refused_by_shrink_guard", str(error))
            except ErpError as error:
                self._failed(summary, fresh, f"the ERP failed while it was read: {error}")
            except NorceRejected as error:
                self._failed(summary, fresh, f"Norce refused the import: {error}")
            else:
                self._copy(fresh, summary, fresh.outcome, fresh.reason)
            return

    def _once(self, request: RunRequest, summary: RunSummary) -> None:
        state = self.store.state(request.entity)
        since = None
        if request.mode is Mode.DELTA and state.delta_watermark is not None:
            since = state.delta_watermark - timedelta(seconds=self.config.overlap_seconds)
            summary.since = since.isoformat()
        exported = self._export(request.entity, since)
        source: Iterator[ErpCustomer | ErpCompany | Echo] = exported
        if since is not None and self.own_writes is not None:
            source = without_echoes(exported, self.own_writes, kind_of(request.entity), since)
        writer = RecordWriter(request.entity, self.config)
        try:
            self._stream(request, state, source, writer, summary)
        finally:
            writer.close()  # its table of sent codes (32 MB) goes now, whoever still holds the writer

    def _stream(
        self,
        request: RunRequest,
        state: ImportState,
        source: Iterator[ErpCustomer | ErpCompany | Echo],
        writer: RecordWriter,
        summary: RunSummary,
    ) -> None:
        header = self._header(request.entity)
        if request.mode is Mode.FULL:
            body = ImportBody(
                source, writer, summary, before_end=self._guard(request, state.last_full_records)
            )
            self._send(request, body, header, summary)
            summary.outcome = "sent"
            return
        latest = None
        while (first := next(source, None)) is not None:
            body = ImportBody(
                itertools.chain([first], source), writer, summary, limit=self.config.max_records_per_job
            )
            body.before_end = _news_since(state.delta_watermark)
            with contextlib.suppress(NothingToSend):  # no job, and no watermark move
                self._send(request, body, header, summary)
            latest = max(filter(None, (latest, body.latest)), default=None)
            if body.exhausted:
                break
        if summary.job_ids and latest is not None:
            self.store.move_watermark(request.entity, latest)
            summary.watermark = latest.isoformat()
        summary.outcome = "sent" if summary.job_ids else "nothing_to_send"

    def _send(self, request: RunRequest, body: ImportBody, header: ImportHeader, summary: RunSummary) -> None:
        answer = self.norce.import_stream(request.entity, body.chunks(), header, request.mode is Mode.FULL)
        job_id = answer.job_id
        summary.sent += body.count
        summary.job_ids.append(job_id)
        validation = answer.summary()
        if validation and validation["failures"]:
            summary.validation_failures += int(validation["failures"])
            room = MAX_VALIDATION_MESSAGES - len(summary.validation_messages)
            summary.validation_messages += list(validation["messages"])[:room]
        self.store.job_started(
            StartedJob(job_id, request.entity, request.mode, body.count, self.clock(), validation)
        )

    def _guard(self, request: RunRequest, last_applied: int | None) -> Callable[[int, datetime | None], None]:
        def check(count: int, latest: datetime | None) -> None:
            if request.force:
                return
            if count == 0:
                raise ShrinkGuardTripped("the full import is empty: it would deactivate everything")
            if last_applied and count < last_applied * (1 - self.config.shrink_limit):
                raise ShrinkGuardTripped(
                    f"{count} records is more than {self.config.shrink_limit:.0%} below the last full "
                    f"import's {last_applied} (what Norce applied of it): it would deactivate real "
                    f"{request.entity}; force it to send it"
                )

        return check

    def _export(self, entity: Entity, since: datetime | None) -> Iterator[ErpCustomer | ErpCompany]:
        if entity is Entity.CUSTOMERS:
            return iter(self.erp.export_customers(since))
        return iter(self.erp.export_companies(since))

    def _header(self, entity: Entity) -> ImportHeader:
        fields = list(self.config.fields(entity))
        if entity is Entity.CUSTOMERS:
            return ImportHeader(AccountId=self.config.account_id, CustomerFieldsThatAreSet=fields)
        return ImportHeader(AccountId=self.config.account_id, CompanyFieldsThatAreSet=fields)

    @staticmethod
    def _copy(source: RunSummary, target: RunSummary, outcome: str, reason: str | None) -> None:
        target.sent, target.skipped, target.skipped_codes = source.sent, source.skipped, source.skipped_codes
        target.job_ids, target.since, target.watermark = source.job_ids, source.since, source.watermark
        target.validation_failures = source.validation_failures
        target.validation_messages = source.validation_messages
        target.outcome, target.reason = outcome, reason

    def _failed(self, summary: RunSummary, attempt: RunSummary, reason: str) -> None:
        self._copy(attempt, summary, "failed", reason)

    def _finish(self, summary: RunSummary, save: bool = True) -> RunSummary:
        summary.finished_at = self.clock()
        if save:
            self.store.save_summary(summary)
        return summary
