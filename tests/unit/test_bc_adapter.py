"""``BusinessCentralErp`` against the Business Central simulator: exactly once with an ERP that keeps no key
of ours, BC's errors sorted by what a retry can do, its limits held, every port method."""

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from local.business_central import BusinessCentralSimulator
from norce_integration.adapters.http.business_central.api import BcApi, api_root
from norce_integration.adapters.http.business_central.entra import entra_token_fetcher
from norce_integration.adapters.http.business_central.erp import BusinessCentralErp
from norce_integration.adapters.http.business_central.fence import UNCERTAIN_SECONDS, InMemoryWriteFence
from norce_integration.adapters.http.caller import Retry
from norce_integration.adapters.http.token_cache import InMemoryTokenStore, TokenCache
from norce_integration.erp.model import (
    ErpAddress,
    ErpCompany,
    ErpCustomer,
    ErpDelivery,
    ErpOrder,
    ErpOrderLine,
)
from norce_integration.erp.ports import ErpRejected, ErpUnavailable


@pytest.fixture
def bc() -> Iterator[BusinessCentralSimulator]:
    with BusinessCentralSimulator(port=0) as simulator:
        yield simulator


class Instances:
    """Lambda instances of one stack: each its own adapter, sharing the token store and the fence (the
    orders table)."""

    def __init__(self, bc: BusinessCentralSimulator) -> None:
        self.bc = bc
        self.tokens = InMemoryTokenStore()
        self.fence = InMemoryWriteFence()
        self.now = 1_000_000.0
        self.slept: list[float] = []

    def erp(self, page_size: int = 1000, fee_account: str | None = "3010") -> BusinessCentralErp:
        bc = self.bc
        fetch = entra_token_fetcher(bc.login_url, bc.tenant_id, bc.client_id, bc.client_secret)
        cache = TokenCache(fetch, self.tokens, unavailable=ErpUnavailable)
        root = api_root(bc.api_url, bc.tenant_id, bc.environment)
        api = BcApi.build(root, bc.company_id, cache, page_size=page_size)
        api.caller.sleep = self.slept.append
        return BusinessCentralErp(api, self.fence, fee_account=fee_account, clock=lambda: self.now)


@pytest.fixture
def instances(bc: BusinessCentralSimulator) -> Instances:
    return Instances(bc)


def order(ref: str = "REF12345", part: str = "ITEM001", customer: str = "CUST0001") -> ErpOrder:
    return ErpOrder(
        external_ref=ref,
        customer_code=customer,
        currency="SEK",
        delivery=ErpDelivery(method="PN", address=ErpAddress(name="John Doe", line1="1 Street", city="Town")),
        lines=[ErpOrderLine(line_no=1, part_no=part, quantity=Decimal(2), unit_price=Decimal(300))],
    )


def posts(bc: BusinessCentralSimulator, path: str) -> list[dict]:
    return [c for c in bc.calls if c["method"] == "POST" and c["path"].endswith(path)]


# -- orders, exactly once
def test_an_order_is_one_sales_order_and_a_second_create_returns_it(instances):
    erp = instances.erp()
    first = erp.create_order(order())
    again = erp.create_order(order())
    assert (first.created, again.created, again.order_no) == (True, False, first.order_no)
    assert erp.find_order("REF12345") == again
    assert [o["externalRef"] for o in instances.bc.orders()] == ["REF12345"]
    assert len(posts(instances.bc, "salesOrders")) == 1, "the lines went in the same POST"


def test_an_order_bc_posted_and_deleted_is_still_found_by_its_shipments_and_invoices(instances):
    erp, bc = instances.erp(), instances.bc
    created = erp.create_order(order())
    bc.ship(created.order_no)
    bc.invoice(created.order_no)
    assert bc.state.find("salesOrders", number=created.order_no) is None, "BC deleted the posted order"
    assert erp.find_order("REF12345").order_no == created.order_no
    assert erp.create_order(order()).created is False


