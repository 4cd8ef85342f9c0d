"""The demo's lifecycle part with Business Central (``make demo ERP=business-central``): BC cannot post
Connect's shapes to us, so each document reaches Norce by BC's webhook (read back at once) and by the
scheduled poll (the fallback), and Norce gets each once.

A Norce order's ClientOrderRef is its basket id, which Norce's CreateInvoice needs: so basket ``BASKET`` is
checked out in Norce and sent to the integration first, as in the REST demo. Then a warehouse person posts
a shipment of part of the order (BC notifies the sales order's subscribers; we read
its shipments), then the rest and an invoice; the poll runs and reads them too; an accountant posts a credit
memo of 100 (notified). Then: what Norce received.
"""

import time
from collections.abc import Callable
from typing import Any

import requests

from local.demo_lifecycle import BASKET, check_out_basket
from local.stack import LocalStack
from norce_integration.adapters.http.business_central.references import external_document_number


def _norce_order(stack: LocalStack, ref: str) -> dict[str, Any]:
    return requests.get(f"{stack.norce.url}/_orders", timeout=10).json().get(ref) or {}


def _wait(condition: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not condition():
        time.sleep(0.2)


def run_lifecycle_bc(stack: LocalStack, out: Callable[[str], None]) -> list[str]:
    """Drive basket ``BASKET`` through its life in Business Central; the problems found (none when well)."""
    bc, ref = stack.erp, BASKET
    out(f"\n## 12. The order's life in Business Central (basket {ref}): shipped twice, invoiced, credited")
    if check_out_basket(stack, out) is None:
        return [f"{ref}: no confirmed order in Business Central"]
    number = external_document_number(ref)
    order_no = next(o["orderNo"] for o in bc.orders() if o["externalRef"] == number)
    first = bc.ship(order_no, {10000: 1})
    out(f"   BC posts shipment {first['number']} (1 of 2); BC notifies the sales order, our webhook reads it")
    _wait(lambda: len(_norce_order(stack, ref).get("DeliveryNotes", [])) >= 1)
    rest = bc.ship(order_no)
    invoice = bc.invoice(order_no)
    out(f"   BC posts the rest ({rest['number']}) and invoice {invoice['number']}: notified; the poll runs")
    _wait(lambda: len(_norce_order(stack, ref).get("Invoices", [])) >= 1)
    polled = requests.post(f"{stack.api_url}/_local/schedules/ErpPollFunction", timeout=60).json()
    out(f"   erp_poll -> queued {polled['queued']} (each one a repeat Norce does not get again)")
    refund = bc.credit(invoice["number"], 100)
    out(f"   BC posts credit memo {refund['number']} of 100 (including VAT): notified")
    _wait(lambda: bool(_norce_order(stack, ref).get("Credits")))
    time.sleep(1.0)  # a repeat from the poll, if any, would arrive now
    bc.notifier.wait_idle(10)
    deliveries = bc.deliveries()
    answers = sorted({str(a) for d in deliveries for a in d["attempts"]})
    out(f"   BC's webhook POSTs: {len(deliveries)}, answered {answers}")
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
    if len(seen.get("DeliveryNotes", [])) != 2:
        problems.append(f"{ref}: Norce did not get exactly two delivery notes")
    if len(seen.get("Invoices", [])) != 1 or len(seen.get("Credits", [])) != 1:
        problems.append(f"{ref}: Norce did not get exactly one invoice and one credit")
    if stack.norce.stats["double captures"] or stack.norce.stats["double refunds"]:
        problems.append("money was captured or paid back twice")
    return problems
