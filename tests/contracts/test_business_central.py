"""Business Central's API v2.0 and Entra ID, as described in tests/contracts/business_central/ (each field
with its source): the simulator's answers and notifications keep the descriptions, it refuses what BC
refuses, and every request ``BusinessCentralErp`` and the webhook renewal send keeps them too."""

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests
from werkzeug.wrappers import Request, Response

from local.business_central import BusinessCentralSimulator
from local.simulator_http import BackgroundServer
from norce_integration.adapters.http.business_central.api import BcApi, api_root
from norce_integration.adapters.http.business_central.entra import entra_token_fetcher
from norce_integration.adapters.http.business_central.erp import BusinessCentralErp
from norce_integration.adapters.http.business_central.webhooks import BcSubscriptions, client_state
from norce_integration.adapters.http.token_cache import TokenCache
from norce_integration.erp.model import (
    ErpAddress,
    ErpCharge,
    ErpCompany,
    ErpCustomer,
    ErpDelivery,
    ErpOrder,
    ErpOrderLine,
)
from norce_integration.erp.ports import ErpUnavailable
from tests.contracts.business_central import customers, documents, identity, odata, sales, webhooks
from tests.contracts.business_central.base import complete, violations


class Receiver:
    """Our notificationUrl: answers the handshake, keeps every notification body."""

    def __init__(self) -> None:
        self.bodies: list[Any] = []

        @Request.application
        def app(request: Request) -> Response:
            token = request.args.get("validationToken")
            if token is not None:
                return Response(token, content_type="text/plain")
            self.bodies.append(json.loads(request.get_data()))
            return Response(status=202)

        self.server = BackgroundServer(app).start()

    @property
    def url(self) -> str:
        return f"{self.server.url}/erp/business-central/notifications"


ADAPTER_CALLS: list[dict[str, Any]] = []
ADAPTER_TOKEN_CALLS: list[dict[str, str]] = []


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[BusinessCentralSimulator, BusinessCentralErp, Receiver]]:
    """Every adapter request and a full order life, once: shipped, invoiced, credited, and notified."""
    bc = BusinessCentralSimulator(port=0).start()
    receiver = Receiver()
    fetch = entra_token_fetcher(bc.login_url, bc.tenant_id, bc.client_id, bc.client_secret)
    root = api_root(bc.api_url, bc.tenant_id, bc.environment)
    api = BcApi.build(root, bc.company_id, TokenCache(fetch, unavailable=ErpUnavailable), page_size=2)
    erp = BusinessCentralErp(api, fee_account="3010")
    BcSubscriptions(api, receiver.url, client_state(bc.client_secret)).ensure()
    company = erp.create_company(
        ErpCompany(name="Nya Bygg AB", vat_no="SE556677889901", external_ref="vat:SE556677889901")
    )
    site = ErpAddress(
        name="Nya Bygg AB", line1="Byggvägen 1", zip_code="11122", city="Stockholm", country="se"
    )
    email = "anna.berg@nyabygg.example"
    buyer = erp.create_customer(
        ErpCustomer(
            email=email,
            first_name="Anna",
            last_name="Berg",
            cell_phone="0701",
            external_ref=f"email:{email}",
            address=site,
        )
    )
    erp.update_customer(buyer.model_copy(update={"first_name": "Annie"}))
    created = erp.create_order(
        ErpOrder(
            external_ref="b2b-1001-lower-case-and-longer-than-thirty-five",
            company_code=company.code,
            currency="SEK",
            comment="Deliver to the site office",
            delivery=ErpDelivery(
                method="x", complete_delivery=False, address=site.model_copy(update={"phone": "07"})
            ),
            lines=[
                ErpOrderLine(
                    line_no=1,
                    part_no="ITEM001",
                    quantity=Decimal(3),
                    unit_price=Decimal(300),
                    discount=Decimal(30),
                    description="Example Product 1",
                    comment="Urgent",
                )
            ],
            fees=[ErpCharge(code="SHIPPING", description="Freight", amount=Decimal(49))],
            discounts=[ErpCharge(code="D", amount=Decimal(-20))],
        )
    )
    bc.ship(created.order_no, {10000: 1})
    bc.ship(created.order_no)
    invoice = bc.invoice(created.order_no)
    bc.credit(invoice["number"], 100)
    list(erp.changed_documents(None))
    list(erp.export_customers(None))
    bc.notifier.wait_idle(10)
    ADAPTER_CALLS.extend(bc.calls)  # what our code sent (the tests below send their own requests too)
    ADAPTER_TOKEN_CALLS.extend(bc.token_calls)
    yield bc, erp, receiver
    receiver.server.stop()
    bc.stop()


