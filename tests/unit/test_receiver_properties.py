"""Whatever arrives, the receiver answers 200/400/401/413/415 - never a 500 - and logs no personal data."""

import base64
import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from norce_integration.adapters.memory.intake import InMemoryArchive, InMemoryLedger, InMemoryQueue
from norce_integration.api.basic_auth import BasicAuthenticator, Credential
from norce_integration.intake.service import OrderIntake
from norce_integration.settings import ReceiverSettings
from tests.support.handlers import FakeLambdaContext, load_event, load_function

ORDER = json.loads((Path(__file__).resolve().parents[2] / "events/payloads/order-request.json").read_text())
GOOD_AUTH = "Basic " + base64.b64encode(b"norce:norce-local").decode()


@pytest.fixture(scope="module")
def receiver():
    module = load_function("order_receiver")
    module.settings = lambda: ReceiverSettings(
        orders_queue_url="memory",
        orders_table="memory",
        archive_bucket="memory",
        credentials_secret_arn="memory",
        max_order_bytes=64 * 1024,
        secrets_cache_seconds=300,
        record_ttl_days=90,
        busy_wait_seconds=0.1,
        allowed_currencies=None,
    )
    module.authenticator = lambda: BasicAuthenticator(lambda: [Credential("norce", "norce-local")])
    intake = OrderIntake(ledger=InMemoryLedger(), archive=InMemoryArchive(), queue=InMemoryQueue())
    module.intake = lambda: intake
    return module


def call(receiver, body: str, content_type: str | None, authorization: str | None, b64: bool = False) -> dict:
    event = load_event("order_receiver/post-order-json.json")
    event["headers"] = {
        k: v for k, v in {"Content-Type": content_type, "Authorization": authorization}.items() if v
    }
    event["multiValueHeaders"] = {k: [v] for k, v in event["headers"].items()}
    event["body"], event["isBase64Encoded"] = body, b64
    return receiver.lambda_handler(event, FakeLambdaContext())


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
order_like = st.fixed_dictionaries(
    {},
    optional=dict.fromkeys(
        ["ClientOrderRef", "CurrencyCode", "Items", "SellTo", "Payments", "Header", "SubmitDate", "DoHold"],
        json_values,
    ),
)
content_types = st.sampled_from(
    ["application/json", "application/xml", "text/xml", "text/plain", "application/json; charset=utf-8", None]
)
authorizations = st.sampled_from([GOOD_AUTH, None, "Basic Zm9v", "Bearer x", "Basic " + "A" * 500])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.text(max_size=300), content_type=content_types, authorization=authorizations)
def test_any_text_body_gets_a_deliberate_answer(receiver, body, content_type, authorization):
    assert call(receiver, body, content_type, authorization)["statusCode"] in {200, 400, 401, 413, 415}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=order_like, content_type=st.sampled_from(["application/json", "text/xml"]))
def test_any_order_shaped_body_gets_a_deliberate_answer(receiver, order, content_type):
    body = json.dumps(order)
    if content_type == "text/xml":
        body = (
            "<OrderRequest>"
            + "".join(f"<{k}>{json.dumps(v)}</{k}>" for k, v in order.items() if k)
            + "</OrderRequest>"
        )
    response = call(receiver, body, content_type, GOOD_AUTH)
    assert response["statusCode"] in {200, 400}
    if response["statusCode"] == 200 and "OK" not in response["body"]:
        assert "Failed" in response["body"]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=300))
def test_any_bytes_body_gets_a_deliberate_answer(receiver, raw):
    encoded = base64.b64encode(raw).decode()
    assert call(receiver, encoded, "application/xml", GOOD_AUTH, b64=True)["statusCode"] in {200, 400}


def test_logs_carry_the_order_ref_and_no_personal_data(receiver):
    stream = io.StringIO()
    previous = receiver.logger.registered_handler.setStream(stream)
    try:
        call(receiver, json.dumps(ORDER), "application/json", GOOD_AUTH)
        invalid = dict(ORDER, Items=[])
        call(receiver, json.dumps(invalid | {"ClientOrderRef": "REF-PII"}), "application/json", GOOD_AUTH)
        call(
            receiver, json.dumps(ORDER), "application/json", "Basic " + base64.b64encode(b"john:doe").decode()
        )
    finally:
        receiver.logger.registered_handler.setStream(previous)

    logs = stream.getvalue()
    assert '"correlation_id":"REF12345"' in logs and '"correlation_id":"REF-PII"' in logs
    for personal in [
        "John",
        "Doe",
        "john.doe@example.com",
        "0707654321",
        "123 Example Street",
        "Anytown",
        "Jane",
        "alice.johnson",
        "PAYREF123",
        "norce-local",
        "john:doe",
        "am9objpkb2U",
    ]:
        assert personal not in logs, personal
