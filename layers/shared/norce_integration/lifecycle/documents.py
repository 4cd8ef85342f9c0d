"""A lifecycle document on its way to Norce: what it is, which order it belongs to, and its key.

Every document is keyed by what the ERP numbered it: a status by order and status, a delivery note by
``NoteNo``, an invoice and a credit by ``InvoiceNo``. The key is the idempotency key of the whole flow:
the same document pushed five times at once, or again weeks later, reaches Norce once.
"""

import hashlib
import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from norce_integration.contracts.base import NorceModel
from norce_integration.contracts.connect import OrderStatusUpdate
from norce_integration.contracts.lifecycle import DeliveryNote, Invoice

SQS_MESSAGE_BYTES = 262_144  # SQS's limit for one message: the body and its attributes together
PARKING_ROOM = 4_160  # kept free for the ``FailureReason`` (1,000 characters) should it ever be parked
QUEUED_MESSAGE_BYTES = SQS_MESSAGE_BYTES - PARKING_ROOM  # the most a queued document may take


class Kind(StrEnum):
    STATUS = "SendOrderStatus"
    DELIVERY_NOTE = "CreateDeliveryNote"
    INVOICE = "CreateInvoice"
    CREDIT = "CreditPayment"

    @property
    def moves_money(self) -> bool:
        """Sending it twice would capture or pay back twice: never resent blind."""
        return self in (Kind.INVOICE, Kind.CREDIT)

    @property
    def counted(self) -> bool:
        """Counted against the order (quantities, amounts): another version is a conflict, not a repeat."""
        return self is not Kind.STATUS

    @property
    def number_field(self) -> str:
        return {Kind.STATUS: "OrderStatus", Kind.DELIVERY_NOTE: "NoteNo"}.get(self, "InvoiceNo")


MODELS: dict[Kind, type[NorceModel]] = {
    Kind.STATUS: OrderStatusUpdate,
    Kind.DELIVERY_NOTE: DeliveryNote,
    Kind.INVOICE: Invoice,
    Kind.CREDIT: Invoice,
}


def number_of(kind: Kind, body: NorceModel) -> str | None:
    """The ERP's number of the document (for a status: the status itself)."""
    if isinstance(body, OrderStatusUpdate):
        return body.OrderStatus or None
    if isinstance(body, DeliveryNote):
        return body.NoteNo or None
    if isinstance(body, Invoice):
        return body.InvoiceNo or None
    return None


def document_key(kind: Kind, order_key: str, number: str) -> str:
    """``{kind}#{order}#{number}``: unique per ERP document (a status is unique per order and status)."""
    return f"{kind.value}#{order_key}#{number}"


def document_id(key: str) -> str:
    """A short, stable id to answer the ERP with (and SQS's deduplication id)."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def fingerprint(body: dict[str, Any]) -> str:
    """What a version of a document is: the hash of its body as it goes to Norce (keys sorted), so the
    same document pushed again matches and a corrected one does not."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class QueuedDocument:
    """The message on the lifecycle queue (FIFO, grouped by order so an order's documents stay in order)."""

    key: str
    kind: str
    order_key: str
    client_order_ref: str
    erp_order_no: str | None
    body: dict[str, Any]
    received_at: float
    source: str  # "push", "poll" or "webhook"
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def document_kind(self) -> Kind:
        return Kind(self.kind)

    def model(self) -> NorceModel:
        return MODELS[self.document_kind].model_validate(self.body)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def encode(self) -> str:
        """The message body: JSON with non-ASCII text as itself (``ensure_ascii=False``), so a text in
        another alphabet is not blown up six times by ``\\uXXXX`` escapes on its way through SQS."""
        return json.dumps(self.as_dict(), separators=(",", ":"), ensure_ascii=False)

    def message_attributes(self) -> dict[str, str]:
        """The SQS message attributes (string values) that travel with it."""
        return {"ClientOrderRef": self.client_order_ref, "Document": self.key}

    def message_bytes(self) -> int:
        """Its size as SQS counts it (body, attribute names, types, values): at most
        ``QUEUED_MESSAGE_BYTES``, so it can be parked on the DLQ with its reason too."""
        attributes = sum(
            len(name.encode()) + len(b"String") + len(value.encode("utf-8", "surrogatepass"))
            for name, value in self.message_attributes().items()
        )
        return len(self.encode().encode("utf-8", "surrogatepass")) + attributes
