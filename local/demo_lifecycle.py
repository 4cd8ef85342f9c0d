"""The demo's last part: one order's life after the ERP has it, back to Norce.

A Norce order's ClientOrderRef is its basket id (a number), and Norce's CreateInvoice needs it: so a
basket order (``BASKET``) is checked out in Norce and sent to the integration first. Then the ERP
simulator ships part of it (pushed to ``POST /erp/CreateDeliveryNote``), ships the rest and invoices it
(read by the scheduled poll), credits part of it (pushed), and sends a late ``Confirmed`` (pushed;
recorded, not sent: the status never goes backwards). The ERP also tries what the door refuses: a second
invoice of the same lines (400: more than was ordered), the invoice changed under its own number (409),
and an invoice for the example order whose ClientOrderRef is an external order number (400: Connect
cannot invoice it). Then: what Norce received.
"""

import json
import time
from collections.abc import Callable
from typing import Any

import requests

from local.stack import LocalStack
from local.template import ROOT
from norce_integration.erp.model import ErpDocument
from norce_integration.lifecycle.mapping import to_norce

BASKET = "7000123"  # a Norce basket id: what a Norce order's ClientOrderRef is


def _push(stack: LocalStack, document: dict[str, Any], **changes: Any) -> tuple[int, str]:
    kind, body = to_norce(ErpDocument.model_validate(document))
    answer = requests.post(
        f"{stack.api_url}/erp/{kind.value}",
        json=body | changes,
        headers={"X-Api-Key": stack.erp_push_key},
        timeout=30,
    )
    shown = f"POST /erp/{kind.value} {document['documentNo']} -> HTTP {answer.status_code} {answer.text}"
    return answer.status_code, shown


def _poll(stack: LocalStack) -> str:
    answer = requests.post(f"{stack.api_url}/_local/schedules/ErpPollFunction", timeout=60).json()
    return f"erp_poll -> queued {answer['queued']}, passed over {list(answer['passedOver'])}"


def _norce_order(stack: LocalStack, ref: str) -> dict[str, Any]:
    return requests.get(f"{stack.norce.url}/_orders", timeout=10).json().get(ref) or {}