def get(bc: BusinessCentralSimulator, path: str, **params: str) -> requests.Response:
    token = requests.post(
        f"{bc.login_url}/{bc.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": bc.client_id,
            "client_secret": bc.client_secret,
            "scope": "https://api.businesscentral.dynamics.com/.default",
        },
        timeout=10,
    ).json()["access_token"]
    url = path if path.startswith("http") else f"{bc.api_root}/companies({bc.company_id})/{path}"
    return requests.get(url, params=params, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def call(
    bc: BusinessCentralSimulator, method: str, path: str, body: Any = None, **headers: str
) -> requests.Response:
    token = get(bc, "customers").request.headers["Authorization"]
    url = (
        f"{bc.api_root}/{path}"
        if path.startswith("subscriptions") or path == "$batch"
        else f"{bc.api_root}/companies({bc.company_id})/{path}"
    )
    return requests.request(method, url, json=body, headers={"Authorization": token, **headers}, timeout=10)


def held(model: Any, payload: dict[str, Any]) -> None:
    assert violations(model, payload) == [], f"{model.__name__} ({model.SOURCE})"
    assert complete(model, payload) == [], f"{model.__name__}: BC answers every property"


# -- the simulator's answers
def test_customers_are_pages_of_complete_customers_with_a_next_link(world):
    bc, _, _ = world
    page = get(bc, "customers", **{"$orderby": "number"})
    assert violations(odata.Page, page.json()) == []
    for customer in page.json()["value"]:
        held(customers.Customer, customer)
    small = get(bc, "customers")
    assert small.json()["value"]
    paged = requests.get(
        f"{bc.api_root}/companies({bc.company_id})/customers",
        headers={"Authorization": small.request.headers["Authorization"], "Prefer": "odata.maxpagesize=1"},
        timeout=10,
    ).json()
    assert len(paged["value"]) == 1 and "$skiptoken" in paged["@odata.nextLink"]
    assert violations(odata.Page, get(bc, paged["@odata.nextLink"]).json()) == []


def test_a_sales_order_and_its_lines_are_bc_s(world):
    bc, erp, _ = world
    ref = erp.find_order("b2b-1001-lower-case-and-longer-than-thirty-five")
    assert ref is not None
    # That order was deleted once posted in full; a new one to read back whole:
    order = call(bc, "POST", "salesOrders", {"customerNumber": "CUST0001", "salesOrderLines": [LINE]})
    assert order.status_code == 201
    held(sales.SalesOrder, order.json())
    expanded = get(bc, f"salesOrders({order.json()['id']})", **{"$expand": "salesOrderLines"}).json()
    lines = expanded.pop("salesOrderLines")
    held(sales.SalesOrder, expanded)
    for line in lines:
        held(sales.SalesOrderLine, line)


@pytest.mark.parametrize(
    ("entity_set", "model", "lines", "line_model"),
    [
        ("salesShipments", documents.SalesShipment, "salesShipmentLines", documents.SalesShipmentLine),
        ("salesInvoices", documents.SalesInvoice, "salesInvoiceLines", documents.SalesInvoiceLine),
        (
            "salesCreditMemos",
            documents.SalesCreditMemo,
            "salesCreditMemoLines",
            documents.SalesCreditMemoLine,
        ),
    ],
)
def test_posted_documents_with_their_lines_are_bc_s(world, entity_set, model, lines, line_model):
    bc, _, _ = world
    found = get(bc, entity_set, **{"$expand": lines}).json()["value"]
    assert found
    for document in found:
        assert violations(model, document) == []
        body = {k: v for k, v in document.items() if k != lines}
        assert complete(model, body | {lines: []}) == []
        for line in document[lines]:
            held(line_model, line)


def test_subscriptions_and_notifications_are_bc_s(world):
    bc, _, receiver = world
    listed = requests.get(
        f"{bc.api_root}/subscriptions", headers=get(bc, "customers").request.headers, timeout=10
    )
    assert len(listed.json()["value"]) == 3
    for subscription in listed.json()["value"]:
        held(webhooks.Subscription, subscription)
    assert receiver.bodies, "BC notified the order, invoice and credit memo changes"
    for body in receiver.bodies:
        assert violations(webhooks.NotificationBody, body) == []
    kinds = {
        item["resource"].split("/")[-1].split("(")[0] for body in receiver.bodies for item in body["value"]
    }
    assert kinds == {"salesOrders", "salesInvoices", "salesCreditMemos"}


def test_a_burst_of_changes_is_one_collection_notification(world):
    bc, _, receiver = world
    bc.notifier.max_notifications, bc.notifier.delay_seconds = 2, 2.0  # all three within one delay
    try:
        for number in ("ITEM001", "ITEM002", "ITEM003"):
            lines = [LINE | {"lineObjectNumber": number}]
            call(bc, "POST", "salesOrders", {"customerNumber": "CUST0001", "salesOrderLines": lines})
        bc.notifier.wait_idle(10)
    finally:
        bc.notifier.max_notifications, bc.notifier.delay_seconds = 1000, 0.3
    last = receiver.bodies[-1]["value"]
    assert [item["changeType"] for item in last] == ["collection"]
    assert "salesOrders?$filter=lastModifiedDateTime%20gt%20" in last[0]["resource"]
    assert violations(webhooks.NotificationBody, receiver.bodies[-1]) == []


def test_the_token_answer_and_its_errors_are_entra_id_s(world):
    bc, _, _ = world
    url = f"{bc.login_url}/{bc.tenant_id}/oauth2/v2.0/token"
    form = {"grant_type": "client_credentials", "client_id": bc.client_id, "client_secret": bc.client_secret,
            "scope": "https://api.businesscentral.dynamics.com/.default"}  # fmt: skip
    assert violations(identity.TokenAnswer, requests.post(url, data=form, timeout=10).json()) == []
    for change, status, code in (
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"scope": "https://graph.microsoft.com/.default"}, 400, "invalid_scope"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
    ):
        answer = requests.post(url, data=form | change, timeout=10)
        assert answer.status_code == status and answer.json()["error"] == code
        assert violations(identity.TokenError, answer.json()) == []


