"""The poll, for an ERP that cannot push: read the ERP's change feed since the watermark, map each
document to Norce's shape and hand it to the same intake as a push.

The watermark moves only past what was queued (or deliberately passed over), and is saved as the poll
goes, so a poll cut short by a timeout or an outage starts again where it stopped; a document read twice
is a repeat the ledger recognises. Documents the intake refuses:
- for an order this integration does not know: the ERP has orders from other channels; passed over,
  unless the document is younger than ``unknown_order_grace_seconds`` (our own order may not be
  indexed yet): then the poll stops there and tries again next time;
- with problems (a broken document): passed over, reported (logged, counted, alarmed): fix it in the
  ERP, which changes it, and it comes again.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from norce_integration.erp.model import ErpDocument
from norce_integration.erp.ports import Erp
from norce_integration.lifecycle.intake import Accepted, DocumentIntake
from norce_integration.lifecycle.mapping import UnknownDocumentKind, to_norce
from norce_integration.lifecycle.ports import Watermark, WatermarkStore

UNKNOWN_ORDER = "unknown order"


@dataclass
class PollResult:
    queued: list[str] = field(default_factory=list)  # document numbers
    passed_over: dict[str, str] = field(default_factory=dict)  # document number -> why
    waiting: str | None = None  # the document the poll stopped at, to try again next time
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
    clock: Callable[[], float] = time.time

    def run(self) -> PollResult:
        """Raises ``ErpUnavailable`` / ``DependencyUnavailable`` after saving how far it got."""
        mark = self.watermarks.get(self.name)
        result = PollResult(watermark=mark.at if mark else None)
        taken = 0
        try:
            for document in self.erp.changed_documents(mark.at if mark else None):
                if mark and _seen(document, mark):
                    continue
                if taken >= self.max_documents:
                    result.more = True
                    break
                if not self._take(document, result):
                    break
                mark = _advance(mark, document)
                taken += 1
                if taken % self.save_every == 0:
                    self.watermarks.put(self.name, mark)
        finally:
            if mark is not None:
                self.watermarks.put(self.name, mark)
                result.watermark = mark.at
        return result

    def _take(self, document: ErpDocument, result: PollResult) -> bool:
        """Queue (or pass over) one document; ``False`` to stop the poll before it."""
        number = document.document_no
        try:
            kind, body = to_norce(document)
        except UnknownDocumentKind as error:
            result.passed_over[number] = str(error)
            return True
        outcome = self.intake.accept(kind, body, source="poll")
        if isinstance(outcome, Accepted):
            result.queued.append(number)
            return True
        reason = "; ".join(outcome.problems)
        unknown_order = any(problem.startswith(UNKNOWN_ORDER) for problem in outcome.problems)
        age = self.clock() - _aware(document.changed_at).timestamp()
        if unknown_order and age < self.unknown_order_grace_seconds:
            result.waiting = number
            return False
        result.passed_over[number] = reason
        return True


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _seen(document: ErpDocument, mark: Watermark) -> bool:
    changed = _aware(document.changed_at)
    return changed < _aware(mark.at) or (
        changed == _aware(mark.at) and document.document_no in mark.document_nos
    )


def _advance(mark: Watermark | None, document: ErpDocument) -> Watermark:
    changed = _aware(document.changed_at)
    if mark is not None and changed == _aware(mark.at):
        return Watermark(mark.at, (*mark.document_nos, document.document_no))
    return Watermark(changed, (document.document_no,))
