"""No order lost, none queued for processing twice: duplicates, conflicts, crashes at every step,
dependency failures and concurrent copies. Runs on the in-memory ledger and on DynamoDB (moto)."""

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from moto import mock_aws

from norce_integration.adapters.aws.dynamodb_ledger import DynamoDbLedger
from norce_integration.adapters.memory.intake import InMemoryArchive, InMemoryLedger, InMemoryQueue
from norce_integration.codec import WireFormat
from norce_integration.failures import DependencyUnavailable
from norce_integration.intake.service import IntakeSettings, OrderIntake, Outcome
from norce_integration.orders.ledger import IntakeLedger
from tests.support.aws import create_orders_table
from tests.support.intake import CRASH_POINTS, Crash, make_harness

ORDER = (Path(__file__).resolve().parents[2] / "events/payloads/order-request.json").read_bytes()
NORCE_RETRY_SECONDS = 600


@pytest.fixture(params=["memory", "dynamodb"])
def ledger_factory(request: pytest.FixtureRequest) -> Iterator[Callable[[], IntakeLedger]]:
    if request.param == "memory":
        yield InMemoryLedger
        return
    with mock_aws():
        client = create_orders_table()
        yield lambda: DynamoDbLedger(client, "orders")


def test_a_new_order_is_archived_queued_and_admitted_once(ledger_factory):
    h = make_harness(ledger_factory)

    result = h.intake.receive(ORDER, WireFormat.JSON)

    assert (result.outcome, result.http_status, result.response.StatusCode) == (Outcome.ACCEPTED, 200, "OK")
    [message] = h.queue.messages
    assert h.archive.objects[message.archive_key] == ORDER
    assert [m.token for m in h.admitted_messages()] == [message.token]


def test_a_duplicate_gets_the_first_answer_and_nothing_new_is_queued(ledger_factory):
    h = make_harness(ledger_factory)
    first = h.intake.receive(ORDER, WireFormat.JSON)

    again = h.intake.receive(ORDER, WireFormat.JSON)

    assert again.outcome is Outcome.DUPLICATE and again.response == first.response
    assert len(h.queue.messages) == 1


@pytest.mark.parametrize("crash_point", CRASH_POINTS)
def test_norces_retry_after_a_crash_finishes_the_job_and_exactly_one_message_is_admitted(
    ledger_factory, crash_point
):
    h = make_harness(ledger_factory)
    h.faults.points.add(crash_point)
    with pytest.raises(Crash):
        h.intake.receive(ORDER, WireFormat.JSON)  # Norce sees a timeout / 502 and retries in 10 minutes

    h.clock.advance(NORCE_RETRY_SECONDS)
    retry = h.intake.receive(ORDER, WireFormat.JSON)

    assert retry.http_status == 200 and retry.response.StatusCode == "OK"
    admitted = h.admitted_messages()
    assert len(admitted) == 1, f"{len(h.queue.messages)} queued, {len(admitted)} admitted"
    assert h.archive.objects[admitted[0].archive_key] == ORDER
    assert h.intake.receive(ORDER, WireFormat.JSON).outcome is Outcome.DUPLICATE


@pytest.mark.parametrize("crash_point", ["after-send", "before-complete", "after-complete"])
def test_a_message_queued_before_a_crash_is_processed_and_norces_retry_queues_nothing_more(
    ledger_factory, crash_point
):
    h = make_harness(ledger_factory)
    h.faults.points.add(crash_point)
    with pytest.raises(Crash):
        h.intake.receive(ORDER, WireFormat.JSON)

    processed_early = h.admitted_messages()  # the consumer picks the message up before Norce retries
    h.clock.advance(NORCE_RETRY_SECONDS)
    retry = h.intake.receive(ORDER, WireFormat.JSON)

    assert len(processed_early) == 1
    assert retry.outcome is Outcome.DUPLICATE and retry.response.StatusCode == "OK"
    assert len(h.queue.messages) == 1


def test_a_retry_while_the_first_attempt_may_still_be_alive_is_told_to_come_back(ledger_factory):
    h = make_harness(ledger_factory)
    h.faults.points.add("after-claim")
    with pytest.raises(Crash):
        h.intake.receive(ORDER, WireFormat.JSON)

    early = h.intake.receive(ORDER, WireFormat.JSON)  # within the lease: the claimant might be alive

    assert (early.outcome, early.http_status) == (Outcome.BUSY, 503)
    assert h.queue.messages == []


