"""The receiver's AWS resources, created in moto the way template.yaml declares them."""

import json
import threading
from dataclasses import dataclass
from typing import Any

import boto3

USERNAME = "norce"
PASSWORD = "norce-local"


@dataclass
class ReceiverResources:
    queue_url: str
    dlq_url: str
    table: str
    bucket: str
    secret_arn: str

    def env(self) -> dict[str, str]:
        return {
            "ORDERS_QUEUE_URL": self.queue_url,
            "ORDERS_TABLE": self.table,
            "ARCHIVE_BUCKET": self.bucket,
            "CREDENTIALS_SECRET_ARN": self.secret_arn,
            "MAX_ORDER_BYTES": str(512 * 1024),
            "BUSY_WAIT_SECONDS": "1",
        }


def create_orders_table(client: Any = None, name: str = "orders") -> Any:
    """The orders table as template.yaml declares it (key ``pk``); returns the DynamoDB client."""
    client = client or boto3.client("dynamodb")
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return client


def create_receiver_resources(secret: dict[str, Any] | None = None) -> ReceiverResources:
    sqs = boto3.client("sqs")
    dlq_url = sqs.create_queue(QueueName="orders-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    queue_url = sqs.create_queue(
        QueueName="orders",
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"})},
    )["QueueUrl"]
    create_orders_table()
    boto3.client("s3").create_bucket(
        Bucket="order-archive", CreateBucketConfiguration={"LocationConstraint": "eu-north-1"}
    )
    secret_arn = boto3.client("secretsmanager").create_secret(
        Name="receiver-credentials",
        SecretString=json.dumps(secret or {"username": USERNAME, "password": PASSWORD}),
    )["ARN"]
    return ReceiverResources(queue_url, dlq_url, "orders", "order-archive", secret_arn)


def queued_messages(queue_url: str) -> list[dict[str, Any]]:
    """Every message on the queue (received and left invisible, so each is counted once)."""
    sqs = boto3.client("sqs")
    messages: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=300)
        if not batch.get("Messages"):
            return messages
        messages.extend(json.loads(m["Body"]) for m in batch["Messages"])


def serialize_moto(monkeypatch: Any) -> None:
    """In-process moto answers one request at a time, as the local stack's ``local.moto_serial`` does: moto's
    backends are not atomic across threads, while DynamoDB's conditional writes and SQS's receives are. A
    test of concurrent behaviour then sees AWS's behaviour, not moto's races."""
    from moto.core.botocore_stubber import BotocoreStubber  # noqa: PLC0415

    lock = threading.RLock()
    original = BotocoreStubber.__call__

    def one_at_a_time(self: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        with lock:
            return original(self, event_name, request, **kwargs)

    monkeypatch.setattr(BotocoreStubber, "__call__", one_at_a_time)


class Serialized:
    """A boto3 client whose calls run one at a time.

    moto's backends are not atomic across threads, while a DynamoDB conditional write is: tests of
    concurrent behaviour serialize requests so moto keeps DynamoDB's promise."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return attribute(*args, **kwargs)

        return call
