"""A lifecycle document on its way to Norce: what it is, which order it belongs to, and its key.

Every document is keyed by what the ERP numbered it: a status by order and status, a delivery note by
``NoteNo``, an invoice and a credit by ``InvoiceNo``. The key is the idempotency key of the whole flow:
the same document pushed five times at once, or again weeks later, reaches Norce once.
"""

import hashlib
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from norce_integration.contracts.base import NorceModel
from norce_integration.contracts.connect import OrderStatusUpdate
from norce_integration.contracts.lifecycle import DeliveryNote, Invoice


class Kind(StrEnum):
    STATUS = "SendOrderStatus"
    DELIVERY_NOTE = "CreateDeliveryNote"
    INVOICE = "CreateInvoice"
    CREDIT = "CreditPayment"

    @property
    def moves_money(self) -> bool:
        """Sending it twice would capture or pay back twice: never resent blind."""
        return self in (Kind.INVOICE, Kind.CREDIT)


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
    return hashlib.sha256(key.encode()).hexdigest()[:32]


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
