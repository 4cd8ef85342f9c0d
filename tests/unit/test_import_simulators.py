"""The simulators for scheduled customer/company imports: the ERP's seeded export (paging, faults, bad
data), streamed into Norce Connect's ImportCustomers/ImportCompanies. Over HTTP, as the integration uses
them."""

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from local.erp_simulator import ErpSimulator
from local.norce import NorceConnectSimulator
from norce_integration.adapters.http.erp_client import HttpErp
from norce_integration.adapters.http.norce_connect import HttpNorceConnect
from norce_integration.contracts.connect import ImportHeader
from norce_integration.erp.model import ErpCustomer
from norce_integration.imports.config import Entity, ImportConfig, Mode
from norce_integration.imports.ports import RunSummary
from norce_integration.imports.records import RecordWriter, Skipped
from norce_integration.imports.stream import ImportBody

ERP_KEY = {"X-Api-Key": "erp-local-key"}
CUSTOMER_FIELDS = ["Code", "EmailAddress", "FirstName"]


@pytest.fixture(scope="module")
def norce_server() -> Iterator[NorceConnectSimulator]:
    with NorceConnectSimulator(port=0, full_file_key="FullFile") as simulator:
        yield simulator


@pytest.fixture(scope="module")
def erp_server() -> Iterator[ErpSimulator]:
    with ErpSimulator(port=0) as simulator:
        yield simulator


@pytest.fixture
def erp(erp_server: ErpSimulator) -> ErpSimulator:
    erp_server.reset()
    return erp_server


# -- the ERP
def seed(erp: ErpSimulator, **body: Any) -> requests.Response:
    return requests.post(f"{erp.url}/_seed", json=body, timeout=30)


def export(erp: ErpSimulator, kind: str = "customers", page_size: int = 500) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"changedSince": "", "pageSize": page_size}
    while True:
        answer = requests.get(f"{erp.url}/{kind}", params=params, headers=ERP_KEY, timeout=30)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        items += page["items"]
        if not page["nextPageToken"]:
            return items
        params["pageToken"] = page["nextPageToken"]


def test_seeding_holds_exactly_the_numbers_asked_for_and_keeps_what_stays(erp: ErpSimulator) -> None:
    assert seed(erp, customers=30, companies=4).json() == {"customers": 30, "companies": 4}
    before = {c["code"]: c for c in erp.parties("customers")}
    time.sleep(0.002)

    assert seed(erp, customers=20).json() == {"customers": 20, "companies": 4}
    assert erp.seed(customers=25) == {"customers": 25, "companies": 4}

    after = {c["code"]: c for c in erp.parties("customers")}
    assert sorted(after) == [f"C{n:07d}" for n in range(1, 26)]
    assert all(after[code] == before[code] for code in before if code <= "C0000020"), "unchanged kept"
    assert all(after[f"C{n:07d}"]["changedAt"] > before["C0000001"]["changedAt"] for n in range(21, 26))
    first = after["C0000005"]
    assert first["email"] == "customer5@example.com" and first["companyCode"] == "B000001"
    assert first["address"]["country"] == "SE" and first["firstName"] and first["cellPhone"]
    assert after["C0000004"]["companyCode"] is None
    [company] = [c for c in erp.parties("companies") if c["code"] == "B000001"]
    assert company["vatNo"] == f"SE{company['organizationNo']}01" and len(company["organizationNo"]) == 10


def test_a_removed_company_unlinks_its_contacts(erp: ErpSimulator) -> None:
    erp.seed(customers=20, companies=4)
    before = {c["code"]: c for c in erp.parties("customers")}

    erp.seed(companies=2)

    after = {c["code"]: c for c in erp.parties("customers")}
    assert {c["code"] for c in erp.parties("companies")} == {"B000001", "B000002"}
    assert after["C0000015"]["companyCode"] is None and after["C0000020"]["companyCode"] is None
    assert after["C0000015"]["changedAt"] > before["C0000015"]["changedAt"]
    assert after["C0000005"] == before["C0000005"]


def test_seeding_refuses_what_is_not_a_number(erp: ErpSimulator) -> None:
    assert seed(erp, customers=-1).status_code == 400
    assert seed(erp, customers="10").status_code == 400
    assert seed(erp, anonymised="C0000001").status_code == 400
    assert erp.parties("customers") == []


def test_seeding_100k_customers_gives_exactly_what_was_asked(erp: ErpSimulator) -> None:
    """How fast is bench's business (docs/performance.md), not a timed test's."""
    assert erp.seed(customers=100_000, companies=1000) == {"customers": 100_000, "companies": 1000}
    assert len(erp.parties("customers")) == 100_000


def test_the_export_pages_through_10000_seeded_customers_exactly_once(erp: ErpSimulator) -> None:
    erp.seed(customers=10_000)  # one changedAt for all of them: paging goes by code within it

    codes = [c["code"] for c in export(erp, page_size=777)]

    assert codes == [f"C{n:07d}" for n in range(1, 10_001)]


