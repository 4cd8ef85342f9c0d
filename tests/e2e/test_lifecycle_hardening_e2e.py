"""Issue 20 on the local stack, over HTTP: documents held against the order (no over-capture), a poisoned
document parked without blocking its order, and a poll that does not stall on a young unknown order."""

import itertools
import json
import threading
import time
import uuid
from decimal import Decimal
from typing import Any

import requests

from local.stack import LocalStack
from norce_integration.erp.model import ErpDelivery, ErpDocument, ErpOrder, ErpOrderLine
from norce_integration.lifecycle.documents import QueuedDocument, document_id
from norce_integration.lifecycle.mapping import to_norce
from tests.e2e.helpers import confirmations_for, erp_orders_for, order_body, post_order, wait_until

_baskets = itertools.count(7_300_001)
APPLICATION = "123e4567-e89b-12d3-a456-426614174000"


def confirmed_order(stack: LocalStack) -> tuple[str, str]:
    ref = str(next(_baskets))
    assert post_order(stack, order_body(ref)).status_code == 200
    wait_until(lambda: confirmations_for(stack, ref), what=f"order {ref} confirmed")
    return ref, erp_orders_for(stack, ref)[0]["orderNo"]


def push_body(stack: LocalStack, method: str, body: dict[str, Any]) -> requests.Response:
    return requests.post(
        f"{stack.api_url}/erp/{method}", json=body, headers={"X-Api-Key": stack.erp_push_key}, timeout=30
    )


