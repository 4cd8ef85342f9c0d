"""The Norce order sender simulator's retry rule, the local AWS's two motos, and `make demo`."""

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from werkzeug.wrappers import Request, Response

from local import demo
from local.aws import LocalAws, free_port
from local.norce_order_sender import NorceOrderSender
from local.simulator_http import BackgroundServer

pytestmark = pytest.mark.e2e


@pytest.fixture
def flaky_endpoint() -> Iterator[tuple[BackgroundServer, list[int]]]:
    """Answers 503 to the first N requests (N settable), then a well-formed OK."""
    plan = [2]
    seen = [0]

    @Request.application
    def app(request: Request) -> Response:
        seen[0] += 1
        if seen[0] <= plan[0]:
            return Response("unavailable", status=503)
        return Response(
            '{"StatusCode": "OK", "Description": "fine", "HasErpOrderNo": false, "ErpOrderNo": null}',
            content_type="application/json",
        )

    with BackgroundServer(app) as server:
        yield server, plan


def test_the_sender_retries_every_ten_minutes_until_it_gets_an_answer(flaky_endpoint):
    server, _ = flaky_endpoint
    sender = NorceOrderSender(f"{server.url}/orders", "Basic x", sleep=lambda _: None)

    delivery = sender.send(b"{}")

    assert [(a.minute, a.status) for a in delivery.attempts] == [(0, 503), (10, 503), (20, 200)]
    assert delivery.outcome == "OK"


def test_the_sender_gives_up_after_six_hours(flaky_endpoint):
    server, plan = flaky_endpoint
    plan[0] = 1000
    sender = NorceOrderSender(f"{server.url}/orders", "Basic x", sleep=lambda _: None)

    delivery = sender.send(b"{}")

    assert [a.minute for a in delivery.attempts] == list(range(0, 361, 10))
    assert delivery.outcome == "escalated to support"


def test_the_demo_runs_to_completion_with_every_order_exactly_once(capsys):
    assert demo.main(["--free-ports"]) == 0
    printed = capsys.readouterr().out
    assert (
        "every accepted order is exactly one ERP order, every company one ERP and one Norce company,"
        " every document once in Norce: yes" in printed
    )
    assert "statuses        ['Confirmed', 'PartlyDelivered', 'Delivered']" in printed
    assert "invoices        [('INV-1', 750.0)]" in printed and "credits         [('CN-1', 100.0)]" in printed
    assert "Nya Bygg AB  VatNo SE556677889901  Code B20001" in printed, "the checkout's company got the code"
    assert "contact of ['B20001']" in printed
    assert "REF-ERPDOWN" in printed and "retrying > erp_order_created > confirmed" in printed


def test_the_local_aws_serves_dynamodb_from_a_moto_of_its_own_behind_the_one_endpoint() -> None:
    aws = LocalAws(free_port())
    aws.start()
    try:
        dynamodb, sqs = aws.client("dynamodb"), aws.client("sqs")
        dynamodb.create_table(
            TableName="orders",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamodb.put_item(TableName="orders", Item={"pk": {"S": "ORDER#1"}})
        with pytest.raises(ClientError) as refused:  # DynamoDB's own answer comes back as it was
            dynamodb.put_item(
                TableName="orders",
                Item={"pk": {"S": "ORDER#1"}},
                ConditionExpression="attribute_not_exists(pk)",
            )
        queue = sqs.create_queue(QueueName="orders")["QueueUrl"]
        sqs.send_message(QueueUrl=queue, MessageBody="one")

        assert refused.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
        assert [m["Body"] for m in sqs.receive_message(QueueUrl=queue)["Messages"]] == ["one"]
        pids = aws.processes
        assert set(pids) == {"moto", "moto-dynamodb"} and len(set(pids.values())) == 2
        options = Path(f"/proc/{pids['moto']}/cmdline").read_bytes().decode().split("\0")
        behind = options[options.index("--dynamodb-port") + 1]
        direct = boto3.session.Session(
            aws_access_key_id="local", aws_secret_access_key="local", region_name="eu-north-1"
        ).client("dynamodb", endpoint_url=f"http://127.0.0.1:{behind}")
        assert direct.list_tables()["TableNames"] == ["orders"]  # the table lives in the second moto
    finally:
        aws.stop()
    assert aws.processes == {}
