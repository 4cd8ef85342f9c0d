"""The lifecycle handlers as Lambda runs them, on moto: erp_push (API Gateway), erp_poll (Scheduler) and
lifecycle_processor (SQS FIFO), with the order confirmed through the order handlers first."""

import json
import time
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from norce_integration.adapters.aws.dynamodb_documents import DynamoDbDocumentLedger
from norce_integration.adapters.aws.dynamodb_records import DynamoDbOrderRecords
from norce_integration.adapters.aws.sqs_documents import SqsDocumentQueue
from norce_integration.adapters.memory.processing import InMemoryNorceQuery
from norce_integration.bootstrap.lifecycle import build_lifecycle, build_poll
from norce_integration.erp.model import ErpDocument
from norce_integration.lifecycle.documents import QueuedDocument
from norce_integration.settings import ErpPollSettings, LifecycleSettings
from tests.integration.conftest import World
from tests.support.aws import ReceiverResources
from tests.support.handlers import EVENTS, FakeLambdaContext, load_event, load_function
from tests.support.processing import example_order
from tests.support.sqs_events import sqs_record

ORDER_KEY = "ORDER#123e4567-e89b-12d3-a456-426614174000#1001234"

KEY = "erp-push-local"
BASKET = "1001234"  # the sample documents' order: a Norce basket id, as a ClientOrderRef is


