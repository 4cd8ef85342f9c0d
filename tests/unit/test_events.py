"""Norce Event handling in the domain, on in-memory ports: each payload's contract, the intake's answer
for every kind of request, and what each flow does with redeliveries, bursts, gaps and failures."""

import base64
import json
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from norce_integration.adapters.memory.events import (
    CapturingNotifier,
    InMemoryEventDeadLetters,
    InMemoryEventQuery,
    InMemoryEventQueue,
    InMemoryNotificationLedger,
    InMemorySyncStates,
)
from norce_integration.adapters.memory.jobs import InMemoryJobLog, InMemoryJobRecords
from norce_integration.adapters.memory.lifecycle import InMemoryOrderIndex
from norce_integration.adapters.memory.processing import InMemoryErp, InMemoryOrderRecords
from norce_integration.erp.model import ErpCustomer
from norce_integration.events.captures import CaptureResults
from norce_integration.events.contracts import (
    CustomerChangedNotification,
    InvalidEvent,
    OrderEvent,
    OrderReceivedEvent,
    parse_event,
)
from norce_integration.events.envelope import QueuedEvent, event_key
from norce_integration.events.intake import Acknowledgement, EventIntake
from norce_integration.events.notifications import NotificationService
from norce_integration.events.outcomes import Outcome as Handled
from norce_integration.events.ports import (
    Email,
    NotifierInDoubt,
    NotifierRejected,
    NotifierUnavailable,
    SyncState,
)
from norce_integration.events.service import EventProcessor
from norce_integration.events.sync import ChangeSync
from norce_integration.events.types import (
    NORCE_EVENT_TYPES,
    canonical_type,
    notification_types,
)
from norce_integration.events.views import CustomerView, OrderLineView, OrderView
from norce_integration.failures import PermanentFailure, TransientFailure
from norce_integration.jobs.completion import JobCompletion

PAYLOADS = Path(__file__).resolve().parents[2] / "events" / "payloads" / "norce-events"
NOTIFY = notification_types("")


def payload(name: str) -> dict[str, Any]:
    return dict(json.loads((PAYLOADS / f"{name}.json").read_text()))


# ---------------------------------------------------------------- types and contracts
def test_every_norce_type_has_a_sample_payload_and_parses():
    assert {path.stem for path in PAYLOADS.glob("*.json")} == set(NORCE_EVENT_TYPES)
    for name in NORCE_EVENT_TYPES:
        parse_event(name, payload(name))


@pytest.mark.parametrize("spelling", ["orderconfirmedevent", "ORDERCONFIRMEDEVENT", " OrderConfirmedEvent "])
def test_type_names_match_case_insensitively_like_the_compatibility_kit(spelling):
    assert canonical_type(spelling) == "OrderConfirmedEvent"


def test_unknown_and_missing_type_names():
    assert canonical_type("OrderShippedEvent") is None
    assert canonical_type(None) is None


def test_optional_notifications_are_added_by_name_and_a_wrong_name_is_refused():
    assert "OrderDeliveredEvent" not in NOTIFY
    assert "OrderDeliveredEvent" in notification_types("orderdeliveredevent, OrderCancelledEvent")
    with pytest.raises(ValueError, match="not an optional notification"):
        notification_types("CustomerChangedNotification")


def test_order_event_fields_are_norces_and_unknown_fields_are_kept():
    event = parse_event("OrderConfirmedEvent", payload("OrderConfirmedEvent") | {"NewField": 1})
    assert isinstance(event, OrderEvent)
    assert (event.OrderId, event.OrderNo, event.ClientOrderRef) == (700000001, "SO-000001", "REF12345")
    assert event.model_extra == {"NewField": 1}


def test_a_numeric_client_order_ref_is_kept_as_text():
    event = parse_event("OrderReceivedEvent", {"ClientId": 1, "ClientOrderRef": 123456})
    assert isinstance(event, OrderReceivedEvent) and event.ClientOrderRef == "123456"


