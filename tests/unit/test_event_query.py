"""``HttpEventQuery`` against the Norce simulator's Query 2.0, and Query 3.0's camelCase: the views the
event handlers read are the same whichever version and casing Norce answers in."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.norce import NorceConnectSimulator
from norce_integration.adapters.http.event_query import HttpEventQuery
from norce_integration.adapters.http.norce_connect import NorceHttp
from norce_integration.events.views import AddressView

ORDER = json.loads((Path(__file__).resolve().parents[2] / "events/payloads/order-request.json").read_text())


@pytest.fixture(scope="module")
def server() -> Iterator[NorceConnectSimulator]:
    with NorceConnectSimulator(port=0) as simulator:
        yield simulator


@pytest.fixture
def norce(server: NorceConnectSimulator) -> NorceConnectSimulator:
    server.reset()
    return server


def query(norce: NorceConnectSimulator, version: str = "2.0") -> HttpEventQuery:
    http = NorceHttp(norce.query_url, basic=("1001", "connect-local-secret"), application_id="1001")
    return HttpEventQuery(http, version)


def test_a_customer_as_the_event_handlers_read_it(norce):
    held = norce.hold(
        "customers",
        {
            "Code": "C10001",
            "EmailAddress": "anna@example.com",
            "FirstName": "Anna",
            "LastName": "Berg",
            "CellPhoneNumber": "0701",
            "InvoiceAddress": {
                "Line1": "Storgatan 1",
                "ZipCode": "11122",
                "City": "Stockholm",
                "Country": "SE",
            },
        },
    )
    view = query(norce).customer(held["Id"])
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


def test_a_customer_norce_holds_without_code_and_one_it_does_not_hold(norce):
    held = norce.hold("customers", {"EmailAddress": "new@example.com"})
    assert query(norce).customer(held["Id"]).code is None  # type: ignore[union-attr]
    assert query(norce).customer(999_999) is None


def test_a_company_as_the_event_handlers_read_it(norce):
    held = norce.hold("companies", {"Code": "B20001", "Name": "Nya Bygg AB", "VatNo": "SE556677889901"})
    view = query(norce).company(held["Id"])
    assert view is not None and (view.code, view.name, view.vat_no) == (
        "B20001",
        "Nya Bygg AB",
        "SE556677889901",
    )


def test_an_order_with_its_lines_by_order_id_and_by_client_order_ref(norce):
    placed = norce.place_order(ORDER)
    by_id = query(norce).order(order_id=placed["OrderId"], client_order_ref=None)
    by_ref = query(norce).order(order_id=None, client_order_ref=ORDER["ClientOrderRef"])
    assert by_id == by_ref and by_id is not None
    assert by_id.client_order_ref == ORDER["ClientOrderRef"] and by_id.email == "john.doe@example.com"
    assert [line.part_no for line in by_id.lines] == [item["PartNo"] for item in ORDER["Items"]]
    assert by_id.culture == ORDER.get("CultureCode")


class Counting:
    def __init__(self, http: NorceHttp) -> None:
        self.http, self.calls = http, 0

    def call(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.http.call(*args, **kwargs)


def test_orders_are_cached_a_minute_and_a_missing_one_is_asked_again(norce):
    placed = norce.place_order(ORDER)
    now = [0.0]
    http = Counting(NorceHttp(norce.query_url, basic=("1001", "connect-local-secret"), application_id="1001"))
    reader = HttpEventQuery(http, clock=lambda: now[0])  # type: ignore[arg-type]
    for _ in range(3):
        assert reader.order(order_id=placed["OrderId"], client_order_ref=None) is not None
    assert http.calls == 1
    now[0] = 61.0
    reader.order(order_id=placed["OrderId"], client_order_ref=None)
    assert http.calls == 2
    assert reader.order(order_id=1, client_order_ref=None) is None
    assert reader.order(order_id=1, client_order_ref=None) is None
    assert http.calls == 4


class CamelQuery:
    """Query 3.0 answers camelCase; this fake answers what it is asked in 3.0's names."""

    base = "https://example.invalid/commerce/query/3.0/"

    def __init__(self) -> None:
        self.asked: list[dict[str, Any]] = []

    def call(self, method: str, path: str, retry: Any, **kwargs: Any) -> Any:
        self.asked.append({"path": path, **kwargs["params"]})
        row = {
            "id": 7,
            "customerCode": "C7",
            "emailAddress": "camel@example.com",
            "firstName": "Camel",
            "isActive": True,
            "updated": "2026-11-25T10:00:00Z",
            "invoiceAddress": {"line1": "Väg 1", "city": "Malmö"},
        }

        class Answer:
            def json(self) -> dict[str, Any]:
                return {"value": [row]}

        return Answer()


def test_query_3_0_is_asked_and_read_in_camel_case():
    fake = CamelQuery()
    view = HttpEventQuery(fake, "3.0").customer(7)  # type: ignore[arg-type]
    assert fake.asked == [{"path": "Customers/Customers", "$filter": "id eq 7", "$top": "1"}]
    assert view is not None and (view.code, view.first_name, view.address) == (
        "C7",
        "Camel",
        AddressView(line1="Väg 1", city="Malmö"),
    )
    assert view.updated is not None and view.updated.tzinfo is not None


def test_an_unsupported_query_version_is_a_configuration_error():
    with pytest.raises(ValueError, match="not supported"):
        HttpEventQuery(CamelQuery(), "1.0")  # type: ignore[arg-type]
