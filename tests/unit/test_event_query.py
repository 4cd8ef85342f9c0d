"""``HttpEventQuery`` against the strict local Norce's Query (2.0 and 3.0 as Norce publishes them): the views
the event handlers read, found the way Norce holds them (the order by its Id, the buyer through
``BuyerCustomerId`` or a guest's CustomerInfo, addresses with integer CountryIds)."""

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from local.norce import NorceConnectSimulator
from local.norce.codes import COUNTRY_IDS, CURRENCY_IDS
from norce_integration.adapters.http.event_query import HttpEventQuery
from norce_integration.adapters.http.norce_connect import NorceHttp
from norce_integration.bootstrap.norce import query_url_for
from norce_integration.events.views import AddressView, InvoiceOrder
from tests.support.norce import query_http

ORDER = json.loads((Path(__file__).resolve().parents[2] / "events/payloads/order-request.json").read_text())
COUNTRIES = {number: code for code, number in COUNTRY_IDS.items()}
CURRENCIES = {number: code for code, number in CURRENCY_IDS.items()}


def query(norce: NorceConnectSimulator, version: str = "2.0", **options: Any) -> HttpEventQuery:
    options = {"countries": COUNTRIES, "currencies": CURRENCIES} | options
    return HttpEventQuery(query_http(norce), query_http(norce, "3.0"), version, **options)


def order_request(ref: str = "500123", **changes: Any) -> dict[str, Any]:
    return json.loads(json.dumps(ORDER)) | {"ClientOrderRef": ref} | changes


ANNA = {
    "Code": "C10001",
    "EmailAddress": "anna@example.com",
    "FirstName": "Anna",
    "LastName": "Berg",
    "CellPhoneNumber": "0701",
    "InvoiceAddress": {
        "AddressLine1": "Storgatan 1",
        "ZipCode": "11122",
        "City": "Stockholm",
        "CountryCode": "SE",
    },
    "DeliveryAddresses": [{"AddressLine1": "Lagret 9", "City": "Solna", "CountryCode": "SE"}],
}


@pytest.mark.parametrize("version", ["2.0", "3.0"])
def test_a_customer_with_its_invoice_address_as_query_holds_it(norce, version):
    held = norce.hold("customers", ANNA)
    view = query(norce, version).customer(held["Id"])
    assert view is not None
    assert (view.id, view.code, view.email, view.first_name, view.cell_phone) == (
        held["Id"],
        "C10001",
        "anna@example.com",
        "Anna",
        "0701",
    )
    assert view.address == AddressView(line1="Storgatan 1", zip_code="11122", city="Stockholm", country="SE")
    assert view.updated is not None and view.updated.isoformat().startswith(held["Updated"][:19])


def test_a_country_id_not_configured_is_left_out_never_guessed(norce):
    held = norce.hold("customers", ANNA)
    view = query(norce, countries={}).customer(held["Id"])
    assert view is not None and view.address is not None
    assert (view.address.city, view.address.country) == ("Stockholm", None)


def test_a_customer_norce_holds_without_code_and_one_it_does_not_hold(norce):
    held = norce.hold("customers", {"EmailAddress": "new@example.com"})
    assert query(norce).customer(held["Id"]).code is None  # type: ignore[union-attr]
    assert query(norce).customer(999_999) is None


@pytest.mark.parametrize("version", ["2.0", "3.0"])
def test_a_company_with_its_address(norce, version):
    held = norce.hold(
        "companies",
        {
            "Code": "B20001",
            "Name": "Nya Bygg AB",
            "VatNo": "SE556677889901",
            "InvoiceAddress": {"AddressLine1": "Industrivägen 2", "City": "Oslo", "CountryCode": "NO"},
        },
    )
    view = query(norce, version).company(held["Id"])
    assert view is not None and (view.code, view.name, view.vat_no) == (
        "B20001",
        "Nya Bygg AB",
        "SE556677889901",
    )
    assert view.address == AddressView(line1="Industrivägen 2", city="Oslo", country="NO")