def _order_no(stack: LocalStack, ref: str, seconds: float = 30.0) -> str | None:
    """The ERP's number of order ``ref`` once Norce has its confirmation."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        numbers = [o["orderNo"] for o in stack.erp.orders() if o["externalRef"] == ref]
        if numbers and any(s["OrderStatus"] == "Confirmed" for s in stack.norce.orders.get(ref, [])):
            return numbers[0]
        time.sleep(0.2)
    return None


def check_out_basket(stack: LocalStack, out: Callable[[str], None]) -> str | None:
    """Basket ``BASKET`` checked out in Norce and sent to the order endpoint; its ERP order number."""
    order = json.loads((ROOT / "events" / "payloads" / "order-request.json").read_text())
    order["ClientOrderRef"] = BASKET
    stack.norce.place_order(order)
    answer = requests.post(
        f"{stack.api_url}/orders",
        data=json.dumps(order).encode(),
        headers={"Content-Type": "application/json", "Authorization": stack.authorization},
        timeout=30,
    )
    out(f"   Norce sends basket {BASKET}'s order:  HTTP {answer.status_code} {answer.text}")
    return _order_no(stack, BASKET)


def run_lifecycle(stack: LocalStack, external_ref: str, out: Callable[[str], None]) -> list[str]:
    """Drive basket ``BASKET`` through its lifecycle, and show what the door refuses (``external_ref``: an
    accepted order whose ClientOrderRef is not a basket id); the problems found (none when all is well)."""
    out(
        f"\n## 12. An order's life after the ERP (basket {BASKET}): delivered in two parts, invoiced, partly "
        "credited; what the door refuses"
    )
    order_no = check_out_basket(stack, out)
    if order_no is None:
        return [f"{BASKET}: the order was not confirmed in Norce"]
    first = stack.erp.ship(order_no, [{"lineNo": 1, "quantity": 1}], parcel_number="00370712345678900001")
    out(f"   ERP ships 1 of 2, pushed:     {_push(stack, first)[1]}")
    rest = stack.erp.ship(order_no, parcel_number="00370712345678900002")
    invoice = stack.erp.invoice(order_no)
    out(f"   ERP ships the rest ({rest['documentNo']}) and invoices it ({invoice['documentNo']}), polled:")
    out(f"                                 {_poll(stack)}")
    problems = []
    again, shown = _push(stack, invoice, InvoiceNo=f"{invoice['documentNo']}-AGAIN")
    out(f"   The same lines invoiced again: {shown}")
    changed, shown = _push(stack, invoice, Vat=140.0, TotalAmount=700.0, Items=[_cheaper(invoice)])
    out(f"   The invoice changed, pushed:  {shown}")
    external = next((o["orderNo"] for o in stack.erp.orders() if o["externalRef"] == external_ref), None)
    if external is not None:
        foreign, shown = _push(stack, stack.erp.invoice(external))
        out(f"   {external_ref} (an external order number) invoiced: {shown}")
        problems += (
            [] if foreign == 400 else [f"{external_ref}: an invoice of an external order was {foreign}"]
        )
    problems += [] if again == 400 else [f"{BASKET}: a second invoice of the same lines was answered {again}"]
    problems += [] if changed == 409 else [f"{BASKET}: a changed invoice was answered {changed}"]
    refund = stack.erp.credit(order_no, invoice["documentNo"], amount=100)
    out(f"   ERP credits 100, pushed:      {_push(stack, refund)[1]}")
    late = stack.erp.set_status(order_no, "Confirmed")
    out(f"   A late Confirmed, pushed:     {_push(stack, late)[1]}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not _norce_order(stack, BASKET).get("Credits"):
        time.sleep(0.2)
    time.sleep(1.0)  # the late status after the credit (same order: FIFO)
    return problems + _report(stack, out)


def _cheaper(invoice: dict[str, Any]) -> dict[str, Any]:
    """The invoice's one line at 280 instead of 300 (with Vat 140, TotalAmount 700 it adds up)."""
    body = to_norce(ErpDocument.model_validate(invoice))[1]
    return dict(body["Items"][0]) | {"UnitPrice": 280.0, "UnitVat": 70.0, "LineAmount": 560.0}


def _report(stack: LocalStack, out: Callable[[str], None]) -> list[str]:
    seen = _norce_order(stack, BASKET)
    out(f"   Norce received ({stack.norce.url}/_orders):")
    out(f"      statuses        {[s['OrderStatus'] for s in seen.get('Statuses', [])]}")
    notes = [
        (n["NoteNo"], [(i["ItemNo"], i["Qty"]) for i in n["DeliverynoteItems"]])
        for n in seen.get("DeliveryNotes", [])
    ]
    out(f"      delivery notes  {notes}")
    out(f"      invoices        {[(i['InvoiceNo'], i.get('TotalAmount')) for i in seen.get('Invoices', [])]}")
    out(f"      credits         {[(c['InvoiceNo'], c.get('TotalAmount')) for c in seen.get('Credits', [])]}")
    problems = []
    if [s["OrderStatus"] for s in seen.get("Statuses", [])] != ["Confirmed", "PartlyDelivered", "Delivered"]:
        problems.append(f"{BASKET}: Norce's statuses are not Confirmed > PartlyDelivered > Delivered")
    if len(seen.get("Invoices", [])) != 1 or len(seen.get("Credits", [])) != 1:
        problems.append(f"{BASKET}: Norce did not get exactly one invoice and one credit")
    if stack.norce.stats["double captures"] or stack.norce.stats["double refunds"]:
        problems.append("money was captured or paid back twice")
    return problems
