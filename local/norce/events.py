"""Norce Event: the subscriptions, and the payloads of the events Norce posts to them.

The simulator's ``NorceEventSender`` (``state.events``) posts; this module says what, exactly in Norce's
published fields (``tests/contracts/norce/events.py``): OrderReceivedEvent for a placed order, the
Order*Event of an order's first Confirmed / ReadyForPickup / Delivered / PartlyDelivered / Cancelled
SendOrderStatus (once per order), InvoiceCaptureCompletedEvent after each CreateInvoice that asks for a
capture, Customer/CompanyChangedNotification for an edit in Norce Admin. Every payload starts with
``ClientId`` and ``ApplicationId``. Subscriptions, any event
and the deliveries: ``/_events/subscriptions``, ``POST /_events/emit``, ``GET /_events``.
"""

from typing import Any

from flask import Flask, Response, jsonify, request

from local.norce.query import document_id, order_id_of
from local.norce.state import NorceState
from local.norce_event_sender import ANY_EVENT, delivery_view

# SendOrderStatus statuses that make Norce send an order event (once per order)
STATUS_EVENTS = {
    "Confirmed": "OrderConfirmedEvent",
    "ReadyForPickup": "OrderReadyForPickupEvent",
    "Delivered": "OrderDeliveredEvent",
    "PartlyDelivered": "OrderPartlyDeliveredEvent",
    "Cancelled": "OrderCancelledEvent",
}


def register(app: Flask, state: NorceState) -> None:
    @app.route("/_events/subscriptions", methods=["GET", "POST", "DELETE"])
    def event_subscriptions() -> tuple[Response, int]:
        if request.method == "POST":
            return _subscribe(state, request.get_json(force=True))
        if request.method == "DELETE":
            state.events.unsubscribe_all()
        return jsonify({k: v.__dict__ for k, v in state.events.subscriptions.items()}), 200

    @app.post("/_events/emit")
    def emit_event() -> tuple[Response, int]:
        body = request.get_json(force=True)
        if not isinstance(body, dict) or not isinstance(body.get("eventType"), str):
            return jsonify({"Message": "eventType is required"}), 400
        payload = body.get("payload")
        if not isinstance(payload, dict):
            return jsonify({"Message": "payload must be an object"}), 400
        return jsonify(delivery_view(state.events.emit(body["eventType"], payload))), 202

    @app.get("/_events")
    def events() -> Response:
        return jsonify([delivery_view(d) for d in state.events.deliveries])


def _subscribe(state: NorceState, body: Any) -> tuple[Response, int]:
    if not isinstance(body, dict):
        return jsonify({"Message": "the body must be an object"}), 400
    event_type, url, headers = (
        body.get("eventType", ANY_EVENT),
        body.get("url"),
        body.get("headers") or {},
    )
    if not isinstance(event_type, str) or not isinstance(url, str) or not isinstance(headers, dict):
        return jsonify({"Message": "eventType and url must be text, headers an object"}), 400
    state.events.subscribe(event_type, url, {str(k): str(v) for k, v in headers.items()})
    return jsonify({"eventType": event_type, "url": url, "headers": headers}), 201


def order_received(state: NorceState, ref: str, order_request: dict[str, Any]) -> dict[str, Any]:
    """Under the lock: the OrderReceivedEvent of a placed order, the only order event with ``Email``."""
    buyer = person(order_request)
    return {
        **state.event_ids(),
        "ClientOrderRef": ref,
        "Email": _text(buyer.get("Email")),
        **person_fields(order_request),
        "Source": "WEB",
    }


def status_event(state: NorceState, ref: str, body: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """Under the lock: the Order*Event this status sends, unless the order already had it. Exactly Norce's
    fields: no Email (only OrderReceivedEvent has one); OrderReadyForPickupEvent adds DropPointCode."""
    event_type = STATUS_EVENTS.get(body["OrderStatus"])
    if event_type is None:
        return None
    key = _order_key(state, ref, body)
    if (key, event_type) in state.order_events:
        return None
    state.order_events.add((key, event_type))
    placed = state.placed.get(key)
    order_request = placed["OrderRequest"] if placed else {}
    erp_no = body.get("ErpOrderNo")
    payload = {
        **state.event_ids(),
        "OrderId": order_id_of(state, key),
        "OrderNo": str(erp_no) if erp_no not in (None, "") else (state.erp_order_no(key) or key),
        "ClientOrderRef": key,
        **person_fields(order_request),
        "Source": "WEB",
    }
    if event_type == "OrderReadyForPickupEvent":
        pickup = (order_request.get("ShippingAdvice") or {}).get("PickupStore")
        payload["DropPointCode"] = _text(pickup.get("Code")) if isinstance(pickup, dict) else None
    return event_type, payload


def invoice_captured(state: NorceState, ref: str, index: int) -> tuple[str, dict[str, Any]]:
    """Under the lock: the InvoiceCaptureCompletedEvent of the ``index``-th invoice of order ``ref``: the
    payment provider captured it, or (the ``capture_errors`` fault) did not."""
    failed = state.faults.capture_errors > 0
    if failed:
        state.faults.capture_errors -= 1
        state.stats["capture errors"] += 1
    return "InvoiceCaptureCompletedEvent", {
        **state.event_ids(),
        "CapturedInvoiceId": document_id(state, ref, "Invoices", index),
        "State": "Error" if failed else "Captured",
    }


def changed_notification(
    state: NorceState, kind: str, entity_id: int, entity_changed: str
) -> tuple[str, dict[str, Any]]:
    """CustomerChangedNotification / CompanyChangedNotification of an edit in Norce Admin."""
    event_type, id_key = (
        ("CustomerChangedNotification", "CustomerId")
        if kind == "customers"
        else ("CompanyChangedNotification", "CompanyId")
    )
    return event_type, {**state.event_ids(), id_key: entity_id, "EntityChanged": entity_changed}


def _order_key(state: NorceState, ref: str, body: dict[str, Any]) -> str:
    """Under the lock: the order a status is about; a status sent by ErpOrderNo alone belongs to the
    order (placed first) that had a status with that ErpOrderNo and its ClientOrderRef."""
    erp_no = body.get("ErpOrderNo")
    if ref in state.placed or body.get("ClientOrderRef") not in (None, "") or erp_no in (None, ""):
        return ref
    others = [
        other
        for other, statuses in state.orders.items()
        if other != ref and any(str(s.get("ErpOrderNo")) == str(erp_no) for s in statuses)
    ]
    return next((o for o in others if o in state.placed), others[0] if others else ref)


def person(order: dict[str, Any]) -> dict[str, Any]:
    """The buyer of an OrderRequest: SellTo's Person, else BillTo's (a B2B SellTo may have none)."""
    for party in ("SellTo", "BillTo"):
        found = (order.get(party) or {}).get("Person")
        if isinstance(found, dict):
            return found
    return {}


def person_fields(order: dict[str, Any]) -> dict[str, Any]:
    """The optional person fields every order event has (None when unknown); never the e-mail."""
    buyer = person(order)
    return {name: _text(buyer.get(name)) for name in ("CellPhone", "FirstName", "LastName")}


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)