def test_a_stale_message_from_a_taken_over_attempt_is_never_admitted(ledger_factory):
    h = make_harness(ledger_factory)
    h.faults.points.add("after-send")
    with pytest.raises(Crash):
        h.intake.receive(ORDER, WireFormat.JSON)
    h.clock.advance(NORCE_RETRY_SECONDS)
    h.intake.receive(ORDER, WireFormat.JSON)

    stale, current = h.queue.messages

    assert not h.ledger.admit(stale.key, stale.token, {"StatusCode": "OK"})
    assert h.ledger.admit(current.key, current.token, {"StatusCode": "OK"})
    assert h.ledger.admit(current.key, current.token, {"StatusCode": "OK"}), "redelivery of the same message"


def test_same_ref_with_other_content_is_a_conflict(ledger_factory):
    h = make_harness(ledger_factory)
    h.intake.receive(ORDER, WireFormat.JSON)

    changed = ORDER.replace(b"Please handle with care.", b"Leave at the door.")
    result = h.intake.receive(changed, WireFormat.JSON)

    assert result.outcome is Outcome.CONFLICT and result.response.StatusCode == "Failed"
    assert "already received with different content" in result.response.Description
    assert len(h.queue.messages) == 1


def test_the_same_ref_in_two_applications_is_two_orders(ledger_factory):
    h = make_harness(ledger_factory)
    other_app = ORDER.replace(
        b"123e4567-e89b-12d3-a456-426614174000", b"99999999-e89b-12d3-a456-426614174000"
    )

    assert h.intake.receive(ORDER, WireFormat.JSON).outcome is Outcome.ACCEPTED
    assert h.intake.receive(other_app, WireFormat.JSON).outcome is Outcome.ACCEPTED


class FailingQueue(InMemoryQueue):
    def send(self, order):
        raise DependencyUnavailable("Queueing the order failed (ServiceUnavailable)")


def test_queue_down_means_503_and_the_claim_is_released_for_an_immediate_retry():
    ledger, archive = InMemoryLedger(), InMemoryArchive()
    down = OrderIntake(ledger=ledger, archive=archive, queue=FailingQueue())

    result = down.receive(ORDER, WireFormat.JSON)

    assert (result.outcome, result.http_status, result.response) == (Outcome.UNAVAILABLE, 503, None)
    assert ledger.entries == {}
    queue = InMemoryQueue()
    back = OrderIntake(ledger=ledger, archive=archive, queue=queue)
    assert back.receive(ORDER, WireFormat.JSON).outcome is Outcome.ACCEPTED
    assert len(queue.messages) == 1


def test_twenty_copies_at_the_same_instant_queue_one_order_and_all_get_the_same_answer():
    ledger, archive, queue = InMemoryLedger(), InMemoryArchive(), InMemoryQueue()
    intake = OrderIntake(
        ledger=ledger,
        archive=archive,
        queue=queue,
        settings=IntakeSettings(busy_wait_seconds=5.0, busy_poll_seconds=0.005),
    )
    start = threading.Barrier(20)
    results = []

    def send() -> None:
        start.wait()
        results.append(intake.receive(ORDER, WireFormat.JSON))

    threads = [threading.Thread(target=send) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(queue.messages) == 1
    assert sorted(r.outcome.value for r in results) == ["accepted"] + ["duplicate"] * 19
    assert {r.response.model_dump_json() for r in results} == {results[0].response.model_dump_json()}


def test_the_same_order_in_other_bytes_is_a_duplicate_not_a_conflict(ledger_factory):
    h = make_harness(ledger_factory)
    h.intake.receive(ORDER, WireFormat.JSON)
    reformatted = json.dumps(json.loads(ORDER), indent=None, separators=(",", ":")).encode()

    again = h.intake.receive(reformatted, WireFormat.JSON)

    assert again.outcome is Outcome.DUPLICATE and again.response.StatusCode == "OK"
    assert len(h.queue.messages) == 1


def test_after_a_crash_a_retry_with_other_bytes_takes_over_with_its_own_body(ledger_factory):
    h = make_harness(ledger_factory)
    h.faults.points.add("after-send")
    with pytest.raises(Crash):
        h.intake.receive(ORDER, WireFormat.JSON)
    h.clock.advance(NORCE_RETRY_SECONDS)
    retry_body = json.dumps(json.loads(ORDER)).encode()

    assert h.intake.receive(retry_body, WireFormat.JSON).outcome is Outcome.ACCEPTED

    [admitted] = h.admitted_messages()
    assert h.archive.objects[admitted.archive_key] == retry_body
    assert h.ledger.get(admitted.key).archive_key == admitted.archive_key
