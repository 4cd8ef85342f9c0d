"""The Norce Event handlers as Lambda runs them, on moto: event_receiver (API Gateway) and event_processor
(SQS), with Norce Query, the ERP and the mail service in memory and every AWS record real."""

import json
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import boto3
import pytest

from norce_integration.adapters.aws.dynamodb_events import DynamoDbNotificationLedger, DynamoDbSyncStates
from norce_integration.adapters.aws.dynamodb_jobs import DynamoDbJobRecords
from norce_integration.adapters.aws.dynamodb_own_writes import DynamoDbOwnWrites
from norce_integration.adapters.memory.events import CapturingNotifier, InMemoryEventQuery
from norce_integration.adapters.memory.jobs import InMemoryJobLog
from norce_integration.adapters.memory.processing import InMemoryErp
from norce_integration.bootstrap.events import build_event_processor
from norce_integration.erp.model import ErpCustomer
from norce_integration.erp.own_writes import OwnWrite
from norce_integration.erp.ports import ErpUnavailable
from norce_integration.events.ports import Claim, Email, NotifierUnavailable, SyncState
from norce_integration.events.views import CustomerView, OrderLineView, OrderView
from norce_integration.norce.ports import NorceUnavailable
from norce_integration.settings import EventProcessorSettings
from tests.support.aws import ReceiverResources, Serialized
from tests.support.handlers import EVENTS, FakeLambdaContext, load_event, load_function
from tests.support.sqs_events import from_received

KEY = "norce-events-local"
ORDER = OrderView(
    order_id=700000001,
    order_no="SO-000001",
    client_order_ref="REF12345",
    culture="sv-SE",
    currency="SEK",
    email="john.doe@example.com",
    lines=[OrderLineView("ITEM001", "Widget", Decimal(2))],
)


class FlakyNotifier(CapturingNotifier):
    down = False

    def send(self, email: Email) -> str:
        if self.down:
            raise NotifierUnavailable("TooManyRequestsException")
        return super().send(email)


