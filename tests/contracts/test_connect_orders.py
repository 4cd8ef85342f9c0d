"""Norce's order service held to its published description (``tests/contracts/norce/connect_orders.py``) from
both sides: every request our lifecycle processor (and the order processor's Confirmed) sends, captured
through the simulator's ``/_calls`` log, keeps the description; and the simulator refuses what the
description does not allow and takes what it does."""

import copy
from typing import Any

import pytest
import requests

from local.norce import NorceConnectSimulator
from local.norce.connect import CONNECT
from norce_integration.adapters.http.norce_connect import HttpNorceConnect
from norce_integration.lifecycle.documents import Kind
from norce_integration.lifecycle.service import Sent
from tests.contracts.norce.base import violations
from tests.contracts.norce.connect_orders import (
    CURRENT_STATUSES,
    OLDER_STATUSES,
    REQUESTS,
    CreditPayment,
    DeliveryNote,
    Invoice,
    SendOrderStatusRequest,
)
from tests.support.lifecycle import REF, Lifecycle, credit, delivery_note, invoice, status
from tests.support.processing import Flow


def our_client(norce: NorceConnectSimulator) -> HttpNorceConnect:
    return HttpNorceConnect(norce.connect_url, basic=(norce.application_id, "connect-local-secret"))


def order_service_calls(norce: NorceConnectSimulator) -> list[dict[str, Any]]:
    calls = requests.get(f"{norce.url}/_calls", timeout=10).json()
    return [call for call in calls if call["path"] in REQUESTS]


# -- our client: every request it sends keeps the description
def test_every_request_our_lifecycle_sends_keeps_norces_published_description(
    norce: NorceConnectSimulator,
) -> None:
    life = Lifecycle(flow=Flow(norce=our_client(norce)))  # type: ignore[arg-type]
    life.order()  # the order processor confirms it over HTTP: SendOrderStatus Confirmed
    life.push(Kind.STATUS, status("BackOrder"))
    life.push(Kind.DELIVERY_NOTE, delivery_note("DN-1", quantity=1))  # then PartlyDelivered, derived
    life.push(Kind.DELIVERY_NOTE, delivery_note("DN-2", quantity=1))  # then Delivered
    life.push(Kind.INVOICE, invoice("INV-1"))
    life.push(Kind.CREDIT, credit("CN-1", "250.00"))

    assert life.run(query=None) == [Sent.SENT] * 5

    calls = order_service_calls(norce)
    assert [call["path"].split("/")[1] for call in calls] == [
        "SendOrderStatus",
        "SendOrderStatus",
        "CreateDeliveryNote",
        "SendOrderStatus",
        "CreateDeliveryNote",
        "SendOrderStatus",
        "CreateInvoice",
        "CreditPayment",
    ]
    for call in calls:
        assert violations(REQUESTS[call["path"]], call["body"]) == [], call
        assert call["status"] == 200, call
    assert calls[0]["body"] == {
        "ClientOrderRef": int(REF),
        "ErpOrderNo": life.record["erp_order_no"],
        "OrderStatus": "Confirmed",
    }
    assert (
        "ClientOrderRef" not in calls[2]["body"]
        and calls[2]["body"]["OrderNo"] == life.record["erp_order_no"]
    )


def test_an_external_orders_statuses_name_it_by_its_erp_order_number(norce: NorceConnectSimulator) -> None:
    life = Lifecycle(flow=Flow(norce=our_client(norce)))  # type: ignore[arg-type]
    life.order(ref="REF12345")
    life.push(Kind.STATUS, {"ClientOrderRef": "REF12345", "OrderStatus": "BackOrder"})
    life.push(Kind.DELIVERY_NOTE, delivery_note("DN-1", ClientOrderRef="REF12345"))

    assert life.run(query=None) == [Sent.SENT, Sent.SENT]

    for call in order_service_calls(norce):
        assert violations(REQUESTS[call["path"]], call["body"]) == [], call
        assert call["status"] == 200 and "ClientOrderRef" not in call["body"], call
    assert [s["OrderStatus"] for s in norce.orders[life.record["erp_order_no"]]] == [
        "Confirmed",
        "BackOrder",
        "Delivered",
    ]


