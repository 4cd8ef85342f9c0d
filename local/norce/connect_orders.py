"""Norce Commerce Connect 4.0's order service, as Norce publishes it: ``Order/SendOrderStatus``,
``Order/CreateDeliveryNote``, ``Order/CreateInvoice`` (a capture at the PSP) and ``Order/CreditPayment``
(a refund of an invoice). Strict: a request with a field Norce does not publish, a value of another type
(a number as a string), or without what Norce requires is answered 400 with a message, as is what Norce
leaves unpublished and we chose strictly (docs/simulators.md):

- SendOrderStatus: ClientOrderRef an int32 basket id, or ErpOrderNo ("either ... must be provided");
  OrderStatus one of the current schema's 10 (the older page's 11 only when ``state.extra_statuses``
  lists them); ``Infos`` entries have no published fields, so none is accepted. It keeps each order's
  history (``state.orders``, per ClientOrderRef, else per the ErpOrderNo it names) and sends the order's
  Order*Event once (``events``). An ErpOrderNo sent with a ClientOrderRef names that order from then on.
- CreateDeliveryNote: no ClientOrderRef; NoteNo, OrderNo and at least one item (ItemNo, Qty) required
  (Norce publishes no required flags); the order is found by OrderNo only, among the ErpOrderNos its
  statuses carried.
- CreateInvoice / CreditPayment: ClientOrderRef (int32), CurrencyCode (3), ErpOrderNo and InvoiceDate
  required; items need PartNo, an integer Quantity and UnitPrice; the order is the one of that
  ClientOrderRef (it had a status, or was placed), and ErpOrderNo must be its number when Norce knows it.
  ``TotalAmount`` must equal the items' ``LineAmount`` + ``Vat`` + ``InvoiceRoundOff``; a credit names an
  invoice of the order and may not exceed what the order's invoices captured less what was credited.

Bodies are kept as received in ``state.documents``. Like Norce, nothing is deduplicated: a repeated NoteNo
/ InvoiceNo is taken again and counted in ``stats`` (``double captures``...). The answer of a call that
succeeds is ``{}``: Norce publishes no response body for these calls.
"""

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Flask, Response, request

from local.norce.connect import CONNECT, answer
from local.norce.events import invoice_captured, status_event
from local.norce.state import NorceState

STATUSES = (
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
)
OLDER_STATUSES = (
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
)
INT32 = (-(2**31), 2**31 - 1)

