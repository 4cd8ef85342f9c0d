"""The order flow in memory up to a confirmed order, then its lifecycle: push (or poll) -> queue ->
LifecycleProcessor -> an in-memory Norce Connect whose Query sees what Connect took."""

from dataclasses import dataclass, field
from typing import Any

from norce_integration.adapters.memory.lifecycle import (
    InMemoryAcceptedBooks,
    InMemoryDocumentLedger,
    InMemoryDocumentQueue,
    InMemoryOrderIndex,
)
from norce_integration.adapters.memory.processing import InMemoryNorceQuery
from norce_integration.failures import PermanentFailure, TransientFailure
from norce_integration.lifecycle.archived import ArchivedOrders
from norce_integration.lifecycle.documents import Kind, QueuedDocument, document_key
from norce_integration.lifecycle.intake import Accepted, DocumentIntake, Refused
from norce_integration.lifecycle.service import LifecycleProcessor, Sent
from tests.support.processing import Flow, example_order

REF = "1001"  # a numeric ClientOrderRef, as Norce's basket ids are


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def invoice(number: str = "INV-1", total: str = "750.00", **changes: Any) -> dict[str, Any]:
    """An invoice of the example order's one line (2 x 300 + 25 % VAT), as the ERP pushes it."""
    body: dict[str, Any] = {
        "ClientOrderRef": int(REF),
        "InvoiceNo": number,
        "InvoiceDate": "2026-11-25T10:00:00Z",
        "CurrencyCode": "SEK",
        "Items": [{"PartNo": "ITEM001", "Quantity": 2, "UnitPrice": 300, "LineAmount": 600, "LineNo": 1}],
        "Vat": 150,
        "TotalAmount": total,
    }
    return body | changes


def credit(number: str = "CN-1", amount: str = "250.00", invoice_no: str = "INV-1") -> dict[str, Any]:
    vat = str(round(float(amount) * 0.2, 2))
    net = str(round(float(amount) - float(vat), 2))
    return {
        "ClientOrderRef": int(REF),
        "InvoiceNo": number,
        "CreditedInvoiceNo": invoice_no,
        "InvoiceDate": "2026-11-26T10:00:00Z",
        "CurrencyCode": "SEK",
        "Items": [{"PartNo": "CREDIT", "Quantity": 1, "UnitPrice": net, "LineAmount": net}],
        "Vat": vat,
        "TotalAmount": amount,
    }


def delivery_note(number: str = "DN-1", quantity: int = 2, **changes: Any) -> dict[str, Any]:
    body = {
        "ClientOrderRef": int(REF),
        "NoteNo": number,
        "DeliveryDate": "2026-11-25T09:00:00Z",
        "DeliverynoteItems": [{"ItemNo": "ITEM001", "Qty": quantity, "RowNumber": 1}],
        "DeliveryNotePackages": [{"ParcelNumber": f"PARCEL-{number}"}],
    }
    return body | changes


def status(value: str) -> dict[str, Any]:
    return {"ClientOrderRef": int(REF), "OrderStatus": value}


