"""Norce Commerce Connect 4.0's order service: ``Order/SendOrderStatus``, ``Order/CreateDeliveryNote``,
``Order/CreateInvoice`` (a capture at the PSP) and ``Order/CreditPayment`` (a refund of an invoice).

SendOrderStatus takes Norce's documented statuses, keeps each order's history (``state.orders``, per
ClientOrderRef, else ErpOrderNo) and sends the Order*Event of a status once per order (``events``). The
documents need an order Norce knows (one that had a status), found by ClientOrderRef or by the ErpOrderNo
sent with its statuses; bodies are kept as received in ``state.documents``. Like Norce, nothing is
deduplicated: a repeated NoteNo / InvoiceNo is accepted again and counted in ``stats``. An invoice's
``TotalAmount`` must equal its items' ``LineAmount`` + ``Vat`` + ``InvoiceRoundOff``; a credit may not exceed
what the order's invoices captured less what was already credited.
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Flask, Response, g, jsonify, request

from local.norce.connect import CONNECT, answer
from local.norce.events import invoice_captured, status_event
from local.norce.state import NorceState

STATUSES = frozenset(
    [
        "Created",
        "Allocation",
        "Confirmed",
        "BackOrder",
        "Delivered",
        "Invoiced",
        "Cancelled",
        "CreditControl",
        "PartlyDelivered",
        "Acknowledged",
        "ErpConfirmed",
        "ReadyForPickup",
        "PickedUp",
        "NotPickedUp",
        "OnHold",
        "WaitingForCancel",
        "WaitingForOnHoldRemoved",
        "CancelError",
        "AcknowledgementError",
        "ReadyForReservation",
        "Reserved",
    ]
)


def register(app: Flask, state: NorceState) -> None:
    @app.post(f"{CONNECT}/Order/SendOrderStatus")
    def send_order_status() -> tuple[Response, int]:
        body = request.get_json(force=True)
        if body.get("OrderStatus") not in STATUSES:
            return jsonify({"Message": f"unknown OrderStatus {body.get('OrderStatus')!r}"}), 400
        ref = body.get("ClientOrderRef") or body.get("ErpOrderNo")
        if ref is None:
            return jsonify({"Message": "ClientOrderRef or ErpOrderNo is required"}), 400
        with state.lock:
            state.orders.setdefault(str(ref), []).append(
                {"OrderStatus": body["OrderStatus"], "ErpOrderNo": body.get("ErpOrderNo")}
            )
            if body.get("ErpOrderNo") not in (None, ""):
                state.erp_order_refs[str(body["ErpOrderNo"])] = str(ref)
            g.connect_call["status"] = 200
            event = status_event(state, str(ref), body)
        if event is not None:
            state.events.emit(*event)
        return jsonify({}), 200

    @app.post(f"{CONNECT}/Order/CreateDeliveryNote")
    def create_delivery_note() -> tuple[Response, int]:
        return answer(delivery_note(state, request.get_json(force=True)))

    @app.post(f"{CONNECT}/Order/CreateInvoice")
    def create_invoice() -> tuple[Response, int]:
        return answer(invoice_or_credit(state, request.get_json(force=True), credit=False))

    @app.post(f"{CONNECT}/Order/CreditPayment")
    def credit_payment() -> tuple[Response, int]:
        return answer(invoice_or_credit(state, request.get_json(force=True), credit=True))


def delivery_note(state: NorceState, body: Any) -> tuple[dict[str, Any], int]:
    """CreateDeliveryNote: its answer and status."""
    if not isinstance(body, dict):
        return {"Message": "the body must be a delivery note object"}, 400
    problems = []
    if body.get("NoteNo") in (None, ""):
        problems.append("NoteNo is required")
    items = body.get("DeliverynoteItems")
    if not isinstance(items, list) or not items:
        problems.append("DeliverynoteItems must have at least one item")
    else:
        for number, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                problems.append(f"DeliverynoteItems[{number}] must be an object")
                continue
            if item.get("ItemNo") in (None, ""):
                problems.append(f"DeliverynoteItems[{number}]: ItemNo is required")
            qty = decimal(item.get("Qty"))
            if qty is None or qty <= 0:
                problems.append(f"DeliverynoteItems[{number}]: Qty must be a number above 0")
    with state.lock:
        ref = _order_ref(state, body, "OrderNo")
        if ref is None:
            problems.insert(0, _unknown_order(body, "OrderNo"))
        if problems:
            return {"Message": "; ".join(problems)}, 400
        assert ref is not None
        notes = _documents_of(state, ref)["DeliveryNotes"]
        if any(str(note.get("NoteNo")) == str(body["NoteNo"]) for note in notes):
            state.stats["duplicate delivery notes"] += 1
        notes.append(body)
        state.stats["delivery notes"] += 1
    return {}, 200


def invoice_or_credit(state: NorceState, body: Any, credit: bool) -> tuple[dict[str, Any], int]:
    """CreateInvoice (``credit`` False) or CreditPayment (True): the same body, and their rules."""
    what = "credit" if credit else "invoice"
    if not isinstance(body, dict):
        return {"Message": f"the body must be an {what} object"}, 400
    problems = [
        f"{name} is required"
        for name in ("InvoiceNo", "CurrencyCode", "InvoiceDate")
        if body.get(name) in (None, "")
    ]
    if credit and body.get("CreditedInvoiceNo") in (None, ""):
        problems.append("CreditedInvoiceNo is required")
    items = body.get("Items")
    if items is not None and not isinstance(items, list):
        problems.append("Items must be an array")
        items = None
    if not items and body.get("SuppressPspCall") is not True:
        problems.append("Items are required unless SuppressPspCall is true")
    line_total = Decimal(0)
    for number, item in enumerate(items or [], start=1):
        if not isinstance(item, dict):
            problems.append(f"Items[{number}] must be an object")
            continue
        quantity = decimal(item.get("Quantity"), Decimal(0))
        line_amount = decimal(item.get("LineAmount"), Decimal(0))
        if quantity is None or line_amount is None:
            problems.append(f"Items[{number}]: Quantity and LineAmount must be numbers")
            continue
        if quantity < 0:
            problems.append(f"Items[{number}]: Quantity must not be negative")
        line_total += line_amount
    total = decimal(body.get("TotalAmount"))
    vat = decimal(body.get("Vat"), Decimal(0))
    round_off = decimal(body.get("InvoiceRoundOff"), Decimal(0))
    if vat is None or round_off is None or (body.get("TotalAmount") is not None and total is None):
        problems.append("TotalAmount, Vat and InvoiceRoundOff must be numbers")
    elif total is not None and items:
        expected = line_total + vat + round_off
        if abs(total - expected) > Decimal("0.01"):
            problems.append(
                f"TotalAmount {total} is not the items' LineAmount + Vat + InvoiceRoundOff ({expected})"
            )
    capture_event: tuple[str, dict[str, Any]] | None = None
    with state.lock:
        ref = _order_ref(state, body, "ErpOrderNo")
        if ref is None:
            problems.insert(0, _unknown_order(body, "ErpOrderNo"))
        if problems:
            return {"Message": "; ".join(problems)}, 400
        assert ref is not None
        documents = _documents_of(state, ref)
        invoice_no = str(body["InvoiceNo"])
        if credit:
            credited_no = str(body["CreditedInvoiceNo"])
            if not any(str(i.get("InvoiceNo")) == credited_no for i in documents["Invoices"]):
                return {"Message": f"invoice {credited_no} is not an invoice of order {ref}"}, 400
            amount = total if total is not None else line_total + (vat or 0) + (round_off or 0)
            if amount <= 0:
                return {"Message": f"the credited amount must be above 0, not {amount}"}, 400
            captured = sum((total_of(i) for i in documents["Invoices"]), Decimal(0))
            refunded = sum((total_of(c) for c in documents["Credits"]), Decimal(0))
            if amount > captured - refunded:
                return {
                    "Message": f"the credit {amount} exceeds what is left to refund on order {ref}: "
                    f"{captured} invoiced - {refunded} credited"
                }, 400
            if any(str(c.get("InvoiceNo")) == invoice_no for c in documents["Credits"]):
                state.stats["double refunds"] += 1
            documents["Credits"].append(body)
            state.stats["refunds"] += 1
        else:
            if any(str(i.get("InvoiceNo")) == invoice_no for i in documents["Invoices"]):
                state.stats["double captures"] += 1
            documents["Invoices"].append(body)
            state.stats["captures"] += 1
            if body.get("SuppressPspCall") is not True:  # the PSP's answer comes back as Norce Event
                capture_event = invoice_captured(state, ref, len(documents["Invoices"]) - 1)
    if capture_event is not None:
        state.events.emit(*capture_event)
    return {}, 200


def _documents_of(state: NorceState, ref: str) -> dict[str, list[dict[str, Any]]]:
    return state.documents.setdefault(ref, {"DeliveryNotes": [], "Invoices": [], "Credits": []})


def _order_ref(state: NorceState, body: dict[str, Any], erp_no_key: str) -> str | None:
    """The ClientOrderRef of a known order (one that had a SendOrderStatus), by ClientOrderRef or by
    the ErpOrderNo sent with its statuses."""
    ref = body.get("ClientOrderRef")
    if ref not in (None, "") and str(ref) in state.orders:
        return str(ref)
    erp_no = body.get(erp_no_key)
    if erp_no in (None, ""):
        return None
    known = state.erp_order_refs.get(str(erp_no))
    if known is not None:
        return known
    for order_ref, statuses in state.orders.items():  # orders put into ``orders`` directly
        if any(str(status.get("ErpOrderNo")) == str(erp_no) for status in statuses):
            return order_ref
    return None


def _unknown_order(body: dict[str, Any], erp_no_key: str) -> str:
    ref, erp_no = body.get("ClientOrderRef"), body.get(erp_no_key)
    if ref in (None, "") and erp_no in (None, ""):
        return f"ClientOrderRef or {erp_no_key} is required"
    return f"unknown order (ClientOrderRef {ref!r}, {erp_no_key} {erp_no!r})"


def decimal(value: Any, default: Decimal | None = None) -> Decimal | None:
    """A JSON number or numeric string as a Decimal; ``default`` when absent, None when not a number."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def total_of(invoice: dict[str, Any]) -> Decimal:
    """An accepted invoice's TotalAmount, or its items' LineAmount + Vat + InvoiceRoundOff without one."""
    total = decimal(invoice.get("TotalAmount"))
    if total is not None:
        return total
    lines = sum(
        (decimal(i.get("LineAmount"), Decimal(0)) or Decimal(0) for i in invoice.get("Items") or []),
        Decimal(0),
    )
    return (
        lines
        + (decimal(invoice.get("Vat"), Decimal(0)) or 0)
        + (decimal(invoice.get("InvoiceRoundOff"), Decimal(0)) or 0)
    )
