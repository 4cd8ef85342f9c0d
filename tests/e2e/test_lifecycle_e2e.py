"""The order lifecycle over HTTP on the local stack: the ERP simulator makes documents, the ERP pushes
some to POST /erp/... and the scheduled poll reads the others; Norce's simulator checks what arrives."""

import itertools
import threading
import time
from typing import Any

import requests

from local.stack import LocalStack
from norce_integration.erp.model import ErpDocument
from norce_integration.lifecycle.mapping import to_norce
from tests.e2e.helpers import confirmations_for, erp_orders_for, order_body, post_order, wait_until

_refs = itertools.count(7_100_001)


def confirmed_order(stack: LocalStack) -> tuple[str, str]:
    ref = str(next(_refs))
    assert post_order(stack, order_body(ref)).status_code == 200
    wait_until(lambda: confirmations_for(stack, ref), what=f"order {ref} confirmed")
    return ref, erp_orders_for(stack, ref)[0]["orderNo"]


def push(stack: LocalStack, document: dict[str, Any], key: str | None = None) -> requests.Response:
    """The ERP pushes one of its documents, mapped to Connect's shape, to POST /erp/{method}."""
    kind, body = to_norce(ErpDocument.model_validate(document))
    return requests.post(
        f"{stack.api_url}/erp/{kind.value}",
        json=body,
        headers={"X-Api-Key": key or stack.erp_push_key},
        timeout=30,
    )


def norce_order(stack: LocalStack, ref: str) -> dict[str, Any]:
    return requests.get(f"{stack.norce.url}/_orders", timeout=10).json().get(ref) or {}


def statuses(stack: LocalStack, ref: str) -> list[str]:
    return [status["OrderStatus"] for status in norce_order(stack, ref).get("Statuses", [])]


def numbers(stack: LocalStack, ref: str, kind: str) -> list[str]:
    field = "NoteNo" if kind == "DeliveryNotes" else "InvoiceNo"
    return [document[field] for document in norce_order(stack, ref).get(kind, [])]


def poll(stack: LocalStack) -> dict[str, Any]:
    answer = requests.post(f"{stack.api_url}/_local/schedules/ErpPollFunction", timeout=60)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_an_order_is_partly_delivered_delivered_invoiced_and_partly_credited(stack: LocalStack) -> None:
    ref, order_no = confirmed_order(stack)
    first = stack.erp.ship(order_no, [{"lineNo": 1, "quantity": 1}], parcel_number="PARCEL-1")
    assert push(stack, first).status_code == 202  # pushed
    wait_until(lambda: "PartlyDelivered" in statuses(stack, ref), what="PartlyDelivered")
    stack.erp.ship(order_no, parcel_number="PARCEL-2")  # the rest, polled
    invoice = stack.erp.invoice(order_no)  # polled
    result = poll(stack)
    assert {first["documentNo"], invoice["documentNo"]} <= set(result["queued"])  # DN-1 too: a repeat
    wait_until(lambda: numbers(stack, ref, "Invoices"), what="the invoice in Norce")
    refund = stack.erp.credit(order_no, invoice["documentNo"], amount=100)
    assert push(stack, refund).status_code == 202
    wait_until(lambda: numbers(stack, ref, "Credits"), what="the credit in Norce")
    assert statuses(stack, ref) == ["Confirmed", "PartlyDelivered", "Delivered"]
    assert len(numbers(stack, ref, "DeliveryNotes")) == 2
    assert numbers(stack, ref, "Invoices") == [invoice["documentNo"]]
    assert numbers(stack, ref, "Credits") == [refund["documentNo"]]
    assert stack.norce.stats["double captures"] == 0 and stack.norce.stats["double refunds"] == 0