# A field's spec: its type ("str", "int", "int32", "number", "bool", "date", "null") or a nested
# {field: spec} (an object) or [spec] (a list of objects); with "!" it is required; ":n" caps a text.
ADDRESS = {
    "Box": "str:100",
    "CareOf": "str:100",
    "City": "str:50",
    "Country": "str:2",
    "Line1": "str:100",
    "Line2": "str:100",
    "Region": "str:50",
    "Type": "null",
    "ZipCode": "str:50",
}
STATUS_REQUEST = {
    "ClientOrderRef": "int32",
    "ErpOrderNo": "str",
    "OrderStatus": "str!",
    "AccountId": "int32",
    "Infos": [{}],
}
DELIVERY_NOTE = {
    "DeliveryDate": "date",
    "NoteNo": "str:50!",
    "OrderNo": "str:50!",
    "BuyerCompanyCode": "str",
    "BuyerCustomerCode": "str",
    "DeliveryAddress": ADDRESS,
    "DeliveryAttention": "str",
    "DeliveryMode": "str",
    "DeliveryName": "str",
    "DeliverynoteItems": [
        {
            "ItemNo": "str!",
            "Qty": "int!",
            "RowNumber": "int",
            "Comment": "str",
            "Description": "str",
            "Id": "null",
        }
    ],
    "DeliveryNotePackages": [{"Id": "null", "ParcelNumber": "str", "StatusId": "int"}],
}
CODE_VALUE = {"Code": "str", "Code2": "str", "Id": "int32", "Value": "str"}
PAYMENT = {
    "PaymentCode": "int",
    "PaymentMethodCode": "str",
    "PaymentRef": "str",
    "AdditionalInfo": [CODE_VALUE],
    "Amount": "number",
    "CurrencyCode": "str:3",
    "PaymentName": "str",
}
INVOICE_ITEM = {
    "PartNo": "str!",
    "Quantity": "int!",
    "UnitPrice": "number!",
    "Description": "str",
    "Discount": "number",
    "LineAmount": "number",
    "LineNo": "int",
    "PriceList": "str",
    "ProductName": "str",
    "SalePrice": "number",
    "UnitVat": "number",
    "VatRate": "number",
}
INVOICE = {
    "ClientOrderRef": "int32!",
    "CurrencyCode": "str:3!",
    "ErpOrderNo": "str:50!",
    "InvoiceDate": "date!",
    "InvoiceNo": "str:50",
    "AddressLine1": "str",
    "AddressLine2": "str",
    "ApplicationKey": "str",
    "Attention": "str",
    "CareOf": "str",
    "City": "str",
    "Comment": "str",
    "Country": "str",
    "CountryCode": "str",
    "CreditedInvoiceNo": "str:50",
    "CultureCode": "str",
    "DeliveryDate": "date",
    "Gln": "str",
    "GroupCode": "str",
    "InvoiceDueDate": "date",
    "InvoiceRoundOff": "number",
    "IsLastInvoiceForOrder": "bool",
    "Items": [INVOICE_ITEM],
    "Name": "str",
    "Payment": PAYMENT,
    "PaymentMethodCode": "str",
    "PaymentMethodName": "str",
    "Region": "str",
    "SuppressPspCall": "bool",
    "TotalAmount": "number",
    "Vat": "number",
    "VatRoundOff": "number",
    "ZipCode": "str",
}
PACKAGE_STATUS_IDS = frozenset({4, 6, 11, 12, 20})


def register(app: Flask, state: NorceState) -> None:
    @app.post(f"{CONNECT}/Order/SendOrderStatus")
    def send_order_status() -> tuple[Response, int]:
        result, event = order_status(state, request.get_json(force=True, silent=True))
        response = answer(result)
        if event is not None:
            state.events.emit(*event)
        return response

    @app.post(f"{CONNECT}/Order/CreateDeliveryNote")
    def create_delivery_note() -> tuple[Response, int]:
        return answer(delivery_note(state, request.get_json(force=True, silent=True)))

    @app.post(f"{CONNECT}/Order/CreateInvoice")
    def create_invoice() -> tuple[Response, int]:
        return answer(invoice_or_credit(state, request.get_json(force=True, silent=True), credit=False))

    @app.post(f"{CONNECT}/Order/CreditPayment")
    def credit_payment() -> tuple[Response, int]:
        return answer(invoice_or_credit(state, request.get_json(force=True, silent=True), credit=True))


def refused(problems: list[str]) -> tuple[dict[str, Any], int]:
    return {"Message": "; ".join(problems)}, 400


# -- the published shapes
def shape_problems(body: Any, spec: dict[str, Any], where: str = "") -> list[str]:
    """What in ``body`` breaks ``spec`` (a field Norce does not publish, a wrong type, a missing field)."""
    if not isinstance(body, dict):
        return [f"{where or 'the body'} must be a JSON object"]
    found = [f"{where}{name} is not a field Norce publishes" for name in body if name not in spec]
    for name, kind in spec.items():
        value, path = body.get(name), f"{where}{name}"
        if isinstance(kind, dict):
            found += shape_problems(value, kind, f"{path}.") if value is not None else []
        elif isinstance(kind, list):
            if value is None:
                continue
            if not isinstance(value, list):
                found.append(f"{path} must be a list")
                continue
            for index, item in enumerate(value):
                found += shape_problems(item, kind[0], f"{path}[{index}].")
        elif value is None:
            if kind.endswith("!"):
                found.append(f"{path} is required")
        else:
            problem = _value_problem(value, kind.rstrip("!"))
            if problem:
                found.append(f"{path} {problem}")
    return found


