"""The Norce Event webhook attacked as the internet (or a broken Norce Admin setting) would: each hostile body
gets an exact answer, is never a 5xx (Norce retries anything but a 2xx for 22 hours), nothing is queued that
should not be, and nothing is lost: what is parked is on the events DLQ as the bytes it was, with its
reason and its original size. A 5xx means only that our own AWS failed.

Runs the event_receiver handler as Lambda runs it (API Gateway proxy events) on moto's SQS and Secrets
Manager (``EventsWorld`` of test_event_handlers).
"""

import base64
import hashlib
import json
import os
import zlib
from typing import Any

import pytest

from tests.integration.test_event_handlers import KEY, EventsWorld
from tests.support.handlers import FakeLambdaContext, load_event

MAX_EVENT_BYTES = 262_144
CONFIRMED = json.loads(load_event("event_receiver/post-OrderConfirmedEvent.json")["body"])


@pytest.fixture
def world(aws, monkeypatch) -> EventsWorld:
    return EventsWorld(aws, monkeypatch)


def post(world: EventsWorld, path_type: str, raw: bytes | str, *, key: str | None = KEY, base64_encoded=True):
    """POST /norce/events/{path_type} with ``raw`` as the body (base64, as API Gateway passes bytes)."""
    event = load_event("event_receiver/post-OrderConfirmedEvent.json")
    event["path"] = event["requestContext"]["path"] = f"/norce/events/{path_type}"
    event["pathParameters"] = {"EventType": path_type}
    if base64_encoded:
        data = raw if isinstance(raw, bytes) else raw.encode("utf-8", errors="surrogatepass")
        event["body"], event["isBase64Encoded"] = base64.b64encode(data).decode(), True
    else:
        event["body"], event["isBase64Encoded"] = raw, False
    event["headers"].pop("X-Api-Key", None)
    event["multiValueHeaders"].pop("X-Api-Key", None)
    if key is not None:
        event["headers"]["X-Api-Key"] = key
    return world.receiver.lambda_handler(event, FakeLambdaContext())


def queued(world: EventsWorld) -> list[dict[str, Any]]:
    return world.sqs.receive_message(QueueUrl=world.queue_url, MaxNumberOfMessages=10).get("Messages", [])