def test_an_address_change_alone_is_a_change_of_the_customer(norce):
    held = norce.hold("customers", ANNA)
    before = query(norce).customer(held["Id"])
    norce.edit_customer(held["Id"], {"InvoiceAddress": {**ANNA["InvoiceAddress"], "City": "Uppsala"}})
    after = query(norce).customer(held["Id"])
    assert before is not None and after is not None
    assert after.address is not None and after.address.city == "Uppsala"
    assert after.updated is not None and before.updated is not None and after.updated > before.updated


def test_a_registered_buyers_order_its_lines_and_ship_to(norce):
    placed = norce.checkout(order_request())
    view = query(norce).order(placed["OrderId"])
    assert view is not None
    assert (view.order_id, view.client_order_ref, view.currency) == (placed["OrderId"], "500123", "SEK")
    assert (view.email, view.first_name, view.last_name) == ("john.doe@example.com", "John", "Doe")
    assert [(line.part_no, line.name, line.quantity) for line in view.lines] == [
        ("ITEM001", "Example Product 1", Decimal(2))
    ]
    assert view.total == Decimal("600.00") and view.lines[0].amount == Decimal("600.00")  # excl. VAT
    assert view.delivery_mode == "PostNord"
    assert view.delivery_address == AddressView(
        line1="789 Shipping Blvd", zip_code="67890", city="Shipville", country="SE"
    )


def test_a_guests_order_reaches_the_buyer_through_customerinfo(norce):
    placed = norce.place_order(order_request("GUEST-1"))
    view = query(norce).order(placed["OrderId"])
    assert view is not None
    assert (view.email, view.first_name) == ("john.doe@example.com", "John")
    assert view.client_order_ref is None, "a ref that is not a basket id has no QuotationId"


def test_an_order_query_does_not_hold_is_none_and_asked_again(norce):
    assert query(norce).order(123) is None


class Counting:
    def __init__(self, http: NorceHttp) -> None:
        self.http, self.calls = http, 0

    def call(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.http.call(*args, **kwargs)


def test_orders_are_cached_a_minute_and_a_missing_one_is_asked_again(norce):
    placed = norce.checkout(order_request())
    now = [0.0]
    two, three = Counting(query_http(norce)), Counting(query_http(norce, "3.0"))
    reader = HttpEventQuery(two, three, clock=lambda: now[0])  # type: ignore[arg-type]
    for _ in range(3):
        assert reader.order(placed["OrderId"]) is not None
    assert (two.calls, three.calls) == (1, 1)
    now[0] = 61.0
    reader.order(placed["OrderId"])
    assert (two.calls, three.calls) == (2, 2)
    assert reader.order(1) is None and reader.order(1) is None
    assert two.calls == 4


def test_an_invoices_order_by_norces_invoice_id(norce):
    placed = norce.checkout(order_request("500777"))
    with norce.state.lock:
        norce.orders["500777"] = [{"OrderStatus": "Confirmed", "ErpOrderNo": "SO-7"}]
        norce.state.erp_order_refs["SO-7"] = "500777"
        norce.documents["500777"] = {"DeliveryNotes": [], "Invoices": [{"InvoiceNo": "INV-7"}], "Credits": []}
        from local.norce.query import document_id  # noqa: PLC0415

        invoice_id = document_id(norce.state, "500777", "Invoices", 0)
    found = query(norce).invoice_order(invoice_id)
    assert found == InvoiceOrder(invoice_id, "INV-7", str(placed["OrderId"]), "500777", "SO-7")
    assert query(norce).invoice_order(1) is None


def test_an_unsupported_query_version_is_a_configuration_error(norce):
    with pytest.raises(ValueError, match="not supported"):
        query(norce, "1.0")


def test_the_query_url_of_another_version():
    assert query_url_for("https://x.api-se.norce.tech/commerce/query/2.0/", "3.0") == (
        "https://x.api-se.norce.tech/commerce/query/3.0/"
    )
    assert query_url_for("http://127.0.0.1:5100/commerce/query/2.0", "3.0").endswith("/query/3.0/")
    with pytest.raises(ValueError, match="must end in"):
        query_url_for("https://x.example/odata/", "3.0")
