"""erp_webhook as Lambda runs it, on moto, against the Business Central simulator: the sample events of
events/erp_webhook/, a notification read back into the lifecycle queue, the handshake, the renewal."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.api import LocalApi
from local.business_central import BusinessCentralSimulator
from local.business_central.state import BcState
from local.simulator_http import BackgroundServer
from norce_integration.adapters.aws.dynamodb_documents import DynamoDbOrderIndex
from norce_integration.adapters.aws.dynamodb_records import DynamoDbOrderRecords
from norce_integration.orders.records import IndexedOrder
from tests.support.aws import create_orders_table
from tests.support.handlers import FakeLambdaContext, load_event, load_function

SAMPLE_COMPANY = "9c4f2a5e-1b3d-4e6f-8a7b-0c1d2e3f4a5b"  # the company of events/payloads/bc-notification.json
ROUTE = "/erp/business-central/notifications"


class Webhook:
    """The function, its environment, the simulator, and a local API that lets BC call the function back."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, bc: BusinessCentralSimulator, kind: str) -> None:
        self.bc = bc
        create_orders_table()
        sqs, secrets = boto3.client("sqs"), boto3.client("secretsmanager")
        self.queue = sqs.create_queue(QueueName="lifecycle.fifo", Attributes={"FifoQueue": "true"})[
            "QueueUrl"
        ]
        secret = secrets.create_secret(Name="bc", SecretString=json.dumps({"clientSecret": bc.client_secret}))
        self.bucket = "archive"  # the archived orders every document is held against
        boto3.client("s3").create_bucket(
            Bucket=self.bucket, CreateBucketConfiguration={"LocationConstraint": "eu-north-1"}
        )
        self.function = load_function("erp_webhook")
        self.api = BackgroundServer(LocalApi({("POST", ROUTE): ("ErpWebhookFunction", self.run)}))
        self.api.start()
        env = {
            "ORDERS_TABLE": "orders",
            "ARCHIVE_BUCKET": self.bucket,
            "LIFECYCLE_QUEUE_URL": self.queue,
            "ERP_KIND": kind,
            "BC_TENANT_ID": bc.tenant_id,
            "BC_ENVIRONMENT": bc.environment,
            "BC_COMPANY_ID": bc.company_id,
            "BC_CLIENT_ID": bc.client_id,
            "BC_CLIENT_SECRET_ARN": secret["ARN"],
            "BC_API_URL": bc.api_url,
            "BC_LOGIN_URL": bc.login_url,
            "BC_NOTIFICATION_URL": f"{self.api.url}{ROUTE}",
            "SECRETS_CACHE_SECONDS": "0",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)

    def run(self, event: dict[str, Any]) -> dict[str, Any]:
        return dict(self.function.lambda_handler(event, FakeLambdaContext()))

    def queued(self) -> list[dict[str, Any]]:
        answer = boto3.client("sqs").receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10)
        return [json.loads(message["Body"]) for message in answer.get("Messages", [])]


def header(answer: dict[str, Any], name: str) -> str | None:
    """A header of a proxy answer (Powertools answers a REST API with ``multiValueHeaders``)."""
    single = answer.get("headers") or {}
    return single.get(name) or (answer.get("multiValueHeaders") or {}).get(name, [None])[0]


@pytest.fixture
def bc() -> Iterator[BusinessCentralSimulator]:
    with BusinessCentralSimulator(port=0, state=BcState(company_id=SAMPLE_COMPANY)) as simulator:
        yield simulator


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch, bc: BusinessCentralSimulator) -> Iterator[Webhook]:
    with mock_aws():
        hook = Webhook(monkeypatch, bc, "business-central")
        yield hook
        hook.api.stop()


def test_the_handshake_sample_is_answered_with_the_token_as_text(webhook):
    answer = webhook.run(load_event("erp_webhook/handshake.json"))
    assert (answer["statusCode"], answer["body"]) == (200, "7b0a1c2d3e4f")
    assert header(answer, "Content-Type") == "text/plain"


def test_the_notification_sample_is_read_back_from_bc_and_naming_nothing_it_holds_queues_nothing(webhook):
    answer = webhook.run(load_event("erp_webhook/notification.json"))
    assert answer["statusCode"] == 202
    assert json.loads(answer["body"]) == {"queued": [], "refused": {}, "leftToPoll": False}
    reads = [call for call in webhook.bc.calls if call["path"] == "$batch"]
    assert len(reads) == 1, "the notified order and invoice are read in one $batch"


def test_a_notification_without_our_client_state_is_refused_and_reads_nothing(webhook):
    answer = webhook.run(load_event("erp_webhook/notification-foreign-client-state.json"))
    assert answer["statusCode"] == 401
    assert webhook.bc.calls == []