class LifecycleWorld(World):
    def __init__(self, aws: ReceiverResources, monkeypatch: pytest.MonkeyPatch) -> None:
        super().__init__(aws)
        sqs, secrets = boto3.client("sqs"), boto3.client("secretsmanager")
        fifo = {"FifoQueue": "true"}
        self.dlq_url = sqs.create_queue(QueueName="lifecycle-dlq.fifo", Attributes=fifo)["QueueUrl"]
        self.lifecycle_url = sqs.create_queue(QueueName="lifecycle.fifo", Attributes=fifo)["QueueUrl"]
        self.keys_arn = secrets.create_secret(Name="erp-push-keys", SecretString=json.dumps({"apiKey": KEY}))[
            "ARN"
        ]
        env = {
            "LIFECYCLE_QUEUE_URL": self.lifecycle_url,
            "LIFECYCLE_DLQ_URL": self.dlq_url,
            "ERP_PUSH_KEYS_SECRET_ARN": self.keys_arn,
            "SECRETS_CACHE_SECONDS": "0",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        self.norce_query = InMemoryNorceQuery(connect=self.norce)
        self.push = load_function("erp_push")
        self.lifecycle = load_function("lifecycle_processor")
        self.poller = load_function("erp_poll")
        parts = build_lifecycle(LifecycleSettings.from_env(), norce=self.norce, norce_query=self.norce_query)
        self.lifecycle.components = lambda: parts
        poll = build_poll(ErpPollSettings.from_env(), erp=self.erp)
        poll.unknown_order_grace_seconds = 0
        self.poller.poll = lambda: poll

    def confirmed_order(self, ref: str = BASKET) -> str:
        self.receive(example_order(ref))
        assert self.poll_orders()[0] == {"batchItemFailures": []}
        return self.norce.statuses[-1].ErpOrderNo or ""

    def statuses_of(self, erp_no: str) -> list[str]:
        return [s.OrderStatus for s in self.norce.statuses if s.ErpOrderNo == erp_no]

    def push_event(self, name: str, body: dict[str, Any] | None = None, key: str | None = KEY) -> dict:
        event = load_event(f"erp_push/{name}")
        if body is not None:
            event["body"] = json.dumps(body)
        event["headers"].pop("X-Api-Key", None)
        if key is not None:
            event["headers"]["X-Api-Key"] = key
        return self.push.lambda_handler(event, FakeLambdaContext())

    def process_documents(self) -> dict[str, Any]:
        messages = self.sqs.receive_message(
            QueueUrl=self.lifecycle_url, MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:  # Lambda never invokes with an empty batch
            return {"count": 0, "batchItemFailures": []}
        records = []
        for message in messages:
            record = sqs_record(
                message["Body"],
                "arn:aws:sqs:eu-north-1:123456789012:lifecycle.fifo",
                int(message["Attributes"]["ApproximateReceiveCount"]),
                message["MessageId"],
                message["ReceiptHandle"],
            )
            record["attributes"]["MessageGroupId"] = message["Attributes"]["MessageGroupId"]
            records.append(record)
        answer = self.lifecycle.lambda_handler({"Records": records}, FakeLambdaContext())
        failed = {failure["itemIdentifier"] for failure in answer["batchItemFailures"]}
        for message in messages:  # what Lambda's event source mapping does with the answer
            if message["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=self.lifecycle_url, ReceiptHandle=message["ReceiptHandle"])
        return {"count": len(messages), **answer}

    def record(self, ref: str = BASKET) -> dict[str, Any]:
        key = f"ORDER#123e4567-e89b-12d3-a456-426614174000#{ref}"
        return DynamoDbOrderRecords(boto3.client("dynamodb"), self.aws.table).get(key) or {}


@pytest.fixture
def life(aws: ReceiverResources, monkeypatch: pytest.MonkeyPatch) -> LifecycleWorld:
    return LifecycleWorld(aws, monkeypatch)


def test_a_pushed_invoice_is_queued_then_sent_to_norce_once(life: LifecycleWorld) -> None:
    life.confirmed_order()
    answer = life.push_event("push-create-invoice.json")
    assert answer["statusCode"] == 202
    body = json.loads(answer["body"])
    assert len(body["DocumentId"]) == 32 and body["ClientOrderRef"] == BASKET
    for _ in range(4):  # the ERP retries (its own timeout): SQS FIFO deduplicates, the ledger too
        assert life.push_event("push-create-invoice.json")["statusCode"] == 202
    assert life.process_documents() == {"count": 1, "batchItemFailures": []}
    assert life.norce.numbers("CreateInvoice") == ["INV-10001"]
    sent = life.norce.documents[0][1]
    assert sent.ErpOrderNo == life.norce.statuses[0].ErpOrderNo
    events = [entry["event"] for entry in life.record()["trail"]]
    assert "document_received" in events and "document_sent" in events


def test_the_push_api_refuses_without_a_valid_key_and_accepts_both_keys_during_a_rotation(
    life: LifecycleWorld,
) -> None:
    life.confirmed_order()
    assert life.push_event("push-create-invoice.json", key=None)["statusCode"] == 401
    assert life.push_event("push-create-invoice.json", key="not-the-key")["statusCode"] == 401
    boto3.client("secretsmanager").put_secret_value(
        SecretId=life.keys_arn, SecretString=json.dumps({"keys": [KEY, "the-new-key"]})
    )
    assert life.push_event("push-send-order-status.json", key=KEY)["statusCode"] == 202
    assert life.push_event("push-create-delivery-note.json", key="the-new-key")["statusCode"] == 202


def test_a_document_with_problems_gets_400_naming_each_and_nothing_is_queued(life: LifecycleWorld) -> None:
    life.confirmed_order()
    answer = life.push_event("push-invalid-credit.json")
    assert answer["statusCode"] == 400
    problems = json.loads(answer["body"])["Problems"]
    assert "CreditedInvoiceNo is required for a credit payment" in problems
    assert "CurrencyCode is required" in problems
    assert "Items[0].Quantity must not be negative" in problems
    over = life.push_event("push-over-quantity-invoice.json")
    assert over["statusCode"] == 400
    assert json.loads(over["body"])["Problems"][0].startswith(
        "invoiced quantity: order line 1 (ITEM001) would be invoiced 200 with this invoice (0 before it), "
        "but 2 were ordered"
    )
    unknown = json.loads(life.push_event("push-unknown-order.json")["body"])
    assert unknown["Problems"] == [
        "unknown order: ClientOrderRef NO-SUCH-ORDER is not an order this integration has sent to the ERP"
    ]
    assert life.push_event("push-create-invoice.json", body=None, key=KEY)["statusCode"] == 202
    assert life.process_documents()["count"] == 1  # only the valid one was queued


def test_the_push_api_answers_503_when_the_queue_is_unavailable(
    life: LifecycleWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    life.confirmed_order()
    life.push.components.cache_clear()
    monkeypatch.setenv("LIFECYCLE_QUEUE_URL", life.lifecycle_url + "-missing")
    answer = life.push_event("push-create-invoice.json")
    assert answer["statusCode"] == 503
    headers = answer.get("multiValueHeaders") or {}
    assert headers.get("Retry-After") == ["30"] or answer.get("headers", {}).get("Retry-After") == "30"
    assert "Traceback" not in answer["body"]


def test_norce_down_is_retried_with_backoff_and_nothing_is_lost(life: LifecycleWorld) -> None:
    life.confirmed_order()
    life.push_event("push-create-invoice.json")
    life.norce.unavailable_calls = 1
    answer = life.process_documents()
    assert len(answer["batchItemFailures"]) == 1
    assert life.process_documents()["count"] == 0  # invisible for the backoff delay
    attributes = life.sqs.get_queue_attributes(
        QueueUrl=life.lifecycle_url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"  # kept, waiting for its retry
    assert not life.norce.documents


def test_a_credit_above_what_was_invoiced_is_parked_on_the_dlq_with_the_reason(life: LifecycleWorld) -> None:
    life.confirmed_order()
    life.push_event("push-create-invoice.json")
    assert life.process_documents()["batchItemFailures"] == []
    too_much = json.loads(load_event("erp_push/push-credit-payment.json")["body"])
    too_much.update(TotalAmount=900.0, Vat=180.0, Items=[dict(too_much["Items"][0], LineAmount=720.0)])
    # Issue 20: the door holds a credit to what is left too (before, it was queued and parked later)
    refused = life.push_event("push-credit-payment.json", body=too_much)
    assert refused["statusCode"] == 400
    assert json.loads(refused["body"])["Problems"] == [
        "credit CN-10001 of 900.0 exceeds what was invoiced minus what was already credited "
        "(750.00 - 0.00 = 750.00)"
    ]
    assert life.process_documents()["count"] == 0
    # the processor is the authority: the same credit put on the queue past the door (a replay) is parked
    replay = QueuedDocument(
        key=f"CreditPayment#{ORDER_KEY}#CN-10001",
        kind="CreditPayment",
        order_key=ORDER_KEY,
        client_order_ref=BASKET,
        erp_order_no=life.norce.statuses[0].ErpOrderNo,
        body=too_much | {"ClientOrderRef": int(BASKET), "ErpOrderNo": life.norce.statuses[0].ErpOrderNo},
        received_at=time.time(),
        source="push",
    )
    SqsDocumentQueue(life.sqs, life.lifecycle_url).send(replay)
    assert life.process_documents()["batchItemFailures"] == []  # parked, not retried
    parked = life.sqs.receive_message(
        QueueUrl=life.dlq_url, MessageAttributeNames=["All"], MaxNumberOfMessages=10
    )["Messages"]
    assert len(parked) == 1
    reason = parked[0]["MessageAttributes"]["FailureReason"]["StringValue"]
    assert reason.startswith("credit CN-10001 of 900.0 exceeds what was invoiced")
    assert life.norce.numbers("CreditPayment") == []
    assert "CN-10001" in life.record()["last_error"]


def test_the_poll_queues_the_erps_documents_once_and_keeps_its_watermark(life: LifecycleWorld) -> None:
    erp_no = life.confirmed_order()
    changed = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    life.erp.documents += [
        ErpDocument.model_validate(
            {
                "documentNo": "DN-1",
                "kind": "deliveryNote",
                "orderNo": erp_no,
                "externalRef": BASKET,
                "changedAt": changed.isoformat(),
                "lines": [{"lineNo": 1, "partNo": "ITEM001", "quantity": 2}],
                "parcelNumber": "PARCEL-1",
            }
        ),
        ErpDocument.model_validate(
            {
                "documentNo": "INV-1",
                "kind": "invoice",
                "orderNo": erp_no,
                "externalRef": BASKET,
                "currency": "SEK",
                "changedAt": changed.isoformat(),
                "lines": [{"lineNo": 1, "partNo": "ITEM001", "quantity": 2, "unitPrice": 300}],
                "vat": 150,
                "totalAmount": 750,
            }
        ),
        ErpDocument.model_validate(
            {
                "documentNo": "X-9",
                "kind": "invoice",
                "orderNo": "SO-OTHER-CHANNEL",
                "externalRef": "POS-77",
                "currency": "SEK",
                "changedAt": changed.isoformat(),
                "lines": [{"lineNo": 1, "partNo": "ITEM001", "quantity": 1, "unitPrice": 10}],
                "vat": 2.5,
                "totalAmount": 12.5,
            }
        ),
    ]
    result = life.poller.lambda_handler(load_event("erp_poll/scheduled.json"), FakeLambdaContext())
    assert result["queued"] == ["DN-1", "INV-1"]
    assert list(result["passedOver"]) == ["X-9"]
    assert result["watermark"] == changed.isoformat()
    again = life.poller.lambda_handler({}, FakeLambdaContext())
    assert again["queued"] == [] and again["passedOver"] == {}
    assert life.process_documents()["batchItemFailures"] == []
    assert life.process_documents()["count"] in (0, 1)  # FIFO: the group's next document after the first
    while life.process_documents()["count"]:
        pass
    assert life.norce.numbers("CreateDeliveryNote") == ["DN-1"]
    assert life.norce.numbers("CreateInvoice") == ["INV-1"]
    assert [s.OrderStatus for s in life.norce.statuses] == ["Confirmed", "Delivered"]


EXPECTED_PUSH_STATUS = {  # in this order: the corrected invoice comes after the invoice it changes
    "push-send-order-status.json": 202,
    "push-create-delivery-note.json": 202,
    "push-create-invoice.json": 202,
    "push-credit-payment.json": 202,
    "push-invalid-credit.json": 400,
    "push-unknown-order.json": 400,
    "push-over-quantity-invoice.json": 400,
    "push-corrected-invoice.json": 409,
    "push-negative-amount.json": 400,
    "push-external-order-invoice.json": 400,
    "push-unauthenticated.json": 401,
    "push-wrong-key.json": 401,
}


def test_every_push_sample_event_answers_as_documented(life: LifecycleWorld) -> None:
    """events/erp_push/*.json as `sam local invoke -e` would run them, for basket 1001234 (and the
    example order REF12345, an external order number, which cannot be invoiced through Connect)."""
    assert {path.name for path in (EVENTS / "erp_push").glob("*.json")} == set(EXPECTED_PUSH_STATUS)
    erp_no = life.confirmed_order()
    life.confirmed_order("REF12345")
    for name, status in EXPECTED_PUSH_STATUS.items():
        answer = life.push.lambda_handler(load_event(f"erp_push/{name}"), FakeLambdaContext())
        assert answer["statusCode"] == status, (name, answer["body"])
    while life.process_documents()["count"]:
        pass
    assert life.norce.numbers("CreateDeliveryNote") == ["DN-10001"]
    assert life.norce.numbers("CreateInvoice") == ["INV-10001"]
    assert life.norce.numbers("CreditPayment") == ["CN-10001"]
    assert life.statuses_of(erp_no) == ["Confirmed", "BackOrder", "Delivered"]
    assert [entry["event"] for entry in life.record()["trail"]].count("document_conflict") == 1


def test_the_lifecycle_sample_event_sends_its_invoice(life: LifecycleWorld) -> None:
    life.confirmed_order()
    answer = life.lifecycle.lambda_handler(
        load_event("lifecycle_processor/sqs-invoice.json"), FakeLambdaContext()
    )
    assert answer == {"batchItemFailures": []}
    assert life.norce.numbers("CreateInvoice") == ["INV-10001"]


def test_a_queued_document_that_can_never_be_sent_is_parked_at_once_and_the_next_one_goes(
    life: LifecycleWorld,
) -> None:
    """A body already on the queue that the door would refuse (an older version queued it): parked with its
    reason (ledger, trail, DLQ) on its first delivery, never retried, and the order's FIFO group goes on."""
    erp_no = life.confirmed_order()
    number = "X" * 3000  # too long for Norce, and for a DynamoDB key (kept under its hash)
    poisoned = QueuedDocument(
        key=f"CreateInvoice#{ORDER_KEY}#{number}",
        kind="CreateInvoice",
        order_key=ORDER_KEY,
        client_order_ref=BASKET,
        erp_order_no=erp_no,
        body={"ClientOrderRef": int(BASKET), "ErpOrderNo": erp_no, "InvoiceNo": number},
        received_at=time.time(),
        source="push",
    )
    SqsDocumentQueue(life.sqs, life.lifecycle_url).send(poisoned)
    assert life.push_event("push-create-delivery-note.json")["statusCode"] == 202

    first = life.process_documents()
    while life.process_documents()["count"]:
        pass

    assert first["batchItemFailures"] == []  # parked, not retried
    assert (
        life.norce.numbers("CreateDeliveryNote") == ["DN-10001"] and life.norce.numbers("CreateInvoice") == []
    )
    parked = life.sqs.receive_message(
        QueueUrl=life.dlq_url, MessageAttributeNames=["All"], MaxNumberOfMessages=10
    )["Messages"]
    reason = parked[0]["MessageAttributes"]["FailureReason"]["StringValue"]
    assert reason.startswith("the queued document can never be sent: InvoiceNo is 3000 characters long")
    ledger = DynamoDbDocumentLedger(boto3.client("dynamodb"), life.aws.table).get(poisoned.key)
    assert ledger is not None and ledger["state"] == "PARKED"
    assert "document_failed" in [entry["event"] for entry in life.record()["trail"]]
