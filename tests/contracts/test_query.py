"""Norce Query, held to Norce's published entities (``tests/contracts/norce/query.py``) on both sides: every
answer the local Norce gives, what it refuses as OData does, and every request our clients send."""

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from local.norce import NorceConnectSimulator
from local.norce.codes import COUNTRY_IDS, CURRENCY_IDS
from local.norce.connect import CONNECT
from norce_integration.adapters.http.event_query import HttpEventQuery
from norce_integration.adapters.http.norce_connect import NorceHttp
from norce_integration.adapters.http.norce_query import HttpNorceQuery
from norce_integration.bootstrap.norce import query_url_for
from tests.contracts.norce.base import violations
from tests.contracts.norce.query import (
    SETS,
    ODataError,
    ODataList,
    navigation_target,
    request_violations,
    structural,
)

ORDER = json.loads((Path(__file__).resolve().parents[2] / "events/payloads/order-request.json").read_text())


@pytest.fixture(scope="module")
def norce() -> Iterator[NorceConnectSimulator]:
    """One local Norce holding a bit of everything Query serves (the tests only read)."""
    with NorceConnectSimulator(port=0) as simulator:
        b2b = copy.deepcopy(ORDER) | {"ClientOrderRef": "500202"}
        b2b["SellTo"]["Company"] = {"Code": None, "Name": "Bygg AB", "VatNo": "SE556677889901"}
        simulator.checkout(copy.deepcopy(ORDER) | {"ClientOrderRef": "500201"})
        simulator.checkout(b2b)
        simulator.place_order(copy.deepcopy(ORDER) | {"ClientOrderRef": "GUEST-1"})
        simulator.hold(
            "customers",
            {
                "Code": "C1",
                "EmailAddress": "anna@example.com",
                "InvoiceAddress": {"AddressLine1": "Gatan 1", "City": "Oslo", "CountryCode": "NO"},
                "DeliveryAddresses": [{"AddressLine1": "Lager 2", "CountryCode": "XX"}],
            },
        )
        headers = {"Authorization": simulator.basic}
        for path, body in (
            (
                "Order/SendOrderStatus",
                {"ClientOrderRef": 500201, "ErpOrderNo": "SO-1", "OrderStatus": "Confirmed"},
            ),
            (
                "Order/CreateDeliveryNote",
                {"OrderNo": "SO-1", "NoteNo": "DN-1", "DeliverynoteItems": [{"ItemNo": "ITEM001", "Qty": 2}]},
            ),
            (
                "Order/CreateInvoice",
                {
                    "ClientOrderRef": 500201,
                    "ErpOrderNo": "SO-1",
                    "InvoiceNo": "INV-1",
                    "CurrencyCode": "SEK",
                    "InvoiceDate": "2026-12-01T10:00:00Z",
                    "Items": [{"PartNo": "ITEM001", "Quantity": 2, "UnitPrice": 300.0, "LineAmount": 600.0}],
                    "Vat": 150.0,
                    "TotalAmount": 750.0,
                },
            ),
        ):
            answer = requests.post(f"{simulator.connect_url}{path}", json=body, headers=headers, timeout=10)
            assert answer.status_code == 200, answer.text
        yield simulator


def get(norce: NorceConnectSimulator, version: str, entity_set: str, **params: str) -> requests.Response:
    headers = {"applicationId": "1001", "Authorization": norce.basic}
    url = f"{norce.url}/commerce/query/{version}/{entity_set}"
    return requests.get(url, params=params, headers=headers, timeout=10)


@pytest.mark.parametrize(("version", "entity_set"), sorted(SETS))
def test_every_row_the_local_norce_serves_is_the_published_entity_and_nothing_else(
    norce, version, entity_set
):
    model = SETS[(version, entity_set)]
    answer = get(norce, version, entity_set)
    assert answer.status_code == 200
    listing = answer.json()
    assert violations(ODataList, listing) == []
    assert listing["value"], f"the fixture holds some {entity_set}"
    for row in listing["value"]:
        assert violations(model, row) == [], row
        assert set(row) == structural(model), "every published property, no navigation without $expand"


