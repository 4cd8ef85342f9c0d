"""Accepting a lifecycle document from the ERP, pushed or polled: read it, name every problem, find its
order, hold it against the order, and queue it durably. Nothing is queued for a document with a problem,
and nothing is queued that the processor could not send.

At the door, in order:
1. the body: a JSON object, nothing ``screen`` refuses, Norce's published fields only, what
   ``validation`` requires (lengths, characters, amounts, quantities);
2. the order, by ``ClientOrderRef`` (any document may name it, it is a look-up key here) or the ERP's
   order number; its references filled in as Norce's request needs them (``validation.sendable_problems``);
3. the size of the queued message (SQS takes 256 KB);
4. for a delivery note, invoice or credit, the order's book: the same number with the same content is a
   repeat (queued again, same DocumentId), with other content a conflict (409, both versions on the
   trail); otherwise ``bounds`` over everything accepted so far, and the document is counted by a
   conditional write that fails if another document was counted since the book was read (then again).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from norce_integration.codec.lenient import validate_collecting
from norce_integration.contracts.base import NorceModel
from norce_integration.contracts.connect import OrderStatusUpdate, basket_id
from norce_integration.contracts.lifecycle import DeliveryNote, Invoice
from norce_integration.failures import DependencyUnavailable, PermanentFailure
from norce_integration.lifecycle import bounds, order_state, validation
from norce_integration.lifecycle.archived import RECORD_FIELDS, ArchivedOrders
from norce_integration.lifecycle.documents import (
    MODELS,
    QUEUED_MESSAGE_BYTES,
    Kind,
    QueuedDocument,
    document_id,
    document_key,
    fingerprint,
    number_of,
)
from norce_integration.lifecycle.ports import AcceptedBooks, Book, DocumentQueue, Entry
from norce_integration.lifecycle.screen import screen
from norce_integration.orders.records import IndexedOrder, OrderIndex, OrderRecords

UNKNOWN_ORDER = "unknown order"


class Refusal(StrEnum):
    INVALID = "invalid"  # the document itself (HTTP 400)
    UNKNOWN_ORDER = "unknown_order"  # no order of ours by that reference (400; the poll may wait for it)
    BREAKS_RULES = "breaks_rules"  # more than the order allows (400; on the order's trail)
    CONFLICT = "conflict"  # its number was accepted with other content (409; both on the trail)
    TOO_LARGE = "too_large"  # its queued message would exceed SQS's limit (413)


@dataclass(frozen=True, slots=True)
class Accepted:
    document_id: str
    key: str
    client_order_ref: str


@dataclass(frozen=True, slots=True)
class Refused:
    problems: list[str]
    refusal: Refusal = Refusal.INVALID


def _order_number(body: NorceModel) -> str | None:
    if isinstance(body, DeliveryNote):
        return body.OrderNo or None
    return getattr(body, "ErpOrderNo", None) or None


def _look_up_ref(data: dict[str, Any]) -> tuple[str | None, str | None]:
    """Take ``ClientOrderRef`` out of the body: (the ref as text, or a problem with it). Norce's own field
    is filled in from the order later, as its request needs it."""
    ref = data.pop("ClientOrderRef", None)
    if ref is None or ref == "":
        return None, None
    if isinstance(ref, bool) or not isinstance(ref, str | int):
        return None, "ClientOrderRef must be text or a whole number"
    text = str(ref)
    return text, validation.key_problem("ClientOrderRef", text)


@dataclass
class DocumentIntake:
    index: OrderIndex
    queue: DocumentQueue
    records: OrderRecords
    books: AcceptedBooks
    orders: ArchivedOrders
    rules: bounds.Bounds = field(default_factory=bounds.Bounds)
    statuses: frozenset[str] = field(default_factory=validation.statuses_accepted)
    clock: Callable[[], float] = field(default=time.time)
    max_documents_per_order: int = 300  # the book lives on the order's record (DynamoDB: 400 KB)
    write_attempts: int = 10

    def accept(self, kind: Kind, raw: Any, source: str) -> Accepted | Refused:
        if not isinstance(raw, dict):
            return Refused(["the body must be a JSON object"])
        screened = screen(raw)
        if screened:
            return Refused(screened)
        data = dict(raw)
        ref, ref_problem = _look_up_ref(data)
        undocumented = published_only(MODELS[kind], data)
        try:
            body, found = validate_collecting(MODELS[kind], data)
        except ValidationError as error:
            return Refused([f"the body is not a {kind.value} message: {error.errors()[0]['msg']}"])
        found = undocumented + found + ([ref_problem] if ref_problem else [])
        found += validation.problems(kind, body, self.statuses)
        erp_no = _order_number(body)
        order, missing = self._find(ref if not ref_problem else None, erp_no)
        if missing and missing.startswith(UNKNOWN_ORDER) and not found:
            return Refused([missing], Refusal.UNKNOWN_ORDER)
        number = number_of(kind, body)
        if found or order is None or number is None:
            return Refused(found + ([missing] if missing else []) or ["the document has no number"])
        found = _filled(body, order) or validation.sendable_problems(body)
        if found:
            return Refused(found)
        return self._accept_for(kind, body, order, number, source)

    def _find(self, ref: str | None, erp_no: str | None) -> tuple[IndexedOrder | None, str | None]:
        if validation.key_problem("ErpOrderNo", erp_no):
            erp_no = None  # named as a problem already; never a key DynamoDB cannot hold
        if not ref and not erp_no:
            return (
                None,
                "ClientOrderRef or the ERP order number (ErpOrderNo, a delivery note's OrderNo) is required",
            )
        order = self.index.find(client_order_ref=ref, erp_order_no=erp_no)
        if order is None:
            named = f"ClientOrderRef {ref}" if ref else f"ERP order {erp_no}"
            return None, f"{UNKNOWN_ORDER}: {named} is not an order this integration has sent to the ERP"
        return order, None

    def _accept_for(
        self, kind: Kind, body: NorceModel, order: IndexedOrder, number: str, source: str
    ) -> Accepted | Refused:
        key, now = document_key(kind, order.order_key, number), self.clock()
        document = QueuedDocument(
            key=key,
            kind=kind.value,
            order_key=order.order_key,
            client_order_ref=order.client_order_ref,
            erp_order_no=order.erp_order_no,
            body=body.model_dump(mode="json", exclude_none=True),
            received_at=now,
            source=source,
        )
        size = document.message_bytes()
        if size > QUEUED_MESSAGE_BYTES:
            return Refused(
                [
                    f"the document would be {size:,} bytes on the lifecycle queue, with its references: "
                    f"at most {QUEUED_MESSAGE_BYTES:,} fit (SQS's 256 KiB, less room for a reason should it "
                    "ever be parked). Shorten its texts or split it"
                ],
                Refusal.TOO_LARGE,
            )
        if kind.counted:
            refused = self._count(_Arrival(kind, body, order, number, source, fingerprint(document.body)))
            if refused is not None:
                return refused
        self.queue.send(document)
        self.records.note(
            order.order_key, "document_received", now, document=f"{kind.value} {number}", source=source
        )
        return Accepted(document_id(key), key, order.client_order_ref)

    def _count(self, arrival: "_Arrival") -> Refused | None:
        """Record the document in the order's book (None), or why it may not be (a repeat is None too)."""
        order, kind, number = arrival.order, arrival.kind, arrival.number
        record = self.records.get(order.order_key, fields=RECORD_FIELDS)
        try:
            terms = self.orders.terms(record) if record is not None else None
        except PermanentFailure as failure:  # the archived body is not an order: no retry can fix it
            return Refused([f"order {order.client_order_ref}: {failure.reason}"])
        if terms is None:
            return Refused(
                [
                    f"order {order.client_order_ref} has no record or archived OrderRequest (kept "
                    "OrderRecordRetentionDays): its documents cannot be held against it"
                ]
            )
        for _ in range(self.write_attempts):
            book = self.books.read(order.order_key)
            accepted = book.entry(kind.value, number)
            if accepted is not None:
                if accepted.fingerprint == arrival.version:
                    return None  # the same document again: queued again, the ledger sends it once
                return self._conflict(arrival, accepted)
            if book.size() >= self.max_documents_per_order:
                return Refused(
                    [f"order {order.client_order_ref} already has {book.size()} documents: no more are taken"]
                )
            entry, problems = _held(arrival, terms, book, self.rules)
            if problems:
                self._note(arrival, "document_refused", refused_because="; ".join(problems)[:1000])
                return Refused(problems, Refusal.BREAKS_RULES)
            if self.books.write(order.order_key, book.with_entry(kind.value, number, entry)):
                return None
        raise DependencyUnavailable(
            f"the documents of order {order.client_order_ref} kept changing: try again"
        )

    def _conflict(self, arrival: "_Arrival", accepted: Entry) -> Refused:
        pushed = {"fingerprint": arrival.version[:16]}
        if isinstance(arrival.body, Invoice):
            pushed["total"] = str(bounds.invoice_total(arrival.body))
        first = {"fingerprint": accepted.fingerprint[:16]}
        if accepted.total is not None:
            first["total"] = accepted.total
        problem = (
            f"{arrival.kind.number_field} {arrival.number} was accepted before with other content "
            f"({_version(first)}; this one {_version(pushed)}): a document is never changed once accepted. "
            "Credit it, or send a new number"
        )
        self._note(arrival, "document_conflict", conflict={"accepted": first, "refused": pushed})
        return Refused([problem], Refusal.CONFLICT)

    def _note(self, arrival: "_Arrival", event: str, **fields: Any) -> None:
        document = f"{arrival.kind.value} {arrival.number}"
        self.records.note(
            arrival.order.order_key, event, self.clock(), document=document, source=arrival.source, **fields
        )


