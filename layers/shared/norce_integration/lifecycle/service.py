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
  needs an invoice of the order that was sent and may not exceed what was invoiced minus credited.
"""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from norce_integration.codec.json_codec import parse_json
from norce_integration.codec.xml_codec import parse_xml
from norce_integration.contracts import OrderRequest
from norce_integration.contracts.connect import OrderStatusUpdate
from norce_integration.contracts.lifecycle import DeliveryNote, Invoice
from norce_integration.failures import DependencyUnavailable, PermanentFailure, TransientFailure
from norce_integration.lifecycle import order_state
from norce_integration.lifecycle.documents import Kind, QueuedDocument
from norce_integration.lifecycle.ports import DocumentLedger, DocumentState
from norce_integration.norce.ports import NorceConnect, NorceQuery, NorceRejected, NorceUnavailable
from norce_integration.orders.records import OrderArchive, OrderRecords

CONFIRMED = "confirmed"


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
            return self._owned(document, token, begun.maybe_sent)
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

    # -- one owned attempt
    def _owned(self, document: QueuedDocument, token: str, maybe_sent: bool) -> Sent:
        record = self.records.get(document.order_key) or {}
        if record.get("processing_state") != CONFIRMED:
            raise _Waiting("the order is not confirmed in Norce yet")
        state: dict[str, Any] = dict(record.get("lifecycle") or {})
        kind, body = document.document_kind, document.model()
        if isinstance(body, OrderStatusUpdate) and not order_state.moves_forward(
            state.get("status"), body.OrderStatus
        ):
            reason = f"{body.OrderStatus} would not move the order forward from {state.get('status')}"
            self.ledger.finish(document.key, token, DocumentState.SKIPPED, reason=reason)
            self._note(document, "document_skipped", reason=reason)
            return Sent.SKIPPED
        if kind is Kind.CREDIT and isinstance(body, Invoice):
            self._check_credit(body, state)
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

    def _check_credit(self, credit: Invoice, state: dict[str, Any]) -> None:
        invoices = order_state.amounts(state, "invoices")
        if credit.CreditedInvoiceNo not in invoices:
            raise _Waiting(f"invoice {credit.CreditedInvoiceNo} of this order has not been sent to Norce")
        left = order_state.creditable(state)
        if (credit.TotalAmount or Decimal(0)) > left:
            raise PermanentFailure(
                f"credit {credit.InvoiceNo} of {credit.TotalAmount} exceeds what was invoiced minus what was "
                f"already credited ({left})"
            )

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
            ordered, parts = self._ordered_lines(record)
            notes = dict(state.get("delivery_notes") or {})
            notes[body.NoteNo] = _delivered_lines(body, ordered, parts, state)
            state["delivery_notes"] = notes
            derived = "Delivered" if order_state.fully_delivered(ordered, state) else "PartlyDelivered"
            if not ordered:  # an order confirmed before its lines were kept: the ERP sends the status
                self._note(document, "status_not_derived", reason="the order's lines are not known")
            elif order_state.moves_forward(state.get("status"), derived):
                self.norce.send_order_status(self._status(document, derived))
                state["status"] = derived
        elif kind is Kind.INVOICE:
            state["invoices"] = {**(state.get("invoices") or {}), body.InvoiceNo: str(body.TotalAmount or 0)}
            if order_state.moves_forward(state.get("status"), "Invoiced"):
                state["status"] = "Invoiced"  # Norce sets it itself when it receives an invoice
        else:
            state["credits"] = {**(state.get("credits") or {}), body.InvoiceNo: str(body.TotalAmount or 0)}
        self.records.note(document.order_key, "lifecycle_updated", self.clock(), lifecycle=state)

    def _status(self, document: QueuedDocument, status: str) -> OrderStatusUpdate:
        return OrderStatusUpdate(
            ClientOrderRef=OrderStatusUpdate.ref(document.client_order_ref),
            ErpOrderNo=document.erp_order_no,
            OrderStatus=status,
            AccountId=self.account_id,
        )

    def _ordered_lines(self, record: dict[str, Any]) -> tuple[dict[str, Decimal], dict[str, str | None]]:
        """Ordered quantity and part number per line, from the order as Norce sent it (the archive)."""
        items = [item for item in self._archived_order(record).Items or [] if item.LineNo is not None]
        quantities = {str(item.LineNo): item.Quantity or Decimal(0) for item in items}
        parts = {str(item.LineNo): item.ErpPartNo or item.PartNo for item in items}
        return quantities, parts

    def _archived_order(self, record: dict[str, Any]) -> OrderRequest:
        """The order as Norce sent it; an empty one for an order confirmed before its archive key was kept."""
        archive_key = record.get("archive_key")
        if not archive_key:
            return OrderRequest()
        body = self.archive.get(archive_key)
        if record.get("wire_format") == "xml" or archive_key.endswith(".xml"):
            return parse_xml(body, OrderRequest)[0]
        return parse_json(body, OrderRequest)[0]

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
        self._note(document, "document_failed", last_error=f"{document.kind} {document.key}: {reason}")

    def _note(self, document: QueuedDocument, event: str, **fields: Any) -> None:
        self.records.note(
            document.order_key,
            event,
            self.clock(),
            document=document.key.split("#", 1)[0] + " " + document.key.rsplit("#", 1)[-1],
            **fields,
        )


def _delivered_lines(
    note: DeliveryNote, ordered: dict[str, Decimal], parts: dict[str, str | None], state: dict[str, Any]
) -> dict[str, str]:
    """The note's quantities per order line: by RowNumber, else the first line of that part number that
    is not fully delivered yet (else its first line of that part)."""
    done = order_state.delivered(state)
    lines: dict[str, str] = {}
    for item in note.DeliverynoteItems or []:
        line = str(item.RowNumber) if item.RowNumber is not None and str(item.RowNumber) in ordered else None
        if line is None:
            same_part = [n for n, part in parts.items() if part == item.ItemNo]
            line = next(
                (n for n in same_part if done.get(n, Decimal(0)) < ordered[n]),
                same_part[0] if same_part else f"part {item.ItemNo}",
            )
        lines[line] = str(Decimal(lines.get(line, "0")) + (item.Qty or Decimal(0)))
    return lines
