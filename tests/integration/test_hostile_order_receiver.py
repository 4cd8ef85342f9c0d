"""The order endpoint attacked as a careless or hostile client would: every answer is exact, never a 5xx for
input that can never work (Norce would retry it for six hours, then escalate to support), and nothing is
archived or queued for what was refused. A 5xx (503) means only that our own AWS failed."""

import base64
import json
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import boto3
import pytest
from defusedxml.ElementTree import fromstring
from moto import mock_aws

from tests.support.aws import ReceiverResources, create_receiver_resources, queued_messages
from tests.support.handlers import FakeLambdaContext, load_event, load_function

AUTH = "Basic " + base64.b64encode(b"norce:norce-local").decode()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[ReceiverResources]:
    with mock_aws():
        resources = create_receiver_resources()
        for name, value in resources.env().items():
            monkeypatch.setenv(name, value)
        yield resources


@pytest.fixture
def receiver(aws: ReceiverResources) -> ModuleType:
    return load_function("order_receiver")


def _order(**changes: Any) -> dict[str, Any]:
    order: dict[str, Any] = json.loads(load_event("order_receiver/post-order-json.json")["body"])
    order.update(changes)
    return order


def _post(receiver: ModuleType, body: bytes | str, content_type: str = "application/json") -> dict[str, Any]:
    event = load_event("order_receiver/post-order-json.json")
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    event["headers"] = {"Content-Type": content_type, "Authorization": AUTH}
    event["multiValueHeaders"] = {k: [v] for k, v in event["headers"].items()}
    event["body"] = base64.b64encode(raw).decode()
    event["isBase64Encoded"] = True
    response: dict[str, Any] = receiver.lambda_handler(event, FakeLambdaContext())
    return response


def _nothing_stored(aws: ReceiverResources) -> bool:
    objects = boto3.client("s3").list_objects_v2(Bucket=aws.bucket).get("Contents", [])
    return not objects and queued_messages(aws.queue_url) == []


def _failed(response: dict[str, Any]) -> str:
    """The Failed OrderResponse's Description (JSON or XML, as the request was)."""
    assert response["statusCode"] == 200, response
    if response["body"].startswith("<"):
        root = fromstring(response["body"].encode())
        answer = {child.tag.rsplit("}", 1)[-1]: child.text for child in root}
    else:
        answer = json.loads(response["body"])
    assert answer["StatusCode"] == "Failed", answer
    return str(answer["Description"])


# Each: (what, body) -> a Failed OrderResponse naming the field, nothing archived or queued.
REFUSED_AS_FAILED = [
    ("a ClientOrderRef of 10,000 characters", lambda: _order(ClientOrderRef="R" * 10_000), "ClientOrderRef"),
    ("a ClientOrderRef of 51 characters", lambda: _order(ClientOrderRef="R" * 51), "ClientOrderRef"),
    ("a ClientOrderRef with a line break", lambda: _order(ClientOrderRef="REF\n1"), "ClientOrderRef"),
    ("a ClientOrderRef with a NUL", lambda: _order(ClientOrderRef="REF\x001"), "ClientOrderRef"),
    ("a ClientOrderRef of blanks", lambda: _order(ClientOrderRef="   "), "ClientOrderRef"),
    (
        "an ApplicationKey of 5,000 characters",
        lambda: _order(Header={"ApplicationKey": "k" * 5000}),
        "ApplicationKey",
    ),
    (
        "an ApplicationKey with a control character",
        lambda: _order(Header={"ApplicationKey": "k\x07"}),
        "ApplicationKey",
    ),
    ("a CustomerOrderRef of 51 characters", lambda: _order(CustomerOrderRef="C" * 51), "CustomerOrderRef"),
    ("an ErpOrderNo of 51 characters", lambda: _order(ErpOrderNo="E" * 51), "ErpOrderNo"),
    ("a SalesContactCode of 51 characters", lambda: _order(SalesContactCode="S" * 51), "SalesContactCode"),
    ("a negative quantity", lambda: _order(Items=[{**_order()["Items"][0], "Quantity": -1}]), "Quantity"),
    ("a fractional Quantity", lambda: _order(Items=[{**_order()["Items"][0], "Quantity": 1.5}]), "Quantity2"),
    (
        "a negative Quantity2",
        lambda: _order(Items=[{**_order()["Items"][0], "Quantity2": -2.5}]),
        "Quantity2",
    ),
    (
        "no quantity at all",
        lambda: _order(Items=[{**_order()["Items"][0], "Quantity": 0, "Quantity2": 0}]),
        "Quantity",
    ),
    ("a fee of 1E+400", lambda: _order(Fees=[{"Amount": "1E+400", "Type": 0}]), "Fees[0].Amount"),
    ("a payment of 1E+400", lambda: _order(Payments=[{"Amount": "1E+400"}]), "Payments[0].Amount"),
    (
        "a quantity of 1E+400",
        lambda: _order(Items=[{**_order()["Items"][0], "Quantity": "1E+400"}]),
        "Quantity",
    ),
    (
        "a price of 1E+400",
        lambda: _order(Items=[{**_order()["Items"][0], "UnitPrice": "1E+400"}]),
        "UnitPrice",
    ),
    ("a price of NaN", lambda: _order(Items=[{**_order()["Items"][0], "UnitPrice": "NaN"}]), "UnitPrice"),
    ("a negative VAT", lambda: _order(Items=[{**_order()["Items"][0], "UnitVat": -25}]), "UnitVat"),
    ("a currency that is not ISO", lambda: _order(CurrencyCode="KRONOR"), "CurrencyCode"),
]


