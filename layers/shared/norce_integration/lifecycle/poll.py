"""The poll, for an ERP that cannot push: read the ERP's change feed since the watermark, map each
document to Norce's shape and hand it to the same intake as a push.

Documents are taken ``workers`` at a time, in windows of ``window``: each order's documents in one lane, in
the feed's order (a delivery note is counted before the invoice that follows it), different orders side by
side. Taking one costs a handful of DynamoDB, S3 and SQS calls, so one at a time a busy ERP's feed outruns
the poll (the soak's quiet hour: 2,500 documents behind after an hour).

The watermark moves only past what was queued (or deliberately passed over, or remembered), in the feed's
order, and is saved after every window, so a poll cut short by a timeout or an outage starts again where it
stopped; a document read twice (taken in a lane past the one that failed) is a repeat the ledger
recognises. Documents the intake refuses:
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
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum

from pydantic import ValidationError

from norce_integration.erp.model import ErpDocument
from norce_integration.erp.ports import Erp
from norce_integration.lifecycle.intake import Accepted, DocumentIntake, Refusal
from norce_integration.lifecycle.mapping import UnknownDocumentKind, to_norce
from norce_integration.lifecycle.ports import Pending, Watermark, WatermarkStore


class Taken(Enum):
    QUEUED = "queued"
    YOUNG = "young"  # its order is unknown and it is young: remembered, tried again next run


# A document's outcome: taken, the reason it is passed over, or what it raised (or, not tried, what an
# earlier document of its lane raised).
Outcome = Taken | str | BaseException


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
    window: int = 50  # documents read, taken side by side, then the watermark saved
    workers: int = 8  # lanes (orders) taken at once
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
        unseen = _unseen(self.erp.changed_documents(mark.at if mark else None), mark)
        taken = 0
        with ThreadPoolExecutor(max(1, self.workers), thread_name_prefix="erp-poll") as lanes:
            while taken < self.max_documents:
                size = min(self.window, self.max_documents - taken)
                window, feed_failure = _read(unseen, size)
                outcomes = self._take_all(window, lanes)
                mark, done, stop = self._apply(mark, window, outcomes, result)
                taken += done
                if mark is not None:
                    self.watermarks.put(self.name, mark)
                    result.watermark = mark.at
                if isinstance(stop, BaseException):
                    raise stop
                if stop is None and feed_failure is not None:
                    raise feed_failure
                if stop is not None or len(window) < size:
                    return result
        result.more = _read(unseen, 1)[0] != []
        return result

    def _take_all(self, window: list[ErpDocument], lanes: ThreadPoolExecutor) -> list[Outcome]:
        """Each document's outcome, in the window's order; one lane per order, in the feed's order."""
        outcomes: list[Outcome] = [Taken.QUEUED] * len(window)  # every one is set by its lane
        by_order: dict[str, list[int]] = {}
        for position, document in enumerate(window):
            by_order.setdefault(_order_of(document), []).append(position)

        def take_lane(positions: list[int]) -> None:
            for at, position in enumerate(positions):
                try:
                    outcomes[position] = self._take(window[position])
                except Exception as error:  # noqa: BLE001 - raised by run() once the watermark is saved
                    for rest in positions[at:]:  # the rest of this order waits for the next run, in order
                        outcomes[rest] = error
                    return

        for future in [lanes.submit(take_lane, positions) for positions in by_order.values()]:
            future.result()
        return outcomes

    def _apply(
        self, mark: Watermark | None, window: list[ErpDocument], outcomes: list[Outcome], result: PollResult
    ) -> tuple[Watermark | None, int, "BaseException | Taken | None"]:
        """The outcomes in the feed's order, up to the first that failed: the watermark past them, how many
        were taken, and why the poll stops here (None: it goes on): the failure, or ``Taken.YOUNG`` when
        the memory is full."""
        done = 0
        for document, outcome in zip(window, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                return mark, done, outcome
            number = document.document_no
            if outcome is Taken.YOUNG:
                remembered = _remember(mark, document, self.clock())
                if not self._fits(remembered):
                    result.waiting = number
                    return mark, done, Taken.YOUNG
                result.pending.append(number)
                mark = remembered
            else:
                _tally(result, number, outcome)
            mark = _advance(mark, document)
            done += 1
        return mark, done, None

    def _retry_pending(self, mark: Watermark, result: PollResult) -> Watermark:
        """Each remembered document again: queued or passed over now, or kept for the next run."""
        kept = []
        for pending in mark.pending:
            try:
                document = ErpDocument.model_validate(pending.document)
            except ValidationError:
                continue  # cannot happen for what this poll stored; never blocks the memory
            outcome = self._take(document)
            if outcome is Taken.YOUNG:
                kept.append(pending)
                result.pending.append(document.document_no)
            else:
                _tally(result, document.document_no, outcome)
        return Watermark(mark.at, mark.document_nos, tuple(kept))

    def _take(self, document: ErpDocument) -> Taken | str:
        """Queue one document (``Taken``), or why it is passed over."""
        try:
            kind, body = to_norce(document)
        except UnknownDocumentKind as error:
            return str(error)
        outcome = self.intake.accept(kind, body, source="poll")
        if isinstance(outcome, Accepted):
            return Taken.QUEUED
        age = self.clock() - _aware(document.changed_at).timestamp()
        if outcome.refusal is Refusal.UNKNOWN_ORDER and age < self.unknown_order_grace_seconds:
            return Taken.YOUNG
        reason = "; ".join(outcome.problems)
        if outcome.refusal is Refusal.UNKNOWN_ORDER:
            reason += f" (older than {int(self.unknown_order_grace_seconds)} s: another sales channel's)"
        return reason

    def _fits(self, mark: Watermark) -> bool:
        if len(mark.pending) > self.max_pending:
            return False
        stored = json.dumps([p.document for p in mark.pending], ensure_ascii=False)
        return len(stored.encode("utf-8", "surrogatepass")) <= self.max_pending_bytes


def _tally(result: PollResult, number: str, outcome: Taken | str) -> None:
    """A document queued, or passed over with its reason (``Taken.YOUNG``: its caller remembers it)."""
    if outcome is Taken.QUEUED:
        result.queued.append(number)
    elif isinstance(outcome, str):
        result.passed_over[number] = outcome


def _unseen(feed: Iterable[ErpDocument], mark: Watermark | None) -> Iterator[ErpDocument]:
    return (document for document in feed if mark is None or not _seen(document, mark))


def _read(unseen: Iterator[ErpDocument], size: int) -> tuple[list[ErpDocument], Exception | None]:
    """Up to ``size`` documents, and the error that cut the reading short (raised once they are taken)."""
    window: list[ErpDocument] = []
    try:
        for document in unseen:
            window.append(document)
            if len(window) >= size:
                break
    except Exception as error:  # noqa: BLE001 - the ERP went away mid-feed: take what was read first
        return window, error
    return window, None


def _order_of(document: ErpDocument) -> str:
    """The lane: one order's documents are taken one after another, in the feed's order."""
    return document.order_no or document.external_ref or document.document_no


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