class EventsWorld:
    def __init__(self, aws: ReceiverResources, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sqs = boto3.client("sqs")
        self.dlq_url = self.sqs.create_queue(QueueName="events-dlq")["QueueUrl"]
        dlq_arn = self.sqs.get_queue_attributes(QueueUrl=self.dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"})
        self.queue_url = self.sqs.create_queue(QueueName="events", Attributes={"RedrivePolicy": policy})[
            "QueueUrl"
        ]
        self.keys_arn = boto3.client("secretsmanager").create_secret(
            Name="norce-events-keys", SecretString=json.dumps({"apiKey": KEY})
        )["ARN"]
        env = {
            "EVENTS_QUEUE_URL": self.queue_url,
            "EVENTS_DLQ_URL": self.dlq_url,
            "NORCE_EVENTS_KEYS_SECRET_ARN": self.keys_arn,
            "SECRETS_CACHE_SECONDS": "0",
            "CHANGE_SETTLE_SECONDS": "0",
            "NOTIFIER": "outbox",
            "RETRY_BASE_SECONDS": "1",
            "RETRY_MAX_SECONDS": "1",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        self.table = aws.table
        self.erp = InMemoryErp()
        self.query = InMemoryEventQuery(orders=[ORDER])
        self.notifier = FlakyNotifier()
        self.jobs_log = InMemoryJobLog()
        self.receiver = load_function("event_receiver")
        self.processor = load_function("event_processor")
        parts = build_event_processor(
            EventProcessorSettings.from_env(),
            erp=self.erp,
            query=self.query,
            job_log=self.jobs_log,
            notifier=self.notifier,
        )
        self.processor.components = lambda: parts

    def post(self, name: str, body: Any = None, key: str | None = KEY, **changes: Any) -> dict[str, Any]:
        event = load_event(f"event_receiver/{name}")
        if body is not None:
            event["body"] = body if isinstance(body, str) else json.dumps(body)
        event["headers"].pop("X-Api-Key", None)
        if key is not None:
            event["headers"]["X-Api-Key"] = key
        event |= changes
        return self.receiver.lambda_handler(event, FakeLambdaContext())

    def process(self) -> dict[str, Any]:
        """One batch of the events queue through the processor; what it answered."""
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return {"count": 0, "batchItemFailures": []}
        event = from_received(messages, "arn:aws:sqs:eu-north-1:123456789012:events")
        answer = self.processor.lambda_handler(event, FakeLambdaContext())
        failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
        for message in messages:
            if message["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return answer | {"count": len(messages)}

    def drain(self, rounds: int = 20) -> None:
        for _ in range(rounds):
            if self.process()["count"] == 0:
                return

    def parked(self) -> list[dict[str, Any]]:
        messages = self.sqs.receive_message(
            QueueUrl=self.dlq_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", [])
        return messages


@pytest.fixture
def world(aws: ReceiverResources, monkeypatch: pytest.MonkeyPatch) -> EventsWorld:
    return EventsWorld(aws, monkeypatch)


EXPECTED = {
    "post-type-in-header.json": (200, "queued"),
    "post-type-in-query.json": (200, "queued"),
    "post-unknown-type.json": (200, "unknown_type"),
    "post-invalid-body.json": (200, "parked"),
    "post-wrong-key.json": (401, None),
    "post-no-key.json": (401, None),
}
QUEUED_TYPES = {
    "OrderReceivedEvent",
    "OrderConfirmedEvent",
    "OrderReadyForPickupEvent",
    "CustomerChangedNotification",
    "CompanyChangedNotification",
    "JobCompletedEvent",
    "InvoiceCaptureCompletedEvent",
}


def expected(name: str) -> tuple[int, str | None]:
    if name in EXPECTED:
        return EXPECTED[name]
    event_type = name.removeprefix("post-").removesuffix(".json")
    return 200, "queued" if event_type in QUEUED_TYPES else "ignored"


@pytest.mark.parametrize("name", sorted(p.name for p in (EVENTS / "event_receiver").glob("*.json")))
def test_every_receiver_sample_event(world, name):
    status, outcome = expected(name)
    response = world.post(name, key=None) if "key" in name else world.post(name)
    assert response["statusCode"] == status
    if outcome:
        assert json.loads(response["body"])["Outcome"] == outcome


def test_queued_event_carries_type_and_body(world):
    body = json.loads(load_event("event_receiver/post-OrderConfirmedEvent.json")["body"])
    assert world.post("post-OrderConfirmedEvent.json")["statusCode"] == 200
    [message] = world.sqs.receive_message(QueueUrl=world.queue_url, MessageAttributeNames=["All"])["Messages"]
    queued = json.loads(message["Body"])
    assert (queued["event_type"], queued["body"]) == ("OrderConfirmedEvent", body)
    assert message["MessageAttributes"]["EventType"]["StringValue"] == "OrderConfirmedEvent"


def test_an_invalid_body_is_parked_with_its_reason_and_still_answered_200(world):
    assert world.post("post-invalid-body.json")["statusCode"] == 200
    [parked] = world.parked()
    assert "JobId" in parked["MessageAttributes"]["FailureReason"]["StringValue"]
    assert json.loads(parked["Body"])["event_type"] == "JobCompletedEvent"


def test_both_keys_are_valid_during_a_rotation(world):
    boto3.client("secretsmanager").put_secret_value(
        SecretId=world.keys_arn, SecretString=json.dumps({"keys": [KEY, "the-new-key"]})
    )
    assert world.post("post-OrderConfirmedEvent.json", key="the-new-key")["statusCode"] == 200
    assert world.post("post-OrderConfirmedEvent.json", key=KEY)["statusCode"] == 200
    assert world.post("post-OrderConfirmedEvent.json", key="the-old-old-key")["statusCode"] == 401


def test_our_queue_down_is_a_503_so_norce_retries(world):
    world.sqs.delete_queue(QueueUrl=world.queue_url)
    response = world.post("post-OrderConfirmedEvent.json")
    assert response["statusCode"] == 503 and response["multiValueHeaders"]["Retry-After"] == ["5"]
    assert "Traceback" not in response["body"]


def test_the_sample_sqs_event_runs_through_the_processor(world):
    world.erp.customers["C1"] = ErpCustomer(code="C1")
    world.query.customers[1] = CustomerView(1, "C1", "anna@example.com", "Anna")
    answer = world.processor.lambda_handler(
        load_event("event_processor/sqs-events.json"), FakeLambdaContext()
    )
    assert answer == {"batchItemFailures": []}
    assert len(world.notifier.sent) == 1 and world.erp.customers["C1"].first_name == "Anna"


def test_a_body_the_receiver_parked_is_handled_when_redriven_after_a_fix(world):
    DynamoDbJobRecords(boto3.client("dynamodb"), world.table).record(5002, "customers", 1.0, status="Queued")
    answer = world.processor.lambda_handler(
        load_event("event_processor/sqs-redriven-parked-event.json"), FakeLambdaContext()
    )
    assert answer == {"batchItemFailures": []}
    item = boto3.client("dynamodb").get_item(TableName=world.table, Key={"pk": {"S": "JOB#5002"}})["Item"]
    assert item["status"]["S"] == "Succeeded"


def test_the_same_order_confirmed_five_times_sends_one_email(world):
    for _ in range(5):
        assert world.post("post-OrderConfirmedEvent.json")["statusCode"] == 200
    world.drain()
    assert len(world.notifier.sent) == 1
    [email] = world.notifier.sent
    assert email.to == "john.doe@example.com" and email.language == "sv" and "SO-000001" in email.text
    item = boto3.client("dynamodb").get_item(
        TableName=world.table, Key={"pk": {"S": "MAIL#OrderConfirmedEvent#REF12345"}}
    )["Item"]
    assert item["state"]["S"] == "SENT"


def test_five_copies_processed_at_once_send_one_email(world):
    ledger = DynamoDbNotificationLedger(Serialized(boto3.client("dynamodb")), world.table)
    parts = world.processor.components()
    parts.processor.notifications.ledger = ledger
    event = load_event("event_processor/sqs-events.json")
    [confirmed] = [r for r in event["Records"] if "OrderConfirmedEvent" in r["body"]]
    threads = [
        threading.Thread(
            target=world.processor.lambda_handler, args=({"Records": [confirmed]}, FakeLambdaContext())
        )
        for _ in range(5)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    world.drain()
    assert len(world.notifier.sent) == 1


def test_a_mail_service_outage_is_retried_then_parked_with_nothing_lost(world):
    world.notifier.down = True
    world.post("post-OrderConfirmedEvent.json")
    answer = world.process()
    assert len(answer["batchItemFailures"]) == 1
    world.notifier.down = False
    time.sleep(1.1)  # the backoff (RETRY_BASE_SECONDS=1) set on the message's visibility
    world.drain()
    assert len(world.notifier.sent) == 1


def test_a_customer_changed_in_norce_updates_the_erp_once_per_burst(world):
    world.erp.customers["C10001"] = ErpCustomer(code="C10001", first_name="Old")
    world.query.customers[1] = CustomerView(1, "C10001", "anna@example.com", "Anna", "Berg")
    for _ in range(5):
        world.post("post-CustomerChangedNotification.json")
    world.drain()
    assert world.erp.calls.count("update_customer") == 1
    assert world.erp.customers["C10001"].first_name == "Anna"
    state = DynamoDbSyncStates(boto3.client("dynamodb"), world.table).get("SYNC#customer#1")
    assert state is not None and state.version == 2 and state.busy_until is None  # claimed, then written


def test_our_write_of_a_norce_edit_is_remembered_by_its_code_for_the_delta_imports(world, monkeypatch):
    """What tells the scheduled delta import the ERP's change is ours (``ECHO#customer#{code}``)."""
    created, stamped = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 25, 10, 5, tzinfo=UTC)
    world.erp.customers["C10001"] = ErpCustomer(code="C10001", first_name="Old", changed_at=created)
    update = world.erp.update_customer  # the ERP stamps its own changed_at on every write
    monkeypatch.setattr(
        world.erp, "update_customer", lambda c: update(c.model_copy(update={"changed_at": stamped}))
    )
    edited = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    world.query.customers[1] = CustomerView(1, "C10001", "anna@example.com", "Anna", "Berg", updated=edited)
    world.post("post-CustomerChangedNotification.json")
    world.drain()
    own = DynamoDbOwnWrites(boto3.client("dynamodb"), world.table).find("customer", ["C10001"])
    assert own == {"C10001": OwnWrite(stamped.isoformat(), created.isoformat())}


def test_a_failed_import_job_keeps_its_errors_on_the_job_record(world):
    DynamoDbJobRecords(boto3.client("dynamodb"), world.table).record(5001, "customers", 1.0, status="Queued")
    world.jobs_log.logs[5001] = [{"SeverityId": 3, "Message": "Company B1 does not exist", "ImportedRow": 2}]
    world.post("post-JobCompletedEvent.json", body={"ClientId": 1, "JobId": 5001, "StatusId": 3})
    world.drain()
    item = boto3.client("dynamodb").get_item(TableName=world.table, Key={"pk": {"S": "JOB#5001"}})["Item"]
    assert item["status"]["S"] == "Failed" and item["kind"]["S"] == "customers"
    assert item["job_errors"]["L"] == [{"S": "row 2: Company B1 does not exist"}]


def test_a_job_completed_event_for_a_job_this_integration_did_not_start_never_raises_our_alarm(
    world, monkeypatch
):
    """Norce sends JobCompletedEvent for every job (product imports, other integrations): acknowledged and
    counted, never our ImportJobsFailed alarm, and nobody reads its log."""
    metrics: list[str] = []
    monkeypatch.setattr(world.processor.metrics, "add_metric", lambda name, **_: metrics.append(name))
    world.jobs_log.logs[6001] = [
        {"SeverityId": 3, "Message": "another integration's row", "ImportedRow": "1"}
    ]
    world.jobs_log.job_log = lambda job_id: pytest.fail("the log of a job that is not ours is read")

    world.post("post-JobCompletedEvent.json", body={"ClientId": 1, "JobId": 6001, "StatusId": 3})
    world.drain()

    assert "ImportJobsFailed" not in metrics and metrics.count("EventsJobForeign") == 1
    item = boto3.client("dynamodb").get_item(TableName=world.table, Key={"pk": {"S": "JOB#6001"}})["Item"]
    assert (
        item["status"]["S"] == "Failed" and item["foreign_job"]["BOOL"] is True and "job_errors" not in item
    )
    assert world.parked() == []


def test_an_erp_that_rejects_the_update_parks_the_event_with_the_reason(world):
    world.query.customers[1] = CustomerView(1, "C404", "x@example.com")
    world.post("post-CustomerChangedNotification.json")
    world.drain()
    [parked] = world.parked()
    assert "no customer with code C404" in parked["MessageAttributes"]["FailureReason"]["StringValue"]


def test_the_email_ledger_on_dynamodb(world):
    ledger = DynamoDbNotificationLedger(boto3.client("dynamodb"), world.table, lease_seconds=10)
    assert ledger.claim("MAIL#A", now=100) is Claim.CLAIMED
    assert ledger.claim("MAIL#A", now=105) is Claim.BUSY
    ledger.release("MAIL#A")
    assert ledger.claim("MAIL#A", now=106) is Claim.CLAIMED
    ledger.sent("MAIL#A", "ses-1", now=107)
    assert ledger.claim("MAIL#A", now=108) is Claim.SENT
    assert ledger.claim("MAIL#B", now=100) is Claim.CLAIMED
    assert ledger.claim("MAIL#B", now=200) is Claim.IN_DOUBT  # the lease ran out: it may have gone out
    assert ledger.claim("MAIL#B", now=300) is Claim.IN_DOUBT


def test_sync_states_on_dynamodb_refuse_a_stale_writer(world):
    states = DynamoDbSyncStates(boto3.client("dynamodb"), world.table)
    assert states.save("SYNC#customer#1", SyncState(1.0, "2026-11-25T10:00:00+00:00", 1), None)
    assert not states.save("SYNC#customer#1", SyncState(2.0, None, 1), None)
    assert states.save("SYNC#customer#1", SyncState(3.0, None, 2), 1)
    assert states.get("SYNC#customer#1") == SyncState(3.0, None, 2)


class QueryDown(InMemoryEventQuery):
    def order(self, order_id: int) -> OrderView | None:
        raise NorceUnavailable("Norce Query answered 503")


def test_query_down_for_good_ends_on_the_dlq_after_the_retries_with_the_event_intact(world):
    world.processor.components().processor.notifications.query = QueryDown()
    body = json.loads(load_event("event_receiver/post-OrderConfirmedEvent.json")["body"])
    world.post("post-OrderConfirmedEvent.json")
    for _ in range(4):  # maxReceiveCount 3: the fourth receive finds it moved to the DLQ
        world.process()
        time.sleep(1.1)  # the backoff set on the message's visibility
    [parked] = world.parked()
    assert json.loads(parked["Body"])["body"] == body  # nothing lost: redrive replays it as it came
    assert world.notifier.sent == []


class ErpDown(InMemoryErp):
    """Down without a Retry-After (the in-memory ERP asks for 60 s), so the test's 1 s backoff applies."""

    def find_customer(self, **keys: Any) -> ErpCustomer | None:
        if self.down:
            raise ErpUnavailable("ERP answered 503")
        return super().find_customer(**keys)


def test_an_erp_outage_is_retried_until_the_change_is_written(world):
    erp = ErpDown(customers={"C10001": ErpCustomer(code="C10001", first_name="Old")}, down=True)
    world.processor.components().processor.changes.erp = erp
    world.query.customers[1] = CustomerView(1, "C10001", "anna@example.com", "Anna")
    world.post("post-CustomerChangedNotification.json")
    assert len(world.process()["batchItemFailures"]) == 1
    erp.down = False
    time.sleep(1.1)
    world.drain()
    assert erp.customers["C10001"].first_name == "Anna"