@pytest.mark.parametrize(
    ("version", "entity_set", "navigation"),
    [(v, s, n) for (v, s), model in sorted(SETS.items()) for n in model.NAVIGATIONS],
)
def test_a_navigation_property_appears_with_expand_as_published(norce, version, entity_set, navigation):
    model = SETS[(version, entity_set)]
    rows = get(norce, version, entity_set, **{"$expand": navigation}).json()["value"]
    assert rows and all(navigation in row for row in rows)
    for row in rows:
        assert violations(model, row) == []
        children = row[navigation]
        for child in children if isinstance(children, list) else [children] if children else []:
            assert set(child) == structural(navigation_target(model, navigation))


def test_select_limits_the_properties_also_inside_expand(norce):
    rows = get(
        norce, "2.0", "Orders/Orders", **{"$select": "Id,QuotationId", "$expand": "Items($select=QtyOrdered)"}
    )
    assert [set(r) for r in rows.json()["value"]] == [{"Id", "QuotationId", "Items"}] * 3
    assert {tuple(i) for r in rows.json()["value"] for i in r["Items"]} == {("QtyOrdered",)}
    assert rows.json()["@odata.context"].endswith("$metadata#Orders(Id,QuotationId)")


def test_ids_are_strings_in_2_0_orders_and_int64_in_3_0_and_countries_are_integers(norce):
    two = get(
        norce, "2.0", "Orders/Orders", **{"$filter": "QuotationId eq 500201", "$expand": "Items"}
    ).json()
    three = get(norce, "3.0", "Orders/Orders", **{"$filter": "quotationId eq 500201"}).json()
    assert isinstance(two["value"][0]["Id"], str) and isinstance(two["value"][0]["Items"][0]["OrderId"], str)
    assert three["value"][0]["id"] == int(two["value"][0]["Id"])
    customers = get(norce, "2.0", "Customers/Customers", **{"$expand": "Addresses"}).json()["value"]
    addresses = [a for c in customers for a in c["Addresses"]]
    assert {a["CountryId"] for a in addresses} == {COUNTRY_IDS["NO"], None}, "XX: a country Norce lacks"


UNDOCUMENTED = {
    ("2.0", "Orders/Orders"): [
        "ClientOrderRef",
        "EmailAddress",
        "FirstName",
        "CultureCode",
        "CurrencyCode",
        "TotalAmount",
        "DeliveryAddress",
    ],
    ("2.0", "Customers/Customers"): ["InvoiceAddress", "Code"],
    ("2.0", "Customers/Companies"): ["InvoiceAddress", "Code"],
    ("2.0", "Orders/Invoices"): ["IsCredit", "ClientOrderRef", "ErpOrderNo", "TotalAmount"],
    ("2.0", "Orders/DeliveryNotes"): ["ClientOrderRef", "OrderNo"],
    ("3.0", "Orders/Orders"): ["Id", "ClientOrderRef"],
}


@pytest.mark.parametrize(
    ("version", "entity_set", "key", "quoted"),
    [
        ("2.0", "Orders/Orders", "Id", True),
        ("2.0", "Orders/Orders", "QuotationId", False),
        ("2.0", "Orders/Invoices", "Id", True),
        ("2.0", "Orders/DeliveryNotes", "Id", True),
        ("3.0", "Orders/Orders", "id", False),
        ("3.0", "Orders/Orders", "quotationId", False),
        ("2.0", "Customers/Customers", "Id", False),
        ("2.0", "Customers/Companies", "Id", False),
        ("3.0", "Customers/Customers", "id", False),
    ],
)
def test_a_filter_on_one_key_answers_as_the_same_filter_over_every_row(
    norce, version, entity_set, key, quoted
):
    # The local Norce builds only the rows one ``Id eq N`` can match (it stays fast with thousands of
    # orders and documents); in parentheses the same filter takes the path over every row: the answers
    # must agree.
    every = [row for row in get(norce, version, entity_set).json()["value"] if row[key] is not None]
    assert every
    for row in every:
        value = row[key]
        literal = f"'{value}'" if quoted else str(value)
        narrowed = get(norce, version, entity_set, **{"$filter": f"{key} eq {literal}"}).json()
        whole = get(norce, version, entity_set, **{"$filter": f"({key} eq {literal})"}).json()
        assert narrowed["value"] == whole["value"] and row in narrowed["value"]


