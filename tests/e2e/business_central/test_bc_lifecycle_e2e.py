"""Documents posted in Business Central reach Norce once: by BC's webhook (read back at once) and by the
scheduled poll (the fallback), also when both read the same document."""

from typing import Any

import pytest
import requests

from tests.e2e.business_central.test_bc_orders_e2e import bc_orders_for
from tests.e2e.helpers import confirmations_for, order_body, post_order, wait_until

pytestmark = pytest.mark.e2e
# Norce basket ids, as a Norce order's ClientOrderRef is: Norce's CreateInvoice names the order by it (int32)
HOOK, POLL, CREDIT = "7100101", "7100102", "7100103"


def norce_order(stack: Any, ref: str) -> dict[str, Any]:
    return requests.get(f"{stack.norce.url}/_orders", timeout=10).json().get(ref) or {}


def confirmed_order(stack: Any, ref: str) -> str:
    post_order(stack, order_body(ref))
    wait_until(lambda: confirmations_for(stack, ref), seconds=30, what=f"{ref} confirmed")
    return str(bc_orders_for(stack, ref)[0]["orderNo"])


def test_a_shipment_and_an_invoice_reach_norce_once_by_webhook(stack):
    bc = stack.erp
    order_no = confirmed_order(stack, HOOK)
    deliveries = len(bc.deliveries())
    shipment = bc.ship(order_no)
    wait_until(lambda: norce_order(stack, HOOK).get("DeliveryNotes"), seconds=30, what="the note")
    invoice = bc.invoice(order_no)
    wait_until(lambda: norce_order(stack, HOOK).get("Invoices"), seconds=30, what="the invoice")
    seen = norce_order(stack, HOOK)
    assert [n["NoteNo"] for n in seen["DeliveryNotes"]] == [shipment["number"]]
    assert [i["InvoiceNo"] for i in seen["Invoices"]] == [invoice["number"]]
    assert [s["OrderStatus"] for s in seen["Statuses"]] == ["Confirmed", "Delivered"]
    assert len(bc.deliveries()) > deliveries and all(d["state"] == "delivered" for d in bc.deliveries())
    polled = stack.run_schedule(
        "ErpPollFunction"
    )  # the fallback reads them again: Norce does not get them twice
    assert {shipment["number"], invoice["number"]} <= set(polled["queued"])
    bc.notifier.wait_idle(10)
    wait_until(lambda: not _in_flight(stack), seconds=20, what="the lifecycle queue drained")
    again = norce_order(stack, HOOK)
    assert len(again["DeliveryNotes"]) == 1 and len(again["Invoices"]) == 1
    assert stack.norce.stats["double captures"] == 0


def _in_flight(stack: Any) -> int:
    attributes = stack.aws.client("sqs").get_queue_attributes(
        QueueUrl=stack.resource("LifecycleQueue"), AttributeNames=["All"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def test_without_webhooks_the_poll_brings_shipment_and_invoice_to_norce_once(stack):
    bc = stack.erp
    order_no = confirmed_order(stack, POLL)
    bc.notifier.subscriptions.clear()  # the subscriptions lapsed: BC notifies nobody
    try:
        shipment = bc.ship(order_no, {10000: 1})
        rest = bc.ship(order_no)
        invoice = bc.invoice(order_no)
        first = stack.run_schedule("ErpPollFunction")
        assert {shipment["number"], rest["number"], invoice["number"]} <= set(first["queued"])
        wait_until(lambda: norce_order(stack, POLL).get("Invoices"), seconds=30, what="the invoice")
        second = stack.run_schedule("ErpPollFunction")
        assert invoice["number"] not in second["queued"], "the watermark moved past what was queued"
    finally:
        renewed = stack.run_schedule("RenewSubscriptions")
    assert len(renewed["created"]) == 3
    seen = norce_order(stack, POLL)
    assert [n["NoteNo"] for n in seen["DeliveryNotes"]] == [shipment["number"], rest["number"]]
    assert [s["OrderStatus"] for s in seen["Statuses"]] == ["Confirmed", "PartlyDelivered", "Delivered"]
    assert [i["InvoiceNo"] for i in seen["Invoices"]] == [invoice["number"]]


def test_a_credit_memo_is_notified_and_credits_its_invoice_once(stack):
    bc = stack.erp
    order_no = confirmed_order(stack, CREDIT)
    bc.ship(order_no)
    invoice = bc.invoice(order_no)
    wait_until(lambda: norce_order(stack, CREDIT).get("Invoices"), seconds=30, what="the invoice")
    memo = bc.credit(invoice["number"], 100)
    credits_ = wait_until(lambda: norce_order(stack, CREDIT).get("Credits"), seconds=30, what="credit")
    assert [(c["InvoiceNo"], c["CreditedInvoiceNo"], c["TotalAmount"]) for c in credits_] == [
        (memo["number"], invoice["number"], 100.0)
    ]
    assert stack.norce.stats["double refunds"] == 0
