"""Norce Event as the simulators send it: one POST per event with static headers, Norce's retry schedule
(scaled), dead after 16 retries, parallel delivery; and the events the Norce simulator sends for orders,
edits in Norce Admin and import jobs, with the Query look-ups the event handlers make."""

import base64
import copy
import itertools
import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask, Response, jsonify, request

from local.aws import free_port
from local.norce import NorceConnectSimulator
from local.norce.connect import CONNECT
from local.norce_event_sender import RETRY_SCHEDULE_SECONDS, Delivery, NorceEventSender
from local.simulator_http import BackgroundServer

ORDER_REQUEST = json.loads((Path(__file__).parents[2] / "events/payloads/order-request.json").read_text())
BASIC = "Basic " + base64.b64encode(b"1001:connect-local-secret").decode()
QUERY_HEADERS = {"applicationId": "1001", "Authorization": BASIC}


class Receiver:
    """A webhook endpoint on loopback that records what it got; told to fail or be slow the next N times."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.fail_next = 0
        self.always_fail = False
        self.slow_next = 0
        self.slow_seconds = 0.5
        self.sleep_seconds = 0.0
        self.fail_names: set[str] = set()
        app = Flask("event-receiver")
        app.add_url_rule("/hook/<path:name>", "hook", self.hook, methods=["POST"])
        self.server = BackgroundServer(app, free_port())

    def hook(self, name: str) -> tuple[Response, int]:
        with self.lock:
            self.requests.append({"name": name, "headers": dict(request.headers), "body": request.get_json()})
            slow = self.slow_next > 0
            self.slow_next -= int(slow)
            fail = self.always_fail or self.fail_next > 0 or name in self.fail_names
            self.fail_next -= int(self.fail_next > 0)
        time.sleep(self.slow_seconds if slow else self.sleep_seconds)
        return jsonify({}), 500 if fail else 200

    def reset(self) -> None:
        with self.lock:
            self.requests = []
            self.fail_next, self.always_fail, self.slow_next, self.sleep_seconds = 0, False, 0, 0.0
            self.fail_names = set()

    def got(self, name: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.requests if name is None or r["name"] == name]

    @property
    def url(self) -> str:
        return f"{self.server.url}/hook"


@pytest.fixture(scope="module")
def receiver_server() -> Iterator[Receiver]:
    receiver = Receiver()
    with receiver.server:
        yield receiver


@pytest.fixture
def receiver(receiver_server: Receiver) -> Receiver:
    receiver_server.reset()
    return receiver_server


@pytest.fixture
def sender() -> Iterator[NorceEventSender]:
    events = NorceEventSender(time_scale=0.0001)
    yield events
    events.stop()


def delivered(delivery: Delivery, sender: NorceEventSender) -> Delivery:
    assert sender.wait_idle(10)
    return delivery


# -- the sender
def test_an_event_is_posted_once_with_the_static_headers_to_its_url(
    sender: NorceEventSender, receiver: Receiver
) -> None:
    sender.subscribe("OrderConfirmedEvent", f"{receiver.url}/{{EventType}}", {"X-Hook-Key": "s3cret"})
    payload = {"ClientId": 1, "ApplicationId": 1001, "OrderId": 700000001, "ClientOrderRef": "REF1"}

    delivery = delivered(sender.emit("OrderConfirmedEvent", payload), sender)

    assert delivery.state == "delivered"
    assert delivery.url == f"{receiver.url}/OrderConfirmedEvent"
    assert [a.status for a in delivery.attempts] == [200]
    [got] = receiver.got()
    assert got["name"] == "OrderConfirmedEvent"
    assert got["body"] == payload, "the payload as given: no event type, no event id"
    assert got["headers"]["X-Hook-Key"] == "s3cret"


def test_a_specific_subscription_wins_over_the_wildcard(sender: NorceEventSender, receiver: Receiver) -> None:
    sender.subscribe("*", f"{receiver.url}/any/{{EventType}}")
    sender.subscribe("JobCompletedEvent", f"{receiver.url}/jobs")
    sender.emit("JobCompletedEvent", {"JobId": 1, "StatusId": 2})
    sender.emit("CustomerChangedNotification", {"CustomerId": 7})
    assert sender.wait_idle(10)
    assert sorted(r["name"] for r in receiver.got()) == ["any/CustomerChangedNotification", "jobs"]


def test_a_failing_receiver_is_retried_until_it_answers_2xx(
    sender: NorceEventSender, receiver: Receiver
) -> None:
    receiver.fail_next = 2
    sender.subscribe("*", f"{receiver.url}/{{EventType}}")

    delivery = delivered(sender.emit("OrderDeliveredEvent", {"OrderId": 1}), sender)

    assert delivery.state == "delivered"
    assert [a.status for a in delivery.attempts] == [500, 500, 200]
    assert [a.error for a in delivery.attempts] == ["HTTP 500", "HTTP 500", None]
    assert len(receiver.got()) == 3


def test_an_event_is_dead_after_sixteen_retries(receiver: Receiver) -> None:
    receiver.always_fail = True
    sender = NorceEventSender(time_scale=0.000001)
    try:
        sender.subscribe("*", f"{receiver.url}/{{EventType}}")
        delivery = delivered(sender.emit("OrderCancelledEvent", {"OrderId": 1}), sender)
    finally:
        sender.stop()
    assert delivery.state == "dead"
    assert len(delivery.attempts) == 1 + len(RETRY_SCHEDULE_SECONDS) == 17
    assert len(receiver.got()) == 17


def test_the_retries_wait_the_scaled_schedule(receiver: Receiver) -> None:
    receiver.fail_next = 3
    sender = NorceEventSender(time_scale=0.01)  # 50, 100, 150 ms
    try:
        sender.subscribe("*", f"{receiver.url}/x")
        delivery = delivered(sender.emit("E", {}), sender)
    finally:
        sender.stop()
    starts = [a.at for a in delivery.attempts]
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert len(gaps) == 3
    assert all(gap >= wanted * 0.95 for gap, wanted in zip(gaps, (0.05, 0.1, 0.15), strict=True)), gaps


def test_an_answer_slower_than_the_timeout_is_a_failure_and_retried(receiver: Receiver) -> None:
    receiver.slow_next, receiver.slow_seconds = 1, 2.0  # far above the timeout: waiting would show
    sender = NorceEventSender(time_scale=0.0001, timeout=0.2)
    try:
        sender.subscribe("*", f"{receiver.url}/{{EventType}}")
        delivery = delivered(sender.emit("OrderReceivedEvent", {"ClientOrderRef": "R"}), sender)
    finally:
        sender.stop()
    first, second = delivery.attempts
    assert first.status is None and first.error is not None and "Timeout" in first.error
    assert first.seconds < 1.5, "Norce gives up after the timeout; it does not wait for the answer"
    assert second.status == 200
    assert delivery.state == "delivered"


def test_an_event_without_a_subscription_is_not_sent(sender: NorceEventSender, receiver: Receiver) -> None:
    sender.subscribe("OrderConfirmedEvent", f"{receiver.url}/c")
    delivery = sender.emit("OrderCancelledEvent", {"OrderId": 1})
    assert sender.wait_idle(10)
    assert delivery.state == "unsubscribed" and delivery.url is None and delivery.attempts == []
    assert receiver.got() == []
    assert [d.state for d in sender.deliveries] == ["unsubscribed"]


def test_a_burst_is_delivered_in_parallel(sender: NorceEventSender, receiver: Receiver) -> None:
    receiver.sleep_seconds = 0.1  # 200 events one after the other: at least 20 s
    sender.subscribe("*", f"{receiver.url}/{{EventType}}")
    started = time.monotonic()
    for number in range(200):
        sender.emit("CustomerChangedNotification", {"CustomerId": number})
    assert sender.wait_idle(30)
    elapsed = time.monotonic() - started
    assert [d.state for d in sender.deliveries] == ["delivered"] * 200
    assert sorted(r["body"]["CustomerId"] for r in receiver.got()) == list(range(200))
    assert elapsed < 10.0, f"{elapsed:.2f} s: not sent in parallel (one after the other takes 20 s)"


def test_one_events_retries_do_not_hold_back_others(receiver: Receiver) -> None:
    receiver.fail_names = {"failing"}
    sender = NorceEventSender(time_scale=1.0, workers=2)  # the real schedule: the next try in 5 s
    try:
        sender.subscribe("Failing", f"{receiver.url}/failing")
        sender.subscribe("Working", f"{receiver.url}/working")
        failing = [sender.emit("Failing", {}) for _ in range(2)]
        working = [sender.emit("Working", {}) for _ in range(20)]
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and any(d.state == "pending" for d in working):
            time.sleep(0.02)
        assert [d.state for d in working] == ["delivered"] * 20
        assert [(d.state, len(d.attempts)) for d in failing] == [("pending", 1)] * 2
        assert not sender.wait_idle(0.05)
    finally:
        sender.stop()


def test_reset_forgets_deliveries_and_subscriptions(sender: NorceEventSender, receiver: Receiver) -> None:
    sender.subscribe("*", f"{receiver.url}/x")
    sender.emit("E", {})
    assert sender.wait_idle(10)
    sender.reset()
    assert sender.deliveries == [] and sender.subscriptions == {}
    assert sender.emit("E", {}).state == "unsubscribed"


# -- the Norce simulator's events
@pytest.fixture(scope="module")
def norce_server() -> Iterator[NorceConnectSimulator]:
    with NorceConnectSimulator(port=0, event_time_scale=0.0001) as simulator:
        yield simulator


@pytest.fixture
def norce(norce_server: NorceConnectSimulator, receiver: Receiver) -> NorceConnectSimulator:
    norce_server.reset()
    norce_server.job_seconds = 0.0
    norce_server.events.subscribe("*", f"{receiver.url}/{{EventType}}", {"X-Norce-Event": "local"})
    return norce_server


def order_request(ref: str = "REF12345") -> dict[str, Any]:
    order = copy.deepcopy(ORDER_REQUEST)
    order["ClientOrderRef"] = ref
    return order


def bodies(norce: NorceConnectSimulator, receiver: Receiver, name: str) -> list[dict[str, Any]]:
    assert norce.events.wait_idle(10)
    return [r["body"] for r in receiver.got(name)]


def send_status(
    norce: NorceConnectSimulator, status: str, ref: Any = "REF12345", erp_no: str = "SO-1"
) -> None:
    answer = requests.post(
        f"{norce.url}{CONNECT}/Order/SendOrderStatus",
        json={"ClientOrderRef": ref, "ErpOrderNo": erp_no, "OrderStatus": status},
        headers={"Authorization": norce.basic},
        timeout=10,
    )
    assert answer.status_code == 200


def test_a_placed_order_sends_order_received_once(norce: NorceConnectSimulator, receiver: Receiver) -> None:
    placed = norce.place_order(order_request())
    again = requests.post(f"{norce.url}/_orders/place", json=order_request(), timeout=10)

    assert placed["ClientOrderRef"] == "REF12345" and placed["OrderId"] >= 700000001
    assert again.status_code == 200 and again.json() == placed, "the same ClientOrderRef keeps the first"
    assert bodies(norce, receiver, "OrderReceivedEvent") == [
        {
            "ClientId": 1,
            "ApplicationId": 1001,
            "ClientOrderRef": "REF12345",
            "Email": "john.doe@example.com",
            "CellPhone": "0707654321",
            "FirstName": "John",
            "LastName": "Doe",
            "Source": "WEB",
        }
    ]
    assert receiver.got("OrderReceivedEvent")[0]["headers"]["X-Norce-Event"] == "local"


def test_place_order_over_http_answers_201_with_the_order_id(
    norce: NorceConnectSimulator, receiver: Receiver
) -> None:
    answer = requests.post(f"{norce.url}/_orders/place", json=order_request("WEB-2"), timeout=10)
    assert answer.status_code == 201
    assert answer.json()["ClientOrderRef"] == "WEB-2" and answer.json()["OrderId"] >= 700000001
    assert requests.post(f"{norce.url}/_orders/place", json={}, timeout=10).status_code == 400


def test_confirmed_sends_order_confirmed_once_per_order(
    norce: NorceConnectSimulator, receiver: Receiver
) -> None:
    # SendOrderStatus's ClientOrderRef is an int32 basket id (issue 19): the order is basket 700123
    placed = norce.place_order(order_request("700123"))
    send_status(norce, "Confirmed", ref=700123)
    send_status(norce, "Confirmed", ref=700123)
    send_status(norce, "Delivered", ref=700123)

    assert bodies(norce, receiver, "OrderConfirmedEvent") == [
        {
            "ClientId": 1,
            "ApplicationId": 1001,
            "OrderId": placed["OrderId"],
            "OrderNo": "SO-1",
            "ClientOrderRef": "700123",
            "CellPhone": "0707654321",
            "FirstName": "John",
            "LastName": "Doe",
            "Source": "WEB",
        }
    ], "no Email: only OrderReceivedEvent has one"
    [delivered_event] = bodies(norce, receiver, "OrderDeliveredEvent")
    assert delivered_event["OrderId"] == placed["OrderId"]
    assert bodies(norce, receiver, "OrderReceivedEvent") != []


def test_a_status_of_an_order_never_placed_has_a_stable_order_id(
    norce: NorceConnectSimulator, receiver: Receiver
) -> None:
    norce.extra_statuses = frozenset({"ReadyForPickup"})  # on Norce's older page only: configured here
    try:
        send_status(norce, "Cancelled", ref=1001)
        send_status(norce, "ReadyForPickup", ref=1001)
        send_status(norce, "Allocation", ref=1001)
    finally:
        norce.extra_statuses = frozenset()
    [cancelled] = bodies(norce, receiver, "OrderCancelledEvent")
    [pickup] = bodies(norce, receiver, "OrderReadyForPickupEvent")
    assert cancelled["OrderId"] == pickup["OrderId"] and isinstance(cancelled["OrderId"], int)
    assert cancelled["ClientOrderRef"] == "1001" and cancelled["OrderNo"] == "SO-1"
    assert "Email" not in cancelled and cancelled["FirstName"] is None
    assert pickup["DropPointCode"] is None, "an order never placed has no pickup store"
    assert len(receiver.got()) == 2, "Allocation sends nothing"


def test_an_edit_in_norce_admin_sends_customer_changed(
    norce: NorceConnectSimulator, receiver: Receiver
) -> None:
    held = dict(norce.hold("customers", {"EmailAddress": "anna@example.com", "FirstName": "A"}))
    answer = requests.patch(
        f"{norce.url}/_customers/{held['Id']}",
        json={"FirstName": "Anna", "PhoneNumber": "0701"},
        timeout=10,
    )
    assert answer.status_code == 200
    edited = answer.json()
    assert edited["FirstName"] == "Anna" and edited["PhoneNumber"] == "0701"
    assert edited["Updated"] > held["Updated"]
    assert bodies(norce, receiver, "CustomerChangedNotification") == [
        {"ClientId": 1, "ApplicationId": 1001, "CustomerId": held["Id"], "EntityChanged": "tClientCustomer"}
    ]
    query = requests.get(
        f"{norce.query_url}Customers/Customers",
        params={"$filter": f"Id eq {held['Id']}"},
        headers=QUERY_HEADERS,
        timeout=10,
    ).json()["value"]
    assert query[0]["FirstName"] == "Anna"
    assert datetime.fromisoformat(query[0]["Updated"]) == datetime.fromisoformat(edited["Updated"])
    assert requests.patch(f"{norce.url}/_customers/999999", json={}, timeout=10).status_code == 404


def test_an_edit_of_a_company_sends_company_changed(norce: NorceConnectSimulator, receiver: Receiver) -> None:
    held = norce.hold("companies", {"Name": "Nya Bygg AB"})
    answer = requests.patch(
        f"{norce.url}/_companies/{held['Id']}?entityChanged=tClientCompanyAddress",
        json={"Name": "Nya Bygg i Stockholm AB"},
        timeout=10,
    )
    assert answer.status_code == 200
    edited = norce.edit_company(held["Id"], {"VatNo": "SE556677889901"})
    assert edited["VatNo"] == "SE556677889901" and edited["Name"] == "Nya Bygg i Stockholm AB"
    changed = bodies(norce, receiver, "CompanyChangedNotification")  # in parallel: in any order
    assert sorted(b["EntityChanged"] for b in changed) == ["tClientCompany", "tClientCompanyAddress"]
    assert {b["CompanyId"] for b in changed} == {held["Id"]}


def import_customers(norce: NorceConnectSimulator) -> int:
    answer = requests.post(
        f"{norce.url}{CONNECT}/Customer/ImportCustomers",
        json=[{"Code": "C10001", "EmailAddress": "c@example.com", "FirstName": "C"}],
        headers={
            "Authorization": norce.basic,
            "X-StormConnect-Header": json.dumps(
                {"AccountId": 1, "CustomerFieldsThatAreSet": ["Code"], "CompanyFieldsThatAreSet": []}
            ),
        },
        timeout=10,
    )
    assert answer.status_code == 200
    return int(answer.json()["JobId"])


def test_an_import_job_sends_job_completed(norce: NorceConnectSimulator, receiver: Receiver) -> None:
    job_id = import_customers(norce)
    assert bodies(norce, receiver, "JobCompletedEvent") == [
        {"ClientId": 1, "ApplicationId": 1001, "JobId": job_id, "StatusId": 2}
    ]
    [customer] = norce.customers.values()
    assert customer["Updated"].endswith("+00:00") and "." in customer["Updated"]


def test_a_failed_import_job_sends_job_completed_with_status_3(
    norce: NorceConnectSimulator, receiver: Receiver
) -> None:
    requests.post(f"{norce.url}/_faults", json={"failJobs": True}, timeout=10)
    job_id = import_customers(norce)
    assert bodies(norce, receiver, "JobCompletedEvent") == [
        {"ClientId": 1, "ApplicationId": 1001, "JobId": job_id, "StatusId": 3}
    ]


def test_a_slow_job_sends_job_completed_when_it_finishes(
    norce: NorceConnectSimulator, receiver: Receiver
) -> None:
    norce.job_seconds = 0.2
    job_id = import_customers(norce)
    assert bodies(norce, receiver, "JobCompletedEvent") == []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not receiver.got("JobCompletedEvent"):
        time.sleep(0.02)
    assert [b["JobId"] for b in bodies(norce, receiver, "JobCompletedEvent")] == [job_id]


def test_query_serves_a_placed_order_as_norce_publishes_it(
    norce: NorceConnectSimulator, receiver: Receiver
) -> None:
    placed = norce.checkout(order_request("500321"))
    send_status(norce, "Confirmed", ref=500321, erp_no="SO-000042")

    def query(version: str, params: dict[str, str]) -> tuple[int, Any]:
        answer = requests.get(
            f"{norce.url}/commerce/query/{version}/Orders/Orders",
            params=params,
            headers=QUERY_HEADERS,
            timeout=10,
        )
        return answer.status_code, answer.json()

    status, answer = query("2.0", {"$filter": f"Id eq '{placed['OrderId']}'", "$expand": "Items"})
    [row] = answer["value"]
    assert status == 200 and answer["@odata.context"].endswith("$metadata#Orders")
    assert (row["Id"], row["QuotationId"], row["OrderNo"]) == (str(placed["OrderId"]), 500321, "SO-000042")
    assert (row["BuyerCustomerId"], row["CurrencyId"], row["StatusId"]) == (placed["BuyerCustomerId"], 752, 2)
    assert not {"ClientOrderRef", "EmailAddress", "CultureCode", "CurrencyCode", "TotalAmount"} & set(row)
    assert [(i["PartNo"], i["ProductName"], i["QtyOrdered"], i["LineAmount"]) for i in row["Items"]] == [
        ("ITEM001", "Example Product 1", 2.0, 600.0)
    ]
    assert query("2.0", {"$filter": "QuotationId eq 500321", "$select": "Id"})[1]["value"] == [
        {"Id": str(placed["OrderId"])}
    ]
    assert "Items" not in query("2.0", {"$filter": "QuotationId eq 500321"})[1]["value"][0]
    assert query("2.0", {"$filter": "ClientOrderRef eq '500321'"}) == (
        400,
        {
            "error": {
                "code": "",
                "message": "The query specified in the URI is not valid. Could not find a property named "
                "'ClientOrderRef' on type 'Enferno.Storm.Query.Api.DataContexts.OrderModel.Order'.",
            }
        },
    )
    status, answer = query(
        "3.0",
        {
            "$filter": f"id eq {placed['OrderId']}",
            "$select": "id",
            "$expand": "buyerCustomer($select=emailAddress)",
        },
    )
    assert answer["value"] == [
        {"id": placed["OrderId"], "buyerCustomer": {"emailAddress": "john.doe@example.com"}}
    ]
    without_header = requests.get(
        f"{norce.query_url}Orders/Orders", headers={"Authorization": BASIC}, timeout=10
    )
    assert without_header.status_code == 400
    without_auth = requests.get(
        f"{norce.query_url}Orders/Orders", headers={"applicationId": "1001"}, timeout=10
    )
    assert without_auth.status_code == 401


def test_event_control_routes(norce: NorceConnectSimulator, receiver: Receiver) -> None:
    assert requests.delete(f"{norce.url}/_events/subscriptions", timeout=10).status_code == 200
    subscribed = requests.post(
        f"{norce.url}/_events/subscriptions",
        json={"eventType": "SomethingNew", "url": f"{receiver.url}/new", "headers": {"X-Key": "k"}},
        timeout=10,
    )
    assert subscribed.status_code == 201
    emitted = requests.post(
        f"{norce.url}/_events/emit", json={"eventType": "SomethingNew", "payload": {"A": 1}}, timeout=10
    )
    assert emitted.status_code == 202
    norce.place_order(order_request("NOT-SENT"))  # OrderReceivedEvent has no subscription now
    assert norce.events.wait_idle(10)
    views = requests.get(f"{norce.url}/_events", timeout=10).json()
    assert [(v["event_type"], v["state"]) for v in views] == [
        ("SomethingNew", "delivered"),
        ("OrderReceivedEvent", "unsubscribed"),
    ]
    assert views[0]["attempts"][0]["status"] == 200 and views[0]["payload"] == {"A": 1}
    [got] = receiver.got()
    assert got["name"] == "new" and got["body"] == {"A": 1} and got["headers"]["X-Key"] == "k"