@pytest.mark.parametrize(
    ("event_type", "body", "problem"),
    [
        ("OrderReceivedEvent", {"ClientId": 1}, "ClientOrderRef"),
        ("OrderConfirmedEvent", {"ClientId": 1, "Email": "a@b.se"}, "OrderId"),
        ("OrderConfirmedEvent", {"ClientId": 1, "OrderId": "7", "Email": "a@b.se"}, "OrderId"),
        ("OrderConfirmedEvent", {"OrderId": 7, "ClientOrderRef": "x" * 51}, "ClientOrderRef"),
        ("InvoiceCaptureCompletedEvent", {"ClientId": 1, "CapturedInvoiceId": 9}, "State"),
        ("InvoiceCaptureCompletedEvent", {"CapturedInvoiceId": 9, "State": "Failed"}, "State"),
        ("CustomerChangedNotification", {"ClientId": 1, "CustomerId": "x"}, "CustomerId"),
        ("CompanyChangedNotification", {"ClientId": 1}, "CompanyId"),
        ("JobCompletedEvent", {"JobId": 5}, "StatusId"),
        ("JobCompletedEvent", [1, 2], "JSON object"),
    ],
)
def test_an_invalid_body_names_the_problem_without_its_values(event_type, body, problem):
    with pytest.raises(InvalidEvent) as raised:
        parse_event(event_type, body)
    assert problem in raised.value.reason
    assert "a@b.se" not in raised.value.reason


def test_the_event_key_is_the_same_for_every_redelivery_and_any_key_order():
    body = payload("OrderConfirmedEvent")
    assert event_key("OrderConfirmedEvent", body) == event_key(
        "OrderConfirmedEvent", dict(reversed(body.items()))
    )
    assert event_key("OrderConfirmedEvent", body) != event_key("OrderDeliveredEvent", body)


# ---------------------------------------------------------------- intake
@dataclass
class Intake:
    queue: InMemoryEventQueue = field(default_factory=InMemoryEventQueue)
    dlq: InMemoryEventDeadLetters = field(default_factory=InMemoryEventDeadLetters)

    def __post_init__(self) -> None:
        self.intake = EventIntake(
            self.queue, self.dlq, NOTIFY, delays={"CustomerChangedNotification": 10}, clock=lambda: 1000.0
        )


def test_a_valid_event_is_queued_with_its_type_and_body_untouched():
    world = Intake()
    taken = world.intake.take("orderconfirmedevent", json.dumps(payload("OrderConfirmedEvent")).encode())
    assert taken.outcome is Acknowledgement.QUEUED and taken.event_type == "OrderConfirmedEvent"
    [(queued, delay)] = world.queue.sent
    assert queued.body == payload("OrderConfirmedEvent") and queued.received_at == 1000.0 and delay == 0
    assert QueuedEvent.from_json(queued.as_json()) == queued


def test_a_change_notification_waits_on_the_queue_so_a_burst_is_read_once():
    world = Intake()
    world.intake.take("CustomerChangedNotification", json.dumps(payload("CustomerChangedNotification")))
    assert world.queue.sent[0][1] == 10


def test_types_we_do_not_act_on_and_unknown_types_are_acknowledged_not_queued():
    world = Intake()
    assert (
        world.intake.take("SkuStockChangedNotification", b'{"ClientId": 1}').outcome
        is Acknowledgement.IGNORED
    )
    assert world.intake.take("OrderDeliveredEvent", b'{"ClientId": 1}').outcome is Acknowledgement.IGNORED
    unknown = world.intake.take("BrandNewEvent", b"{}")
    assert unknown.outcome is Acknowledgement.UNKNOWN_TYPE and "BrandNewEvent" in (unknown.reason or "")
    assert world.queue.sent == [] and world.dlq.parked == []


@pytest.mark.parametrize(
    "raw",
    [b"", b"not json", b'{"JobId": "x", "StatusId": 2}', b"[1]", b"\xff\xfe{}", b'{"JobId": NaN}'],
)
def test_a_body_that_can_never_be_valid_is_parked_as_it_came_with_the_reason(raw):
    world = Intake()
    taken = world.intake.take("JobCompletedEvent", raw)
    assert taken.outcome is Acknowledgement.PARKED and taken.reason
    [(body, reason)] = world.dlq.parked
    envelope = json.loads(body)
    assert reason == taken.reason == envelope["reason"]
    assert zlib.decompress(base64.b64decode(envelope["raw_base64"])) == raw
    assert (envelope["raw_size"], envelope["truncated"]) == (len(raw), False)
    assert world.queue.sent == []


def test_a_body_parked_by_this_receiver_replays_as_the_event():
    world = Intake()
    world.intake.take("JobCompletedEvent", b'{"JobId": 7, "StatusId": 2}  trailing')
    [(body, _)] = world.dlq.parked
    fixed = json.loads(body) | {
        "raw_base64": base64.b64encode(zlib.compress(b'{"JobId": 7, "StatusId": 2}')).decode()
    }
    event = QueuedEvent.from_json(json.dumps(fixed))
    assert (event.event_type, event.body, event.received_at) == (
        "JobCompletedEvent",
        {"JobId": 7, "StatusId": 2},
        1000.0,
    )