# -- what the simulator refuses, as Business Central refuses it
LINE = {"lineType": "Item", "lineObjectNumber": "ITEM001", "quantity": 1}


CUSTOMER = {"customerNumber": "CUST0001"}
DIALOG = "Application_DialogException"
SHIPMENTS = "/api/v2.0/companies(00000000-0000-0000-0000-000000000000)/salesShipments"
REFUSALS = [
    ("POST", "salesOrders", CUSTOMER | {"Comment": "x"}, 400, "BadRequest",
     "The property 'Comment' does not exist on type 'Microsoft.NAV.salesOrder'"),
    ("POST", "salesOrders", CUSTOMER | {"number": "S-1"}, 400, "BadRequest_InvalidOperation",
     "Control 'number' is read-only"),
    ("POST", "salesOrders", CUSTOMER | {"externalDocumentNumber": "X" * 36}, 400,
     "Application_StringExceededLength", "must be less than or equal to 35 characters"),
    ("POST", "salesOrders", {"salesOrderLines": [LINE]}, 400, DIALOG,
     'A "customerNumber" or a "customerId" must be provided.'),
    ("POST", "salesOrders", CUSTOMER | {"salesOrderLines": [LINE | {"lineObjectNumber": "NOPE"}]}, 400,
     DIALOG, "Item does not exist."),
    ("POST", "salesOrders", CUSTOMER | {"currencyCode": "XXX"}, 400, DIALOG,
     'The "currencyCode" does not match to a Currency.'),
    ("POST", "customers", {"type": "Person"}, 400, DIALOG, 'A "displayName" must be provided.'),
    ("POST", "customers", {"displayName": "X", "type": "Robot"}, 400, "Unknown", "'Robot' is not an option"),
    ("POST", "salesShipments", {}, 405, "BadRequest_MethodNotAllowed", "not allowed"),
    ("POST", "subscriptions", {"notificationUrl": "https://example.invalid/x", "resource": SHIPMENTS}, 400,
     "BadRequest", "not supported for webhooks"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body", "status", "code", "message"), REFUSALS)
def test_bc_s_refusals(world, method, path, body, status, code, message):
    bc, _, _ = world
    answer = call(bc, method, path, body)
    assert answer.status_code == status
    assert violations(odata.Error, answer.json()) == []
    assert answer.json()["error"]["code"] == code and message in answer.json()["error"]["message"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"$filter": "email eq 'a' or number eq 'b'"},
            "The 'OR' operator is not supported on distinct fields",
        ),
        ({"$filter": "taxRegistrationNumber eq 'SE1'"}, "not bound to a table field"),
        ({"$filter": "Email eq 'a'"}, "Could not find a property named 'Email'"),
        ({"$orderby": "currencyCode"}, "not bound to a table field"),
        ({"$select": "displayname"}, "Could not find a property named 'displayname'"),
        ({"$expand": "salesOrderLines"}, "Could not find a property named 'salesOrderLines'"),
    ],
)
def test_queries_bc_cannot_run_are_refused(world, params, message):
    bc, _, _ = world
    answer = get(bc, "customers", **params)
    assert answer.status_code == 400 and message in answer.json()["error"]["message"]


