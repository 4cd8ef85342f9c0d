"""The demo's last part: one order's life after the ERP has it, back to Norce.

The ERP simulator ships part of the order (pushed to ``POST /erp/CreateDeliveryNote``), ships the rest
and invoices it (read by the scheduled poll), credits part of it (pushed), and sends a late ``Confirmed``
(pushed; recorded, not sent: the status never goes backwards). Then: what Norce received.
"""

import time
from collections.abc import Callable
from typing import Any

import requests

from local.stack import LocalStack
from norce_integration.erp.model import ErpDocument
from norce_integration.lifecycle.mapping import to_norce


def _push(stack: LocalStack, document: dict[str, Any]) -> str:
    kind, body = to_norce(ErpDocument.model_validate(document))
    answer = requests.post(
        f"{stack.api_url}/erp/{kind.value}", json=body, headers={"X-Api-Key": stack.erp_push_key}, timeout=30
    )
    return f"POST /erp/{kind.value} {document['documentNo']} -> HTTP {answer.status_code} {answer.text}"


def _poll(stack: LocalStack) -> str:
    answer = requests.post(f"{stack.api_url}/_local/schedules/ErpPollFunction", timeout=60).json()
    return f"erp_poll -> queued {answer['queued']}, passed over {list(answer['passedOver'])}"


def _norce_order(stack: LocalStack, ref: str) -> dict[str, Any]:
    return requests.get(f"{stack.norce.url}/_orders", timeout=10).json().get(ref) or {}


def run_lifecycle(stack: LocalStack, ref: str, out: Callable[[str], None]) -> list[str]:
    """Drive order ``ref`` through its lifecycle; the problems found (none when all is well)."""
    out(f"\n## 12. The order's life after the ERP ({ref}): delivered in two parts, invoiced, partly credited")
    order_no = next(o["orderNo"] for o in stack.erp.orders() if o["externalRef"] == ref)
    first = stack.erp.ship(order_no, [{"lineNo": 1, "quantity": 1}], parcel_number="00370712345678900001")
    out(f"   ERP ships 1 of 2, pushed:     {_push(stack, first)}")
    rest = stack.erp.ship(order_no, parcel_number="00370712345678900002")
    invoice = stack.erp.invoice(order_no)
    out(f"   ERP ships the rest ({rest['documentNo']}) and invoices it ({invoice['documentNo']}), polled:")
    out(f"                                 {_poll(stack)}")
    refund = stack.erp.credit(order_no, invoice["documentNo"], amount=100)
    out(f"   ERP credits 100, pushed:      {_push(stack, refund)}")
    late = stack.erp.set_status(order_no, "Confirmed")
    out(f"   A late Confirmed, pushed:     {_push(stack, late)}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not _norce_order(stack, ref).get("Credits"):
        time.sleep(0.2)
    time.sleep(1.0)  # the late status after the credit (same order: FIFO)
    seen = _norce_order(stack, ref)
    out(f"   Norce received ({stack.norce.url}/_orders):")
    out(f"      statuses        {[s['OrderStatus'] for s in seen.get('Statuses', [])]}")
    notes = [
        (n["NoteNo"], [(i["ItemNo"], i["Qty"]) for i in n["DeliverynoteItems"]])
        for n in seen["DeliveryNotes"]
    ]
    out(f"      delivery notes  {notes}")
    out(f"      invoices        {[(i['InvoiceNo'], i.get('TotalAmount')) for i in seen.get('Invoices', [])]}")
    out(f"      credits         {[(c['InvoiceNo'], c.get('TotalAmount')) for c in seen.get('Credits', [])]}")
    problems = []
    if [s["OrderStatus"] for s in seen.get("Statuses", [])] != ["Confirmed", "PartlyDelivered", "Delivered"]:
        problems.append(f"{ref}: Norce's statuses are not Confirmed > PartlyDelivered > Delivered")
    if len(seen.get("Invoices", [])) != 1 or len(seen.get("Credits", [])) != 1:
        problems.append(f"{ref}: Norce did not get exactly one invoice and one credit")
    if stack.norce.stats["double captures"] or stack.norce.stats["double refunds"]:
        problems.append("money was captured or paid back twice")
    return problems
