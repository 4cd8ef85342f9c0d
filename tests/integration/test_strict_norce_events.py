"""The event flows against Norce as Norce publishes itself (the strict local Norce: Query 2.0/3.0 and Norce
Event), through the real handlers on moto: each defect of issue 19 reproduced first, then shown fixed.

- Order e-mails: Norce's OrderConfirmedEvent has no Email, and Query's Order has no ClientOrderRef (the old
  look-up is a 400) nor an e-mail: the buyer is found through Query (the customer, or a guest's
  CustomerInfo), the lines through ``Items``.
- Customer changes reach the ERP with their address (Query has no InvoiceAddress; integer CountryIds).
- InvoiceCaptureCompletedEvent ``State: Error`` is on the order's trail and raises its alarm's metric.
- OrderReadyForPickupEvent's DropPointCode is in the pickup e-mail.
"""

import copy
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from local.norce import NorceConnectSimulator
from local.norce.codes import COUNTRY_IDS, CURRENCY_IDS
from norce_integration.adapters.aws.dynamodb_documents import DynamoDbOrderIndex
from norce_integration.adapters.aws.dynamodb_records import DynamoDbOrderRecords
from norce_integration.adapters.http.caller import Retry
from norce_integration.adapters.http.event_query import HttpEventQuery
from norce_integration.erp.model import ErpCustomer
from norce_integration.norce.ports import NorceRejected
from norce_integration.orders.records import IndexedOrder
from tests.integration.test_event_handlers import EventsWorld
from tests.support.norce import query_http

ORDER = json.loads((Path(__file__).resolve().parents[2] / "events/payloads/order-request.json").read_text())