def mapped(document: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    kind, body = to_norce(ErpDocument.model_validate(document))
    return kind.value, body


def norce_order(stack: LocalStack, ref: str) -> dict[str, Any]:
    return requests.get(f"{stack.norce.url}/_orders", timeout=10).json().get(ref) or {}


def numbers(stack: LocalStack, ref: str, kind: str) -> list[str]:
    field = "NoteNo" if kind == "DeliveryNotes" else "InvoiceNo"
    return [document[field] for document in norce_order(stack, ref).get(kind, [])]


def captures(stack: LocalStack, ref: str) -> list[dict[str, Any]]:
    return [
        call
        for call in stack.norce.calls_to("Order/CreateInvoice")
        if isinstance(call.get("body"), dict) and call["body"].get("ClientOrderRef") == int(ref)
    ]


def test_two_invoices_of_the_same_lines_give_one_capture_and_one_400(stack: LocalStack) -> None:
    ref, order_no = confirmed_order(stack)
    method, body = mapped(stack.erp.invoice(order_no))
    start, answers = threading.Barrier(2), []

    def push(number: str) -> None:
        start.wait()
        answers.append(push_body(stack, method, body | {"InvoiceNo": number}))

    threads = [threading.Thread(target=push, args=(f"{body['InvoiceNo']}-{n}",)) for n in "AB"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answer.status_code for answer in answers) == [202, 400]
    [refused] = [answer for answer in answers if answer.status_code == 400]
    assert refused.json()["Problems"][0].startswith(
        "invoiced quantity: order line 1 (ITEM001) would be invoiced 4"
    )
    wait_until(lambda: numbers(stack, ref, "Invoices"), what="the one invoice in Norce")
    time.sleep(1)
    assert len(numbers(stack, ref, "Invoices")) == 1 and len(captures(stack, ref)) == 1


def test_an_over_quantity_invoice_gets_400_and_nothing_reaches_norce(stack: LocalStack) -> None:
    ref, order_no = confirmed_order(stack)
    method, body = mapped(stack.erp.invoice(order_no))
    line = body["Items"][0]
    over = body | {
        "InvoiceNo": f"{body['InvoiceNo']}-200",
        "Items": [line | {"Quantity": 200, "LineAmount": 60000.0}],
        "Vat": 15000.0,
        "TotalAmount": 75000.0,
    }

    answer = push_body(stack, method, over)

    assert answer.status_code == 400
    problems = answer.json()["Problems"]
    assert problems[0].startswith("invoiced quantity: order line 1 (ITEM001) would be invoiced 200")
    assert problems[1].startswith("invoiced total: the order's invoices would come to 75000.00")
    note = dict(mapped(stack.erp.ship(order_no))[1])
    note["DeliverynoteItems"] = [note["DeliverynoteItems"][0] | {"Qty": 5}]
    assert push_body(stack, "CreateDeliveryNote", note).status_code == 400  # 5 of 2 units
    time.sleep(1.5)
    assert captures(stack, ref) == [] and numbers(stack, ref, "DeliveryNotes") == []


def test_a_poisoned_document_parks_itself_and_the_orders_next_document_still_arrives(
    stack: LocalStack,
) -> None:
    ref, order_no = confirmed_order(stack)
    order_key = f"ORDER#{APPLICATION}#{ref}"
    number = "P" * 3000  # too long for Norce, and for a DynamoDB key: queued by something else than the door
    poisoned = QueuedDocument(
        key=f"CreateInvoice#{order_key}#{number}",
        kind="CreateInvoice",
        order_key=order_key,
        client_order_ref=ref,
        erp_order_no=order_no,
        body={"ClientOrderRef": int(ref), "InvoiceNo": number, "TotalAmount": float("inf")},
        received_at=time.time(),
        source="push",
    )
    stack.aws.client("sqs").send_message(
        QueueUrl=stack.resource("LifecycleQueue"),
        MessageBody=json.dumps(poisoned.as_dict()),  # Infinity: what an old version could have queued
        MessageGroupId=document_id(order_key),
        MessageDeduplicationId=uuid.uuid4().hex,
    )
    note = stack.erp.ship(order_no)
    assert push_body(stack, *mapped(note)).status_code == 202

    wait_until(lambda: numbers(stack, ref, "DeliveryNotes"), seconds=30, what="the next document in Norce")
    assert numbers(stack, ref, "DeliveryNotes") == [note["documentNo"]] and captures(stack, ref) == []
    parked = _ledger(stack, poisoned.key)  # its key is too long for DynamoDB: kept under its hash
    assert parked["state"]["S"] == "PARKED"
    assert (
        parked["reason"]["S"] == "the queued document can never be sent: TotalAmount is not a finite number"
    )
    trail = _record(stack, order_key).get("trail", [])
    [failed] = [entry for entry in trail if entry["event"] == "document_failed"]
    assert failed["document"] == "CreateInvoice " + "P" * 60 + "..."
    dlq = stack.aws.client("sqs").get_queue_attributes(
        QueueUrl=stack.resource("LifecycleDeadLetterQueue"), AttributeNames=["ApproximateNumberOfMessages"]
    )
    assert int(dlq["Attributes"]["ApproximateNumberOfMessages"]) >= 1


def test_the_poll_does_not_stall_on_a_young_document_of_an_order_not_known_yet(stack: LocalStack) -> None:
    known_ref, known_no = confirmed_order(stack)
    early_ref = str(next(_baskets))  # the ERP has this order (and a status of it) before the integration
    early_no = _erp_order(stack, early_ref)
    stack.erp.set_status(early_no, "BackOrder")
    ours = stack.erp.set_status(known_no, "BackOrder")

    first = _poll(stack)

    assert ours["documentNo"] in first["queued"] and f"{early_no}:BackOrder" in first["pending"]
    wait_until(lambda: "BackOrder" in _statuses(stack, known_ref), what="the known order's status")
    assert post_order(stack, order_body(early_ref)).status_code == 200  # Norce sends the order: now known
    wait_until(lambda: confirmations_for(stack, early_ref), what=f"order {early_ref} confirmed")
    second = _poll(stack)
    assert f"{early_no}:BackOrder" in second["queued"] and f"{early_no}:BackOrder" not in second["pending"]
    wait_until(lambda: "BackOrder" in _statuses(stack, early_ref), what="the remembered status in Norce")


def _poll(stack: LocalStack) -> dict[str, Any]:
    answer = requests.post(f"{stack.api_url}/_local/schedules/ErpPollFunction", timeout=60)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _statuses(stack: LocalStack, ref: str) -> list[str]:
    return [status["OrderStatus"] for status in norce_order(stack, ref).get("Statuses", [])]


def _erp_order(stack: LocalStack, ref: str) -> str:
    """An order made in the ERP directly (as another channel, or before our order reached it)."""
    order = ErpOrder(
        external_ref=ref,
        currency="SEK",
        customer_code="CUST0001",
        delivery=ErpDelivery(method="PN"),
        lines=[ErpOrderLine(line_no=1, part_no="ITEM001", quantity=Decimal(2), unit_price=Decimal(300))],
    )
    answer = requests.post(
        f"{stack.erp.url}/orders",
        json=order.model_dump(mode="json", by_alias=True, exclude_none=True),
        headers={"X-Api-Key": stack.erp.api_key},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["orderNo"])


def _ledger(stack: LocalStack, key: str) -> dict[str, Any]:
    from norce_integration.adapters.aws.dynamodb_documents import document_pk  # noqa: PLC0415

    item = stack.aws.client("dynamodb").get_item(
        TableName=stack.resource("OrdersTable"), Key={"pk": {"S": document_pk(key)}}, ConsistentRead=True
    )
    return dict(item.get("Item") or {})


def _record(stack: LocalStack, key: str) -> dict[str, Any]:
    from norce_integration.adapters.aws.dynamodb_records import DynamoDbOrderRecords  # noqa: PLC0415

    records = DynamoDbOrderRecords(stack.aws.client("dynamodb"), stack.resource("OrdersTable"))
    return records.get(key) or {}