@dataclass(frozen=True, slots=True)
class _Arrival:
    """A document about to be counted against its order."""

    kind: Kind
    body: NorceModel
    order: IndexedOrder
    number: str
    source: str
    version: str  # its fingerprint


def _held(
    arrival: _Arrival, terms: bounds.OrderTerms, book: Book, rules: bounds.Bounds
) -> tuple[Entry, list[str]]:
    """The document's entry in the book, and what in it breaks the order's bounds."""
    body, version = arrival.body, arrival.version
    counted = order_state.counted_at_the_door(book)
    if isinstance(body, DeliveryNote):
        lines = bounds.note_lines(body, terms, counted)
        return Entry(version, None, bounds.as_texts(lines)), bounds.delivery_note_problems(
            body, terms, counted
        )
    assert isinstance(body, Invoice)
    total = str(bounds.invoice_total(body))
    if arrival.kind is Kind.CREDIT:
        return Entry(version, total), bounds.credit_problems(body, counted)
    lines = bounds.invoice_lines(body, terms, counted)
    return Entry(version, total, bounds.as_texts(lines)), bounds.invoice_problems(body, terms, counted, rules)


def _filled(body: NorceModel, order: IndexedOrder) -> list[str]:
    """Norce's references of the order filled in (a document names its order by what the ERP knows);
    what does not agree with the order is a problem."""
    found = []
    given = _order_number(body)
    if given and order.erp_order_no and given != order.erp_order_no:
        found.append(
            f"ERP order number {given} is not the number of order {order.client_order_ref} "
            f"({order.erp_order_no})"
        )
    if isinstance(body, DeliveryNote):
        body.OrderNo = order.erp_order_no
        return found
    assert isinstance(body, OrderStatusUpdate | Invoice)
    body.ErpOrderNo = order.erp_order_no
    body.ClientOrderRef = basket_id(order.client_order_ref)
    if isinstance(body, Invoice) and body.ClientOrderRef is None:
        found.append(
            f"order {order.client_order_ref} cannot be invoiced or credited through Norce Connect: its "
            "ClientOrderRef is not a Norce basket id (an int32 number), which CreateInvoice and "
            "CreditPayment require"
        )
    return found


def _version(version: dict[str, str]) -> str:
    return ", ".join(f"{name} {value}" for name, value in version.items())


def published_only(model: type[BaseModel], data: dict[str, Any], where: str = "") -> list[str]:
    """Take out of ``data`` (in place) every field Norce does not publish for ``model``, at any depth; a
    problem for each: it would never reach Norce, so it is refused rather than dropped unseen."""
    found = []
    for name in list(data):
        field = model.model_fields.get(name)
        if field is None:
            del data[name]
            found.append(
                f"{where}{name} is not a field of Norce's message (docs.norce.io): it would not reach Norce"
            )
            continue
        nested, value = _model_in(field.annotation), data[name]
        if nested is not None and isinstance(value, dict):
            found += published_only(nested, value, f"{where}{name}.")
        elif nested is not None and isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    found += published_only(nested, item, f"{where}{name}[{index}].")
    return found


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds (itself, in a list, or optional), None for a plain value."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None