def test_a_parked_body_redriven_after_a_fix_is_read_as_the_event():
    parked = json.dumps(
        {"event_type": "JobCompletedEvent", "raw": '{"JobId": 7, "StatusId": 2}', "received_at": 5}
    )
    event = QueuedEvent.from_json(parked)
    assert (event.event_type, event.body, event.received_at) == (
        "JobCompletedEvent",
        {"JobId": 7, "StatusId": 2},
        5,
    )


# ---------------------------------------------------------------- notifications
@dataclass
class FakeRendered:
    subject: str
    html: str
    text: str
    language: str


class FakeRenderer:
    def render(self, event_type: str, culture: str | None, context: dict[str, Any]) -> FakeRendered:
        lines = context["order"].lines if context["order"] else []
        language = (culture or "en")[:2]
        parts = [line.part_no for line in lines]
        text = f"{event_type} {context['client_order_ref']} {context['order_no']} {parts}"
        return FakeRendered(f"Order {context['client_order_ref']}", f"<p>{text}</p>", text, language)


ORDER = OrderView(
    order_id=700000001,
    order_no="SO-000001",
    client_order_ref="REF12345",
    culture="sv-SE",
    email="john.doe@example.com",
    lines=[OrderLineView("ITEM001", "Widget", Decimal(2))],
)


class FlakyNotifier(CapturingNotifier):
    def __init__(self, failure: Exception | None = None) -> None:
        super().__init__()
        self.failure = failure

    def send(self, email: Email) -> str:
        if self.failure:
            raise self.failure
        return super().send(email)


def notifications(notifier: CapturingNotifier | None = None, orders: list[OrderView] | None = None):
    query = InMemoryEventQuery(orders=[ORDER] if orders is None else orders)
    ledger = InMemoryNotificationLedger()
    service = NotificationService(
        query, FakeRenderer(), notifier or CapturingNotifier(), ledger, clock=lambda: 10.0
    )
    return service, ledger, query


def test_an_order_event_sends_one_email_with_the_order_from_query_in_the_orders_language():
    service, _, _ = notifications()
    event = parse_event("OrderConfirmedEvent", payload("OrderConfirmedEvent"))
    assert service.handle("OrderConfirmedEvent", event).outcome is Handled.SENT
    [email] = service.notifier.sent  # type: ignore[attr-defined]
    assert email.to == "john.doe@example.com" and email.client_order_ref == "REF12345"
    assert email.language == "sv" and "ITEM001" in email.text and "SO-000001" in email.text


def test_order_received_stays_minimal_and_does_not_read_query():
    service, _, query = notifications()
    event = parse_event("OrderReceivedEvent", payload("OrderReceivedEvent"))
    assert service.handle("OrderReceivedEvent", event).outcome is Handled.SENT
    assert query.calls == 0


def test_five_redeliveries_of_one_event_send_one_email():
    service, _, _ = notifications()
    event = parse_event("OrderConfirmedEvent", payload("OrderConfirmedEvent"))
    outcomes = [service.handle("OrderConfirmedEvent", event).outcome for _ in range(5)]
    assert outcomes == [Handled.SENT] + [Handled.ALREADY_SENT] * 4
    assert len(service.notifier.sent) == 1  # type: ignore[attr-defined]


def test_each_event_type_of_an_order_sends_its_own_email():
    service, _, _ = notifications()
    for name in ("OrderConfirmedEvent", "OrderReadyForPickupEvent"):
        service.handle(name, parse_event(name, payload(name)))
    assert [e.event_type for e in service.notifier.sent] == [
        "OrderConfirmedEvent",
        "OrderReadyForPickupEvent",
    ]  # type: ignore[attr-defined]


def test_an_order_not_in_query_yet_is_retried_and_nothing_is_claimed():
    service, ledger, _ = notifications(orders=[])
    with pytest.raises(TransientFailure, match="not in Norce Query yet"):
        service.handle(
            "OrderConfirmedEvent", parse_event("OrderConfirmedEvent", payload("OrderConfirmedEvent"))
        )
    assert ledger.items == {}