@pytest.mark.parametrize(
    ("version", "entity_set", "name"), [(v, s, n) for (v, s), names in UNDOCUMENTED.items() for n in names]
)
def test_a_property_the_entity_does_not_have_is_odatas_400_in_every_option(norce, version, entity_set, name):
    entity = SETS[(version, entity_set)].TYPE
    message = (
        "The query specified in the URI is not valid. Could not find a property named "
        f"'{name}' on type '{entity}'."
    )
    for params in ({"$filter": f"{name} eq 'x'"}, {"$select": name}, {"$orderby": name}, {"$expand": name}):
        answer = get(norce, version, entity_set, **params)
        assert answer.status_code == 400, params
        assert violations(ODataError, answer.json()) == [] and answer.json()["error"]["message"] == message


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"$top": "x"}, "Invalid value 'x' for $top"),
        ({"$top": "-1"}, "$top"),
        ({"$skip": "1.5"}, "$skip"),
        ({"$filter": "Id eq 700000001"}, "incompatible types"),
        ({"$filter": "QuotationId eq 'x'"}, "incompatible types"),
        ({"$filter": "contains(OrderNo,'S')"}, "not supported"),
        ({"$filter": "Id has 'x'"}, "Syntax error"),
        ({"$filter": "Id eq"}, "Syntax error"),
        ({"$filter": "(Id eq '1'"}, "Syntax error"),
        ({"$filter": "Id eq 'x' or"}, "Syntax error"),
        ({"$filter": "Items eq 'x'"}, "cannot be compared"),
        ({"$filter": "Id eq '\x00\ud7ff'"}, None),
        ({"$expand": "Items($filter=PartNo eq 'x')"}, "not supported"),
        ({"$expand": "Items(("}, "Unbalanced"),
        ({"$expand": "QuotationId"}, "not a navigation property"),
        ({"$select": "Id,,OrderNo"}, "empty item"),
        ({"$apply": "groupby((Id))"}, "not supported"),
        ({"$count": "maybe"}, "$count"),
        ({"$format": "xml"}, "json only"),
        ({"$filter": "Id eq '" + "x" * 10_000 + "'"}, None),
        ({"$filter": " or ".join(["Id eq 'x'"] * 500)}, None),
    ],
)
def test_a_bad_request_is_a_400_or_an_answer_never_a_500(norce, params, says):
    answer = get(norce, "2.0", "Orders/Orders", **params)
    if says is None:
        assert answer.status_code == 200 and answer.json()["value"] == []
    else:
        assert answer.status_code == 400 and says in answer.json()["error"]["message"], answer.text


def test_pages_of_500_with_a_next_link(norce):
    held = len(norce.customers)
    with norce.state.lock:
        for n in range(1, 1_101 - held):
            norce.state.customers[100_000 + n] = {"Id": 100_000 + n, "Updated": "2026-12-01T00:00:00+00:00"}
    try:
        first = get(norce, "2.0", "Customers/Customers", **{"$select": "Id"}).json()
        assert len(first["value"]) == 500 and "$skip=500" in first["@odata.nextLink"]
        last = requests.get(
            first["@odata.nextLink"].replace("$skip=500", "$skip=1000"),
            headers={"applicationId": "1001", "Authorization": norce.basic},
            timeout=10,
        ).json()
        assert len(last["value"]) == 100 and "@odata.nextLink" not in last
    finally:
        with norce.state.lock:
            for n in range(1, 1_101 - held):
                norce.state.customers.pop(100_000 + n)


def test_the_applicationid_header_and_connects_auth_are_required(norce):
    url = f"{norce.query_url}Orders/Orders"
    assert requests.get(url, headers={"Authorization": norce.basic}, timeout=10).status_code == 400
    assert requests.get(url, headers={"applicationId": "1001"}, timeout=10).status_code == 401
    assert get(norce, "2.0", "Orders/Nothing").status_code == 404