def test_pages_beyond_20000_and_batches_beyond_100_are_refused(world):
    bc, _, _ = world
    token = get(bc, "customers").request.headers["Authorization"]
    big = requests.get(
        f"{bc.api_root}/companies({bc.company_id})/customers",
        headers={"Authorization": token, "Prefer": "odata.maxpagesize=20001"},
        timeout=10,
    )
    assert big.status_code == 400
    batch = {
        "requests": [{"id": str(i), "method": "GET", "url": "companies"} for i in range(odata.MAX_BATCH + 1)]
    }
    assert call(bc, "POST", "$batch", batch).status_code == 400


def test_a_patch_needs_if_match_and_a_stale_etag_gets_412(world):
    bc, _, _ = world
    customer = get(bc, "customers", **{"$filter": "number eq 'CUST0001'"}).json()["value"][0]
    path = f"customers({customer['id']})"
    assert (
        call(bc, "PATCH", path, {"website": "a.example"}).json()["error"]["code"] == "BadRequest_InvalidToken"
    )
    fresh = call(bc, "PATCH", path, {"website": "b.example"}, **{"If-Match": customer["@odata.etag"]})
    assert fresh.status_code == 200 and fresh.json()["@odata.etag"] != customer["@odata.etag"]
    stale = call(bc, "PATCH", path, {"website": "c.example"}, **{"If-Match": customer["@odata.etag"]})
    assert stale.status_code == 412
    assert stale.json()["error"] == {
        "code": "Request_EntityChanged",
        "message": "Another user has already changed the record.",
    }


