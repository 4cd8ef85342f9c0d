"""The lifecycle processor: one queued document -> Norce Connect, exactly once, in order, never backwards.

The guarantee, for invoices and credits above all (each moves a customer's money):
- a document is keyed by its ERP number; the ledger (``DOC#{key}``) lets one attempt at a time own it
  and records SENT once Norce has it, so a repeat (concurrent, or weeks later) is never sent again;
- an attempt that may have reached Norce and then died or timed out leaves the outcome unknown: the
  next attempt asks Norce Query whether the document is there before sending anything; where Query
  cannot tell, an invoice or credit is never sent blind: it waits (retries, then the DLQ) or is parked
  for a person with the reason;
- per order, the status only moves forward (a late ``Confirmed`` after ``Delivered`` is recorded, not
  sent); a document for an order Norce has not confirmed yet waits, bounded, then fails loudly;
  delivery notes track quantities (``PartlyDelivered`` until the last one, then ``Delivered``); a credit
  needs an invoice of the order that was sent and may not exceed what was invoiced minus credited;
- every delivery note and invoice is held against the order (``bounds``) over what was sent, FIFO per
  order: this check is the authority, the door's only keeps a careless ERP from queueing it;
- a document that can never be sent (it does not parse, or breaks what ``validation`` requires) is parked
  at once with its reason, never left SENDING and never retried; the order's later documents go on.
"""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from norce_integration.contracts.base import NorceModel
from norce_integration.contracts.connect import OrderStatusUpdate
from norce_integration.contracts.lifecycle import DeliveryNote, Invoice
from norce_integration.failures import DependencyUnavailable, PermanentFailure, TransientFailure
from norce_integration.lifecycle import bounds, order_state, validation
from norce_integration.lifecycle.archived import RECORD_FIELDS, ArchivedOrders
from norce_integration.lifecycle.documents import Kind, QueuedDocument, fingerprint, number_of
from norce_integration.lifecycle.ports import AcceptedBooks, DocumentLedger, DocumentState
from norce_integration.lifecycle.screen import screen
from norce_integration.norce.ports import NorceConnect, NorceQuery, NorceRejected, NorceUnavailable
from norce_integration.orders.records import OrderArchive, OrderRecords

CONFIRMED = "confirmed"
# What an attempt reads of its order's record: where it stands and its archived order (not the trail).
_RECORD_FIELDS = ("processing_state", "lifecycle", *RECORD_FIELDS)
SHOWN_NUMBER = 60  # of a document's number on the trail: a number too long to send is shown cut


class Sent(StrEnum):
    SENT = "sent"  # this attempt sent it to Norce
    FOUND_IN_NORCE = "found_in_norce"  # an earlier attempt had: recorded, not sent again
    REPEAT = "repeat"  # already sent (or skipped) before: nothing done
    SKIPPED = "skipped"  # recorded and deliberately not sent (a status that would go backwards)


class _Waiting(Exception):
    """Not yet: the order is not confirmed, or the credited invoice not sent. Bounded in time."""


