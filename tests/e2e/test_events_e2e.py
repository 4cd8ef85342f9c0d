"""Norce Event webhooks on the local stack: e-mails once per order event, changes into the ERP, import jobs.

What a user relies on: no e-mail twice, nothing lost. Norce's simulator places orders, confirms them when
the ERP took them, edits customers and finishes import jobs, and its event sender posts each event to our
webhook like Norce Event does; the e-mails are captured (``stack.mail()``), never sent.

Faults: the Norce simulator's knobs (``set_faults``) only guard Connect paths, never Query 2.0, so a Query
outage is made here by wrapping the in-process simulator's Query handler (``QuerySpy``), and restored.
"""

import base64
import itertools
import json
import re
import threading
import time
import uuid
import zlib
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from flask import Response, jsonify, request

from local.stack import LocalStack
from tests.e2e.helpers import PAYLOADS, confirmations_for, erp_orders_for, order_body, post_order, wait_until

pytestmark = pytest.mark.e2e

RUN = uuid.uuid4().hex[:8]  # the stack is shared by the whole e2e session: every ref and marker is ours
_numbers = itertools.count(1)


def new_ref(name: str) -> str:
    return f"EV-{name}-{RUN}-{next(_numbers)}"


# -- sending events
def payload(event_type: str, **fields: Any) -> dict[str, Any]:
    return {**json.loads((PAYLOADS / "norce-events" / f"{event_type}.json").read_text()), **fields}


def post_event(
    stack: LocalStack,
    event_type: str | None,
    body: Any,
    *,
    key: str | None = None,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    session: requests.Session | None = None,
) -> requests.Response:
    """Like Norce Event: ``POST /norce/events/{type}`` (``event_type`` None: ``POST /norce/events``)."""
    url = f"{stack.api_url}/norce/events" + (f"/{event_type}" if event_type else "")
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    sent = {"Content-Type": "application/json", "X-Api-Key": key or stack.events_key, **(headers or {})}
    return (session or requests).post(url, data=data, headers=sent, params=params, timeout=30)


def place(stack: LocalStack, ref: str, **changes: Any) -> dict[str, Any]:
    """A buyer checks out in Norce (OrderReceivedEvent); the OrderRequest and Norce's OrderId."""
    order = json.loads(order_body(ref, **changes))
    return {"order": order, **stack.norce.place_order(order)}


def confirmed_event(placed: dict[str, Any], order_no: str) -> dict[str, Any]:
    """The OrderConfirmedEvent Norce sends for a placed order that the ERP took as ``order_no`` (as Norce
    publishes it: no e-mail, the buyer is in Norce Query)."""
    person = placed["order"]["SellTo"]["Person"]
    return payload(
        "OrderConfirmedEvent",
        OrderId=placed["OrderId"],
        OrderNo=order_no,
        ClientOrderRef=placed["ClientOrderRef"],
        FirstName=person["FirstName"],
        LastName=person["LastName"],
    )


# -- what the system did
def mails_for(stack: LocalStack, ref: str, event_type: str | None = None) -> list[dict[str, Any]]:
    return [m for m in stack.mail() if m["client_order_ref"] == ref and event_type in (None, m["event_type"])]


def events_queue_idle(stack: LocalStack) -> bool:
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    attributes = stack.aws.client("sqs").get_queue_attributes(
        QueueUrl=stack.resource("EventsQueue"), AttributeNames=names
    )["Attributes"]
    return all(attributes.get(name, "0") == "0" for name in names)


def wait_settled(stack: LocalStack, seconds: float = 40.0) -> None:
    """Norce's sender has delivered everything, and the events queue is empty (every retry done)."""
    assert stack.norce.events.wait_idle(seconds), "Norce's event sender still has deliveries pending"
    wait_until(lambda: events_queue_idle(stack) and events_queue_idle(stack), seconds, "the events queue")


