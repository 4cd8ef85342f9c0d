"""Every function behind the API refuses a body over its limit with 413, before anything is parsed, stored or
queued: API Gateway (REST) has no body-size setting of its own below its 10 MB, so the limits are the
functions' (`MaxOrderBytes`, `MaxPushBytes`, `MaxEventBytes` in template.yaml)."""

import base64
import json
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import boto3
import pytest
from cfnlint.decode import decode_str
from moto import mock_aws

from tests.support.aws import create_orders_table, create_receiver_resources
from tests.support.handlers import ROOT, FakeLambdaContext, load_event, load_function

PUSH_KEY, EVENTS_KEY = "erp-push-local", "norce-events-local"
MB = 1024 * 1024
PARAMETERS = decode_str((ROOT / "template.yaml").read_text())[0]["Parameters"]


def template_parameter_default(name: str) -> int:
    return int(PARAMETERS[name]["Default"])


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The push's and the event receiver's queues, table and key secrets in moto."""
    with mock_aws():
        sqs, secrets = boto3.client("sqs"), boto3.client("secretsmanager")
        create_orders_table()
        events_dlq = sqs.create_queue(QueueName="events-dlq")["QueueUrl"]
        env = {
            "ORDERS_TABLE": "orders",
            "ARCHIVE_BUCKET": "archive",  # the push holds documents against the archived order
            "LIFECYCLE_QUEUE_URL": sqs.create_queue(
                QueueName="lifecycle.fifo", Attributes={"FifoQueue": "true"}
            )["QueueUrl"],
            "ERP_PUSH_KEYS_SECRET_ARN": secrets.create_secret(
                Name="erp-push-keys", SecretString=json.dumps({"apiKey": PUSH_KEY})
            )["ARN"],
            "EVENTS_QUEUE_URL": sqs.create_queue(QueueName="events")["QueueUrl"],
            "EVENTS_DLQ_URL": events_dlq,
            "NORCE_EVENTS_KEYS_SECRET_ARN": secrets.create_secret(
                Name="norce-events-keys", SecretString=json.dumps({"apiKey": EVENTS_KEY})
            )["ARN"],
            "SECRETS_CACHE_SECONDS": "0",
            "CHANGE_SETTLE_SECONDS": "0",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield env


def _handler(
    name: str, monkeypatch: pytest.MonkeyPatch, limit_variable: str, limit: int | None
) -> ModuleType:
    if limit is None:
        monkeypatch.delenv(limit_variable, raising=False)
    else:
        monkeypatch.setenv(limit_variable, str(limit))
    return load_function(name)  # a fresh module: the limit is read once per instance


def _queued(queue_url: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = (
        boto3.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    )
    return messages


def _call(module: ModuleType, event: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = module.lambda_handler(event, FakeLambdaContext())
    return answer


def _padded(event: dict[str, Any], size: int) -> dict[str, Any]:
    """The sample event with its JSON body grown to ``size`` bytes (still valid JSON)."""
    body = json.loads(event["body"])
    body["Padding"] = ""
    room = size - len(json.dumps(body).encode())
    assert room >= 0
    body["Padding"] = "x" * room
    event["body"] = json.dumps(body)
    assert len(event["body"].encode()) == size
    return event


# ---------------------------------------------------------------- erp_push (MAX_PUSH_BYTES)


def test_the_push_takes_a_body_at_its_limit_and_refuses_one_byte_more_with_413(aws, monkeypatch):
    sample = load_event("erp_push/push-send-order-status.json")
    size = len(sample["body"].encode())

    at_limit = _call(_handler("erp_push", monkeypatch, "MAX_PUSH_BYTES", size), sample)
    over = _call(_handler("erp_push", monkeypatch, "MAX_PUSH_BYTES", size - 1), sample)

    assert at_limit["statusCode"] != 413  # judged on its content (here: an order the ledger does not know)
    assert over["statusCode"] == 413
    assert json.loads(over["body"])["Problems"] == [f"the body is larger than {size - 1} bytes"]
    assert _queued(aws["LIFECYCLE_QUEUE_URL"]) == []


def test_a_huge_push_gets_413_under_the_default_1_mb_limit_and_nothing_is_queued(aws, monkeypatch):
    push = _handler("erp_push", monkeypatch, "MAX_PUSH_BYTES", None)
    event = _padded(load_event("erp_push/push-create-invoice.json"), 5 * MB)

    answer = _call(push, event)

    assert answer["statusCode"] == 413
    assert push.settings().max_body_bytes == 1_048_576 == template_parameter_default("MaxPushBytes")
    assert _queued(aws["LIFECYCLE_QUEUE_URL"]) == []


def test_a_base64_push_is_measured_decoded(aws, monkeypatch):
    event = load_event("erp_push/push-send-order-status.json")
    raw = event["body"].encode()
    event["body"], event["isBase64Encoded"] = base64.b64encode(raw).decode(), True

    assert _call(_handler("erp_push", monkeypatch, "MAX_PUSH_BYTES", len(raw)), event)["statusCode"] != 413
    assert (
        _call(_handler("erp_push", monkeypatch, "MAX_PUSH_BYTES", len(raw) - 1), event)["statusCode"] == 413
    )


def test_a_huge_push_without_the_key_is_refused_as_unauthenticated(aws, monkeypatch):
    push = _handler("erp_push", monkeypatch, "MAX_PUSH_BYTES", None)
    event = _padded(load_event("erp_push/push-unauthenticated.json"), 2 * MB)

    assert _call(push, event)["statusCode"] == 401  # nothing about the API is told to a stranger


# ---------------------------------------------------------------- event_receiver (MAX_EVENT_BYTES)


def test_the_event_receiver_takes_an_event_at_its_limit_and_refuses_one_byte_more_with_413(aws, monkeypatch):
    sample = load_event("event_receiver/post-OrderConfirmedEvent.json")
    size = len(sample["body"].encode())

    over = _call(_handler("event_receiver", monkeypatch, "MAX_EVENT_BYTES", size - 1), sample)
    assert over["statusCode"] == 413
    assert _queued(aws["EVENTS_QUEUE_URL"]) == [] and _queued(aws["EVENTS_DLQ_URL"]) == []

    at_limit = _call(_handler("event_receiver", monkeypatch, "MAX_EVENT_BYTES", size), sample)
    assert at_limit["statusCode"] == 200 and json.loads(at_limit["body"])["Outcome"] == "queued"
    assert len(_queued(aws["EVENTS_QUEUE_URL"])) == 1


@pytest.mark.parametrize(
    "sample",
    ["post-OrderReceivedEvent.json", "post-type-in-header.json", "post-CustomerChangedNotification.json"],
)
def test_a_huge_event_gets_413_under_the_default_256_kb_limit_and_is_neither_queued_nor_parked(
    aws, monkeypatch, sample
):
    receiver = _handler("event_receiver", monkeypatch, "MAX_EVENT_BYTES", None)
    event = _padded(load_event(f"event_receiver/{sample}"), 5 * MB)

    answer = _call(receiver, event)

    assert answer["statusCode"] == 413
    assert receiver.settings().max_body_bytes == 262_144 == template_parameter_default("MaxEventBytes")
    assert _queued(aws["EVENTS_QUEUE_URL"]) == [] and _queued(aws["EVENTS_DLQ_URL"]) == []


def test_a_huge_event_without_the_key_is_refused_as_unauthenticated(aws, monkeypatch):
    receiver = _handler("event_receiver", monkeypatch, "MAX_EVENT_BYTES", None)
    event = _padded(load_event("event_receiver/post-no-key.json"), 2 * MB)

    assert _call(receiver, event)["statusCode"] == 401


# ---------------------------------------------------------------- order_receiver (MAX_ORDER_BYTES)


def test_a_huge_order_gets_413_and_is_neither_archived_nor_queued(monkeypatch):
    with mock_aws():
        resources = create_receiver_resources()
        for name, value in resources.env().items():
            monkeypatch.setenv(name, value)
        receiver = _handler("order_receiver", monkeypatch, "MAX_ORDER_BYTES", None)
        event = load_event("order_receiver/post-order-json.json")
        event["body"] = event["body"] + " " * (5_242_880 + 1 - len(event["body"].encode()))

        answer = _call(receiver, event)

        assert answer["statusCode"] == 413
        assert template_parameter_default("MaxOrderBytes") == 5_242_880
        assert _queued(resources.queue_url) == []
        assert boto3.client("s3").list_objects_v2(Bucket=resources.bucket).get("KeyCount", 0) == 0
