"""DynamoDB order record, processing lock and job tracking; SQS write-back queue and DLQ parking (moto)."""

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from norce_integration.adapters.aws.dynamodb_jobs import DynamoDbJobRecords
from norce_integration.adapters.aws.dynamodb_records import DynamoDbOrderRecords
from norce_integration.adapters.aws.sqs_processing import (
    SqsDeadLetters,
    SqsWritebackQueue,
    writeback_from_body,
)
from norce_integration.orders.ledger import QueuedOrder
from norce_integration.processing.ports import Writeback
from tests.support.aws import create_orders_table

KEY = "ORDER#app#REF1"


@pytest.fixture
def dynamodb() -> Iterator[object]:
    with mock_aws():
        client = create_orders_table()
        yield client


def test_the_trail_grows_and_fields_are_set_and_cleared(dynamodb):
    records = DynamoDbOrderRecords(dynamodb, "orders")

    records.note(KEY, "retrying", 100.5, last_error="ERP answered 503")
    records.note(
        KEY, "erp_order_created", 101.0, erp_order_no="SO-1", target="default", codes=["customer C1"]
    )
    records.note(KEY, "confirmed", 102.0, processing_state="confirmed", last_error=None)

    record = records.get(KEY)
    assert record["processing_state"] == "confirmed" and record["erp_order_no"] == "SO-1"
    assert "last_error" not in record
    assert [(e["event"], e["at"]) for e in record["trail"]] == [
        ("retrying", 100.5),
        ("erp_order_created", 101),
        ("confirmed", 102),
    ]
    assert record["trail"][1]["codes"] == ["customer C1"]


def test_a_record_read_for_some_fields_leaves_the_trail_in_the_table(dynamodb):
    records = DynamoDbOrderRecords(dynamodb, "orders")
    records.note(KEY, "confirmed", 102.0, processing_state="confirmed", archive_key="orders/1.json")
    for step in range(50):
        records.note(KEY, "document_received", 103.0 + step, document=f"invoice INV-{step}")

    assert records.get(KEY, fields=("archive_key", "wire_format", "processing_state")) == {
        "archive_key": "orders/1.json",
        "processing_state": "confirmed",
    }
    assert records.get("ORDER#-#nothing", fields=("archive_key",)) is None


def test_the_processing_lock_excludes_others_until_released_or_expired(dynamodb):
    records = DynamoDbOrderRecords(dynamodb, "orders")

    assert records.lock(KEY, "a", now=0, until=120)
    assert records.lock(KEY, "a", now=1, until=121), "re-entrant for the same owner"
    assert not records.lock(KEY, "b", now=2, until=122)
    assert records.lock(KEY, "b", now=200, until=320), "expired"
    records.unlock(KEY, "a")  # not the holder any more: no effect
    assert not records.lock(KEY, "c", now=201, until=321)
    records.unlock(KEY, "b")
    assert records.lock(KEY, "c", now=202, until=322)


def test_jobs_are_recorded_with_a_ttl(dynamodb):
    DynamoDbJobRecords(dynamodb, "orders").record(
        5001, "customers", 1000.0, count=3, client_order_refs=["R1"]
    )

    item = dynamodb.get_item(TableName="orders", Key={"pk": {"S": "JOB#5001"}})["Item"]
    assert item["kind"] == {"S": "customers"} and item["count"] == {"N": "3"}
    assert int(item["expires_at"]["N"]) == 1000 + 30 * 86400


def test_writebacks_are_queued_one_message_each_and_read_back():
    with mock_aws():
        sqs = boto3.client("sqs")
        url = sqs.create_queue(QueueName="writeback")["QueueUrl"]
        items = [Writeback("customer", f"C{i}", f"c{i}@example.com", None, "R1") for i in range(13)]

        SqsWritebackQueue(sqs, url).enqueue(items)

        received = []
        while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
            received += [writeback_from_body(m["Body"]) for m in batch]
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": m["MessageId"], "ReceiptHandle": m["ReceiptHandle"]} for m in batch],
            )
        assert sorted(r.code for r in received) == sorted(i.code for i in items)


def test_parking_puts_the_message_and_its_reason_on_the_dlq():
    with mock_aws():
        sqs = boto3.client("sqs")
        url = sqs.create_queue(QueueName="orders-dlq")["QueueUrl"]
        order = QueuedOrder("ORDER#-#R1", "R1", None, "tok", "orders/-/R1/x.json", "json", "f" * 64, 1.0)

        SqsDeadLetters(sqs, url).park(order, "ERP rejected it: unknown part")

        [message] = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"]
        assert json.loads(message["Body"])["token"] == "tok"
        assert message["MessageAttributes"]["FailureReason"]["StringValue"] == "ERP rejected it: unknown part"
