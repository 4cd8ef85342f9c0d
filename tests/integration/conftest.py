"""The processing world of the handler tests: the template's queues, table and bucket in moto, the three
handlers loaded as Lambda loads them, an in-memory ERP, Norce Connect and Norce Query."""

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from norce_integration.adapters.memory.processing import InMemoryErp, InMemoryNorceConnect, InMemoryNorceQuery
from norce_integration.bootstrap.processing import build_processing
from norce_integration.settings import ProcessorSettings
from tests.support.aws import ReceiverResources, create_receiver_resources, serialize_moto
from tests.support.handlers import FakeLambdaContext, load_event, load_function
from tests.support.sqs_events import from_received


@pytest.fixture(autouse=True)
def moto_like_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every integration test's moto keeps AWS's atomicity under threads (``serialize_moto``)."""
    serialize_moto(monkeypatch)


PROCESSING_CONFIG = json.dumps({"payment_methods": {"*": "CARD"}, "delivery_methods": {"*": "STD"}})


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[ReceiverResources]:
    with mock_aws():
        resources = create_receiver_resources()
        sqs = boto3.client("sqs")
        writeback_url = sqs.create_queue(QueueName="writeback")["QueueUrl"]
        env = resources.env() | {
            "ORDERS_DLQ_URL": resources.dlq_url,
            "WRITEBACK_QUEUE_URL": writeback_url,
            "ERP_BASE_URL": "http://127.0.0.1:5200",
            "ERP_API_KEY_SECRET_ARN": "unused",
            "NORCE_CONNECT_URL": "http://127.0.0.1:5100/commerce/connect/4.0/",
            "NORCE_IDENTITY_URL": "http://127.0.0.1:5100/identity/1.0/connect/token",
            "NORCE_CREDENTIALS_SECRET_ARN": "unused",
            "NORCE_ACCOUNT_ID": "1",
            "PROCESSING_CONFIG": PROCESSING_CONFIG,
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield resources


class World:
    def __init__(self, aws: ReceiverResources) -> None:
        self.aws = aws
        self.erp = InMemoryErp()
        self.norce = InMemoryNorceConnect()
        self.query = InMemoryNorceQuery()  # companies as Norce holds them after checkout
        self.query.companies[1] = {"Id": 1, "Name": "Acme AB", "OrganizationNo": "556000-0000"}
        self.receiver = load_function("order_receiver")
        self.processor = load_function("order_processor")
        self.writeback = load_function("norce_writeback")
        parts = build_processing(
            ProcessorSettings.from_env(),
            erp_factory=lambda _: self.erp,
            norce=self.norce,
            norce_query=self.query,
        )
        for module in (self.processor, self.writeback):
            module.components = lambda parts=parts: parts
        self.sqs = boto3.client("sqs")
        self.queue_arn = self.sqs.get_queue_attributes(QueueUrl=aws.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]

    def receive(self, body: bytes) -> None:
        event = load_event("order_receiver/post-order-json.json")
        event["body"] = body.decode()
        assert (
            json.loads(self.receiver.lambda_handler(event, FakeLambdaContext())["body"])["StatusCode"] == "OK"
        )

    def poll_orders(self) -> dict:
        messages = self.sqs.receive_message(
            QueueUrl=self.aws.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages", [])
        event = from_received(messages, self.queue_arn)
        return self.processor.lambda_handler(event, FakeLambdaContext()), event


@pytest.fixture
def world(aws: ReceiverResources) -> World:
    return World(aws)