class StrictWorld(EventsWorld):
    """The event handlers with Norce Query over HTTP to the strict local Norce, and the order records and
    index on moto's DynamoDB."""

    def __init__(self, aws: Any, monkeypatch: pytest.MonkeyPatch, norce: NorceConnectSimulator) -> None:
        super().__init__(aws, monkeypatch)
        self.norce = norce
        query = HttpEventQuery(
            query_http(norce),
            query_http(norce, "3.0"),
            "2.0",
            {number: code for code, number in COUNTRY_IDS.items()},
            {number: code for code, number in CURRENCY_IDS.items()},
        )
        processor = self.processor.components().processor
        processor.notifications.query = processor.changes.query = processor.captures.query = query
        self.metrics: list[str] = []
        monkeypatch.setattr(self.processor.metrics, "add_metric", lambda name, **_: self.metrics.append(name))

    def deliver(self, event_type: str) -> list[dict[str, Any]]:
        """What the local Norce posted of ``event_type``: each body through our webhook, then processed."""
        assert self.norce.events.wait_idle(10)
        bodies = [d.payload for d in self.norce.events.deliveries if d.event_type == event_type]
        for body in bodies:
            response = self.post(f"post-{event_type}.json", body)
            assert (response["statusCode"], json.loads(response["body"])["Outcome"]) == (200, "queued")
        self.drain()
        return bodies

    def connect(self, path: str, body: dict[str, Any]) -> None:
        answer = requests.post(
            f"{self.norce.connect_url}{path}",
            json=body,
            headers={"Authorization": self.norce.basic},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text


@pytest.fixture
def world(aws, monkeypatch, norce) -> StrictWorld:
    return StrictWorld(aws, monkeypatch, norce)


def order(ref: str = "500123") -> dict[str, Any]:
    return copy.deepcopy(ORDER) | {"ClientOrderRef": ref}


# -- order e-mails
def test_reproduced_norces_confirmation_has_no_email_and_querys_order_has_no_client_order_ref(world):
    world.norce.checkout(order())
    world.connect(
        "Order/SendOrderStatus", {"ClientOrderRef": 500123, "ErpOrderNo": "SO-1", "OrderStatus": "Confirmed"}
    )
    assert world.norce.events.wait_idle(10)
    [confirmed] = [d.payload for d in world.norce.events.deliveries if d.event_type == "OrderConfirmedEvent"]
    assert "Email" not in confirmed, "nothing in the event to send to"
    old_lookup = {"$filter": "ClientOrderRef eq '500123'", "$top": "1", "$expand": "Items"}
    with pytest.raises(NorceRejected, match="400"):
        query_http(world.norce).call("GET", "Orders/Orders", Retry.ALWAYS, params=old_lookup)


def test_fixed_a_registered_buyer_gets_the_confirmation_found_through_query(world):
    placed = world.norce.checkout(order())
    buyer = world.norce.customers[placed["BuyerCustomerId"]]
    world.connect(
        "Order/SendOrderStatus", {"ClientOrderRef": 500123, "ErpOrderNo": "SO-1", "OrderStatus": "Confirmed"}
    )

    world.deliver("OrderConfirmedEvent")

    [email] = world.notifier.sent
    assert email.to == buyer["EmailAddress"] == "john.doe@example.com"
    assert email.client_order_ref == "500123" and email.event_type == "OrderConfirmedEvent"
    assert "2 x Example Product 1 (item no. ITEM001): 600.00 SEK" in email.text
    assert "789 Shipping Blvd" in email.text and "\nSE\n" in email.text, "ship-to with its country"
    assert world.parked() == []


def test_fixed_a_guest_gets_the_confirmation_through_customerinfo(world):
    guest = order("500107")
    guest["SellTo"]["Person"]["Email"] = "guest@example.com"
    placed = world.norce.place_order(guest)  # no customer: Norce keeps the guest as a CustomerInfo
    assert placed["BuyerCustomerId"] is None and placed["BuyerCustomerInfoId"] is not None
    world.connect(
        "Order/SendOrderStatus",
        {"ClientOrderRef": 500107, "ErpOrderNo": "SO-7", "OrderStatus": "Confirmed"},
    )

    world.deliver("OrderConfirmedEvent")

    assert [(m.to, m.client_order_ref) for m in world.notifier.sent] == [("guest@example.com", "500107")]


def test_order_received_uses_its_own_email_but_never_a_header(world):
    hostile = order("500124")
    hostile["SellTo"]["Person"]["Email"] = "a@example.com\r\nBcc: evil@example.org"
    world.norce.place_order(hostile)
    world.norce.place_order(order("500125"))

    world.deliver("OrderReceivedEvent")

    assert [(m.to, m.client_order_ref) for m in world.notifier.sent] == [("john.doe@example.com", "500125")]
    assert world.metrics.count("EventsInvalidRecipient") == 1


def test_the_pickup_email_names_norces_drop_point(world):
    # ReadyForPickup is one of the older page's statuses: a setup that uses it lists it (ExtraOrderStatuses)
    world.norce.extra_statuses = frozenset({"ReadyForPickup"})
    world.norce.checkout(order())
    world.connect(
        "Order/SendOrderStatus",
        {"ClientOrderRef": 500123, "ErpOrderNo": "SO-1", "OrderStatus": "ReadyForPickup"},
    )
    [event] = world.deliver("OrderReadyForPickupEvent")
    assert event["DropPointCode"] == "STORE001"
    [email] = world.notifier.sent
    assert "pick-up point STORE001" in email.text and "STORE001" in email.html


# -- customer changes
def test_reproduced_and_fixed_a_customer_change_reaches_the_erp_with_its_address(world):
    held = world.norce.hold(
        "customers",
        {
            "Code": "C10001",
            "EmailAddress": "anna@example.com",
            "InvoiceAddress": {
                "AddressLine1": "Gamla vägen 1",
                "ZipCode": "11122",
                "City": "Oslo",
                "CountryCode": "NO",
            },
        },
    )
    row = query_http(world.norce).call(
        "GET", "Customers/Customers", Retry.ALWAYS, params={"$filter": f"Id eq {held['Id']}"}
    )
    assert "InvoiceAddress" not in row.json()["value"][0], "Query has no InvoiceAddress"
    world.erp.customers["C10001"] = ErpCustomer(code="C10001", first_name="Old")

    world.norce.edit_customer(held["Id"], {"FirstName": "Anna"}, "tClientCustomerAddress")
    world.deliver("CustomerChangedNotification")

    customer = world.erp.customers["C10001"]
    assert customer.first_name == "Anna" and customer.address is not None
    assert (customer.address.line1, customer.address.city, customer.address.country) == (
        "Gamla vägen 1",
        "Oslo",
        "NO",
    )


# -- invoice captures
def test_a_capture_the_payment_provider_refused_is_on_the_orders_trail_and_alarmed(world):
    world.norce.checkout(order())
    table = boto3.client("dynamodb")
    DynamoDbOrderIndex(table, world.table).remember(IndexedOrder("ORDER#app#500123", "500123", "SO-1"))
    world.connect(
        "Order/SendOrderStatus", {"ClientOrderRef": 500123, "ErpOrderNo": "SO-1", "OrderStatus": "Confirmed"}
    )
    invoice = {
        "ClientOrderRef": 500123,
        "ErpOrderNo": "SO-1",
        "CurrencyCode": "SEK",
        "InvoiceDate": "2026-12-01T10:00:00Z",
        "Items": [{"PartNo": "ITEM001", "Quantity": 2, "UnitPrice": 300.0, "LineAmount": 600.0}],
        "Vat": 150.0,
        "TotalAmount": 750.0,
    }
    world.connect("Order/CreateInvoice", invoice | {"InvoiceNo": "INV-1"})
    world.norce.set_faults(capture_errors=1)
    world.connect("Order/CreateInvoice", invoice | {"InvoiceNo": "INV-2"})

    captures = world.deliver("InvoiceCaptureCompletedEvent")
    world.deliver("InvoiceCaptureCompletedEvent")  # Norce delivers again: nothing twice on the trail

    assert [c["State"] for c in captures] == ["Captured", "Error"]
    record = DynamoDbOrderRecords(table, world.table).get("ORDER#app#500123") or {}
    trail = [(e["event"], e.get("capture_invoice_no")) for e in record["trail"]]
    assert trail == [("invoice_captured", "INV-1"), ("invoice_capture_failed", "INV-2")]
    assert world.metrics.count("InvoiceCaptureFailed") == 1, "counted once, however often Norce sends it"
    assert world.metrics.count("EventsInvoiceCaptured") == 1 and world.metrics.count("EventsRepeated") == 2
    assert world.parked() == []
