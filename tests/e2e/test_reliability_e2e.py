"""Reliability on the local stack: outages, throttling, poison messages; nothing lost, nothing twice."""

import json

import pytest

from tests.e2e.helpers import confirmations_for, erp_orders_for, order_body, post_order, wait_until

pytestmark = pytest.mark.e2e
# Time is compressed about 1800x: Norce's 6 hours become 12 s, the processor's backoff cap of 15 min
# becomes 1 s (the local stack's RETRY_MAX_SECONDS), so an order meets the ERP ~12 times while it is down.
SIX_HOURS = 12


def test_orders_taken_while_the_erp_is_down_for_six_hours_arrive_exactly_once(stack):
    stack.erp.set_faults(down_for_seconds=SIX_HOURS)
    refs = [f"E2E-OUTAGE-{n}" for n in range(5)]

    answers = [post_order(stack, order_body(ref)) for ref in refs]

    assert all(a.json()["StatusCode"] == "OK" for a in answers), "Norce is answered at once, ERP or not"
    for ref in refs:
        wait_until(
            lambda ref=ref: confirmations_for(stack, ref), seconds=SIX_HOURS + 30, what=f"{ref} confirmed"
        )
    assert all(len(erp_orders_for(stack, ref)) == 1 for ref in refs)
    assert all(len(confirmations_for(stack, ref)) == 1 for ref in refs)


def test_norce_throttling_the_confirmation_delays_it_but_never_loses_it(stack):
    stack.norce.set_faults(status=429, count=6, paths=["Order/SendOrderStatus"], retry_after_seconds=1)

    post_order(stack, order_body("E2E-THROTTLED"))

    [confirmation] = wait_until(
        lambda: confirmations_for(stack, "E2E-THROTTLED"), seconds=30, what="confirmation"
    )
    assert len(erp_orders_for(stack, "E2E-THROTTLED")) == 1
    erp_no = erp_orders_for(stack, "E2E-THROTTLED")[0]["orderNo"]
    statuses = [  # named by ErpOrderNo: "E2E-THROTTLED" is no int32 basket id (issue 19)
        c.get("status")
        for c in stack.norce.calls_to("Order/SendOrderStatus")
        if c["body"].get("ErpOrderNo") == erp_no
    ]
    assert statuses.count(429) == 6 and statuses[-1] == 200
    assert confirmation["ErpOrderNo"] == erp_orders_for(stack, "E2E-THROTTLED")[0]["orderNo"]


def test_norce_unavailable_then_back(stack):
    stack.norce.set_faults(status=503, count=4, paths=["Order/SendOrderStatus"], retry_after_seconds=1)

    post_order(stack, order_body("E2E-503"))

    wait_until(lambda: confirmations_for(stack, "E2E-503"), seconds=30, what="confirmation")
    assert len(erp_orders_for(stack, "E2E-503")) == 1


def test_a_poison_message_is_isolated_in_the_dlq_while_the_rest_is_processed(stack):
    sqs = stack.aws.client("sqs")
    sqs.send_message(QueueUrl=stack.resource("OrdersQueue"), MessageBody="{not an order")
    post_order(stack, order_body("E2E-NEIGHBOUR"))

    wait_until(lambda: confirmations_for(stack, "E2E-NEIGHBOUR"), what="the neighbour's confirmation")
    parked = wait_until(
        lambda: sqs.receive_message(
            QueueUrl=stack.resource("OrdersDeadLetterQueue"), MessageAttributeNames=["All"]
        ).get("Messages"),
        what="the poison message in the DLQ",
    )
    assert parked[0]["Body"] == "{not an order"


def test_an_order_the_erp_rejects_is_parked_with_its_reason_and_replayed_after_the_fix(stack):
    stack.erp.set_faults(unknown_parts=["ITEM404"])
    order = json.loads(order_body("E2E-REJECT"))
    order["Items"][0]["PartNo"] = order["Items"][0]["ErpPartNo"] = "ITEM404"
    sqs = stack.aws.client("sqs")
    dlq = stack.resource("OrdersDeadLetterQueue")

    post_order(stack, json.dumps(order).encode())

    def parked_reject():
        messages = sqs.receive_message(
            QueueUrl=dlq, MessageAttributeNames=["All"], MaxNumberOfMessages=10, VisibilityTimeout=1
        ).get("Messages", [])
        return [m for m in messages if "E2E-REJECT" in m["Body"]]

    [parked] = wait_until(parked_reject, what="the rejected order in the DLQ")
    assert parked["MessageAttributes"]["FailureReason"]["StringValue"] == (
        "ERP rejected it: ERP: POST /orders answered 422: line 1: unknown item ITEM404"
    )
    assert erp_orders_for(stack, "E2E-REJECT") == []

    stack.erp.set_faults(unknown_parts=[])  # the item now exists in the ERP: redrive the message
    sqs.send_message(QueueUrl=stack.resource("OrdersQueue"), MessageBody=parked["Body"])
    sqs.delete_message(QueueUrl=dlq, ReceiptHandle=parked["ReceiptHandle"])

    wait_until(lambda: confirmations_for(stack, "E2E-REJECT"), what="the replayed order's confirmation")
    assert len(erp_orders_for(stack, "E2E-REJECT")) == 1


def test_a_new_customer_is_created_once_and_its_code_imported_into_norce(stack):
    order = json.loads(order_body("882001"))  # a Norce order: its reference is the basket id
    order["SellTo"]["Person"]["CustomerCode"] = None
    order["SellTo"]["Person"]["Email"] = "e2e.new.customer@example.com"
    held = stack.norce.checkout(order)  # Norce holds the buyer: an Id, no code yet

    post_order(stack, json.dumps(order).encode())

    wait_until(lambda: confirmations_for(stack, "882001"), what="the confirmation")
    [erp_order] = erp_orders_for(stack, "882001")
    code = erp_order["customerCode"]
    wait_until(lambda: stack.norce.customers[held["BuyerCustomerId"]].get("Code"), what="the code in Norce")
    imported = [
        c for c in stack.norce.customers.values() if c.get("EmailAddress") == "e2e.new.customer@example.com"
    ]
    assert [c["Id"] for c in imported] == [held["BuyerCustomerId"]] and imported[0]["Code"] == code