@dataclass
class LifecycleProcessor:
    ledger: DocumentLedger
    records: OrderRecords
    archive: OrderArchive
    norce: NorceConnect
    query: NorceQuery | None = None
    account_id: int | None = None
    wait_seconds: float = 3600.0  # how long a document waits for its order's confirmation
    lease_seconds: float = 120.0  # longer than one processing attempt
    retry_wait_seconds: float = 30.0
    clock: Callable[[], float] = time.time
    rules: bounds.Bounds = field(default_factory=bounds.Bounds)
    statuses: frozenset[str] = field(default_factory=validation.statuses_accepted)
    books: AcceptedBooks | None = None  # the door's count: a parked, unsent document stops counting there
    orders: ArchivedOrders = field(init=False)

    def __post_init__(self) -> None:
        self.orders = ArchivedOrders(self.archive)

    def process(self, document: QueuedDocument) -> Sent:
        """Raises ``TransientFailure`` (try later) or ``PermanentFailure`` (parked, alarmed, replayable)."""
        try:
            return self._process(document)
        except DependencyUnavailable as error:  # our own store: the document's lease lets a retry resume
            raise TransientFailure(str(error)) from error

    def _process(self, document: QueuedDocument) -> Sent:
        token, now = uuid.uuid4().hex, self.clock()
        begun = self.ledger.begin(document.key, token, now, now + self.lease_seconds, document.order_key)
        if not begun.started:
            if begun.state in (DocumentState.SENT, DocumentState.SKIPPED):
                self._note(document, "document_skipped_as_repeat")
                return Sent.REPEAT
            raise TransientFailure("another delivery of this document is being sent", self.lease_seconds)
        try:
            return self._owned(document, _readable(document, self.statuses), token, begun.maybe_sent)
        except _Waiting as waiting:
            return self._wait(document, token, str(waiting))
        except NorceUnavailable as error:
            # The call may have reached Norce: the next attempt looks there before sending again.
            self.ledger.finish(document.key, token, DocumentState.UNKNOWN, reason=str(error))
            self._note(document, "document_retrying", last_error=str(error))
            raise TransientFailure(str(error), error.retry_after) from error
        except NorceRejected as error:
            self._park(document, token, f"Norce refused it: {error}", maybe_sent=False)
            raise PermanentFailure(f"Norce refused it: {error}") from error
        except PermanentFailure as failure:
            self._park(document, token, failure.reason, maybe_sent=begun.maybe_sent)
            raise
        except Exception as error:
            # Our own store failed, or a bug: never left SENDING; whether it reached Norce is not known.
            reason = f"{type(error).__name__} while sending"
            self.ledger.finish(document.key, token, DocumentState.UNKNOWN, reason=reason)
            raise

    # -- one owned attempt
    def _owned(self, document: QueuedDocument, body: NorceModel, token: str, maybe_sent: bool) -> Sent:
        record = self.records.get(document.order_key, fields=_RECORD_FIELDS) or {}
        if record.get("processing_state") != CONFIRMED:
            raise _Waiting("the order is not confirmed in Norce yet")
        state: dict[str, Any] = dict(record.get("lifecycle") or {})
        kind = document.document_kind
        if isinstance(body, OrderStatusUpdate) and not order_state.moves_forward(
            state.get("status"), body.OrderStatus
        ):
            reason = f"{body.OrderStatus} would not move the order forward from {state.get('status')}"
            self.ledger.finish(document.key, token, DocumentState.SKIPPED, reason=reason)
            self._note(document, "document_skipped", reason=reason)
            return Sent.SKIPPED
        if order_state.recorded(state, kind, number_of(kind, body)):
            # An earlier attempt sent it and recorded what Norce now knows, then died before the ledger
            # said so (a killed worker): counting it again would hold it against itself.
            self.ledger.finish(document.key, token, DocumentState.SENT, found_in_norce=True)
            self._note(
                document, "document_found_sent", reason="on the order's record from an earlier attempt"
            )
            return Sent.FOUND_IN_NORCE
        self._check(kind, body, state, record)
        if maybe_sent and self._already_in_norce(kind, body):
            self._after_sent(document, body, state, record)
            self.ledger.finish(document.key, token, DocumentState.SENT, found_in_norce=True)
            self._note(document, "document_found_in_norce")
            return Sent.FOUND_IN_NORCE
        self._send(kind, body)
        self._after_sent(document, body, state, record)
        self.ledger.finish(document.key, token, DocumentState.SENT)
        self._note(document, "document_sent")
        return Sent.SENT

    def _check(self, kind: Kind, body: NorceModel, state: dict[str, Any], record: dict[str, Any]) -> None:
        """The order's bounds over what was sent (raises ``PermanentFailure``, or waits for an invoice)."""
        if kind is Kind.STATUS:
            return
        counted = order_state.counted(state)
        if isinstance(body, Invoice) and kind is Kind.CREDIT:
            if body.CreditedInvoiceNo not in counted.invoices:
                raise _Waiting(f"invoice {body.CreditedInvoiceNo} of this order has not been sent to Norce")
            problems = bounds.credit_problems(body, counted)
        else:
            terms = self.orders.terms(record)
            if terms is None:
                raise PermanentFailure(
                    "the order as Norce sent it is not archived: nothing to hold it against"
                )
            if isinstance(body, DeliveryNote):
                problems = bounds.delivery_note_problems(body, terms, counted)
            else:
                assert isinstance(body, Invoice)
                problems = bounds.invoice_problems(body, terms, counted, self.rules)
        if problems:
            raise PermanentFailure("; ".join(problems))

    def _already_in_norce(self, kind: Kind, body: Any) -> bool:
        """After an attempt whose outcome is unknown: does Norce have the document?"""
        if kind is Kind.STATUS:
            return False  # SendOrderStatus is idempotent: sending it again is safe
        number = body.NoteNo if kind is Kind.DELIVERY_NOTE else body.InvoiceNo
        if self.query is None:
            if kind.moves_money:
                raise PermanentFailure(
                    f"an earlier attempt may have sent {kind.value} {number} and Norce Query is not "
                    "configured to tell: check Norce's order before replaying"
                )
            return False
        try:
            if kind is Kind.DELIVERY_NOTE:
                return self.query.has_delivery_note(number)
            return self.query.has_invoice(number)
        except NorceRejected as error:
            raise PermanentFailure(
                f"an earlier attempt may have sent {kind.value} {number} and Norce Query cannot tell "
                f"({error}): check Norce's order before replaying"
            ) from error

    def _send(self, kind: Kind, body: Any) -> None:
        if kind is Kind.STATUS:
            self.norce.send_order_status(body)
        elif kind is Kind.DELIVERY_NOTE:
            self.norce.create_delivery_note(body)
        elif kind is Kind.INVOICE:
            self.norce.create_invoice(body)
        else:
            self.norce.credit_payment(body)

    def _after_sent(
        self, document: QueuedDocument, body: Any, state: dict[str, Any], record: dict[str, Any]
    ) -> None:
        """What Norce now knows of the order (idempotent: every map is keyed by document number)."""
        kind = document.document_kind
        if kind is Kind.STATUS:
            state["status"] = body.OrderStatus
        elif kind is Kind.DELIVERY_NOTE:
            terms = self.orders.terms(record)
            lines = bounds.note_lines(body, terms, order_state.counted(state)) if terms else {}
            state["delivery_notes"] = {
                **(state.get("delivery_notes") or {}),
                body.NoteNo: bounds.as_texts(lines),
            }
            ordered = {line: ordered.quantity for line, ordered in terms.lines.items()} if terms else {}
            derived = "Delivered" if order_state.fully_delivered(ordered, state) else "PartlyDelivered"
            if not ordered:  # an order confirmed before its lines were kept: the ERP sends the status
                self._note(document, "status_not_derived", reason="the order's lines are not known")
            elif order_state.moves_forward(state.get("status"), derived):
                self.norce.send_order_status(self._status(document, derived))
                state["status"] = derived
        elif kind is Kind.INVOICE:
            terms = self.orders.terms(record)
            lines = bounds.invoice_lines(body, terms, order_state.counted(state)) if terms else {}
            total = str(bounds.invoice_total(body))
            state["invoices"] = {**(state.get("invoices") or {}), body.InvoiceNo: total}
            state["invoiced_lines"] = {
                **(state.get("invoiced_lines") or {}),
                body.InvoiceNo: bounds.as_texts(lines),
            }
            if order_state.moves_forward(state.get("status"), "Invoiced"):
                state["status"] = "Invoiced"  # Norce sets it itself when it receives an invoice
        else:
            total = str(bounds.invoice_total(body))
            state["credits"] = {**(state.get("credits") or {}), body.InvoiceNo: total}
        self.records.note(document.order_key, "lifecycle_updated", self.clock(), lifecycle=state)

    def _status(self, document: QueuedDocument, status: str) -> OrderStatusUpdate:
        return OrderStatusUpdate(
            ClientOrderRef=OrderStatusUpdate.ref(document.client_order_ref),
            ErpOrderNo=document.erp_order_no,
            OrderStatus=status,
            AccountId=self.account_id,
        )

    # -- waiting, parking, the trail
    def _wait(self, document: QueuedDocument, token: str, reason: str) -> Sent:
        waited = self.clock() - document.received_at
        if waited >= self.wait_seconds:
            message = f"{reason} after {int(waited)} s (the limit is {int(self.wait_seconds)} s)"
            self._park(document, token, message, maybe_sent=False)
            raise PermanentFailure(message)
        self.ledger.finish(document.key, token, DocumentState.WAITING, reason=reason)
        self._note(document, "document_waiting", reason=reason)
        raise TransientFailure(reason, retry_after=self.retry_wait_seconds)

    def _park(self, document: QueuedDocument, token: str, reason: str, *, maybe_sent: bool) -> None:
        self.ledger.finish(document.key, token, DocumentState.PARKED, reason=reason, maybe_sent=maybe_sent)
        self._note(document, "document_failed", last_error=f"{_shown(document)}: {reason}"[:2000])
        if not maybe_sent:
            self._release(document)

    def _release(self, document: QueuedDocument) -> None:
        """A document parked before it reached Norce stops counting at the door, so the ERP can send it
        again corrected (a replay from the DLQ is checked here again, against what was sent)."""
        if self.books is None or not isinstance(document.body, dict):
            return
        kind, number = document.kind, document.key.rsplit("#", 1)[-1]
        version = fingerprint(document.body)
        for _ in range(5):
            book = self.books.read(document.order_key)
            entry = book.entry(kind, number)
            if entry is None or entry.fingerprint != version:
                return
            if self.books.write(document.order_key, book.with_entry(kind, number, None)):
                return

    def _note(self, document: QueuedDocument, event: str, **fields: Any) -> None:
        self.records.note(document.order_key, event, self.clock(), document=_shown(document), **fields)


