"""The order_processor and norce_writeback handlers on real SQS/DynamoDB/S3 (moto), with an in-memory
ERP and Norce: partial batch failures, backoff through visibility, parking in the DLQ, write-back."""

import json
from dataclasses import dataclass

import boto3
import pytest
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

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


@dataclass
class ShortOnTime(FakeLambdaContext):
    """An invocation with half a second left: less than a record is ever started with."""

    def get_remaining_time_in_millis(self) -> int:
        return 500


def test_records_an_invocation_has_no_time_left_for_are_given_back_unstarted_and_come_back_at_once(world):
    for ref in ("T1", "T2", "T3"):
        world.receive(example_order(ref))
    messages = world.sqs.receive_message(QueueUrl=world.aws.queue_url, MaxNumberOfMessages=10)["Messages"]
    event = from_received(messages, world.queue_arn)
    rest = event["Records"][1:]

    answer = world.processor.lambda_handler(event, ShortOnTime(aws_request_id="short-on-time"))

    # the first record of an invocation is always started; the others are not, rather than cut off
    assert answer == {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in rest]}
    assert len(world.erp.orders) == 1
    # given back visible at once, not after the queue's visibility timeout; the next invocation takes them
    again = world.sqs.receive_message(QueueUrl=world.aws.queue_url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["MessageId"] for m in again) == sorted(r["messageId"] for r in rest)
    answer = world.processor.lambda_handler(
        from_received(again, world.queue_arn), FakeLambdaContext(aws_request_id="the-next-one")
    )
    assert answer == {"batchItemFailures": []}
    assert sorted(world.erp.orders) == ["T1", "T2", "T3"]


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_time_a_record_may_take_is_learnt_from_the_slow_ones_and_fades(monkeypatch):
    from aws_lambda_powertools import Logger, Metrics  # noqa: PLC0415

    from norce_integration.adapters.aws import sqs_consumer  # noqa: PLC0415

    clock = _Clock()
    monkeypatch.setattr(sqs_consumer.time, "monotonic", clock)
    given_back: list[str] = []

    class Sqs:
        def change_message_visibility(self, **call):
            given_back.append(call["ReceiptHandle"])

    names = sqs_consumer.ConsumerNames("Order", "OrdersRetried", "OrdersFailed")
    consumer = sqs_consumer.QueueConsumer(names, Logger(), Metrics(), str, lambda *args: None)
    remaining = {"ms": 60_000}

    @dataclass
    class Context(FakeLambdaContext):
        def get_remaining_time_in_millis(self) -> int:
            return remaining["ms"]

    def taking(seconds: float):
        def handle(message: str) -> str:
            clock.now += seconds
            return "done"

        return handle

    def consume(name: str, handle, invocation: str = "one") -> str:
        record = SQSRecord(sqs_record(name, "arn:aws:sqs:eu-north-1:123456789012:orders", message_id=name))
        return consumer.consume(
            record,
            handle,
            sqs=Sqs(),
            queue_url="q",
            settings=None,
            context=Context(aws_request_id=invocation),
        )

    assert consume("first", taking(4.0)) == "done"  # a slow record: the next needs 6 s (1.5 x 4 s) left
    remaining["ms"] = 5_000
    with pytest.raises(sqs_consumer.OutOfTime):
        consume("second", taking(0.1))
    assert len(given_back) == 1
    remaining["ms"] = 7_000
    assert consume("third", taking(0.1)) == "done"
    for index in range(30):  # quick records: the slow one's weight fades
        assert consume(f"quick-{index}", taking(0.1)) == "done"
    remaining["ms"] = 1_500
    assert consume("fourth", taking(0.1)) == "done"
    remaining["ms"] = 500  # never less than a second, however quick the records were
    with pytest.raises(sqs_consumer.OutOfTime):
        consume("fifth", taking(0.1))
    assert consume("a-new-invocation", taking(0.1), invocation="two") == "done"  # its first: always started