def _value_problem(value: Any, kind: str) -> str | None:
    kind, _, limit = kind.partition(":")
    if kind == "null":
        return "must be null (Norce: always null, deprecated)"
    if kind == "str":
        if not isinstance(value, str):
            return "must be a string"
        if limit and len(value) > int(limit):
            return f"is longer than {limit} characters"
        return None
    if kind == "bool":
        return None if isinstance(value, bool) else "must be true or false"
    if kind == "date":
        return None if isinstance(value, str) and _date(value) else "must be an ISO 8601 date-time string"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "must be a JSON number"
    if kind in ("int", "int32") and not isinstance(value, int):
        return "must be an integer"
    if kind == "int32" and not INT32[0] <= value <= INT32[1]:
        return "must be an int32"
    return None


def _date(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


# -- SendOrderStatus
def order_status(state: NorceState, body: Any) -> tuple[tuple[dict[str, Any], int], Any]:
    """SendOrderStatus: its answer, and the Order*Event it sends (None when none)."""
    problems = shape_problems(body, STATUS_REQUEST)
    if problems:
        return refused(problems), None
    if body.get("ClientOrderRef") is None and body.get("ErpOrderNo") in (None, ""):
        return refused(["either ClientOrderRef or ErpOrderNo must be provided"]), None
    status = body["OrderStatus"]
    if status not in STATUSES and status not in state.extra_statuses:
        problem = f"unknown OrderStatus {status!r}: Norce's current schema has {', '.join(STATUSES)}"
        return refused([problem]), None
    erp_no = body.get("ErpOrderNo") or None
    with state.lock:
        if body.get("ClientOrderRef") is not None:
            ref = str(body["ClientOrderRef"])
            if erp_no is not None:
                state.erp_order_refs[str(erp_no)] = ref
        else:
            ref = state.erp_order_refs.get(str(erp_no), str(erp_no))
        state.orders.setdefault(ref, []).append({"OrderStatus": status, "ErpOrderNo": erp_no})
        event = status_event(state, ref, body)
    return ({}, 200), event


# -- CreateDeliveryNote
def delivery_note(state: NorceState, body: Any) -> tuple[dict[str, Any], int]:
    """CreateDeliveryNote: its answer and status."""
    problems = shape_problems(body, DELIVERY_NOTE)
    if problems:
        return refused(problems)
    if not body["DeliverynoteItems"]:
        return refused(["DeliverynoteItems must have at least one item"])
    for number, item in enumerate(body["DeliverynoteItems"]):
        if item["Qty"] <= 0:
            problems.append(f"DeliverynoteItems[{number}].Qty must be above 0")
    for number, package in enumerate(body.get("DeliveryNotePackages") or []):
        if package.get("StatusId") is not None and package["StatusId"] not in PACKAGE_STATUS_IDS:
            problems.append(f"DeliveryNotePackages[{number}].StatusId must be one of 4, 6, 11, 12, 20")
    with state.lock:
        ref = order_of_erp_no(state, str(body["OrderNo"]))
        if ref is None:
            problems.insert(0, f"unknown order: no order has ErpOrderNo {body['OrderNo']!r} (OrderNo)")
        if problems:
            return refused(problems)
        assert ref is not None
        notes = documents_of(state, ref)["DeliveryNotes"]
        if any(str(note.get("NoteNo")) == str(body["NoteNo"]) for note in notes):
            state.stats["duplicate delivery notes"] += 1
        notes.append(body)
        state.stats["delivery notes"] += 1
    return {}, 200


# -- CreateInvoice and CreditPayment
def invoice_or_credit(state: NorceState, body: Any, credit: bool) -> tuple[dict[str, Any], int]:
    """CreateInvoice (``credit`` False) or CreditPayment (True): the same body, and their rules."""
    problems = shape_problems(body, INVOICE)
    if problems:
        return refused(problems)
    payment = body.get("Payment")
    if payment is not None and payment.get("PaymentCode") is None and not payment.get("PaymentRef"):
        problems.append("Payment: either PaymentCode or PaymentRef must be provided")
    if credit and body.get("CreditedInvoiceNo") in (None, ""):
        problems.append("CreditedInvoiceNo is required for a credit")
    items = body.get("Items") or []
    if not items and body.get("SuppressPspCall") is not True:
        problems.append("Items are required unless SuppressPspCall is true (the PSP needs them)")
    for number, item in enumerate(items):
        if item["Quantity"] < 0:
            problems.append(f"Items[{number}].Quantity must not be negative")
    total, computed = decimal(body.get("TotalAmount")), total_of({**body, "TotalAmount": None})
    if total is not None and items and abs(total - computed) > Decimal("0.01"):
        problems.append(
            f"TotalAmount {total} is not the items' LineAmount + Vat + InvoiceRoundOff ({computed})"
        )
    capture_event: tuple[str, dict[str, Any]] | None = None
    with state.lock:
        ref, unknown = _invoiced_order(state, body)
        if unknown:
            problems.insert(0, unknown)
        if problems:
            return refused(problems)
        assert ref is not None
        result = _take_invoice(state, ref, body, credit)
        if not credit and result[1] == 200 and body.get("SuppressPspCall") is not True:
            # the PSP's answer comes back as a Norce Event (InvoiceCaptureCompletedEvent)
            capture_event = invoice_captured(state, ref, len(documents_of(state, ref)["Invoices"]) - 1)
    if capture_event is not None:
        state.events.emit(*capture_event)
    return result


def _invoiced_order(state: NorceState, body: dict[str, Any]) -> tuple[str | None, str | None]:
    """Under the lock: the order of an invoice's ClientOrderRef, or why there is none."""
    ref = str(body["ClientOrderRef"])
    if ref not in state.orders and ref not in state.placed:
        return None, f"unknown order: ClientOrderRef {ref}"
    known = state.erp_order_no(ref)
    if known is not None and known != body["ErpOrderNo"]:
        return None, f"ErpOrderNo {body['ErpOrderNo']!r} is not order {ref}'s ({known!r})"
    return ref, None


def _take_invoice(
    state: NorceState, ref: str, body: dict[str, Any], credit: bool
) -> tuple[dict[str, Any], int]:
    """Under the lock: record an invoice (a capture) or a credit (a refund) the rules allow."""
    documents = documents_of(state, ref)
    invoice_no = body.get("InvoiceNo")
    if not credit:
        if invoice_no is not None and any(i.get("InvoiceNo") == invoice_no for i in documents["Invoices"]):
            state.stats["double captures"] += 1
        documents["Invoices"].append(body)
        state.stats["captures"] += 1
        return {}, 200
    credited_no = body["CreditedInvoiceNo"]
    if not any(i.get("InvoiceNo") == credited_no for i in documents["Invoices"]):
        return refused([f"invoice {credited_no} is not an invoice of order {ref}"])
    amount = total_of(body)
    if amount <= 0:
        return refused([f"the credited amount must be above 0, not {amount}"])
    captured = sum((total_of(i) for i in documents["Invoices"]), Decimal(0))
    refunded = sum((total_of(c) for c in documents["Credits"]), Decimal(0))
    if amount > captured - refunded:
        left = f"{captured} invoiced - {refunded} credited"
        return refused([f"the credit {amount} exceeds what is left to refund on order {ref}: {left}"])
    if invoice_no is not None and any(c.get("InvoiceNo") == invoice_no for c in documents["Credits"]):
        state.stats["double refunds"] += 1
    documents["Credits"].append(body)
    state.stats["refunds"] += 1
    return {}, 200


# -- what the other services read
def documents_of(state: NorceState, ref: str) -> dict[str, list[dict[str, Any]]]:
    return state.documents.setdefault(ref, {"DeliveryNotes": [], "Invoices": [], "Credits": []})


def order_of_erp_no(state: NorceState, erp_no: str) -> str | None:
    """Under the lock: the order (its key in ``orders``) whose statuses carried ``erp_no``."""
    known = state.erp_order_refs.get(erp_no)
    if known is not None:
        return known
    for ref, statuses in state.orders.items():  # orders put into ``orders`` directly, or by ErpOrderNo only
        if any(str(status.get("ErpOrderNo")) == erp_no for status in statuses):
            return ref
    return None


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