# -- the simulator: what the description requires, it requires
NOTE = {
    "OrderNo": "SO-1",
    "NoteNo": "DN-1",
    "DeliverynoteItems": [{"ItemNo": "ITEM001", "Qty": 1, "RowNumber": 1}],
}
INVOICE = {
    "ClientOrderRef": 1001,
    "ErpOrderNo": "SO-1",
    "CurrencyCode": "SEK",
    "InvoiceDate": "2026-11-25T10:00:00Z",
    "InvoiceNo": "INV-1",
    "Items": [{"PartNo": "ITEM001", "Quantity": 2, "UnitPrice": 300, "LineAmount": 600}],
    "Vat": 150,
    "TotalAmount": 750,
}
CREDIT = INVOICE | {
    "InvoiceNo": "CN-1",
    "CreditedInvoiceNo": "INV-1",
    "Items": [{"PartNo": "CREDIT", "Quantity": 1, "UnitPrice": 80, "LineAmount": 80}],
    "Vat": 20,
    "TotalAmount": 100,
}


def connect(norce: NorceConnectSimulator, path: str, body: Any) -> requests.Response:
    return requests.post(
        f"{norce.url}{CONNECT}/{path}", json=body, headers={"Authorization": norce.basic}, timeout=10
    )


def known_order(norce: NorceConnectSimulator) -> None:
    body = {"ClientOrderRef": 1001, "ErpOrderNo": "SO-1", "OrderStatus": "Confirmed"}
    assert violations(SendOrderStatusRequest, body) == []
    assert connect(norce, "Order/SendOrderStatus", body).status_code == 200


def without(body: dict[str, Any], path: str) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    *parents, last = path.split(".")
    node = changed
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    del node[last]
    return changed


