"""The order_processor and norce_writeback handlers on real SQS/DynamoDB/S3 (moto), with an in-memory
ERP and Norce: partial batch failures, backoff through visibility, parking in the DLQ, write-back."""

import json

import boto3
import pytest

from tests.support.aws import queued_messages
from tests.support.handlers import FakeLambdaContext, load_event
from tests.support.processing import example_order
from tests.support.sqs_events import from_received, sqs_record


def test_a_batch_of_orders_becomes_erp_orders_confirmed_in_norce(world):
    for ref in ("R1", "R2", "R3"):
        world.receive(example_order(ref))

    answer, event = world.poll_orders()

    assert answer == {"batchItemFailures": []}
    assert len(event["Records"]) == 3
    assert sorted(world.erp.orders) == ["R1", "R2", "R3"]
    # named by ErpOrderNo: a ClientOrderRef that is not an int32 basket id is not sent (issue 19)
    assert sorted(s.ErpOrderNo or "" for s in world.norce.statuses) == sorted(
        n for n, _ in world.erp.orders.values()
    )
    assert {s.ClientOrderRef for s in world.norce.statuses} == {None}
    record = boto3.client("dynamodb").get_item(
        TableName=world.aws.table, Key={"pk": {"S": "ORDER#123e4567-e89b-12d3-a456-426614174000#R1"}}
    )["Item"]
    assert record["processing_state"] == {"S": "confirmed"} and record["erp_order_no"]["S"].startswith("SO-")


def test_a_poison_message_is_parked_alone_and_its_neighbours_succeed(world):
    world.receive(example_order("GOOD1"))
    world.receive(example_order("GOOD2"))
    messages = world.sqs.receive_message(QueueUrl=world.aws.queue_url, MaxNumberOfMessages=10).get("Messages")
    event = from_received(messages, world.queue_arn)
    event["Records"].insert(
        1, sqs_record("this is not an order message", world.queue_arn, message_id="poison")
    )

    answer = world.processor.lambda_handler(event, FakeLambdaContext())

    assert answer == {"batchItemFailures": []}
    assert sorted(world.erp.orders) == ["GOOD1", "GOOD2"]
    [parked] = world.sqs.receive_message(QueueUrl=world.aws.dlq_url, MessageAttributeNames=["All"])[
        "Messages"
    ]
    assert parked["Body"] == "this is not an order message"
    assert (
        parked["MessageAttributes"]["FailureReason"]["StringValue"]
        == "unreadable order message (JSONDecodeError)"
    )


def test_an_unexpected_error_fails_only_its_record(world, monkeypatch):
    world.receive(example_order("GOOD1"))
    world.receive(example_order("BUGGY"))
    original = world.erp.create_order

    def create_order(order):
        if order.external_ref == "BUGGY":
            raise RuntimeError("a bug")
        return original(order)

    monkeypatch.setattr(world.erp, "create_order", create_order)

    answer, event = world.poll_orders()

    [failed] = answer["batchItemFailures"]
    buggy = next(r for r in event["Records"] if "BUGGY" in r["body"])
    assert failed == {"itemIdentifier": buggy["messageId"]}
    assert list(world.erp.orders) == ["GOOD1"]


def test_erp_down_reports_failures_and_sets_a_growing_visibility(world):
    world.receive(example_order("R1"))
    world.erp.down = True

    answer, event = world.poll_orders()

    assert answer["batchItemFailures"] == [{"itemIdentifier": event["Records"][0]["messageId"]}]
    assert world.sqs.receive_message(QueueUrl=world.aws.queue_url).get("Messages") is None, "hidden for 60 s"
    world.erp.down = False
    assert world.erp.orders == {}


def test_a_rejected_order_is_parked_in_the_dlq_with_its_reason_and_removed_from_the_queue(world):
    world.receive(example_order("R-BAD"))
    world.erp.reject_orders_reason = "unknown part ITEM001"

    answer, _ = world.poll_orders()

    assert answer == {"batchItemFailures": []}
    [parked] = world.sqs.receive_message(QueueUrl=world.aws.dlq_url, MessageAttributeNames=["All"])[
        "Messages"
    ]
    assert (
        parked["MessageAttributes"]["FailureReason"]["StringValue"] == "ERP rejected it: unknown part ITEM001"
    )

    world.erp.reject_orders_reason = None  # fixed; redrive the DLQ into the orders queue
    world.sqs.send_message(QueueUrl=world.aws.queue_url, MessageBody=parked["Body"])
    answer, _ = world.poll_orders()
    assert answer == {"batchItemFailures": []} and list(world.erp.orders) == ["R-BAD"]


def test_new_customer_codes_are_written_back_to_norce_in_one_import(world):
    for ref in ("600001", "600002"):  # Norce orders: their references are basket ids
        body = example_order(ref).replace(b'"CustomerCode": "CUST0001"', b'"CustomerCode": null')
        world.receive(body.replace(b"john.doe@example.com", f"{ref}@example.com".encode()))
        world.query.orders[int(ref)] = {"BuyerCompanyId": None, "BuyerCustomerId": int(ref) - 600000}
    world.poll_orders()
    writeback_url = world.sqs.get_queue_url(QueueName="writeback")["QueueUrl"]
    messages = world.sqs.receive_message(QueueUrl=writeback_url, MaxNumberOfMessages=10)["Messages"]

    answer = world.writeback.lambda_handler(
        from_received(messages, "arn:aws:sqs:eu-north-1:1:writeback"), FakeLambdaContext()
    )

    assert answer == {"batchItemFailures": []}
    [(kind, customers, header)] = world.norce.imports
    assert kind == "customers" and header.CustomerFieldsThatAreSet == ["Code"]
    assert sorted((c.Id, c.EmailAddress) for c in customers) == [(1, None), (2, None)], "by Norce's Id"


def test_norce_unavailable_during_write_back_fails_the_batch_for_a_retry(world):
    world.norce.unavailable_calls = 5
    world.query.orders[600009] = {"BuyerCompanyId": None, "BuyerCustomerId": 9}
    records = [
        sqs_record(
            json.dumps(
                {
                    "kind": "customer",
                    "code": "C1",
                    "match_value": "",
                    "application_key": None,
                    "client_order_ref": "600009",
                }
            ),
            message_id="m1",
        )
    ]

    answer = world.writeback.lambda_handler({"Records": records}, FakeLambdaContext())

    assert answer == {"batchItemFailures": [{"itemIdentifier": "m1"}]}


@pytest.mark.parametrize("event_file", ["order_processor/sqs-orders.json"])
def test_sample_processor_event_runs(world, event_file):
    world.receive(example_order())
    [message] = queued_messages(world.aws.queue_url)
    event = load_event(event_file)
    event["Records"][0]["body"] = json.dumps(message)

    assert world.processor.lambda_handler(event, FakeLambdaContext()) == {"batchItemFailures": []}
    assert list(world.erp.orders) == ["REF12345"]


def test_sample_write_back_event_runs(world):
    world.query.orders[700003] = {
        "BuyerCompanyId": None,
        "BuyerCustomerId": 31,
    }  # its buyer, as Norce holds it
    answer = world.writeback.lambda_handler(load_event("norce_writeback/sqs-codes.json"), FakeLambdaContext())

    assert answer == {"batchItemFailures": []}
    assert [(kind, [entity.Code for entity in entities]) for kind, entities, _ in world.norce.imports] == [
        ("companies", ["B20001"]),
        ("customers", ["C10001"]),
    ]
