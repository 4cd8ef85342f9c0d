"""Orders into Business Central over the local stack: one sales order per order, also when BC throttles and
answers get lost; a new buyer created once; BC's business errors park the order with BC's message."""

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from norce_integration.adapters.http.business_central.references import external_document_number
from tests.e2e.helpers import PAYLOADS, confirmations_for, order_body, post_order, wait_until

pytestmark = pytest.mark.e2e


def bc_orders_for(stack: Any, ref: str) -> list[dict[str, Any]]:
    return [o for o in stack.erp.orders() if o["externalRef"] == external_document_number(ref)]


def new_buyer_order(ref: str, email: str) -> bytes:
    order = json.loads(order_body(ref))
    order["SellTo"]["Person"] |= {"CustomerCode": None, "Email": email, "FirstName": "Nina", "LastName": "Ny"}
    return json.dumps(order).encode()


def test_the_demo_s_orders_become_one_sales_order_each_under_429s_and_lost_answers(stack):
    bc = stack.erp
    bc.set_faults(rate=(6, 2), drop_responses=2)  # BC throttles; the first two writes' answers are lost
    refs = ["E2E-BC-1", "e2e-bc-lower", "E2E-BC-" + "LONG" * 10]
    bodies = [order_body(ref) for ref in refs]
    bodies += [new_buyer_order(f"E2E-BC-NEW-{n}", "nina.ny@example.com") for n in (1, 2)]
    refs += ["E2E-BC-NEW-1", "E2E-BC-NEW-2"]
    b2b = (PAYLOADS / "order-request-b2b-new-company.json").read_bytes()
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda body: post_order(stack, body), [*bodies, b2b]))
    assert all(answer.json()["StatusCode"] == "OK" for answer in answers)
    refs.append("B2B-1001")
    for ref in refs:
        wait_until(lambda ref=ref: confirmations_for(stack, ref), seconds=90, what=f"{ref} confirmed")
    assert {ref: len(bc_orders_for(stack, ref)) for ref in refs} == dict.fromkeys(refs, 1)
    assert bc.faults.drop_responses == 0, "answers were lost on the way"
    assert any(key.endswith(" 429") for key in bc.stats), "BC throttled us"
    buyers = [c for c in bc.parties("customers") if c["email"] == "nina.ny@example.com"]
    assert len(buyers) == 1, "the new buyer of two orders at once is one customer"
    assert {
        o["customerCode"] for o in bc_orders_for(stack, "E2E-BC-NEW-1") + bc_orders_for(stack, "E2E-BC-NEW-2")
    } == {buyers[0]["code"]}
    companies = [c for c in bc.parties("companies") if c["vatNo"] == "SE556677889901"]
    assert len(companies) == 1
    assert bc_orders_for(stack, "B2B-1001")[0]["customerCode"] == companies[0]["code"]
    confirmed = confirmations_for(stack, "e2e-bc-lower")[0]
    assert confirmed["ErpOrderNo"] == bc_orders_for(stack, "e2e-bc-lower")[0]["orderNo"]


def _record(stack: Any, ref: str) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeDeserializer  # noqa: PLC0415

    key = {"pk": {"S": f"ORDER#123e4567-e89b-12d3-a456-426614174000#{ref}"}}
    item = stack.aws.client("dynamodb").get_item(TableName=stack.resource("OrdersTable"), Key=key).get("Item")
    return {k: TypeDeserializer().deserialize(v) for k, v in (item or {}).items()}


def test_an_unknown_item_parks_the_order_with_bc_s_message_and_is_never_retried_forever(stack):
    order = json.loads(order_body("E2E-BC-ITEM404"))
    order["Items"][0] |= {"PartNo": "ITEM404", "ErpPartNo": "ITEM404"}
    post_order(stack, json.dumps(order).encode())
    record = wait_until(
        lambda: (r := _record(stack, "E2E-BC-ITEM404")).get("processing_state") == "failed" and r,
        seconds=30,
        what="the order parked",
    )
    assert "Item does not exist." in str(record.get("last_error"))
    assert bc_orders_for(stack, "E2E-BC-ITEM404") == [] and confirmations_for(stack, "E2E-BC-ITEM404") == []


def test_a_customer_blocked_in_bc_parks_the_order_with_bc_s_message(stack):
    stack.erp.add_customer(number="BLOCKED1", displayName="Blocked Buyer", type="Person", blocked="All")
    order = json.loads(order_body("E2E-BC-BLOCKED"))
    order["SellTo"]["Person"]["CustomerCode"] = "BLOCKED1"
    post_order(stack, json.dumps(order).encode())
    record = wait_until(
        lambda: (r := _record(stack, "E2E-BC-BLOCKED")).get("processing_state") == "failed" and r,
        seconds=30,
        what="the order parked",
    )
    assert "Customer BLOCKED1 is blocked with type All" in str(record.get("last_error"))