# -- our clients: every request they send names only published properties
class Recording:
    """``NorceHttp`` that records each request (set, parameters) before sending it."""

    def __init__(self, http: NorceHttp, version: str, sent: list[tuple[str, str, dict[str, str]]]) -> None:
        self.http, self.version, self.sent = http, version, sent

    def call(self, method: str, path: str, retry: Any, **kwargs: Any) -> Any:
        self.sent.append((self.version, path, dict(kwargs.get("params") or {})))
        return self.http.call(method, path, retry, **kwargs)


def recording(norce: NorceConnectSimulator, sent: list[Any], version: str) -> Any:
    url = query_url_for(norce.query_url, version)
    return Recording(
        NorceHttp(url, basic=("1001", "connect-local-secret"), application_id="1001"), version, sent
    )


@pytest.mark.parametrize("version", ["2.0", "3.0"])
def test_every_request_of_the_event_processor_is_to_the_published_entities(norce, version):
    sent: list[tuple[str, str, dict[str, str]]] = []
    reader = HttpEventQuery(
        recording(norce, sent, "2.0"),  # type: ignore[arg-type]
        recording(norce, sent, "3.0"),  # type: ignore[arg-type]
        version,
        {v: k for k, v in COUNTRY_IDS.items()},
        {v: k for k, v in CURRENCY_IDS.items()},
    )
    orders = get(norce, "2.0", "Orders/Orders", **{"$select": "Id"}).json()["value"]
    invoices = get(norce, "2.0", "Orders/Invoices", **{"$select": "Id"}).json()["value"]
    for row in orders:
        assert reader.order(int(row["Id"])) is not None  # a 400 would have raised
    assert reader.invoice_order(int(invoices[0]["Id"])) is not None
    for customer_id in list(norce.customers)[:3]:
        assert reader.customer(customer_id) is not None
    for company_id in norce.companies:
        assert reader.company(company_id) is not None
    assert {(v, s) for v, s, _ in sent} >= {("2.0", "Orders/Orders"), ("3.0", "Orders/Orders")}
    for version_sent, entity_set, params in sent:
        assert request_violations(version_sent, entity_set, params) == [], (entity_set, params)


def test_every_request_of_the_write_back_and_the_lifecycle_is_to_the_published_entities(norce):
    sent: list[tuple[str, str, dict[str, str]]] = []
    query = HttpNorceQuery(recording(norce, sent, "2.0"))  # type: ignore[arg-type]
    assert query.order_buyer(500202) is not None
    assert query.find_company_id(vat_no="SE 556677-8899 01", organization_no="556677-8899") is not None
    assert query.has_invoice("INV-1") and query.has_delivery_note("DN-1")
    assert not query.has_invoice("INV-404")
    for version_sent, entity_set, params in sent:
        assert request_violations(version_sent, entity_set, params) == [], (entity_set, params)


def test_the_requests_the_processor_used_to_send_are_refused_by_the_description_and_by_query(norce):
    old = {"$filter": "ClientOrderRef eq 'REF12345'", "$top": "1", "$expand": "Items"}
    assert request_violations("2.0", "Orders/Orders", old) == [
        "$filter: ClientOrderRef is not a property of Enferno.Storm.Query.Api.DataContexts.OrderModel.Order"
    ]
    assert get(norce, "2.0", "Orders/Orders", **old).status_code == 400


def test_connect_and_query_share_one_auth(norce):
    token = requests.post(
        f"{norce.url}/identity/1.0/connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": norce.client_id,
            "client_secret": norce.client_secret,
        },
        timeout=10,
    ).json()["access_token"]
    headers = {"applicationId": "1001", "Authorization": f"Bearer {token}"}
    assert requests.get(f"{norce.query_url}Orders/Orders", headers=headers, timeout=10).status_code == 200
    assert (
        requests.post(
            f"{norce.url}{CONNECT}/Order/SendOrderStatus", json={}, headers=headers, timeout=10
        ).status_code
        == 400
    )