def test_a_notified_shipment_and_invoice_reach_the_lifecycle_queue(webhook):
    bc = webhook.bc
    line = {
        "sequence": 10000,
        "lineType": "Item",
        "lineObjectNumber": "ITEM001",
        "quantity": 2,
        "unitPrice": 300,
    }
    order = bc.state.create_order(  # a Norce basket id: what CreateInvoice needs as ClientOrderRef
        {"externalDocumentNumber": "7000321", "customerNumber": "CUST0001"}, [line]
    )
    DynamoDbOrderIndex(boto3.client("dynamodb"), "orders").remember(
        IndexedOrder("ORDER#app#7000321", "7000321", order["number"])
    )
    # the order as Norce sent it, archived, and its record: every document is held against it
    sent = json.loads(load_event("order_receiver/post-order-json.json")["body"]) | {
        "ClientOrderRef": "7000321"
    }
    boto3.client("s3").put_object(Bucket=webhook.bucket, Key="orders/7000321.json", Body=json.dumps(sent))
    DynamoDbOrderRecords(boto3.client("dynamodb"), "orders").note(
        "ORDER#app#7000321", "confirmed", 1.0, archive_key="orders/7000321.json", processing_state="confirmed"
    )
    bc.ship(order["number"])
    invoice = bc.invoice(order["number"])
    sample = load_event("erp_webhook/notification.json")
    body = json.loads(sample["body"])
    body["value"][0]["resource"] = f"api/v2.0/companies({SAMPLE_COMPANY})/salesOrders({order['id']})"
    body["value"][1]["resource"] = f"api/v2.0/companies({SAMPLE_COMPANY})/salesInvoices({invoice['id']})"
    answer = webhook.run(sample | {"body": json.dumps(body)})
    assert answer["statusCode"] == 202
    # The order was shipped and invoiced in full, so BC deleted it: its invoice names the order's shipments.
    assert json.loads(answer["body"])["queued"] == ["S-SHPT102001", invoice["number"]]
    assert [(m["kind"], m["client_order_ref"]) for m in webhook.queued()] == [
        ("CreateDeliveryNote", "7000321"),
        ("CreateInvoice", "7000321"),
    ]


def test_bc_unreachable_gets_503_so_bc_sends_the_notification_again(webhook):
    webhook.bc.set_faults(down_for_seconds=60, retry_after_seconds=0)
    answer = webhook.run(load_event("erp_webhook/notification.json"))
    assert answer["statusCode"] == 503 and header(answer, "Retry-After") == "60"


def test_the_renewal_sample_subscribes_each_entity_once_and_renews_before_the_3_day_expiry(webhook):
    bc = webhook.bc
    first = webhook.run(load_event("erp_webhook/renew-subscriptions.json"))
    resources = sorted(s["resource"].rsplit("/", 1)[1] for s in bc.subscriptions())
    assert resources == ["salesCreditMemos", "salesInvoices", "salesOrders"]
    assert len(first["created"]) == 3 and first["failed"] == {}
    assert webhook.run(load_event("erp_webhook/renew-subscriptions.json"))["kept"] == first["created"]
    soon = (datetime.now(UTC) + timedelta(hours=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    expiring = bc.subscriptions()[0]
    expiring["expirationDateTime"] = soon
    renewed = webhook.run(load_event("erp_webhook/renew-subscriptions.json"))
    assert renewed["renewed"] == [expiring["resource"]]
    assert expiring["expirationDateTime"] > soon, "BC extended it by 3 days after a new handshake"
    assert len(bc.subscriptions()) == 3


def test_a_failed_subscription_ends_the_run_in_error_for_the_alarm(webhook, monkeypatch):
    monkeypatch.setenv("BC_NOTIFICATION_URL", "http://127.0.0.1:9/nothing-listens-here")
    with pytest.raises(RuntimeError, match="subscriptions failed"):
        webhook.run(load_event("erp_webhook/renew-subscriptions.json"))
    assert webhook.bc.subscriptions() == [], "BC makes no subscription without the handshake"


def test_with_another_erp_the_route_answers_404_and_the_schedule_does_nothing(monkeypatch, bc):
    with mock_aws():
        hook = Webhook(monkeypatch, bc, "rest")
        try:
            assert hook.run(load_event("erp_webhook/notification.json"))["statusCode"] == 404
            assert hook.run(load_event("erp_webhook/renew-subscriptions.json")) == {
                "skipped": "ErpKind is not business-central"
            }
        finally:
            hook.api.stop()
    assert bc.calls == []
