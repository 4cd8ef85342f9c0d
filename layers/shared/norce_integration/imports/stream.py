"""One import's request body, made while the ERP is read: ``[record,record,…]`` in ~64 KiB chunks.

Nothing is held but the chunk being filled, so memory stays flat whatever the size. The last byte is
written only after ``before_end`` has approved the count and the newest ``changed_at`` read: raising there
(the shrink guard), or anywhere while reading the ERP, aborts the HTTP request before its body is complete,
so Norce never receives an import it could act on (an unfinished request whose body is not even valid JSON).
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from norce_integration.erp.model import ErpCompany, ErpCustomer
from norce_integration.imports.echoes import ECHO_REASON, Echo
from norce_integration.imports.ports import RunSummary
from norce_integration.imports.records import RecordWriter, Skipped

CHUNK_BYTES = 64 * 1024
MAX_SKIPPED_CODES = 100


@dataclass
class ImportBody:
    """The body of one request, from a shared iterator (a delta split over several jobs shares one)."""

    source: Iterator[ErpCustomer | ErpCompany | Echo]  # an Echo is read (the watermark) and left out
    writer: RecordWriter
    summary: RunSummary
    limit: int | None = None  # at most this many records in this request (a split delta)
    # (count, latest): given what it needs rather than the body, so no cycle keeps a finished body alive
    before_end: Callable[[int, datetime | None], None] = field(default=lambda count, latest: None)
    count: int = 0
    exhausted: bool = False
    latest: datetime | None = None  # the newest changed_at read (the delta's next watermark)

    def chunks(self) -> Iterator[bytes]:
        buffer = bytearray(b"[")
        for entity in self.source:
            if entity.changed_at and (self.latest is None or entity.changed_at > self.latest):
                self.latest = entity.changed_at
            if isinstance(entity, Echo):
                self._skip(Skipped(entity.code, ECHO_REASON))
                continue
            record = self.writer.record(entity)
            if isinstance(record, Skipped):
                self._skip(record)
                continue
            if self.count:
                buffer += b","
            buffer += record
            self.count += 1
            if len(buffer) >= CHUNK_BYTES:
                yield bytes(buffer)
                buffer.clear()
            if self.limit is not None and self.count >= self.limit:
                break
        else:
            self.exhausted = True
        self.before_end(self.count, self.latest)
        buffer += b"]"
        yield bytes(buffer)

    def _skip(self, skipped: Skipped) -> None:
        summary = self.summary
        summary.skipped[skipped.reason] = summary.skipped.get(skipped.reason, 0) + 1
        if skipped.code and len(summary.skipped_codes) < MAX_SKIPPED_CODES:
            summary.skipped_codes.append(f"{skipped.code}: {skipped.reason}")
