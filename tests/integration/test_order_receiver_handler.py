"""The order_receiver handler on every sample event in events/order_receiver/, against moto."""

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

ORDER_REF = "REF12345"


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


def invoke(receiver: ModuleType, event: dict[str, Any] | str) -> dict[str, Any]:
    if isinstance(event, str):
        event = load_event(f"order_receiver/{event}")
    response: dict[str, Any] = receiver.lambda_handler(event, FakeLambdaContext())
    return response


def json_body(response: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(response["body"])
    return body


def test_json_order_is_archived_queued_and_answered_ok_without_erp_order_no(receiver, aws):
    response = invoke(receiver, "post-order-json.json")

    assert response["statusCode"] == 200
    assert response["multiValueHeaders"]["Content-Type"] == ["application/json"]
    assert json_body(response) == {
        "StatusCode": "OK",
        "Description": "No error, order status is set to allocated.",
        "HasErpOrderNo": False,
        "ErpOrderNo": None,
    }
    [message] = queued_messages(aws.queue_url)
    assert message["client_order_ref"] == ORDER_REF
    assert message["application_key"] == "123e4567-e89b-12d3-a456-426614174000"
    archived = boto3.client("s3").get_object(Bucket=aws.bucket, Key=message["archive_key"])
    assert archived["Body"].read() == load_event("order_receiver/post-order-json.json")["body"].encode()
    assert archived["ServerSideEncryption"] == "AES256"


@pytest.mark.parametrize(
    ("event", "namespace"),
    [
        ("post-order-xml.json", None),
        ("post-order-xml-base64.json", None),
        ("post-order-xml-namespaced.json", "Enferno.Services.StormConnect.Contracts.Order"),
    ],
)
def test_xml_order_is_answered_in_xml_in_the_requests_namespace(receiver, aws, event, namespace):
    response = invoke(receiver, event)

    assert response["statusCode"] == 200
    assert response["multiValueHeaders"]["Content-Type"] == ["application/xml"]
    root = fromstring(response["body"].encode())
    prefix = f"{{{namespace}}}" if namespace else ""
    assert root.tag == f"{prefix}OrderResponse"
    assert root.find(f"{prefix}StatusCode").text == "OK"
    assert root.find(f"{prefix}HasErpOrderNo").text == "false"
    assert root.find(f"{prefix}ErpOrderNo") is None
    assert len(queued_messages(aws.queue_url)) == 1


def test_repeated_order_gets_the_same_answer_and_is_not_queued_again(receiver, aws):
    first = invoke(receiver, "post-order-json.json")
    second = invoke(receiver, "post-order-json.json")
    as_xml = invoke(receiver, "post-order-xml.json")  # the same order in the other format

    assert json_body(second) == json_body(first)
    assert as_xml["statusCode"] == 200 and "<StatusCode>OK</StatusCode>" in as_xml["body"]
    assert len(queued_messages(aws.queue_url)) == 1


def test_same_ref_with_different_content_is_failed_naming_the_conflict(receiver, aws):
    invoke(receiver, "post-order-json.json")
    response = invoke(receiver, "post-order-conflicting.json")

    body = json_body(response)
    assert response["statusCode"] == 200
    assert body["StatusCode"] == "Failed"
    assert "REF12345 was already received with different content" in body["Description"]
    assert len(queued_messages(aws.queue_url)) == 1


def test_invalid_order_is_failed_with_every_problem_and_nothing_is_stored(receiver, aws):
    response = invoke(receiver, "post-order-invalid.json")

    body = json_body(response)
    assert response["statusCode"] == 200
    assert body["StatusCode"] == "Failed"
    assert body["Description"] == (
        "Order rejected: Items[1].Quantity: Input should be a valid decimal; CurrencyCode is missing; "
        "Items[0] (LineNo 1).Quantity must be greater than 0 (got 0); Items[1] (LineNo 2).PartNo is missing."
    )
    assert queued_messages(aws.queue_url) == []
    assert boto3.client("s3").list_objects_v2(Bucket=aws.bucket).get("KeyCount") == 0


def test_malformed_body_is_failed_not_retried(receiver, aws):
    response = invoke(receiver, "post-order-malformed.json")

    body = json_body(response)
    assert response["statusCode"] == 200
    assert body["StatusCode"] == "Failed"
    assert body["Description"].startswith("Order rejected: Malformed JSON body: ")


def test_xml_with_a_dtd_is_refused_with_400(receiver, aws):
    response = invoke(receiver, "post-order-xml-dtd.json")

    assert response["statusCode"] == 400
    assert "DTD" in response["body"]
    assert "/etc/passwd" not in response["body"]
    assert queued_messages(aws.queue_url) == []


@pytest.mark.parametrize("event", ["post-order-unauthenticated.json", "post-order-wrong-password.json"])
def test_missing_or_wrong_credentials_get_401_with_a_challenge(receiver, aws, event, capsys):
    response = invoke(receiver, event)

    assert response["statusCode"] == 401
    assert response["multiValueHeaders"]["WWW-Authenticate"] == [
        'Basic realm="norce-order-receiver", charset="UTF-8"'
    ]
    assert queued_messages(aws.queue_url) == []
    logs = capsys.readouterr().out
    assert "wrong" not in logs.replace("missing or wrong credentials", "")
    assert "Basic " not in logs


def test_wrong_content_type_gets_415(receiver, aws):
    response = invoke(receiver, "post-order-wrong-content-type.json")

    assert response["statusCode"] == 415
    assert queued_messages(aws.queue_url) == []


def test_body_over_the_configured_limit_gets_413(receiver, aws, monkeypatch):
    event = load_event("order_receiver/post-order-json.json")
    event["body"] = " " * (512 * 1024 + 1)

    response = invoke(receiver, event)

    assert response["statusCode"] == 413


def test_second_credential_pair_is_accepted_during_rotation(aws, monkeypatch):
    boto3.client("secretsmanager").put_secret_value(
        SecretId=aws.secret_arn,
        SecretString=json.dumps(
            {
                "credentials": [
                    {"username": "norce", "password": "old-password"},
                    {"username": "norce", "password": "new-password"},
                ]
            }
        ),
    )
    receiver = load_function("order_receiver")
    for password in ("old-password", "new-password"):
        event = load_event("order_receiver/post-order-json.json")
        event["headers"]["Authorization"] = "Basic " + base64.b64encode(f"norce:{password}".encode()).decode()
        assert invoke(receiver, event)["statusCode"] == 200


def _down(aws: ReceiverResources, what: str) -> None:
    """Make one dependency fail the way it does in AWS (the resource answers an error)."""
    if what == "queue":
        boto3.client("sqs").delete_queue(QueueUrl=aws.queue_url)
    elif what == "table":
        boto3.client("dynamodb").delete_table(TableName=aws.table)
    elif what == "archive":
        boto3.client("s3").delete_bucket(Bucket=aws.bucket)
    elif what == "secret":
        boto3.client("secretsmanager").delete_secret(SecretId=aws.secret_arn, ForceDeleteWithoutRecovery=True)


@pytest.mark.parametrize("what", ["queue", "table", "archive", "secret"])
def test_a_dependency_down_means_503_so_norce_retries_and_nothing_half_done_remains(receiver, aws, what):
    _down(aws, what)

    response = invoke(receiver, "post-order-json.json")

    assert response["statusCode"] == 503
    assert response["multiValueHeaders"]["Retry-After"] == ["60"]
    assert json_body(response) == {"message": "Temporarily unavailable, retry later"}
    if what in ("queue", "archive"):  # the claim was released: Norce's retry starts afresh
        assert "Item" not in boto3.client("dynamodb").get_item(
            TableName=aws.table, Key={"pk": {"S": "ORDER#123e4567-e89b-12d3-a456-426614174000#REF12345"}}
        )


def test_after_a_queue_outage_the_retry_is_accepted(receiver, aws):
    sqs = boto3.client("sqs")
    sqs.delete_queue(QueueUrl=aws.queue_url)
    assert invoke(receiver, "post-order-json.json")["statusCode"] == 503

    sqs.create_queue(QueueName="orders")
    retry = invoke(receiver, "post-order-json.json")

    assert retry["statusCode"] == 200 and json_body(retry)["StatusCode"] == "OK"
    assert len(queued_messages(aws.queue_url)) == 1