def test_a_mail_service_outage_releases_the_claim_so_the_retry_sends():
    notifier = FlakyNotifier(NotifierUnavailable("throttled"))
    service, _, _ = notifications(notifier)
    event = parse_event("OrderConfirmedEvent", payload("OrderConfirmedEvent"))
    with pytest.raises(TransientFailure):
        service.handle("OrderConfirmedEvent", event)
    notifier.failure = None
    assert service.handle("OrderConfirmedEvent", event).outcome is Handled.SENT
    assert len(notifier.sent) == 1


def test_a_refused_email_is_a_permanent_failure_and_can_be_sent_after_a_fix():
    notifier = FlakyNotifier(NotifierRejected("MessageRejected"))
    service, ledger, _ = notifications(notifier)
    with pytest.raises(PermanentFailure, match="MessageRejected"):
        service.handle(
            "OrderConfirmedEvent", parse_event("OrderConfirmedEvent", payload("OrderConfirmedEvent"))
        )
    assert ledger.items == {}


def test_an_attempt_that_died_while_sending_is_never_sent_again():
    service, ledger, _ = notifications()
    ledger.claim("MAIL#OrderConfirmedEvent#REF12345", now=10.0 - 500)  # a claim whose lease ran out
    event = parse_event("OrderConfirmedEvent", payload("OrderConfirmedEvent"))
    assert service.handle("OrderConfirmedEvent", event).outcome is Handled.IN_DOUBT
    assert service.notifier.sent == []  # type: ignore[attr-defined]


def test_an_attempt_sending_right_now_makes_the_copy_wait():
    service, ledger, _ = notifications()
    ledger.claim("MAIL#OrderConfirmedEvent#REF12345", now=10.0)
    with pytest.raises(TransientFailure, match="another attempt"):
        service.handle(
            "OrderConfirmedEvent", parse_event("OrderConfirmedEvent", payload("OrderConfirmedEvent"))
        )


def test_no_email_address_anywhere_is_skipped_with_the_reason():
    service, _, _ = notifications(orders=[OrderView(700000001, "SO-1", "REF12345")])
    body = {k: v for k, v in payload("OrderConfirmedEvent").items() if k != "Email"}
    handled = service.handle("OrderConfirmedEvent", parse_event("OrderConfirmedEvent", body))
    assert handled.outcome is Handled.NO_RECIPIENT


# ---------------------------------------------------------------- customer and company changes
NORCE_EDIT = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def changes(view: CustomerView | None, erp_customer: ErpCustomer | None = None, entities=None, now=100.0):
    query = InMemoryEventQuery(customers={1: view} if view else {})
    erp = InMemoryErp()
    if erp_customer:
        erp.customers[erp_customer.code or ""] = erp_customer
    clock = iter(range(int(now), int(now) + 1000))
    sync = ChangeSync(
        query, erp, InMemorySyncStates(), customer_entities=entities, clock=lambda: float(next(clock))
    )
    return sync, erp, query


def customer_changed(entity: str = "tClientCustomer") -> CustomerChangedNotification:
    event = parse_event(
        "CustomerChangedNotification", {"ClientId": 1, "CustomerId": 1, "EntityChanged": entity}
    )
    assert isinstance(event, CustomerChangedNotification)
    return event


ANNA = CustomerView(1, "C10001", "anna@example.com", "Anna", "Berg", updated=NORCE_EDIT)


def test_a_changed_customer_with_a_code_updates_the_erp_with_norces_state():
    sync, erp, _ = changes(ANNA, ErpCustomer(code="C10001", first_name="Old"))
    assert sync.handle(customer_changed(), received_at=50.0).outcome is Handled.UPDATED
    assert erp.customers["C10001"].first_name == "Anna"
    assert erp.customers["C10001"].email == "anna@example.com"


def test_a_customer_without_a_code_is_not_in_the_erp_and_is_skipped():
    sync, erp, _ = changes(CustomerView(1, None, "new@example.com"))
    handled = sync.handle(customer_changed(), received_at=50.0)
    assert handled.outcome is Handled.NO_CODE and "no Code" in handled.detail
    assert "update_customer" not in erp.calls


def test_entity_changes_we_do_not_sync_are_filtered_before_any_lookup():
    sync, _, query = changes(ANNA, ErpCustomer(code="C10001"), entities=frozenset({"tClientCustomer"}))
    assert sync.handle(customer_changed("tClientCustomerFlag"), received_at=50.0).outcome is Handled.FILTERED
    assert query.calls == 0