def dlq_size(stack: LocalStack) -> int:
    attributes = stack.aws.client("sqs").get_queue_attributes(
        QueueUrl=stack.resource("EventsDeadLetterQueue"),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def item(stack: LocalStack, pk: str) -> dict[str, Any] | None:
    found = stack.aws.client("dynamodb").get_item(
        TableName=stack.resource("OrdersTable"), Key={"pk": {"S": pk}}, ConsistentRead=True
    )
    return found.get("Item")


def erp_customer(stack: LocalStack, code: str) -> dict[str, Any]:
    return next(c for c in stack.erp.parties("customers") if c["code"] == code)


def customer_in_both(stack: LocalStack, name: str) -> tuple[int, str]:
    """A customer the ERP holds and Norce holds with the ERP's code (as after the write-back's import)."""
    email = f"{name.lower()}-{RUN}@example.com"
    created = requests.post(
        f"{stack.erp.url}/customers",
        json={"email": email, "firstName": "Original", "lastName": name, "phone": "0701234567"},
        headers={"X-Api-Key": stack.erp.api_key},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    code = created.json()["code"]
    held = stack.norce.hold(
        "customers", {"Code": code, "EmailAddress": email, "FirstName": "Original", "LastName": name}
    )
    return int(held["Id"]), code


# -- spies and faults on the in-process simulators (restored on exit)
class QuerySpy:
    """Every Norce Query 2.0 request the simulator gets (entity set, $filter); entity sets in ``down``
    answer 503 without a Retry-After, as Query does while it is unavailable."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, int]] = []
        self.down: set[str] = set()

    def count(self, entity_set: str, text: str, status: int | None = None) -> int:
        return sum(
            1
            for called, filter_, answered in list(self.calls)
            if called == entity_set and text in filter_ and status in (None, answered)
        )


@contextmanager
def query_spy(stack: LocalStack) -> Iterator[QuerySpy]:
    spy = QuerySpy()
    views = stack.norce.app.view_functions
    original = views["query"]

    def spied(entity_set: str) -> tuple[Response, int]:
        filter_ = request.args.get("$filter", "")
        if entity_set in spy.down:
            spy.calls.append((entity_set, filter_, 503))
            return jsonify({"Message": "injected: Norce Query is unavailable"}), 503
        answer = original(entity_set)
        spy.calls.append((entity_set, filter_, answer[1]))
        return answer

    views["query"] = spied
    try:
        yield spy
    finally:
        views["query"] = original


@contextmanager
def erp_customer_writes(stack: LocalStack) -> Iterator[list[tuple[str, str, int]]]:
    """(method, code, status) of every ``/customers/<code>`` request the ERP simulator handles."""
    seen: list[tuple[str, str, int]] = []
    views = stack.erp.app.view_functions
    original = views["customers_one"]

    def spied(code: str) -> Any:
        answer = original(code)
        seen.append((request.method, code, answer[1] if isinstance(answer, tuple) else answer.status_code))
        return answer

    views["customers_one"] = spied
    try:
        yield seen
    finally:
        views["customers_one"] = original


def erp_stats(stack: LocalStack, prefix: str) -> Counter[str]:
    return Counter({k: v for k, v in stack.erp.stats.items() if k.startswith(prefix)})


# -- 1. an order's two e-mails
def test_an_order_placed_and_confirmed_sends_the_received_then_the_confirmed_email(stack: LocalStack) -> None:
    ref = basket_ref()
    placed = place(stack, ref)  # Norce: OrderReceivedEvent

    assert post_order(stack, json.dumps(placed["order"]).encode()).json()["StatusCode"] == "OK"

    wait_until(lambda: confirmations_for(stack, ref), what="the confirmation in Norce")
    wait_until(lambda: len(mails_for(stack, ref)) >= 2, seconds=30, what="both e-mails")
    wait_settled(stack)
    mails = mails_for(stack, ref)
    assert [m["event_type"] for m in mails] == ["OrderReceivedEvent", "OrderConfirmedEvent"]
    received, confirmed = mails
    order_no = erp_orders_for(stack, ref)[0]["orderNo"]
    assert {m["to"] for m in mails} == {"john.doe@example.com"}
    # Norce Query has no culture on an order: both are in the default language (docs/events.md)
    assert received["language"] == confirmed["language"] == "en" and ref in received["subject"]
    assert f"order {ref}" in received["text"] and "John" in received["text"]
    assert confirmed["subject"] == f"Your order {ref} is confirmed"
    text = confirmed["text"]
    assert order_no in text and "2 x Example Product 1 (item no. ITEM001): 600.00 SEK" in text
    assert "789 Shipping Blvd" in text and "67890 Shipville\nSE" in text  # the ship-to, its CountryId

    listed = requests.get(f"{stack.api_url}/_local/mail", timeout=10)
    assert listed.status_code == 200 and listed.headers["Content-Type"].startswith("application/json")
    ours = [m for m in listed.json() if m["client_order_ref"] == ref]
    assert [m["event_type"] for m in ours] == ["OrderReceivedEvent", "OrderConfirmedEvent"]
    for shown, captured in zip(ours, mails, strict=True):
        for name in ("to", "subject", "event_type", "client_order_ref", "language", "text"):
            assert shown[name] == captured[name]
    assert "ITEM001" in ours[1]["text"] and ours[1]["language"] == "en"


# -- 2. redeliveries
def test_the_same_confirmation_delivered_again_and_at_once_sends_one_email(stack: LocalStack) -> None:
    ref = new_ref("DUP")
    placed = place(stack, ref)
    event = confirmed_event(placed, order_no=f"SO-{ref}")
    start = threading.Barrier(5)
    answers: list[int] = []

    def post_copy() -> None:
        with requests.Session() as session:
            start.wait()
            answers.append(post_event(stack, "OrderConfirmedEvent", event, session=session).status_code)

    threads = [threading.Thread(target=post_copy) for _ in range(5)]
    deliveries = [stack.norce.events.emit("OrderConfirmedEvent", event) for _ in range(5)]  # Norce retries
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert answers == [200] * 5
    wait_until(lambda: mails_for(stack, ref, "OrderConfirmedEvent"), seconds=30, what="the e-mail")
    wait_settled(stack)
    assert all(d.state == "delivered" and d.attempts[-1].status == 200 for d in deliveries)
    assert post_event(stack, "OrderConfirmedEvent", event).status_code == 200  # and once more, later
    wait_settled(stack)
    [mail] = mails_for(stack, ref, "OrderConfirmedEvent")
    assert f"SO-{ref}" in mail["text"]
    assert item(stack, f"MAIL#OrderConfirmedEvent#{ref}")["state"]["S"] == "SENT"
    assert len(mails_for(stack, ref, "OrderReceivedEvent")) == 1


# -- 3. and 4. customers changed in Norce
def test_a_burst_of_customer_edits_in_norce_ends_in_the_erp_as_one_update(stack: LocalStack) -> None:
    customer_id, code = customer_in_both(stack, "Burst")
    with erp_customer_writes(stack) as writes:
        started = time.monotonic()
        for n in range(1, 6):  # a person saving five times in Norce Admin, 0.1 s apart
            if n > 1:
                time.sleep(0.1)
            stack.norce.edit_customer(customer_id, {"FirstName": f"Edit{n}"})
        burst_seconds = time.monotonic() - started
        wait_until(
            lambda: erp_customer(stack, code).get("firstName") == "Edit5",
            seconds=30,
            what="the latest name in the ERP",
        )
        wait_settled(stack)
    deliveries = [d for d in stack.norce.events.deliveries if d.payload.get("CustomerId") == customer_id]
    assert len(deliveries) == 5 and all(d.state == "delivered" for d in deliveries)
    puts = [w for w in writes if w[1] == code]
    if burst_seconds < 0.8 * stack.change_settle_seconds:  # the whole burst within the settle window
        assert puts == [("PUT", code, 200)], f"{len(puts)} ERP updates for one burst"
    else:  # a slow machine: never more updates than edits
        assert 1 <= len(puts) <= 5 and all(w == ("PUT", code, 200) for w in puts)
    final = erp_customer(stack, code)
    assert final["firstName"] == "Edit5" and final["lastName"] == "Burst"
    assert final["phone"] == "0701234567"  # what Norce does not hold is kept


def test_a_customer_without_a_code_is_skipped_without_an_erp_call_or_a_dlq_message(
    stack: LocalStack,
) -> None:
    held = stack.norce.hold(
        "customers", {"EmailAddress": f"nocode-{RUN}@example.com", "FirstName": "No", "LastName": "Code"}
    )
    parked_before = dlq_size(stack)
    erp_before = erp_stats(stack, "GET /customers") + erp_stats(stack, "PUT /customers")
    with query_spy(stack) as query, erp_customer_writes(stack) as writes:
        stack.norce.edit_customer(held["Id"], {"FirstName": "Changed"})
        wait_until(
            lambda: query.count("Customers/Customers", f"Id eq {held['Id']}", 200),
            seconds=20,
            what="the look-up in Norce Query",
        )
        wait_settled(stack)
    assert writes == []
    assert erp_stats(stack, "GET /customers") + erp_stats(stack, "PUT /customers") == erp_before
    assert dlq_size(stack) == parked_before
    assert item(stack, f"SYNC#customer#{held['Id']}") is None


# -- 5. and 6. outages
def test_norce_query_down_while_a_confirmation_is_handled_delays_its_email_but_never_loses_it(
    stack: LocalStack,
) -> None:
    ref = basket_ref()
    with query_spy(stack) as query:
        query.down.add("Orders/Orders")
        try:
            placed = place(stack, ref)
            post_order(stack, json.dumps(placed["order"]).encode())
            wait_until(lambda: confirmations_for(stack, ref), what="the confirmation in Norce")
            order_id = f"Id eq '{placed['OrderId']}'"
            wait_until(
                lambda: query.count("Orders/Orders", order_id, 503) >= 4,  # two deliveries of the event
                seconds=30,
                what="the confirmation event retried while Query is down",
            )
            assert mails_for(stack, ref, "OrderConfirmedEvent") == []
            assert len(mails_for(stack, ref, "OrderReceivedEvent")) == 1  # needs no Query
        finally:
            query.down.clear()
        wait_until(
            lambda: mails_for(stack, ref, "OrderConfirmedEvent"), seconds=30, what="the e-mail after Query"
        )
        wait_settled(stack)
    [mail] = mails_for(stack, ref, "OrderConfirmedEvent")
    assert erp_orders_for(stack, ref)[0]["orderNo"] in mail["text"]
    assert len(confirmations_for(stack, ref)) == 1
    assert query.count("Orders/Orders", order_id, 200) >= 1


def test_the_erp_down_while_a_change_is_handled_gets_the_change_once_it_is_back(stack: LocalStack) -> None:
    customer_id, code = customer_in_both(stack, "Outage")
    refused_before = erp_stats(stack, "GET /customers 503")["GET /customers 503"]
    with erp_customer_writes(stack) as writes:
        stack.erp.set_faults(error_rate=1.0, error_status=503, retry_after_seconds=None)
        try:
            stack.norce.edit_customer(customer_id, {"FirstName": "WhileDown", "LastName": "Outage"})
            wait_until(  # each delivery tries 3 times: two deliveries, so the queue retried it
                lambda: stack.erp.stats["GET /customers 503"] - refused_before >= 4,
                seconds=30,
                what="the ERP refusing the update's look-up",
            )
            assert erp_customer(stack, code)["firstName"] == "Original"
        finally:
            stack.erp.set_faults(error_rate=0.0)
        wait_until(
            lambda: erp_customer(stack, code).get("firstName") == "WhileDown",
            seconds=30,
            what="the change in the ERP after the outage",
        )
        wait_settled(stack)
    assert [w for w in writes if w[1] == code] == [("PUT", code, 200)]
    assert item(stack, f"SYNC#customer#{customer_id}") is not None


def test_an_edit_made_in_norce_while_the_previous_one_is_written_to_the_erp_is_not_lost(
    stack: LocalStack,
) -> None:
    customer_id, code = customer_in_both(stack, "Overlap")
    with query_spy(stack) as query, erp_customer_writes(stack) as writes:
        stack.erp.set_faults(latency_ms=800)  # a slow ERP: the first sync's look-up and PUT take 1.6 s
        try:
            stack.norce.edit_customer(customer_id, {"FirstName": "First"})
            wait_until(
                lambda: query.count("Customers/Customers", f"Id eq {customer_id}", 200),
                what="the first sync reading Norce",
            )
            stack.norce.edit_customer(customer_id, {"FirstName": "Second"})  # meanwhile, in Norce Admin
            wait_until(lambda: [w for w in writes if w[1] == code], what="the first sync's PUT")
        finally:
            stack.erp.set_faults(latency_ms=0)
        wait_settled(stack)
    assert stack.norce.customers[customer_id]["FirstName"] == "Second"
    assert erp_customer(stack, code)["firstName"] == "Second"  # stays "First": handled as erp_newer


def test_a_body_that_is_not_utf8_is_parked_and_answered_200(stack: LocalStack) -> None:
    answer = post_event(stack, "JobCompletedEvent", b'\xff{"JobId": 1, "StatusId": 2}')
    assert answer.status_code == 200
    assert answer.json() == {"EventType": "JobCompletedEvent", "Outcome": "parked"}


# -- 7. import jobs
def test_the_write_backs_import_job_is_marked_done_by_its_job_completed_event(stack: LocalStack) -> None:
    ref = str(int(RUN, 16) % 10**8 + 900_000_000)  # a Norce order: its reference is the basket id
    email = f"job-{RUN}@example.com"
    order = json.loads(order_body(ref))
    order["SellTo"]["Person"]["CustomerCode"] = (
        None  # a new customer: the ERP makes one, Norce learns its code
    )
    order["SellTo"]["Person"]["Email"] = email
    stack.norce.checkout(order)  # Norce holds the buyer (an Id, no code yet)
    post_order(stack, json.dumps(order).encode())

    wait_until(lambda: confirmations_for(stack, ref), what="the confirmation")
    code = erp_orders_for(stack, ref)[0]["customerCode"]
    carried = wait_until(lambda: item(stack, f"CODE#customer#{code}"), what="the import job of the code")
    job_id = int(carried["job_id"]["N"])
    job = wait_until(
        lambda: (
            (found := item(stack, f"JOB#{job_id}"))
            and found.get("status", {}).get("S") == "Succeeded"
            and found
        ),
        what="the job record done",
    )
    assert job["status_id"]["N"] == "2" and float(job["finished_at"]["N"]) > float(job["started_at"]["N"])
    assert job["kind"]["S"] == "customers" and job["job_errors"]["L"] == []
    [in_norce] = [c for c in stack.norce.customers.values() if c.get("EmailAddress") == email]
    assert in_norce["Code"] == code
    assert any(
        d.event_type == "JobCompletedEvent" and d.payload["JobId"] == job_id and d.state == "delivered"
        for d in stack.norce.events.deliveries
    )


def test_a_failed_job_this_integration_did_not_start_is_noted_and_never_counted_as_ours(
    stack: LocalStack,
) -> None:
    """Norce sends JobCompletedEvent for every job: another integration's failed import is acknowledged,
    noted as not ours, and never raises our ImportJobsFailed alarm (nor is its log read)."""
    header = {
        "AccountId": 1,
        "CustomerFieldsThatAreSet": ["Code", "Companies"],
        "CompanyFieldsThatAreSet": [],
    }
    answer = requests.post(
        f"{stack.norce.connect_url}Customer/ImportCustomers",
        json=[{"Code": f"ORPHAN-{RUN}", "Companies": [{"Code": f"NOPE-{RUN}"}]}],
        headers={"Authorization": stack.norce.basic, "X-StormConnect-Header": json.dumps(header)},
        timeout=10,
    )
    assert answer.status_code == 200
    job_id = int(answer.json()["JobId"])
    logs_read = len(stack.norce.calls_to("Job/GetLog"))

    job = wait_until(
        lambda: (found := item(stack, f"JOB#{job_id}")) and "status" in found and found,
        what="the foreign job's note",
    )
    assert job["status"]["S"] == "Failed" and job["foreign_job"]["BOOL"] is True
    assert "job_errors" not in job and "started_at" not in job
    assert len(stack.norce.calls_to("Job/GetLog")) == logs_read, "another integration's log is not read"


# -- 8. a burst at the webhook
def _burst_requests(count: int) -> list[tuple[str | None, bytes, str, str | None]]:
    """(path type, body, expected Outcome, marker of a body that must be parked); a mix of every kind."""
    marker = lambda n: f"burst-{RUN}-{n}"  # noqa: E731
    made: list[tuple[str | None, bytes, str, str | None]] = []
    for n in range(count):
        kind = n % 10
        if kind in (0, 1, 2):  # valid, queued, each a distinct event
            job = payload("JobCompletedEvent", JobId=9_000_000 + n, StatusId=2, Marker=f"valid-{RUN}-{n}")
            path = "JobCompletedEvent" if kind != 2 else "jobcompletedevent"
            made.append((path, json.dumps(job).encode(), "queued", None))
        elif kind == 3:
            body = payload("OrderReceivedEvent", ClientOrderRef=f"EV-BURST-{RUN}-{n}", Marker=f"valid-{n}")
            made.append(("OrderReceivedEvent", json.dumps(body).encode(), "queued", None))
        elif kind == 4:  # Norce types we only acknowledge
            body = payload("SkuChangedNotification", SkuId=n)
            made.append(
                (
                    ("SkuChangedNotification", "SkuPriceChangedNotification")[n % 2],
                    json.dumps(body).encode(),
                    "ignored",
                    None,
                )
            )
        elif kind == 5:  # types Norce never sends
            made.append((f"NoSuchEvent{n}" if n % 20 else None, b'{"ClientId": 1}', "unknown_type", None))
        else:  # bodies that can never be valid for their type: parked, still 200
            m = marker(n)
            invalid = [
                ("JobCompletedEvent", f'{{"JobId": 1, "Marker": "{m}"'.encode()),  # not JSON
                ("OrderConfirmedEvent", json.dumps([m]).encode()),  # not an object
                ("OrderReceivedEvent", json.dumps({"Email": "x@example.com", "Marker": m}).encode()),
                ("JobCompletedEvent", json.dumps({"JobId": "x", "StatusId": 2, "Marker": m}).encode()),
            ][kind - 6]
            made.append((invalid[0], invalid[1], "parked", m))
    return made


def test_a_burst_of_a_thousand_events_is_answered_200_and_every_invalid_one_is_parked(
    stack: LocalStack,
) -> None:
    burst = _burst_requests(1000)
    local = threading.local()

    def send(entry: tuple[str | None, bytes, str, str | None]) -> tuple[int, dict[str, Any]]:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        answer = post_event(stack, entry[0], entry[1], session=local.session)
        return answer.status_code, answer.json() if answer.status_code == 200 else {}

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(send, burst))

    assert Counter(status for status, _ in answers) == {200: 1000}
    assert [a["Outcome"] for _, a in answers] == [entry[2] for entry in burst]
    expected = {entry[3] for entry in burst if entry[3]}
    assert len(expected) == 400
    parked = _drain_parked(stack, expected)
    assert set(parked) == expected  # every invalid one, and no valid one
    assert all(reason for reason in parked.values())
    assert parked[f"burst-{RUN}-6"].startswith("JobCompletedEvent: the body is not JSON")

    jobs = [
        json.loads(body)["JobId"]
        for path, body, outcome, _ in burst
        if outcome == "queued" and (path or "").lower() == "jobcompletedevent"
    ]
    wait_settled(stack, seconds=60)
    done = _job_statuses(stack, jobs)
    assert done == dict.fromkeys(jobs, "Succeeded")  # nothing lost
    refs = [f"EV-BURST-{RUN}-{n}" for n in range(3, 1000, 10)]
    sent = Counter(m["client_order_ref"] for m in stack.mail() if m["client_order_ref"] in set(refs))
    assert sent == dict.fromkeys(refs, 1)


def _drain_parked(stack: LocalStack, expected: set[str], seconds: float = 30.0) -> dict[str, str]:
    """Our parked events from the events DLQ (deleted once read): marker -> FailureReason."""
    sqs = stack.aws.client("sqs")
    dlq = stack.resource("EventsDeadLetterQueue")
    found: dict[str, str] = {}
    pattern = re.compile(rf"burst-{RUN}-\d+")
    deadline = time.monotonic() + seconds
    while set(found) != expected and time.monotonic() < deadline:
        messages = sqs.receive_message(
            QueueUrl=dlq, MaxNumberOfMessages=10, VisibilityTimeout=60, MessageAttributeNames=["All"]
        ).get("Messages", [])
        ours = [(m, pattern.search(_parked_text(m["Body"]))) for m in messages]
        for message, match in ours:
            if match:
                assert match.group() not in found, f"{match.group()} parked twice"
                found[match.group()] = message["MessageAttributes"]["FailureReason"]["StringValue"]
        mine = [m for m, match in ours if match]
        if mine:
            sqs.delete_message_batch(
                QueueUrl=dlq,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(mine)],
            )
        if not messages:
            time.sleep(0.2)
    return found


def _parked_text(body: str) -> str:
    """A parked event's body as it came (the receiver keeps the bytes, compressed and base64-encoded)."""
    envelope = json.loads(body)
    if "raw_base64" not in envelope:
        return body
    raw = base64.b64decode(envelope["raw_base64"])
    return (zlib.decompress(raw) if envelope["raw_encoding"] == "zlib+base64" else raw).decode(
        errors="replace"
    )


def _job_statuses(stack: LocalStack, job_ids: list[int]) -> dict[int, str | None]:
    dynamodb = stack.aws.client("dynamodb")
    table = stack.resource("OrdersTable")
    statuses: dict[int, str | None] = dict.fromkeys(job_ids)
    for start in range(0, len(job_ids), 100):
        keys = [{"pk": {"S": f"JOB#{j}"}} for j in job_ids[start : start + 100]]
        request_items: dict[str, Any] = {table: {"Keys": keys, "ConsistentRead": True}}
        while request_items:
            answer = dynamodb.batch_get_item(RequestItems=request_items)
            for found in answer["Responses"].get(table, []):
                statuses[int(found["job_id"]["N"])] = found.get("status", {}).get("S")
            request_items = answer.get("UnprocessedKeys") or {}
    return statuses


# -- 9. the webhook's doors
def test_a_wrong_key_is_refused_and_the_type_may_come_in_a_header_or_a_query_parameter(
    stack: LocalStack,
) -> None:
    by_header, by_parameter, refused = (place(stack, new_ref(name)) for name in ("HDR", "PARAM", "KEY"))
    events = {
        p["ClientOrderRef"]: confirmed_event(p, f"SO-{p['ClientOrderRef']}")
        for p in (by_header, by_parameter, refused)
    }
    wrong = post_event(stack, "OrderConfirmedEvent", events[refused["ClientOrderRef"]], key="not-the-key")
    missing = requests.post(
        f"{stack.api_url}/norce/events/OrderConfirmedEvent",
        json=events[refused["ClientOrderRef"]],
        timeout=10,
    )
    assert (wrong.status_code, missing.status_code) == (401, 401)

    header = post_event(
        stack,
        None,
        events[by_header["ClientOrderRef"]],
        headers={"x-norce-event-type": "orderconfirmedevent"},
    )
    parameter = post_event(
        stack, None, events[by_parameter["ClientOrderRef"]], params={"norceEventType": "orderconfirmedevent"}
    )
    for answer in (header, parameter):
        assert answer.status_code == 200
        assert answer.json() == {"EventType": "OrderConfirmedEvent", "Outcome": "queued"}
    for placed in (by_header, by_parameter):
        ref = placed["ClientOrderRef"]
        wait_until(lambda ref=ref: mails_for(stack, ref, "OrderConfirmedEvent"), what=f"the e-mail of {ref}")
    wait_settled(stack)
    for placed in (by_header, by_parameter):
        [mail] = mails_for(stack, placed["ClientOrderRef"], "OrderConfirmedEvent")
        assert f"SO-{placed['ClientOrderRef']}" in mail["text"]
    assert mails_for(stack, refused["ClientOrderRef"], "OrderConfirmedEvent") == []


# -- 10. Norce as it publishes itself: the buyer in Query, captures, the drop point
def basket_ref() -> str:
    """A Norce basket id (an int32), as a placed order's ClientOrderRef is: Query's Order holds it as
    QuotationId, SendOrderStatus names the order by it (an order with another ref: by ErpOrderNo alone)."""
    return str(600_000_000 + int(RUN, 16) % 100_000_000 + next(_numbers))


def place_over_http(stack: LocalStack, ref: str, **person: Any) -> dict[str, Any]:
    """A buyer checks out in Norce, held as a customer (``POST /_orders/place?buyer=customer``)."""
    order = json.loads(order_body(ref))
    order["SellTo"]["Person"].update(person)
    answer = requests.post(f"{stack.norce.url}/_orders/place?buyer=customer", json=order, timeout=10)
    assert answer.status_code == 201, answer.text
    return {"order": order, **answer.json()}


def connect_status(stack: LocalStack, ref: str, status: str, erp_no: str) -> None:
    answer = requests.post(
        f"{stack.norce.connect_url}Order/SendOrderStatus",
        json={"ClientOrderRef": int(ref), "ErpOrderNo": erp_no, "OrderStatus": status},
        headers={"Authorization": stack.norce.basic},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text


@contextmanager
def processor_metrics(stack: LocalStack) -> Iterator[list[str]]:
    """The names of the metrics the event processor's workers add meanwhile (noted, not published)."""
    before = len(stack.metrics_added("EventProcessorFunction"))
    seen: list[str] = []
    try:
        yield seen
    finally:
        seen.extend(stack.metrics_added("EventProcessorFunction")[before:])


def test_a_b2c_order_whose_buyer_norce_holds_gets_one_confirmation_found_through_query(
    stack: LocalStack,
) -> None:
    ref, email = basket_ref(), f"held-{RUN}@example.com"
    with query_spy(stack) as query:
        placed = place_over_http(stack, ref, CustomerCode=None, Email=email)
        assert placed["BuyerCustomerId"] is not None and placed["BuyerCustomerInfoId"] is None
        assert stack.norce.customers[placed["BuyerCustomerId"]]["EmailAddress"] == email

        assert post_order(stack, json.dumps(placed["order"]).encode()).json()["StatusCode"] == "OK"

        wait_until(lambda: mails_for(stack, ref, "OrderConfirmedEvent"), seconds=30, what="the confirmation")
        wait_settled(stack)
    [confirmed] = [
        d.payload
        for d in stack.norce.events.deliveries
        if d.event_type == "OrderConfirmedEvent" and d.payload["ClientOrderRef"] == ref
    ]
    assert "Email" not in confirmed, "Norce's event has no e-mail: the address came from Query"
    assert query.count("Orders/Orders", f"Id eq '{placed['OrderId']}'", 200) >= 1
    [mail] = mails_for(stack, ref, "OrderConfirmedEvent")
    assert mail["to"] == email and "Example Product 1" in mail["text"]
    listed = requests.get(f"{stack.api_url}/_local/mail", timeout=10).json()
    assert [
        m["to"] for m in listed if m["client_order_ref"] == ref and m["event_type"] == "OrderConfirmedEvent"
    ] == [email]


def test_an_invoice_the_payment_provider_did_not_capture_is_on_the_trail_and_raises_the_alarm_metric(
    stack: LocalStack,
) -> None:
    from typer.testing import CliRunner  # noqa: PLC0415

    from ops.cli import app  # noqa: PLC0415
    from ops.target import from_local_stack  # noqa: PLC0415
    from tests.e2e.test_lifecycle_e2e import _trail_has, push  # noqa: PLC0415

    ref = basket_ref()
    placed = place_over_http(stack, ref)
    assert post_order(stack, json.dumps(placed["order"]).encode()).json()["StatusCode"] == "OK"
    wait_until(lambda: confirmations_for(stack, ref), what="the confirmation in Norce")
    order_no = erp_orders_for(stack, ref)[0]["orderNo"]
    with processor_metrics(stack) as metrics:
        stack.norce.set_faults(capture_errors=1)
        try:
            invoice = stack.erp.invoice(order_no)
            assert push(stack, invoice).status_code == 202
            wait_until(
                lambda: _trail_has(stack, ref, "invoice_capture_failed"),
                seconds=40,
                what="the failed capture",
            )
        finally:
            stack.norce.set_faults(capture_errors=0)
        wait_settled(stack)
    assert metrics.count("InvoiceCaptureFailed") == 1
    [capture] = [
        d.payload
        for d in stack.norce.events.deliveries
        if d.event_type == "InvoiceCaptureCompletedEvent" and d.payload["State"] == "Error"
    ][-1:]
    result = CliRunner().invoke(app, ["trail", ref], obj=from_local_stack(stack))
    assert result.exit_code == 0, result.output
    assert "invoice_capture_failed" in result.output and invoice["documentNo"] in result.output
    assert "money not collected" in " ".join(result.output.split())
    assert str(capture["CapturedInvoiceId"]) in result.output


def test_the_pickup_email_names_the_drop_point_norce_sends(stack: LocalStack) -> None:
    ref = basket_ref()
    placed = place_over_http(stack, ref)
    assert post_order(stack, json.dumps(placed["order"]).encode()).json()["StatusCode"] == "OK"
    wait_until(lambda: confirmations_for(stack, ref), what="the confirmation in Norce")

    # ReadyForPickup is one of the older page's statuses: a Norce setup that uses it lists it (as the
    # integration's ExtraOrderStatuses does); the ERP sends it straight to Connect here.
    stack.norce.extra_statuses = frozenset({"ReadyForPickup"})
    try:
        connect_status(stack, ref, "ReadyForPickup", erp_orders_for(stack, ref)[0]["orderNo"])
    finally:
        stack.norce.extra_statuses = frozenset()

    wait_until(
        lambda: mails_for(stack, ref, "OrderReadyForPickupEvent"), seconds=30, what="the pickup e-mail"
    )
    wait_settled(stack)
    [mail] = mails_for(stack, ref, "OrderReadyForPickupEvent")
    assert "picked up at pick-up point STORE001" in " ".join(mail["text"].split())