def test_a_lost_answer_makes_no_second_order(instances):
    erp, bc = instances.erp(), instances.bc
    bc.set_faults(drop_responses=1)  # BC creates the order, its answer is lost (504)
    with pytest.raises(ErpUnavailable):
        erp.create_order(order())
    found = erp.find_order("REF12345")  # what the processor asks first on the next attempt
    assert found is not None and found.created is False
    assert instances.erp().create_order(order()).order_no == found.order_no
    assert len(bc.orders()) == 1


def test_after_an_unknown_outcome_no_other_attempt_posts_until_bc_has_surely_finished(instances):
    erp, bc = instances.erp(), instances.bc
    bc.set_faults(drop_responses=1)
    bc.state.on_change = lambda *_: None
    with pytest.raises(ErpUnavailable):
        erp.create_order(order())
    bc.state.table("salesOrders").clear()  # as if BC were still working on it: nothing to find yet
    with pytest.raises(ErpUnavailable, match="another attempt") as waiting:
        instances.erp().create_order(order())
    assert 5 <= (waiting.value.retry_after or 0) <= 300
    instances.now += UNCERTAIN_SECONDS + 1  # BC ends any request within 10 minutes
    assert instances.erp().create_order(order()).created is True


def test_bc_refusing_with_429_is_retried_after_its_retry_after(instances):
    instances.bc.set_faults(status=429, count=1, retry_after_seconds=1, paths=["salesOrders"])
    assert instances.erp().create_order(order()).created is True
    assert instances.slept and instances.slept[0] >= 1
    assert len(instances.bc.orders()) == 1


def test_a_long_retry_after_leaves_the_retry_to_the_queue_and_frees_the_order_at_once(instances):
    instances.bc.set_faults(status=429, count=1, retry_after_seconds=120, paths=["salesOrders"])
    with pytest.raises(ErpUnavailable) as refused:
        instances.erp().create_order(order())
    assert refused.value.retry_after == 120
    assert instances.erp().create_order(order()).created is True, "a refused POST wrote nothing: no wait"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"part": "ITEM404"}, "Item does not exist."),
        ({"customer": "NOSUCH"}, "The sell-to customer cannot be found."),
    ],
)
def test_bc_s_business_errors_are_rejected_with_its_message(instances, change, message):
    with pytest.raises(ErpRejected, match=message):
        instances.erp().create_order(order(**change))
    assert instances.bc.orders() == []


def test_a_blocked_customer_is_rejected_with_bc_s_message(instances):
    instances.bc.edit_customer("CUST0001", {"blocked": "All"})
    with pytest.raises(ErpRejected, match="Customer CUST0001 is blocked with type All"):
        instances.erp().create_order(order())


# -- customers and companies, exactly once
def test_two_instances_creating_one_new_buyer_at_once_make_one_customer(instances):
    new = ErpCustomer(email="New.Buyer@Example.com", first_name="New", last_name="Buyer",
                      external_ref="email:new.buyer@example.com")  # fmt: skip
    made: list[str] = []
    errors: list[Exception] = []

    def create() -> None:
        try:
            made.append(instances.erp().create_customer(new).code or "")
        except ErpUnavailable as error:  # the other instance holds the fence: the queue retries it
            errors.append(error)

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    retried = [instances.erp().create_customer(new).code for _ in errors]
    assert len(set(made + retried)) == 1
    assert len([c for c in instances.bc.parties("customers") if c["email"] == "New.Buyer@Example.com"]) == 1


def test_a_person_is_found_by_e_mail_in_any_case(instances):
    assert instances.erp().find_customer(email="JOHN.DOE@example.com").code == "CUST0001"


def test_a_buyer_without_a_natural_key_whose_create_answer_was_lost_is_found_not_made_twice(instances):
    erp, bc = instances.erp(), instances.bc
    keyless = ErpCustomer(first_name="Anon", last_name="Buyer", external_ref="order:abc:REF9:customer")
    bc.set_faults(drop_responses=1)
    with pytest.raises(ErpUnavailable):
        erp.create_customer(keyless)
    assert erp.find_customer(external_ref="order:abc:REF9:customer") is None, "nothing remembered yet"
    instances.now += UNCERTAIN_SECONDS + 1
    code = instances.erp().create_customer(keyless).code
    assert [c["code"] for c in bc.parties("customers") if c["name"] == "Anon Buyer"] == [code]
    assert instances.erp().find_customer(external_ref="order:abc:REF9:customer").code == code