def test_a_burst_of_notifications_makes_one_erp_update():
    sync, erp, query = changes(ANNA, ErpCustomer(code="C10001"))
    outcomes = [sync.handle(customer_changed(), received_at=50.0 + i).outcome for i in range(5)]
    assert outcomes == [Handled.UPDATED] + [Handled.COALESCED] * 4
    assert erp.calls.count("update_customer") == 1 and query.calls == 1


def test_the_same_norce_state_notified_again_later_is_no_change():
    sync, erp, _ = changes(ANNA, ErpCustomer(code="C10001"))
    sync.handle(customer_changed(), received_at=50.0)
    assert sync.handle(customer_changed(), received_at=5000.0).outcome is Handled.UNCHANGED
    assert erp.calls.count("update_customer") == 1


def test_newer_data_in_the_erp_is_never_overwritten():
    later = ErpCustomer(
        code="C10001", first_name="Changed in the ERP", changed_at=datetime(2026, 11, 25, 11, 0, tzinfo=UTC)
    )
    sync, erp, _ = changes(ANNA, later)
    assert sync.handle(customer_changed(), received_at=50.0).outcome is Handled.ERP_NEWER
    assert erp.customers["C10001"].first_name == "Changed in the ERP"


def test_an_erp_outage_is_retried_and_a_code_the_erp_does_not_know_is_parked():
    sync, erp, _ = changes(ANNA, ErpCustomer(code="C10001"))
    erp.down = True
    with pytest.raises(TransientFailure):
        sync.handle(customer_changed(), received_at=50.0)
    erp.down = False
    erp.customers.clear()
    with pytest.raises(PermanentFailure, match="no customer with code C10001"):
        sync.handle(customer_changed(), received_at=50.0)


# ---------------------------------------------------------------- import jobs
def test_a_succeeded_job_is_recorded():
    records = InMemoryJobRecords()
    records.start(5001, 1.0, kind="customers")
    end = JobCompletion(records, InMemoryJobLog(), clock=lambda: 7.0).finish(5001, 2)
    assert not end.failed and not end.foreign
    assert records.jobs[5001] == {
        "kind": "customers",
        "started_at": 1.0,
        "status": "Succeeded",
        "status_id": 2,
        "job_errors": [],
        "finished_at": 7.0,
    }
    assert records.open == {}


def test_a_failed_job_keeps_its_error_lines_from_the_job_log():
    log = InMemoryJobLog(
        {
            5002: [
                {"SeverityId": 1, "Message": "started", "ImportedRow": None},
                {"SeverityId": 3, "Message": "Company B1 does not exist", "ImportedRow": "4"},
            ]
        }
    )
    records = InMemoryJobRecords()
    records.start(5002, 1.0, kind="customers")
    end = JobCompletion(records, log).finish(5002, 4)
    assert end.failed
    assert records.jobs[5002]["status"] == "ValidationFailed"
    assert records.jobs[5002]["job_errors"] == ["row 4: Company B1 does not exist"]


def test_a_failed_job_this_integration_did_not_start_is_noted_never_counted_as_ours():
    log = InMemoryJobLog({5003: [{"SeverityId": 3, "Message": "another integration's row"}]})
    records = InMemoryJobRecords()

    end = JobCompletion(records, log, clock=lambda: 7.0).finish(5003, 3)

    assert end.foreign and not end.failed and "did not start" in end.detail
    assert records.jobs[5003] == {"status": "Failed", "status_id": 3, "finished_at": 7.0, "foreign_job": True}


def test_a_job_told_of_twice_is_recorded_and_counted_once():
    records = InMemoryJobRecords()
    records.start(5004, 1.0, kind="customers")
    completion = JobCompletion(records, InMemoryJobLog({5004: [{"SeverityId": 3, "Message": "x"}]}))

    first, second = completion.finish(5004, 3), completion.finish(5004, 3)

    assert first.failed and not second.failed and "already recorded" in second.detail


