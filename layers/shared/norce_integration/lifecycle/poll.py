"""The poll, for an ERP that cannot push: read the ERP's change feed since the watermark, map each
document to Norce's shape and hand it to the same intake as a push.

The watermark moves only past what was queued (or deliberately passed over, or remembered), and is saved
as the poll goes, so a poll cut short by a timeout or an outage starts again where it stopped; a document
read twice is a repeat the ledger recognises. Documents the intake refuses:
- for an order this integration does not know, younger than ``unknown_order_grace_seconds`` (our own
  order may not be indexed yet): remembered in the watermark (``pending``, at most ``max_pending`` and
  ``max_pending_bytes``) and tried again at the start of every later run until its order is known
  (then queued) or it is older than the grace (then passed over as another channel's). The rest of the
  feed goes on meanwhile; only when the memory is full does the poll stop at such a document;
- older, of an unknown order: another channel's; passed over;
- broken, over what its order allows, a changed version of a document already taken (a conflict), too
  large: passed over with the reason (logged, counted, alarmed; the order's trail has the refusals).
  Fix it in the ERP, which changes it, and it comes again.
"""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import ValidationError

from norce_integration.erp.model import ErpDocument
from norce_integration.erp.ports import Erp
from norce_integration.lifecycle.intake import Accepted, DocumentIntake, Refusal
from norce_integration.lifecycle.mapping import UnknownDocumentKind, to_norce
from norce_integration.lifecycle.ports import Pending, Watermark, WatermarkStore


@dataclass
class PollResult:
    queued: list[str] = field(default_factory=list)  # document numbers
    passed_over: dict[str, str] = field(default_factory=dict)  # document number -> why
    pending: list[str] = field(default_factory=list)  # remembered for a later run: their order is unknown
    waiting: str | None = None  # the document the poll stopped at (the memory was full), tried next time
    watermark: datetime | None = None
    more: bool = False  # stopped at max_documents: the rest next time


@dataclass
class DocumentPoll:
    erp: Erp
    intake: DocumentIntake
    watermarks: WatermarkStore
    name: str = "erp-documents"
    max_documents: int = 500  # per run, to stay well within the function's timeout
    save_every: int = 25
    unknown_order_grace_seconds: float = 900.0
    max_pending: int = 50
    max_pending_bytes: int = 200_000  # the watermark item holds them (DynamoDB: 400 KB an item)
    clock: Callable[[], float] = time.time

    def run(self) -> PollResult:
        """Raises ``ErpUnavailable`` / ``DependencyUnavailable`` after saving how far it got."""
        mark = self.watermarks.get(self.name)
        result = PollResult(watermark=mark.at if mark else None)
        if mark is not None and mark.pending:
            mark = self._retry_pending(mark, result)
            self.watermarks.put(self.name, mark)
        taken = 0
        try:
            for document in self.erp.changed_documents(mark.at if mark else None):
                if mark and _seen(document, mark):
                    continue
                if taken >= self.max_documents:
                    result.more = True
                    break
                young_unknown = self._take(document, result)
                if young_unknown:
                    remembered = _remember(mark, document, self.clock())
                    if not self._fits(remembered):
                        result.waiting = document.document_no
                        break
                    result.pending.append(document.document_no)
                    mark = remembered
                mark = _advance(mark, document)
                taken += 1
                if taken % self.save_every == 0:
                    self.watermarks.put(self.name, mark)
        finally:
            if mark is not None:
                self.watermarks.put(self.name, mark)
                result.watermark = mark.at
        return result

    def _retry_pending(self, mark: Watermark, result: PollResult) -> Watermark:
        """Each remembered document again: queued or passed over now, or kept for the next run."""
        kept = []
        for pending in mark.pending:
            try:
                document = ErpDocument.model_validate(pending.document)
            except ValidationError:
                continue  # cannot happen for what this poll stored; never blocks the memory
            if self._take(document, result):
                kept.append(pending)
                result.pending.append(document.document_no)
        return Watermark(mark.at, mark.document_nos, tuple(kept))

    def _take(self, document: ErpDocument, result: PollResult) -> bool:
        """Queue (or pass over) one document; True when its order is unknown and it is young: remember it."""
        number = document.document_no
        try:
            kind, body = to_norce(document)
        except UnknownDocumentKind as error:
            result.passed_over[number] = str(error)
            return False
        outcome = self.intake.accept(kind, body, source="poll")
        if isinstance(outcome, Accepted):
            result.queued.append(number)
            return False
        age = self.clock() - _aware(document.changed_at).timestamp()
        if outcome.refusal is Refusal.UNKNOWN_ORDER and age < self.unknown_order_grace_seconds:
            return True
        reason = "; ".join(outcome.problems)
        if outcome.refusal is Refusal.UNKNOWN_ORDER:
            reason += f" (older than {int(self.unknown_order_grace_seconds)} s: another sales channel's)"
        result.passed_over[number] = reason
        return False

    def _fits(self, mark: Watermark) -> bool:
        if len(mark.pending) > self.max_pending:
            return False
        stored = json.dumps([p.document for p in mark.pending], ensure_ascii=False)
        return len(stored.encode("utf-8", "surrogatepass")) <= self.max_pending_bytes


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _seen(document: ErpDocument, mark: Watermark) -> bool:
    changed = _aware(document.changed_at)
    return changed < _aware(mark.at) or (
        changed == _aware(mark.at) and document.document_no in mark.document_nos
    )


def _remember(mark: Watermark | None, document: ErpDocument, now: float) -> Watermark:
    pending = Pending(document.model_dump(mode="json", by_alias=True), now)
    if mark is None:
        return Watermark(_aware(document.changed_at), (), (pending,))
    return Watermark(mark.at, mark.document_nos, (*mark.pending, pending))


def _advance(mark: Watermark | None, document: ErpDocument) -> Watermark:
    changed = _aware(document.changed_at)
    pending = mark.pending if mark is not None else ()
    if mark is not None and changed == _aware(mark.at):
        return Watermark(mark.at, (*mark.document_nos, document.document_no), pending)
    return Watermark(changed, (document.document_no,), pending)