def test_a_company_is_found_by_its_vat_number_compared_normalised(instances):
    instances.bc.add_customer(number="B1", type="Company", displayName="Nya Bygg AB",
                              taxRegistrationNumber="se 556677-8899 01")  # fmt: skip
    found = instances.erp(page_size=1).find_company(vat_no="SE556677889901", organization_no="556677-8899")
    assert found is not None and found.code == "B1"
    created = instances.erp().create_company(ErpCompany(name="Nya Bygg AB", vat_no="SE556677889901",
                                                        external_ref="vat:SE556677889901"))  # fmt: skip
    assert created.code == "B1", "found before created: no second company"


def test_an_update_patches_with_if_match_and_retries_when_bc_changed_it_meanwhile(instances):
    erp, bc = instances.erp(), instances.bc
    original = erp.api.request
    edits = ["a person edits it between our read and our write"]

    def edited_meanwhile(method: str, url: str, **options):
        if method == "PATCH" and edits:
            edits.pop()
            bc.edit_customer("CUST0001", {"website": "example.com"})
        return original(method, url, **options)

    erp.api.request = edited_meanwhile  # type: ignore[method-assign]
    erp.update_customer(
        ErpCustomer(code="CUST0001", first_name="Johnny", last_name="Doe", email="john.doe@example.com")
    )
    patches = [c for c in bc.calls if c["method"] == "PATCH"]
    assert [c["status"] for c in patches] == [412, 200]
    assert all(c["headers"].get("If-Match") for c in patches)
    assert patches[-1]["body"] == {"displayName": "Johnny Doe"}, "only what differs"
    assert bc.customer("CUST0001")["displayName"] == "Johnny Doe"


def test_an_update_that_changes_nothing_writes_nothing(instances):
    instances.erp().update_customer(
        ErpCustomer(code="CUST0001", first_name="John", last_name="Doe", email="john.doe@example.com")
    )
    assert [c for c in instances.bc.calls if c["method"] == "PATCH"] == []


# -- exports and the change feed
def test_exports_page_by_next_link_persons_and_companies_apart_and_a_delta_by_last_modified(instances):
    bc = instances.bc
    bc.seed(customers=5, companies=3)
    erp = instances.erp(page_size=2)
    assert len(list(erp.export_customers(None))) == 6  # 5 seeded and CUST0001
    assert len(list(erp.export_companies(None))) == 3
    assert sum(1 for c in bc.calls if c["path"].endswith("customers")) >= 3, "pages of 2"
    since = datetime.now(UTC) - timedelta(milliseconds=1)
    bc.edit_customer("C0000002", {"displayName": "Changed Name"})
    assert [c.code for c in erp.export_customers(since)] == ["C0000002"]


def test_the_change_feed_is_oldest_first_across_shipments_invoices_and_credit_memos(instances):
    erp, bc = instances.erp(), instances.bc
    no = erp.create_order(order()).order_no
    bc.ship(no, {10000: 1})
    bc.ship(no)
    invoice = bc.invoice(no)
    bc.credit(invoice["number"], 100)
    calls = len(bc.calls)
    documents = list(erp.changed_documents(None))
    assert [(d.kind, d.document_no) for d in documents] == [
        ("deliveryNote", "S-SHPT102001"),
        ("deliveryNote", "S-SHPT102002"),
        ("invoice", "S-INV103001"),
        ("creditNote", "S-CR104001"),
    ]
    assert documents[-1].order_no == no and documents[-1].credited_invoice_no == "S-INV103001"
    first_pages = [c for c in bc.calls[calls:] if c["path"] == "$batch"]
    assert len(first_pages) == 1, "the three first pages in one $batch"
    later = documents[1].changed_at
    assert next(d.document_no for d in erp.changed_documents(later)) == "S-SHPT102002"