# ---------------------------------------------------------------- dispatch
def test_the_processor_dispatches_by_type_and_ignores_what_it_does_not_act_on():
    service, _, _ = notifications()
    sync, _, _ = changes(ANNA, ErpCustomer(code="C10001"))
    records = InMemoryJobRecords()
    jobs = JobCompletion(records, InMemoryJobLog())
    captures = CaptureResults(
        InMemoryEventQuery(), InMemoryOrderIndex(), InMemoryOrderRecords(), clock=lambda: 60.0
    )
    processor = EventProcessor(NOTIFY, service, sync, jobs, captures)

    def queued(name: str) -> QueuedEvent:
        return QueuedEvent(name, payload(name), 50.0, event_key(name, payload(name)))

    assert processor.process(queued("OrderConfirmedEvent")).outcome is Handled.SENT
    assert processor.process(queued("CustomerChangedNotification")).outcome is Handled.UPDATED
    assert processor.process(queued("JobCompletedEvent")).outcome is Handled.JOB_FOREIGN  # not ours
    records.start(payload("JobCompletedEvent")["JobId"], 1.0, kind="customers")
    assert processor.process(queued("JobCompletedEvent")).outcome is Handled.JOB_SUCCEEDED
    with pytest.raises(TransientFailure, match="does not hold invoice"):  # Query has no such invoice yet
        processor.process(queued("InvoiceCaptureCompletedEvent"))
    assert processor.process(queued("OrderDeliveredEvent")).outcome is Handled.IGNORED
    with pytest.raises(PermanentFailure, match="JobId"):
        processor.process(QueuedEvent("JobCompletedEvent", {"StatusId": 2}, 50.0, "k"))


def test_a_lost_answer_from_the_mail_service_is_never_sent_again():
    notifier = FlakyNotifier(NotifierInDoubt("ReadTimeoutError"))
    service, ledger, _ = notifications(notifier)
    event = parse_event("OrderConfirmedEvent", payload("OrderConfirmedEvent"))
    with pytest.raises(TransientFailure, match="lost"):
        service.handle("OrderConfirmedEvent", event)
    notifier.failure = None
    service.clock = lambda: 10.0 + 1000  # after the claim's lease
    assert service.handle("OrderConfirmedEvent", event).outcome is Handled.IN_DOUBT
    assert notifier.sent == [] and ledger.items["MAIL#OrderConfirmedEvent#REF12345"]["state"] == "IN_DOUBT"


class StampingErp(InMemoryErp):
    """Sets changed_at on every update, as a real ERP does (the in-memory one does not)."""

    now = datetime(2026, 11, 25, 10, 5, tzinfo=UTC)

    def update_customer(self, customer: ErpCustomer) -> None:
        super().update_customer(customer.model_copy(update={"changed_at": self.now}))


def test_an_edit_made_in_norce_while_we_wrote_the_previous_one_is_not_taken_for_an_erp_change():
    query = InMemoryEventQuery(customers={1: ANNA})  # edited in Norce at 10:00
    erp = StampingErp(customers={"C10001": ErpCustomer(code="C10001", first_name="Old")})
    clock = iter(range(100, 1000))
    sync = ChangeSync(query, erp, InMemorySyncStates(), clock=lambda: float(next(clock)))
    assert sync.handle(customer_changed(), received_at=50.0).outcome is Handled.UPDATED  # ERP: 10:05
    edited = CustomerView(
        1, "C10001", "anna@example.com", "Annika", "Berg", updated=NORCE_EDIT.replace(minute=3)
    )
    query.customers[1] = edited  # made at 10:03, before our write at 10:05 was done
    assert sync.handle(customer_changed(), received_at=5000.0).outcome is Handled.UPDATED
    assert erp.customers["C10001"].first_name == "Annika"
    erp.customers["C10001"] = erp.customers["C10001"].model_copy(
        update={"first_name": "Changed in the ERP", "changed_at": datetime(2026, 11, 25, 11, 0, tzinfo=UTC)}
    )
    query.customers[1] = CustomerView(
        1, "C10001", "x@example.com", "Norce", updated=NORCE_EDIT.replace(minute=30)
    )
    assert (
        sync.handle(customer_changed(), received_at=9000.0).outcome is Handled.ERP_NEWER
    )  # a real ERP change


def test_one_processor_at_a_time_writes_an_entity_and_a_failed_write_is_not_taken_as_covered():
    states = InMemorySyncStates()
    sync, erp, _ = changes(ANNA, ErpCustomer(code="C10001", first_name="Old"))
    sync.states = states
    states.save("SYNC#customer#1", SyncState(0.0, None, 1, busy_until=1e12), None)  # another one is busy
    with pytest.raises(TransientFailure, match="another processor"):
        sync.handle(customer_changed(), received_at=50.0)
    states.items.clear()
    erp.down = True
    with pytest.raises(TransientFailure):
        sync.handle(customer_changed(), received_at=50.0)
    assert (
        states.items["SYNC#customer#1"].busy_until is None and states.items["SYNC#customer#1"].read_at == 0.0
    )
    erp.down = False
    assert sync.handle(customer_changed(), received_at=50.0).outcome is Handled.UPDATED