def changed_to(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    *parents, last = path.split(".")
    node = changed
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[last] = value
    return changed


MUTATIONS: list[tuple[str, str, dict[str, Any], type]] = [
    ("Order/CreateDeliveryNote", "no NoteNo", without(NOTE, "NoteNo"), DeliveryNote),
    ("Order/CreateDeliveryNote", "no OrderNo", without(NOTE, "OrderNo"), DeliveryNote),
    ("Order/CreateDeliveryNote", "a ClientOrderRef", NOTE | {"ClientOrderRef": 1001}, DeliveryNote),
    ("Order/CreateDeliveryNote", "no items", NOTE | {"DeliverynoteItems": []}, DeliveryNote),
    (
        "Order/CreateDeliveryNote",
        "an item without ItemNo",
        without(NOTE, "DeliverynoteItems.0.ItemNo"),
        DeliveryNote,
    ),
    (
        "Order/CreateDeliveryNote",
        "Qty as text",
        changed_to(NOTE, "DeliverynoteItems.0.Qty", "1"),
        DeliveryNote,
    ),
    ("Order/CreateDeliveryNote", "an item Id", changed_to(NOTE, "DeliverynoteItems.0.Id", 7), DeliveryNote),
    ("Order/CreateDeliveryNote", "a TrackingUrl", NOTE | {"TrackingUrl": "https://t.example"}, DeliveryNote),
    ("Order/CreateDeliveryNote", "NoteNo of 51", NOTE | {"NoteNo": "N" * 51}, DeliveryNote),
    (
        "Order/CreateDeliveryNote",
        "a parcel status 5",
        NOTE | {"DeliveryNotePackages": [{"StatusId": 5}]},
        DeliveryNote,
    ),
    ("Order/CreateInvoice", "no ClientOrderRef", without(INVOICE, "ClientOrderRef"), Invoice),
    ("Order/CreateInvoice", "a text ClientOrderRef", INVOICE | {"ClientOrderRef": "1001"}, Invoice),
    ("Order/CreateInvoice", "a ClientOrderRef beyond int32", INVOICE | {"ClientOrderRef": 2**31}, Invoice),
    ("Order/CreateInvoice", "no CurrencyCode", without(INVOICE, "CurrencyCode"), Invoice),
    ("Order/CreateInvoice", "no ErpOrderNo", without(INVOICE, "ErpOrderNo"), Invoice),
    ("Order/CreateInvoice", "no InvoiceDate", without(INVOICE, "InvoiceDate"), Invoice),
    ("Order/CreateInvoice", "an item without UnitPrice", without(INVOICE, "Items.0.UnitPrice"), Invoice),
    ("Order/CreateInvoice", "a quantity of 2.5", changed_to(INVOICE, "Items.0.Quantity", 2.5), Invoice),
    ("Order/CreateInvoice", "an amount as text", INVOICE | {"Vat": "150"}, Invoice),
    ("Order/CreateInvoice", "an undocumented field", INVOICE | {"Shipping": 1}, Invoice),
    ("Order/CreditPayment", "no CreditedInvoiceNo", without(CREDIT, "CreditedInvoiceNo"), CreditPayment),
    ("Order/CreditPayment", "no ClientOrderRef", without(CREDIT, "ClientOrderRef"), CreditPayment),
    ("Order/SendOrderStatus", "neither reference", {"OrderStatus": "Delivered"}, SendOrderStatusRequest),
    (
        "Order/SendOrderStatus",
        "a text ClientOrderRef",
        {"ClientOrderRef": "1001", "OrderStatus": "Delivered"},
        SendOrderStatusRequest,
    ),
    ("Order/SendOrderStatus", "no OrderStatus", {"ClientOrderRef": 1001}, SendOrderStatusRequest),
    (
        "Order/SendOrderStatus",
        "Shipped",
        {"ClientOrderRef": 1001, "OrderStatus": "Shipped"},
        SendOrderStatusRequest,
    ),
    (
        "Order/SendOrderStatus",
        "an Infos entry",
        {"ClientOrderRef": 1001, "OrderStatus": "Delivered", "Infos": [{"Code": "A"}]},
        SendOrderStatusRequest,
    ),
]


@pytest.mark.parametrize(
    ("path", "case", "body", "model"), MUTATIONS, ids=[f"{m[0]}: {m[1]}" for m in MUTATIONS]
)
def test_the_simulator_refuses_what_the_description_does_not_allow(
    norce: NorceConnectSimulator, path: str, case: str, body: dict[str, Any], model: type
) -> None:
    known_order(norce)
    if path == "Order/CreditPayment":
        assert connect(norce, "Order/CreateInvoice", INVOICE).status_code == 200
    assert violations(model, body) != [], f"the description takes {case}"
    answer = connect(norce, path, body)
    assert answer.status_code == 400, (case, answer.text)
    assert answer.json()["Message"]


def test_the_simulator_takes_what_the_description_allows_and_answers_as_documented(
    norce: NorceConnectSimulator,
) -> None:
    known_order(norce)
    for path, body in (
        ("Order/CreateDeliveryNote", NOTE),
        ("Order/CreateInvoice", INVOICE),
        ("Order/CreditPayment", CREDIT),
        ("Order/SendOrderStatus", {"ErpOrderNo": "SO-1", "OrderStatus": "Delivered", "AccountId": 1}),
    ):
        assert violations(REQUESTS[path], body) == [], path
        answer = connect(norce, path, body)
        # Norce publishes no response body for these calls: the simulator answers an empty object
        assert (answer.status_code, answer.json()) == (200, {}), (path, answer.text)
    assert [s["OrderStatus"] for s in norce.orders["1001"]] == ["Confirmed", "Delivered"]


@pytest.mark.parametrize("name", CURRENT_STATUSES)
def test_every_current_status_is_taken(norce: NorceConnectSimulator, name: str) -> None:
    body = {"ClientOrderRef": 1001, "OrderStatus": name}
    assert violations(SendOrderStatusRequest, body) == []
    assert connect(norce, "Order/SendOrderStatus", body).status_code == 200


@pytest.mark.parametrize("name", OLDER_STATUSES)
def test_an_older_status_is_refused_unless_configured(norce: NorceConnectSimulator, name: str) -> None:
    body = {"ClientOrderRef": 1001, "OrderStatus": name}
    assert violations(SendOrderStatusRequest, body) != []
    assert connect(norce, "Order/SendOrderStatus", body).status_code == 400
    norce.extra_statuses = frozenset({name})
    try:
        assert connect(norce, "Order/SendOrderStatus", body).status_code == 200
    finally:
        norce.extra_statuses = frozenset()


def test_a_delivery_note_of_an_order_norce_does_not_know_by_order_no_is_refused(
    norce: NorceConnectSimulator,
) -> None:
    known_order(norce)
    answer = connect(norce, "Order/CreateDeliveryNote", NOTE | {"OrderNo": "SO-404"})
    assert answer.status_code == 400 and "unknown order" in answer.json()["Message"]