def _shown(document: QueuedDocument) -> str:
    """``{Connect method} {number}`` for the trail, the number cut to ``SHOWN_NUMBER`` characters."""
    number = document.key.rsplit("#", 1)[-1]
    cut = number[:SHOWN_NUMBER] + ("..." if len(number) > SHOWN_NUMBER else "")
    return f"{document.key.split('#', 1)[0]} {cut}"


def _readable(document: QueuedDocument, statuses: frozenset[str]) -> NorceModel:
    """The queued body as the Connect message it must be, checked as the door checks it (a message put on
    the queue some other way, or queued by an older version): ``PermanentFailure`` if it cannot be sent."""
    try:
        kind = document.document_kind
        found = screen(document.body) if isinstance(document.body, dict) else ["the body is not an object"]
        body = document.model() if not found else None
    except (ValueError, TypeError, ValidationError) as error:
        detail = error.errors()[0]["msg"] if isinstance(error, ValidationError) else type(error).__name__
        raise PermanentFailure(
            f"the queued document cannot be read ({detail}): it can never be sent"
        ) from error
    if body is not None:
        found = validation.problems(kind, body, statuses) + validation.sendable_problems(body)
    if found:
        raise PermanentFailure(f"the queued document can never be sent: {'; '.join(found)[:1500]}")
    assert body is not None
    return body
