"""Norce Event, held to Norce's published payloads (``tests/contracts/norce/events.py``) on both sides: every
event the local Norce posts, and every body our webhook must take or refuse."""

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import requests

from local.norce import NorceConnectSimulator
from local.norce.connect import CONNECT
from norce_integration.events.contracts import parse_event
from norce_integration.events.types import NORCE_EVENT_TYPES, action_for, notification_types
from tests.contracts.norce.base import violations
from tests.contracts.norce.events import BY_TYPE, DOCUMENTED_TYPES, OrderStatusEvent

PAYLOADS = Path(__file__).resolve().parents[2] / "events" / "payloads"
ORDER = json.loads((PAYLOADS / "order-request.json").read_text())


def order(ref: str) -> dict[str, Any]:
    return copy.deepcopy(ORDER) | {"ClientOrderRef": ref}


def connect(norce: NorceConnectSimulator, path: str, body: dict[str, Any]) -> None:
    answer = requests.post(
        f"{norce.connect_url}{path}", json=body, headers={"Authorization": norce.basic}, timeout=10
    )
    assert answer.status_code == 200, answer.text


def invoice(number: str, erp_no: str) -> dict[str, Any]:
    return {
        "ClientOrderRef": 500101,
        "ErpOrderNo": erp_no,
        "InvoiceNo": number,
        "CurrencyCode": "SEK",
        "InvoiceDate": "2026-12-01T10:00:00Z",
        "Items": [{"PartNo": "ITEM001", "Quantity": 2, "UnitPrice": 300.0, "LineAmount": 600.0}],
        "Vat": 150.0,
        "TotalAmount": 750.0,
    }


def everything_the_local_norce_posts(norce: NorceConnectSimulator) -> list[tuple[str, dict[str, Any]]]:
    """Drive every trigger of an event: checkouts (a customer, a guest), each status, invoices captured and
    not, edits in Norce Admin, an import job."""
    norce.extra_statuses = frozenset({"ReadyForPickup"})  # an older page's status: listed by the setup
    norce.checkout(order("500101"))
    norce.place_order(order("500102"))  # a guest
    for status in ("Confirmed", "ReadyForPickup", "PartlyDelivered", "Delivered", "Cancelled"):
        connect(
            norce,
            "Order/SendOrderStatus",
            {"ClientOrderRef": 500101, "ErpOrderNo": "SO-1", "OrderStatus": status},
        )
    connect(norce, "Order/SendOrderStatus", {"ErpOrderNo": "SO-404", "OrderStatus": "Confirmed"})
    connect(norce, "Order/CreateInvoice", invoice("INV-1", "SO-1"))
    norce.set_faults(capture_errors=1)
    connect(norce, "Order/CreateInvoice", invoice("INV-2", "SO-1"))
    connect(norce, "Order/CreateInvoice", invoice("INV-3", "SO-1") | {"SuppressPspCall": True})
    customer = norce.hold("customers", {"EmailAddress": "anna@example.com"})
    company = norce.hold("companies", {"Name": "Bygg AB"})
    norce.edit_customer(customer["Id"], {"FirstName": "Anna"}, "tClientCustomerAddress")
    norce.edit_company(company["Id"], {"Name": "Bygg i Norr AB"})
    requests.post(
        f"{norce.url}{CONNECT}/Customer/ImportCustomers",
        json=[{"Code": "C1", "EmailAddress": "c@example.com"}],
        headers={
            "Authorization": norce.basic,
            "X-StormConnect-Header": json.dumps(
                {
                    "AccountId": 1,
                    "CustomerFieldsThatAreSet": ["Code", "EmailAddress"],
                    "CompanyFieldsThatAreSet": [],
                }
            ),
        },
        timeout=10,
    )
    assert norce.events.wait_idle(10)
    return [(d.event_type, d.payload) for d in norce.events.deliveries]


def test_every_event_the_local_norce_posts_is_exactly_norces_payload(norce):
    posted = everything_the_local_norce_posts(norce)
    types = [event_type for event_type, _ in posted]
    assert set(types) >= set(BY_TYPE) - {"OrderPaymentReceivedEvent"}, "every trigger fired"
    for event_type, payload in posted:
        assert event_type in DOCUMENTED_TYPES
        assert violations(BY_TYPE[event_type], payload) == [], (event_type, payload)
    captures = [p for t, p in posted if t == "InvoiceCaptureCompletedEvent"]
    assert [c["State"] for c in captures] == ["Captured", "Error"], "no capture asked for: no event"


def test_only_order_received_carries_an_email(norce):
    posted = everything_the_local_norce_posts(norce)
    with_email = {event_type for event_type, payload in posted if "Email" in payload}
    assert with_email == {"OrderReceivedEvent"}
    pickup = next(p for t, p in posted if t == "OrderReadyForPickupEvent")
    assert pickup["DropPointCode"] == ORDER["ShippingAdvice"]["PickupStore"]["Code"]


def test_the_description_refuses_what_norce_does_not_send():
    status = json.loads((PAYLOADS / "norce-events" / "OrderConfirmedEvent.json").read_text())
    assert violations(OrderStatusEvent, status | {"Email": "a@example.com"}) == [
        "Email: Extra inputs are not permitted"
    ]
    assert violations(OrderStatusEvent, status | {"OrderId": "700000001"}) != []
    assert violations(OrderStatusEvent, {k: v for k, v in status.items() if k != "OrderNo"}) != []


@pytest.mark.parametrize("event_type", sorted(BY_TYPE))
def test_every_sample_payload_is_norces_and_our_webhook_takes_it(event_type):
    sample = json.loads((PAYLOADS / "norce-events" / f"{event_type}.json").read_text())
    assert violations(BY_TYPE[event_type], sample) == []
    parse_event(event_type, sample)  # our model of the type takes Norce's payload


def test_our_types_are_norces_names_and_the_compatibility_kits():
    kit_only = {"ExportDeliveredEvent", "ExternalOrderReceivedEvent", "SkuStockChangedNotification"}
    assert set(NORCE_EVENT_TYPES) == DOCUMENTED_TYPES | kit_only


def test_we_act_on_the_documented_types_we_read_and_acknowledge_the_rest():
    notify = notification_types("OrderDeliveredEvent,OrderPartlyDeliveredEvent,OrderCancelledEvent")
    acted = {name for name in NORCE_EVENT_TYPES if action_for(name, notify).value != "ignore"}
    assert acted == set(BY_TYPE) - {"OrderPaymentReceivedEvent"}