def test_the_export_fails_on_the_page_asked_for_in_every_run(erp: ErpSimulator) -> None:
    erp.seed(customers=30, companies=30)
    answer = requests.post(f"{erp.url}/_faults", json={"failExportOnPage": 2}, timeout=10)
    assert answer.json()["failExportOnPage"] == 2
    url, params = f"{erp.url}/customers", {"changedSince": "", "pageSize": "10"}

    first = requests.get(url, params=params, headers=ERP_KEY, timeout=10)
    token = {**params, "pageToken": first.json()["nextPageToken"]}
    second = requests.get(url, params=token, headers=ERP_KEY, timeout=10)
    again = requests.get(url, params=token, headers=ERP_KEY, timeout=10)  # a retry of page 2
    erp.set_faults(fail_export_on_page=3)
    third = requests.get(url, params=token, headers=ERP_KEY, timeout=10)  # still page 2: answered

    assert (first.status_code, second.status_code, again.status_code, third.status_code) == (
        200,
        503,
        503,
        200,
    )
    page_three = {**params, "pageToken": third.json()["nextPageToken"]}
    assert requests.get(url, params=page_three, headers=ERP_KEY, timeout=10).status_code == 503
    erp.set_faults(fail_export_on_page=2)
    with pytest.raises(AssertionError, match="503"):
        export(erp, "companies", page_size=10)  # a new run, of companies: page 2 fails again
    erp.set_faults(fail_export_on_page=None)
    assert len(export(erp, "companies", page_size=10)) == 30


def test_bad_customers_come_last_and_anonymised_ones_are_marked(erp: ErpSimulator) -> None:
    erp.seed(customers=10)
    answer = seed(erp, bad=True, anonymised=["C0000002", "C9999999"])
    assert answer.json() == {"customers": 10, "companies": 0, "anonymised": ["C0000002"]}

    items = export(erp, page_size=4)

    assert len(items) == 13
    assert [c["code"] for c in items[-4:]] == ["C0000002", "CBAD00001", "C0000001", None]
    assert items[-4]["anonymised"] is True and items[-2]["firstName"] == "Duplicate"
    writer = RecordWriter(Entity.CUSTOMERS, ImportConfig(account_id=1))
    skipped = [
        r.reason
        for r in (writer.record(ErpCustomer.model_validate(c)) for c in items)
        if isinstance(r, Skipped)
    ]
    assert skipped == [
        "invalid e-mail address",
        "Code already sent in this run (duplicated in the ERP)",
        "neither Code nor e-mail",
    ]
    seed(erp, bad=False)
    assert len(export(erp)) == 10


# -- the ERP streamed into Norce (Norce's customer service itself: test_norce_customer_service.py)
def test_the_integration_streams_a_seeded_erp_into_norce(
    erp: ErpSimulator, norce: NorceConnectSimulator
) -> None:
    erp.seed(customers=2000, companies=50, bad=True, anonymised=["C0000002"])
    source = HttpErp(erp.url, "erp-local-key", page_size=300)
    connect = HttpNorceConnect(
        norce.connect_url,
        basic=(norce.application_id, "connect-local-secret"),
        full_file_in="stormconnect-header",
    )
    config = ImportConfig(account_id=1, application_key="123e4567-e89b-12d3-a456-426614174000")
    jobs = []
    for entity, read in (
        (Entity.COMPANIES, source.export_companies),
        (Entity.CUSTOMERS, source.export_customers),
    ):
        summary = RunSummary(entity, Mode.FULL, started_at=0.0)
        body = ImportBody(read(None), RecordWriter(entity, config), summary)
        fields = list(config.fields(entity))
        header = (
            ImportHeader(AccountId=1, CustomerFieldsThatAreSet=fields)
            if entity is Entity.CUSTOMERS
            else ImportHeader(AccountId=1, CompanyFieldsThatAreSet=fields)
        )
        jobs.append(connect.import_stream(entity, body.chunks(), header, full_file=True).job_id)

    assert [connect.get_job(job).StatusId for job in jobs] == [2, 2]
    assert summary.skipped == {
        "invalid e-mail address": 1,
        "Code already sent in this run (duplicated in the ERP)": 1,
        "neither Code nor e-mail": 1,
    }
    assert norce.count_held("customers") == {"active": 2000, "inactive": 0}
    by_code = {c["Code"]: c for c in norce.customers.values()}
    companies = {c["Code"]: c["Id"] for c in norce.companies.values()}
    assert by_code["C0000005"]["Companies"] == [companies["B000001"]]
    assert by_code["C0000002"]["EmailAddress"] is None and by_code["C0000002"]["FirstName"] is None
    assert norce.count_held("companies") == {"active": 50, "inactive": 0}