@pytest.mark.parametrize(
    ("what", "order", "field"), REFUSED_AS_FAILED, ids=[case[0] for case in REFUSED_AS_FAILED]
)
def test_what_can_never_be_an_order_is_answered_failed_naming_the_field(receiver, aws, what, order, field):
    description = _failed(_post(receiver, json.dumps(order(), ensure_ascii=False)))
    assert field in description
    assert _nothing_stored(aws)


def test_a_lone_surrogate_in_the_client_order_ref_is_failed_not_a_5xx(receiver, aws):
    body = json.dumps(_order(ClientOrderRef="REF")).replace('"REF"', '"REF\\ud800"', 1)
    assert "JSON" in _failed(_post(receiver, body))
    assert _nothing_stored(aws)


def test_a_lone_surrogate_anywhere_is_not_unicode_text_and_failed(receiver, aws):
    """JSON may spell one, but a lone surrogate is no character: the body is not an order Norce could mean."""
    body = json.dumps(_order(CustomerOrderComment="Anna")).replace('"Anna"', '"An\\udc00na"')
    assert "JSON" in _failed(_post(receiver, body))
    assert _nothing_stored(aws)


def test_a_weight_quantity_in_quantity2_is_an_order(receiver, aws):
    """Goods sold by weight carry a non-integer quantity in Quantity2 (Norce's "item quantity for non-integer
    values"): such an order is OK."""
    item = {**_order()["Items"][0], "Quantity": 1, "Quantity2": 2.5}
    answer = json.loads(_post(receiver, json.dumps(_order(Items=[item])))["body"])
    assert answer["StatusCode"] == "OK"
    assert len(queued_messages(aws.queue_url)) == 1


@pytest.mark.parametrize(
    ("what", "body"),
    [
        ("JSON nested 100,000 deep", "[" * 100_000 + "]" * 100_000),
        ("an object nested 40,000 deep", '{"a":' * 40_000 + "1" + "}" * 40_000),
        ("a body that is not UTF-8", b"\xff\xfe{\x00}"),
        ("a body of NULs", b"\x00" * 1000),
        ("an empty body", b""),
        ("a JSON string", '"an order"'),
        ("a JSON array", "[1, 2, 3]"),
        ("JSON with a trailing comma", '{"ClientOrderRef": "R1",}'),
        ("a number for Items", json.dumps({"ClientOrderRef": "R1", "Items": 5})),
        ("a 1E+400 outside any field", '{"ClientOrderRef": "R1", "X": 1E+400}'),
    ],
)
def test_a_body_that_is_not_an_order_is_failed_never_a_5xx(receiver, aws, what, body):
    _failed(_post(receiver, body))
    assert _nothing_stored(aws)


@pytest.mark.parametrize(
    ("what", "body"),
    [
        (
            "XML nested 100,000 deep",
            "<OrderRequest>" + "<a>" * 40_000 + "</a>" * 40_000 + "</OrderRequest>",
        ),
        ("XML that is not well formed", "<OrderRequest><ClientOrderRef>R1</OrderRequest>"),
        (
            "XML with a control character",
            "<OrderRequest><ClientOrderRef>R\x011</ClientOrderRef></OrderRequest>",
        ),
        ("XML declaring an encoding it is not in", '<?xml version="1.0" encoding="UTF-16"?><OrderRequest/>'),
    ],
)
def test_xml_that_is_not_an_order_is_failed_never_a_5xx(receiver, aws, what, body):
    _failed(_post(receiver, body, "application/xml"))
    assert _nothing_stored(aws)


@pytest.mark.parametrize(
    ("what", "body", "status"),
    [
        ("an XML entity expansion", '<!DOCTYPE x [<!ENTITY a "aaaa">]><OrderRequest>&a;</OrderRequest>', 400),
        ("an external entity", '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>', 400),
    ],
)
def test_unsafe_xml_is_refused_with_400(receiver, aws, what, body, status):
    assert _post(receiver, body, "application/xml")["statusCode"] == status
    assert _nothing_stored(aws)


def test_a_body_over_the_limit_is_413_whatever_it_holds(receiver, aws):
    limit = int(aws.env()["MAX_ORDER_BYTES"])
    assert _post(receiver, "[" * (limit + 1))["statusCode"] == 413
    assert _post(receiver, "<a>" * limit, "application/xml")["statusCode"] == 413
    assert _nothing_stored(aws)


def test_an_unknown_content_type_is_415_and_a_missing_password_401(receiver, aws):
    assert _post(receiver, json.dumps(_order()), "text/plain")["statusCode"] == 415
    event = load_event("order_receiver/post-order-json.json")
    event["headers"] = {"Content-Type": "application/json", "Authorization": "Basic " + "A" * 10_000}
    event["multiValueHeaders"] = {k: [v] for k, v in event["headers"].items()}
    assert receiver.lambda_handler(event, FakeLambdaContext())["statusCode"] == 401
    assert _nothing_stored(aws)


def test_a_refused_order_can_be_sent_again_corrected(receiver, aws):
    """A Failed answer stores nothing: the corrected order under the same reference is accepted."""
    _failed(_post(receiver, json.dumps(_order(CurrencyCode="KRONOR"))))
    answer = json.loads(_post(receiver, json.dumps(_order()))["body"])
    assert answer["StatusCode"] == "OK"
    assert len(queued_messages(aws.queue_url)) == 1