def parked(world: EventsWorld) -> list[dict[str, Any]]:
    return world.sqs.receive_message(
        QueueUrl=world.dlq_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages", [])


def original(envelope: dict[str, Any]) -> bytes:
    raw = base64.b64decode(envelope["raw_base64"])
    return zlib.decompress(raw) if envelope["raw_encoding"] == "zlib+base64" else raw


def assert_parked_as_it_came(world: EventsWorld, raw: bytes, reason_has: str) -> dict[str, Any]:
    [message] = parked(world)
    reason = message["MessageAttributes"]["FailureReason"]["StringValue"]
    envelope = json.loads(message["Body"])
    assert reason_has in reason and envelope["reason"] == reason
    assert envelope["raw_size"] == len(raw) and envelope["raw_sha256"] == hashlib.sha256(raw).hexdigest()
    if envelope["truncated"]:
        assert raw.startswith(original(envelope))
    else:
        assert original(envelope) == raw
    assert queued(world) == []
    return envelope


def answer(response: dict[str, Any]) -> tuple[int, str | None]:
    body = json.loads(response["body"])
    return response["statusCode"], body.get("Outcome")


NESTED = b"[" * 100_000 + b"]" * 100_000
HOSTILE = {
    "200 KB not UTF-8": (os.urandom(200_000).replace(b"\xef", b"\xff"), "not UTF-8"),
    "200 KB control characters": (b"\x01\x02\x1b[31m\x7f" * 25_000, "not JSON"),
    "control characters inside a string": (b'{"OrderId": 7, "ClientOrderRef": "a\x01b"}', "not JSON"),
    "JSON nested 100,000 deep": (NESTED, "nested too deeply"),
    "an object nested 40,000 deep": (b'{"a":' * 40_000 + b"1" + b"}" * 40_000, "nested too deeply"),
    "nested 40 deep in a valid event": (
        json.dumps(CONFIRMED | {"Extra": json.loads("[" * 40 + "]" * 40)}).encode(),
        "deeper than 32",
    ),
    "a lone surrogate escaped": (b'{"OrderId": 7, "ClientOrderRef": "\\ud800"}', "lone surrogate"),
    "a NUL in a string": (b'{"OrderId": 7, "ClientOrderRef": "a\\u0000b"}', "NUL"),
    "NaN": (b'{"OrderId": NaN}', "not JSON"),
    "Infinity": (b'{"OrderId": Infinity}', "not JSON"),
    "1e400 as the order id": (b'{"OrderId": 1e400}', "OrderId"),
    "a 5,000-digit number": (b'{"OrderId": ' + b"9" * 5_000 + b"}", "not JSON"),
    "an order id over int64": (b'{"OrderId": 9223372036854775808}', "OrderId"),
    "an order id as text": (b'{"OrderId": "700000001"}', "OrderId"),
    "an order id as true": (b'{"OrderId": true}', "OrderId"),
    "empty": (b"", "empty"),
    "whitespace": (b" \r\n\t ", "empty"),
    "null": (b"null", "JSON object"),
    "an array": (b"[1, 2]", "JSON object"),
    "a string": (b'"OrderConfirmedEvent"', "JSON object"),
    "UTF-16": (json.dumps(CONFIRMED).encode("utf-16"), "not UTF-8"),
    "truncated JSON": (json.dumps(CONFIRMED).encode()[:-5], "not JSON"),
    "a ClientOrderRef of 10,000 characters": (
        json.dumps(CONFIRMED | {"ClientOrderRef": "R" * 10_000}).encode(),
        "ClientOrderRef",
    ),
    "an escaped 200 KB field that will not fit a queue message": (
        json.dumps(CONFIRMED | {"Junk": "é\u2028\x01" * 20_000}, ensure_ascii=False).encode(),
        "as a queue message",
    ),
    "XML": (b"<OrderConfirmedEvent><OrderId>1</OrderId></OrderConfirmedEvent>", "not JSON"),
    "a form": (b"OrderId=1&ClientOrderRef=2", "not JSON"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_body_is_parked_as_it_came_and_answered_200(world, case):
    raw, reason = HOSTILE[case]
    assert len(raw) <= MAX_EVENT_BYTES
    assert answer(post(world, "OrderConfirmedEvent", raw)) == (200, "parked")
    assert_parked_as_it_came(world, raw, reason)


def test_a_body_too_large_to_park_whole_is_parked_truncated_with_its_size_and_digest(world):
    raw = os.urandom(MAX_EVENT_BYTES)  # random bytes do not compress
    assert answer(post(world, "OrderConfirmedEvent", raw)) == (200, "parked")
    envelope = assert_parked_as_it_came(world, raw, "not UTF-8")
    assert envelope["truncated"] is True and envelope["raw_size"] == MAX_EVENT_BYTES


def test_a_lone_surrogate_in_the_text_api_gateway_hands_over_is_parked_not_a_crash(world):
    response = post(world, "OrderReceivedEvent", '{"ClientOrderRef": "\ud800"}', base64_encoded=False)
    assert answer(response) == (200, "parked")
    [message] = parked(world)
    assert "not UTF-8" in message["MessageAttributes"]["FailureReason"]["StringValue"]


def test_bad_base64_from_api_gateway_is_parked_as_its_text(world):
    event = load_event("event_receiver/post-OrderConfirmedEvent.json")
    event["body"], event["isBase64Encoded"] = "!!not base64!!", True
    response = world.receiver.lambda_handler(event, FakeLambdaContext())
    assert answer(response) == (200, "parked")
    assert_parked_as_it_came(world, b"!!not base64!!", "not JSON")


def test_one_byte_over_the_limit_is_413_and_nothing_is_kept(world):
    response = post(world, "OrderConfirmedEvent", b" " * (MAX_EVENT_BYTES + 1))
    assert response["statusCode"] == 413
    assert queued(world) == [] and parked(world) == []


@pytest.mark.parametrize("key", [None, "wrong", "", KEY + " ", "x" * 10_000])
def test_a_missing_or_wrong_key_is_401_before_the_body_is_looked_at(world, key):
    assert post(world, "OrderConfirmedEvent", NESTED, key=key)["statusCode"] == 401
    assert queued(world) == [] and parked(world) == []


@pytest.mark.parametrize(
    "path_type", ["BrandNewEvent", "OrderConfirmedEvent\r\nX-Injected: 1", "é" * 5_000, "../../etc/passwd"]
)
def test_an_unknown_type_is_acknowledged_whatever_its_body(world, path_type):
    response = post(world, path_type, NESTED)
    assert answer(response) == (200, "unknown_type")
    assert queued(world) == [] and parked(world) == []


def test_a_type_we_do_not_act_on_is_acknowledged_whatever_its_body(world):
    assert answer(post(world, "SkuChangedNotification", os.urandom(1_000))) == (200, "ignored")
    assert queued(world) == [] and parked(world) == []


@pytest.mark.parametrize(
    "raw",
    [
        b"\xef\xbb\xbf" + json.dumps(CONFIRMED).encode(),  # a byte-order mark
        json.dumps(CONFIRMED | {"OrderId": 1}).encode()[:-1] + b', "OrderId": 700000001}',  # a repeated key
        json.dumps(CONFIRMED | {"Unknown": {"a": [1, 2, {"b": None}]}, "FirstName": "Ünïcødé ☃"}).encode(),
    ],
)
def test_a_valid_event_in_an_odd_but_valid_shape_is_queued(world, raw):
    assert answer(post(world, "OrderConfirmedEvent", raw)) == (200, "queued")
    [message] = queued(world)
    body = json.loads(message["Body"])["body"]
    assert body["OrderId"] == 700000001 and parked(world) == []


def test_a_bug_of_ours_parks_the_body_and_answers_200(world, monkeypatch):
    def broken(event_type: str, body: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr("norce_integration.events.intake.parse_event", broken)
    raw = json.dumps(CONFIRMED).encode()
    assert answer(post(world, "OrderConfirmedEvent", raw)) == (200, "parked")
    assert_parked_as_it_came(world, raw, "unexpected error (RuntimeError)")


def test_only_our_own_aws_failing_is_a_5xx(world):
    world.sqs.delete_queue(QueueUrl=world.dlq_url)
    response = post(world, "OrderConfirmedEvent", NESTED)  # parking it fails: Norce must retry
    assert response["statusCode"] == 503 and "Traceback" not in response["body"]
    world.sqs.delete_queue(QueueUrl=world.queue_url)
    assert post(world, "OrderConfirmedEvent", json.dumps(CONFIRMED))["statusCode"] == 503


def test_a_hostile_reason_is_still_a_failure_reason_sqs_takes(world):
    raw = b'{"ClientOrderRef": "x"}'
    assert answer(post(world, "InvoiceCaptureCompletedEvent", raw)) == (200, "parked")
    [message] = parked(world)
    assert "CapturedInvoiceId" in message["MessageAttributes"]["FailureReason"]["StringValue"]