def test_code_fields_are_held_upper_case_and_ids_are_guids(world):
    bc, _, _ = world
    made = call(
        bc, "POST", "salesOrders", {"customerNumber": "cust0001", "externalDocumentNumber": "po-77 "}
    ).json()
    assert made["externalDocumentNumber"] == "PO-77" and made["customerNumber"] == "CUST0001"
    assert violations(sales.SalesOrder, made) == []


def test_429_beyond_the_rate_with_retry_after(world):
    bc, _, _ = world
    bc.set_faults(rate=(3, 60))
    try:
        statuses = [get(bc, "customers").status_code for _ in range(5)]
        refused = get(bc, "customers")
    finally:
        bc.set_faults(rate=None)
    assert 429 in statuses and int(refused.headers["Retry-After"]) >= 1
    assert violations(odata.Error, refused.json()) == []


# -- what our code sends
def test_every_request_the_adapter_sends_keeps_the_descriptions(world):
    ours = [c for c in ADAPTER_CALLS if c.get("body") is not None or c["method"] == "PATCH"]
    checked = set()
    for request_ in ours:
        path, method, body = request_["path"], request_["method"], request_["body"]
        if (
            method == "POST"
            and path.endswith("salesOrders")
            and "salesOrderLines" in (body or {})
            and "pricesIncludeTax" in body
        ):
            assert violations(sales.SalesOrderCreate, body) == []
            checked.add("salesOrders")
        elif method == "POST" and path.endswith("customers") and "type" in (body or {}):
            assert violations(customers.CustomerCreate, body) == []
            checked.add("customers")
        elif method == "PATCH" and "customers(" in path:
            assert violations(customers.CustomerPatch, body) == [] and request_["headers"].get("If-Match")
            checked.add("patch")
        elif path == "subscriptions" and method == "POST":
            assert violations(webhooks.SubscriptionWrite, body) == []
            checked.add("subscriptions")
        elif path == "$batch":
            assert violations(odata.BatchRequest, body) == []
            assert all(not item["url"].startswith("http") for item in body["requests"]), (
                "relative to the root"
            )
            checked.add("$batch")
    assert checked == {"salesOrders", "customers", "patch", "subscriptions", "$batch"}
    assert ADAPTER_TOKEN_CALLS
    assert all(violations(identity.TokenRequest, form) == [] for form in ADAPTER_TOKEN_CALLS)
    assert all(
        "Prefer" in c["headers"]
        for c in ADAPTER_CALLS
        if c["method"] == "GET" and c["query"].get("$skiptoken")
    )


def test_notifications_are_aggregated_as_bc_aggregates_them():
    """BaseApp APIWebhookNotificationSend.GenerateAggregateNotification: an update merges into the entity's
    pending update; a create then an update are two notifications."""
    from local.business_central.webhooks import Notifier  # noqa: PLC0415

    notifier = Notifier("00000000-0000-0000-0000-000000000001")
    subscription = {"subscriptionId": "s", "clientState": "c", "expirationDateTime": "2099-01-01T00:00:00Z"}
    changes = [
        ("salesOrders", "a", "created", "2026-01-01T00:00:00.001Z"),
        ("salesOrders", "a", "updated", "2026-01-01T00:00:00.002Z"),
        ("salesOrders", "a", "updated", "2026-01-01T00:00:00.003Z"),
        ("salesOrders", "b", "updated", "2026-01-01T00:00:00.004Z"),
        ("salesOrders", "b", "deleted", "2026-01-01T00:00:00.005Z"),
    ]
    sent = notifier._notifications(subscription, "salesOrders", changes)
    assert [
        (n["resource"].rsplit("(", 1)[1][:-1], n["changeType"], n["lastModifiedDateTime"][-4:]) for n in sent
    ] == [
        ("a", "created", "001Z"),
        ("a", "updated", "003Z"),
        ("b", "updated", "004Z"),
        ("b", "deleted", "005Z"),
    ]
    assert violations(webhooks.NotificationBody, {"value": sent}) == []
