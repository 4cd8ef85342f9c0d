"""Accepting a lifecycle document from the ERP, pushed or polled: read it, name every problem, find its
order, and queue it durably. Nothing is queued for a document with a problem."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from norce_integration.codec.lenient import validate_collecting
from norce_integration.contracts.base import NorceModel
from norce_integration.contracts.connect import OrderStatusUpdate
from norce_integration.contracts.lifecycle import DeliveryNote, Invoice
from norce_integration.lifecycle import validation
from norce_integration.lifecycle.documents import (
    MODELS,
    Kind,
    QueuedDocument,
    document_id,
    document_key,
    number_of,
)
from norce_integration.lifecycle.ports import DocumentQueue
from norce_integration.orders.records import OrderIndex, OrderRecords


@dataclass(frozen=True, slots=True)
class Accepted:
    document_id: str
    key: str
    client_order_ref: str


@dataclass(frozen=True, slots=True)
class Refused:
    problems: list[str]


def _order_refs(body: NorceModel) -> tuple[str | None, str | None]:
    ref = getattr(body, "ClientOrderRef", None)
    erp_no: str | None = None
    if isinstance(body, OrderStatusUpdate | Invoice):
        erp_no = body.ErpOrderNo
    elif isinstance(body, DeliveryNote):
        erp_no = body.OrderNo
    return (str(ref) if ref not in (None, "") else None), erp_no or None


@dataclass
class DocumentIntake:
    index: OrderIndex
    queue: DocumentQueue
    records: OrderRecords
    clock: Callable[[], float] = field(default=time.time)

    def accept(self, kind: Kind, raw: Any, source: str) -> Accepted | Refused:
        if not isinstance(raw, dict):
            return Refused(["the body must be a JSON object"])
        try:
            body, found = validate_collecting(MODELS[kind], dict(raw))
        except ValidationError as error:
            return Refused([f"the body is not a {kind.value} message: {error.errors()[0]['msg']}"])
        found += validation.problems(kind, body)
        client_order_ref, erp_order_no = _order_refs(body)
        order = None
        if client_order_ref or erp_order_no:
            order = self.index.find(client_order_ref=client_order_ref, erp_order_no=erp_order_no)
            if order is None:
                named = (
                    f"ClientOrderRef {client_order_ref}" if client_order_ref else f"ERP order {erp_order_no}"
                )
                found.append(f"unknown order: {named} is not an order this integration has sent to the ERP")
        number = number_of(kind, body)
        if found or order is None or number is None:
            return Refused(found or ["the document has no number"])
        key = document_key(kind, order.order_key, number)
        now = self.clock()
        if isinstance(body, OrderStatusUpdate | Invoice):  # what Norce needs to match the order, filled in
            body.ClientOrderRef = body.ClientOrderRef or OrderStatusUpdate.ref(order.client_order_ref)
            body.ErpOrderNo = body.ErpOrderNo or order.erp_order_no
        elif isinstance(body, DeliveryNote):
            body.OrderNo = body.OrderNo or order.erp_order_no
        self.queue.send(
            QueuedDocument(
                key=key,
                kind=kind.value,
                order_key=order.order_key,
                client_order_ref=order.client_order_ref,
                erp_order_no=order.erp_order_no,
                body=body.model_dump(mode="json", exclude_none=True),
                received_at=now,
                source=source,
            )
        )
        self.records.note(
            order.order_key, "document_received", now, document=f"{kind.value} {number}", source=source
        )
        return Accepted(document_id(key), key, order.client_order_ref)