@dataclass
class Lifecycle:
    flow: Flow = field(default_factory=Flow)
    index: InMemoryOrderIndex = field(default_factory=InMemoryOrderIndex)
    ledger: InMemoryDocumentLedger = field(default_factory=InMemoryDocumentLedger)
    queue: InMemoryDocumentQueue = field(default_factory=InMemoryDocumentQueue)
    books: InMemoryAcceptedBooks = field(default_factory=InMemoryAcceptedBooks)
    clock: Clock = field(default_factory=Clock)
    query: InMemoryNorceQuery = field(init=False)
    order_key: str = field(init=False, default="")
    message: Any = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.query = InMemoryNorceQuery(connect=self.flow.norce)

    @property
    def norce(self) -> Any:
        return self.flow.norce

    @property
    def intake(self) -> DocumentIntake:
        return self.intake_with()

    def intake_with(self, **options: Any) -> DocumentIntake:
        orders = ArchivedOrders(self.flow.archive)
        return DocumentIntake(
            self.index, self.queue, self.flow.records, self.books, orders, clock=self.clock, **options
        )

    def processor(self, **options: Any) -> LifecycleProcessor:
        return LifecycleProcessor(
            ledger=self.ledger,
            records=self.flow.records,
            archive=self.flow.archive,
            norce=self.flow.norce,
            query=options.pop("query", self.query),
            clock=self.clock,
            books=options.pop("books", self.books),
            **options,
        )

    def order(self, *, confirm: bool = True, ref: str = REF) -> str:
        """Norce's example order, received and (unless ``confirm=False``) confirmed; its record key."""
        message = self.flow.receive(example_order(ref))
        self.message, self.order_key = message, message.key
        # In DynamoDB the ledger item is the order's record: it holds the archive key from the start.
        self.flow.records.note(message.key, "received", self.clock(), archive_key=message.archive_key)
        if confirm:
            self.confirm()
        return message.key

    def confirm(self) -> None:
        self.flow.processor(index=self.index).process(self.message)

    def queued(self, kind: Kind, body: dict[str, Any]) -> QueuedDocument:
        """A document put on the queue past the door (replayed from the DLQ, or queued by an older
        version): what the processor, the authority, must check by itself."""
        number = str(body.get(kind.number_field))
        erp_no = self.record.get("erp_order_no") or "SO-000001"
        if kind is Kind.DELIVERY_NOTE:  # named as the door names it for Norce
            body = {name: value for name, value in body.items() if name != "ClientOrderRef"} | {
                "OrderNo": erp_no
            }
        else:
            body = {**body, "ClientOrderRef": int(REF), "ErpOrderNo": erp_no}
        document = QueuedDocument(
            key=document_key(kind, self.order_key, number),
            kind=kind.value,
            order_key=self.order_key,
            client_order_ref=REF,
            erp_order_no=erp_no,
            body=body,
            received_at=self.clock(),
            source="push",
        )
        self.queue.documents.append(document)
        return document

    def push(self, kind: Kind, body: dict[str, Any]) -> Accepted:
        outcome = self.intake.accept(kind, body, source="push")
        assert isinstance(outcome, Accepted), outcome
        return outcome

    def refused(self, kind: Kind, body: Any) -> list[str]:
        queued = len(self.queue.documents)
        outcome = self.intake.accept(kind, body, source="push")
        assert isinstance(outcome, Refused), outcome
        assert len(self.queue.documents) == queued, "a refused document was queued"
        return outcome.problems

    def refusal(self, kind: Kind, body: Any) -> Refused:
        queued = len(self.queue.documents)
        outcome = self.intake.accept(kind, body, source="push")
        assert isinstance(outcome, Refused), outcome
        assert len(self.queue.documents) == queued, "a refused document was queued"
        return outcome

    def run(self, **options: Any) -> list[Sent | str]:
        """Process every queued document once, oldest first; what became of each."""
        processor = self.processor(**options)
        outcomes: list[Sent | str] = []
        pending, self.queue.documents = self.queue.documents, []
        for document in pending:
            outcomes.append(self.process(processor, document))
        return outcomes

    @staticmethod
    def process(processor: LifecycleProcessor, document: QueuedDocument) -> Sent | str:
        try:
            return processor.process(document)
        except TransientFailure as failure:
            return f"retry: {failure.reason}"
        except PermanentFailure as failure:
            return f"parked: {failure.reason}"

    @property
    def record(self) -> dict[str, Any]:
        return self.flow.records.get(self.order_key) or {}

    def trail(self) -> list[str]:
        return [entry["event"] for entry in self.record.get("trail", [])]

    def sent_statuses(self) -> list[str]:
        return [update.OrderStatus for update in self.flow.norce.statuses]