# -- limits and the token
def test_at_most_five_requests_at_once_however_many_threads(instances):
    erp, bc = instances.erp(), instances.bc
    bc.set_faults(latency_ms=50)
    threads = [threading.Thread(target=erp.find_customer, kwargs={"code": "CUST0001"}) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 1 < bc.peak_in_flight <= 5


def test_one_token_for_every_instance_renewed_once_when_bc_refuses_it(instances):
    bc = instances.bc
    for _ in range(3):
        instances.erp().find_customer(code="CUST0001")
    assert bc.token_requests == 1
    bc.tokens.clear()  # BC no longer takes it
    assert instances.erp().find_customer(code="CUST0001").code == "CUST0001"
    assert bc.token_requests == 2


def test_wrong_client_credentials_are_rejected_with_entra_s_reason(instances):
    erp = instances.erp()
    instances.bc.client_secret = "rotated"  # the app's secret changed in Entra ID, not in our secret
    with pytest.raises(ErpRejected, match="invalid_client"):
        erp.find_customer(code="CUST0001")


def test_a_page_larger_than_bc_allows_is_refused_before_any_call():
    with pytest.raises(ValueError, match="20000"):
        BcApi.build("http://x/api/v2.0", "id", TokenCache(lambda: ("t", 3600)), page_size=20_001)


def test_writes_are_not_retried_blind_reads_are(instances):
    erp = instances.erp()
    instances.bc.set_faults(status=500, count=1)
    assert erp.find_customer(code="CUST0001") is not None, "a GET is retried"
    instances.bc.set_faults(status=500, count=1)
    with pytest.raises(ErpUnavailable):
        erp.api.request("POST", erp.api.url("customers"), retry=Retry.IF_REFUSED, json={"displayName": "X"})
    assert len(posts(instances.bc, "customers")) == 1


def test_a_notification_reads_back_only_what_can_hold_new_documents(instances):
    from norce_integration.adapters.http.business_central.webhooks import BcChanges  # noqa: PLC0415
    from norce_integration.erp.model import ErpChange  # noqa: PLC0415

    erp, bc = instances.erp(), instances.bc
    reader = BcChanges(erp.api, erp.documents)
    company = f"api/v2.0/companies({bc.company_id})"
    nothing_to_read = [
        ErpChange(
            resource=f"{company}/salesOrders(6a1c2d3e-4f5a-4b6c-9d7e-8f9a0b1c2d3e)", change_type="created"
        ),
        ErpChange(
            resource=f"{company}/salesOrders(6a1c2d3e-4f5a-4b6c-9d7e-8f9a0b1c2d3e)", change_type="deleted"
        ),
        ErpChange(
            resource=f"{company}/customers(6a1c2d3e-4f5a-4b6c-9d7e-8f9a0b1c2d3e)", change_type="updated"
        ),
        ErpChange(
            resource="api/v2.0/companies(00000000-0000-0000-0000-000000000001)/salesInvoices(6a1c2d3e-4f5a-4b6c-"
            "9d7e-8f9a0b1c2d3e)",
            change_type="created",
        ),
    ]
    calls = len(bc.calls)
    assert list(reader.documents_for(nothing_to_read)) == []
    assert len(bc.calls) == calls
    order_no = erp.create_order(order()).order_no
    bc.ship(order_no)
    invoice = bc.invoice(order_no)
    since = datetime.now(UTC) - timedelta(minutes=1)
    collection = ErpChange(
        resource=f"/{company}/salesInvoices?$filter=lastModifiedDateTime%20gt%20{since.isoformat()}",
        change_type="collection",
    )
    assert [d.document_no for d in reader.documents_for([collection])] == [invoice["number"]]


def test_waiting_for_another_attempt_names_no_personal_data(instances):
    email = "private.person@example.com"
    instances.fence.begin(f"ref:email:{email}", "another instance", instances.now)
    with pytest.raises(ErpUnavailable) as waiting:
        instances.erp().create_customer(
            ErpCustomer(email=email, first_name="P", external_ref=f"email:{email}")
        )
    assert "private.person" not in str(waiting.value) and "this customer" in str(waiting.value)