def test_the_same_invoice_pushed_five_times_at_once_is_captured_once(stack: LocalStack) -> None:
    ref, order_no = confirmed_order(stack)
    invoice = stack.erp.invoice(order_no)
    answers: list[int] = []
    threads = [
        threading.Thread(target=lambda: answers.append(push(stack, invoice).status_code)) for _ in range(5)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [202] * 5
    wait_until(lambda: numbers(stack, ref, "Invoices"), what="the invoice in Norce")
    assert push(stack, invoice).status_code == 202  # and again, later (SQS FIFO drops it within 5 min,
    time.sleep(2)  # the document ledger after that: tests/unit/test_lifecycle.py)
    assert numbers(stack, ref, "Invoices") == [invoice["documentNo"]]


def test_a_lost_answer_after_norce_took_the_invoice_sends_no_second_one(stack: LocalStack) -> None:
    ref, order_no = confirmed_order(stack)
    invoice = stack.erp.invoice(order_no)
    stack.norce.set_faults(drop_responses=1, paths=["Order/CreateInvoice"])
    try:
        assert push(stack, invoice).status_code == 202
        wait_until(lambda: _trail_has(stack, ref, "document_found_in_norce"), what="found in Norce")
    finally:
        stack.norce.set_faults(drop_responses=0, paths=[])
    assert numbers(stack, ref, "Invoices") == [invoice["documentNo"]]
    assert len(stack.norce.calls_to("Order/CreateInvoice")) >= 1


def test_an_invoice_before_the_confirmation_waits_and_ends_right(stack: LocalStack) -> None:
    ref = str(next(_refs))
    stack.norce.set_faults(count=3, status=503, paths=["Order/SendOrderStatus"], retry_after_seconds=1)
    try:
        assert post_order(stack, order_body(ref)).status_code == 200
        order_no = wait_until(lambda: erp_orders_for(stack, ref), what="the ERP order")[0]["orderNo"]
        invoice = stack.erp.invoice(order_no)
        # The ERP shows its order a moment before the processor has indexed it (then the push is 400,
        # unknown order): push until it is taken; Norce has no confirmation yet (its first answers are 503).
        wait_until(lambda: push(stack, invoice).status_code == 202, seconds=10, what="the invoice taken")
    finally:
        wait_until(lambda: confirmations_for(stack, ref), seconds=30, what="the confirmation")
    wait_until(lambda: numbers(stack, ref, "Invoices"), seconds=30, what="the invoice after it")
    assert statuses(stack, ref) == ["Confirmed"]
    calls = [
        call["path"]
        for call in stack.norce.calls
        if isinstance(call.get("body"), dict) and call["body"].get("ClientOrderRef") == int(ref)
    ]
    assert calls.index("Order/CreateInvoice") > calls.index("Order/SendOrderStatus")


def test_connect_down_for_a_while_loses_no_document(stack: LocalStack) -> None:
    ref, order_no = confirmed_order(stack)
    stack.norce.set_faults(count=4, status=503, paths=["Order/CreateDeliveryNote"], retry_after_seconds=1)
    note = stack.erp.ship(order_no)
    assert push(stack, note).status_code == 202
    wait_until(
        lambda: numbers(stack, ref, "DeliveryNotes"), seconds=40, what="the delivery note after the outage"
    )
    assert numbers(stack, ref, "DeliveryNotes") == [note["documentNo"]]
    wait_until(lambda: "Delivered" in statuses(stack, ref), what="Delivered after the last note")


def test_the_push_api_refuses_what_it_cannot_queue(stack: LocalStack) -> None:
    _, order_no = confirmed_order(stack)
    invoice = stack.erp.invoice(order_no)
    assert push(stack, invoice, key="wrong").status_code == 401
    kind, body = to_norce(ErpDocument.model_validate(invoice))
    body.pop("CurrencyCode")
    answer = requests.post(
        f"{stack.api_url}/erp/{kind.value}", json=body, headers={"X-Api-Key": stack.erp_push_key}, timeout=30
    )
    assert answer.status_code == 400
    assert answer.json()["Problems"] == ["CurrencyCode is required"]


def _trail_has(stack: LocalStack, ref: str, event: str) -> bool:
    from norce_integration.adapters.aws.dynamodb_records import DynamoDbOrderRecords  # noqa: PLC0415

    records = DynamoDbOrderRecords(stack.aws.client("dynamodb"), stack.resource("OrdersTable"))
    key = f"ORDER#123e4567-e89b-12d3-a456-426614174000#{ref}"
    return any(entry["event"] == event for entry in (records.get(key) or {}).get("trail", []))
