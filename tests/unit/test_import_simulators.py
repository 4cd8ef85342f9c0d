"""The simulators for scheduled customer/company imports: the ERP's seeded export (paging, faults, bad
data) and Norce Connect's ImportCustomers/ImportCompanies from a chunked body. Over HTTP, as the
integration uses them."""

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from local.erp_simulator import ErpSimulator
from local.norce import NorceConnectSimulator
from local.norce.connect import CONNECT
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
    with NorceConnectSimulator(port=0) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def erp_server() -> Iterator[ErpSimulator]:
    with ErpSimulator(port=0) as simulator:
        yield simulator


@pytest.fixture
def norce(norce_server: NorceConnectSimulator) -> NorceConnectSimulator:
    norce_server.reset()  # one server for the module, fresh state
    return norce_server


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


# -- Norce Connect imports
def chunks(records: list[Any], fail_at: int | None = None) -> Iterator[bytes]:
    """A JSON array in pieces, as the integration streams it; ``fail_at``: stop sending there."""
    yield b"["
    for number, record in enumerate(records):
        if number == fail_at:
            raise RuntimeError("the ERP export failed")
        yield (b"," if number else b"") + json.dumps(record).encode()
    yield b"]"


def import_customers(
    norce: NorceConnectSimulator,
    body: Iterator[bytes] | bytes,
    fields: list[str] | None = None,
    full: bool = False,
    path: str = "Customer/ImportCustomers",
) -> requests.Response:
    fields_key = "CustomerFieldsThatAreSet" if path.endswith("Customers") else "CompanyFieldsThatAreSet"
    header = {"AccountId": 1, fields_key: fields or CUSTOMER_FIELDS, "FullFile": full}
    return requests.post(
        f"{norce.url}{CONNECT}/{path}",
        data=body,
        headers={
            "Authorization": norce.basic,
            "Content-Type": "application/json",
            "X-StormConnect-Header": json.dumps(header),
        },
        timeout=60,
    )


def customer(number: int, **changes: Any) -> dict[str, Any]:
    return {
        "Code": f"C{number:07d}",
        "EmailAddress": f"customer{number}@example.com",
        "FirstName": f"First{number}",
        "LastName": f"Last{number}",
        **changes,
    }


def job_status(norce: NorceConnectSimulator, job_id: int) -> dict[str, Any]:
    answer = requests.get(
        f"{norce.url}{CONNECT}/Job/Get",
        params={"id": job_id},
        headers={"Authorization": norce.basic},
        timeout=10,
    )
    return dict(answer.json())


def test_a_chunked_import_upserts_by_code_and_writes_only_the_listed_fields(
    norce: NorceConnectSimulator,
) -> None:
    held = norce.hold("customers", {"EmailAddress": "customer1@example.com", "LastName": "Kept"})
    first = import_customers(norce, chunks([customer(1), customer(2), customer(3)]))
    assert first.status_code == 200

    renamed = customer(2, EmailAddress="new@example.com", FirstName="Changed", LastName="Ignored")
    second = import_customers(norce, chunks([renamed]))

    assert second.status_code == 200 and job_status(norce, second.json())["StatusId"] == 2
    by_code = {c.get("Code"): c for c in norce.customers.values()}
    assert set(by_code) == {"C0000001", "C0000002", "C0000003"}
    assert by_code["C0000001"]["Id"] == held["Id"] and by_code["C0000001"]["LastName"] == "Kept"
    assert "LastName" not in by_code["C0000003"], "LastName is not a listed field"
    two = by_code["C0000002"]
    assert (two["EmailAddress"], two["FirstName"], two["IsActive"]) == ("new@example.com", "Changed", True)
    assert two["Updated"] > by_code["C0000003"]["Updated"]


def test_a_full_import_deactivates_what_it_does_not_name(norce: NorceConnectSimulator) -> None:
    import_customers(norce, chunks([customer(n) for n in range(1, 6)]))
    norce.hold("customers", {"EmailAddress": "checkout@example.com"})

    full = import_customers(norce, chunks([customer(2), customer(4), customer(6)]), full=True)

    assert full.status_code == 200
    active = {c.get("Code") or c["EmailAddress"]: c["IsActive"] for c in norce.customers.values()}
    assert active == {
        "C0000001": False,
        "C0000002": True,
        "C0000003": False,
        "C0000004": True,
        "C0000005": False,
        "checkout@example.com": False,
        "C0000006": True,
    }
    count = requests.get(f"{norce.url}/_customers/count", timeout=10).json()
    assert count == {"active": 3, "inactive": 4}
    inactive = requests.get(f"{norce.url}/_customers", params={"active": "false"}, timeout=10).json()
    assert len(inactive) == 4 and not any(c["IsActive"] for c in inactive)
    assert requests.get(f"{norce.url}/_customers", params={"active": "maybe"}, timeout=10).status_code == 400
    [_, job] = requests.get(f"{norce.url}/_jobs", timeout=10).json()
    assert job == {
        "JobId": full.json(),
        "kind": "customers",
        "count": 3,
        "full": True,
        "AccountId": 1,
        "StatusId": 2,
        "inserted": 1,
        "updated": 2,
        "errors": 0,
    }
    assert requests.get(f"{norce.url}/_companies/count", timeout=10).json() == {"active": 0, "inactive": 0}


def test_an_upload_cut_short_creates_no_job_and_changes_nothing(norce: NorceConnectSimulator) -> None:
    import_customers(norce, chunks([customer(1)]))

    with pytest.raises(RuntimeError, match="export failed"):
        import_customers(norce, chunks([customer(n) for n in range(1, 5000)], fail_at=3000), full=True)
    broken = import_customers(norce, b'[{"Code": "C0000009"}')  # complete request, not JSON

    deadline = time.monotonic() + 5
    while norce.stats["aborted imports"] < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert norce.stats["aborted imports"] == 2
    assert broken.status_code == 400
    assert len(norce.jobs) == 1
    assert [(c["Code"], c["IsActive"]) for c in norce.customers.values()] == [("C0000001", True)]


def test_unknown_header_fields_are_refused(norce: NorceConnectSimulator) -> None:
    answer = import_customers(norce, chunks([customer(1)]), fields=["Code", "Email"])
    company = import_customers(
        norce, chunks([{"Code": "B1"}]), fields=["Code", "FirstName"], path="Customer/ImportCompanies"
    )

    assert answer.status_code == 400 and "Email" in answer.json()["Message"]
    assert company.status_code == 400 and "FirstName" in company.json()["Message"]
    assert norce.jobs == {} and norce.customers == {} and norce.companies == {}


def get_log(norce: NorceConnectSimulator, job_id: int) -> list[dict[str, Any]]:
    answer = requests.get(
        f"{norce.url}{CONNECT}/Job/GetLog",
        params={"id": job_id},
        headers={"Authorization": norce.basic},
        timeout=10,
    )
    return list(answer.json())


def test_a_record_without_a_match_key_fails_validation(norce: NorceConnectSimulator) -> None:
    records = [customer(1), {"FirstName": "Nobody", "LastName": "Known"}, "not a record"]

    job_id = import_customers(norce, chunks(records)).json()

    job = job_status(norce, job_id)
    assert (job["StatusId"], job["Insert"], job["Fail"], job["Totals"]) == (4, 1, 2, 3)
    log = get_log(norce, job_id)
    assert [(line["SeverityId"], line["ImportedRow"]) for line in log] == [(3, 2), (3, 3)]
    assert "no Id, Code or EmailAddress" in log[0]["Message"] and log[0]["TimeStamp"]
    assert [c["Code"] for c in norce.customers.values()] == ["C0000001"]


def test_a_customer_of_a_company_norce_does_not_hold_fails_the_job(norce: NorceConnectSimulator) -> None:
    records = [customer(1), {"FirstName": "Nobody"}, customer(3, Companies=[{"Code": "B404"}])]

    job_id = import_customers(norce, chunks(records), fields=[*CUSTOMER_FIELDS, "Companies"]).json()

    assert job_status(norce, job_id)["StatusId"] == 3  # as before: Failed, not only validation
    log = get_log(norce, job_id)
    assert [line["ImportedRow"] for line in log] == [2, 3] and "Company B404 does not exist" in log[1][
        "Message"
    ]
    assert [c["Code"] for c in norce.customers.values()] == ["C0000001"]
    norce.set_faults(fail_jobs=True)
    assert job_status(norce, import_customers(norce, chunks([customer(1)])).json())["StatusId"] == 3


def test_a_fault_answers_the_import_after_reading_the_whole_body(norce: NorceConnectSimulator) -> None:
    requests.post(
        f"{norce.url}/_faults",
        json={"status": 429, "count": 1, "retryAfterSeconds": 7, "paths": ["Customer/ImportCustomers"]},
        timeout=10,
    )

    limited = import_customers(norce, chunks([customer(n) for n in range(1, 20_001)]))
    norce.set_faults(status=503, count=1)
    unavailable = import_customers(norce, chunks([customer(1)]))
    accepted = import_customers(norce, chunks([customer(1)]))

    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "7")
    assert (unavailable.status_code, accepted.status_code) == (503, 200)
    assert list(norce.jobs) == [accepted.json()] and len(norce.customers) == 1
    calls = norce.calls_to("Customer/ImportCustomers")
    assert [c["status"] for c in calls] == [429, 503, 200] and calls[0]["records"] == 20_000


def test_100k_customers_in_chunks_and_at_once_are_imported_whole(norce: NorceConnectSimulator) -> None:
    records = [
        customer(n, InvoiceAddress={"AddressLine1": "Storgatan 1", "CountryCode": "SE"})
        for n in range(100_000)
    ]
    body = json.dumps(records).encode()
    fields = [*CUSTOMER_FIELDS, "LastName", "InvoiceAddress"]

    first = import_customers(norce, iter([body[i : i + 65536] for i in range(0, len(body), 65536)]), fields)
    again = import_customers(norce, iter([body]), fields, full=True)

    assert (first.status_code, again.status_code) == (200, 200)
    assert requests.get(f"{norce.url}/_customers/count", timeout=10).json() == {
        "active": 100_000,
        "inactive": 0,
    }
    assert [job["StatusId"] for job in requests.get(f"{norce.url}/_jobs", timeout=10).json()] == [2, 2]


def test_the_integration_streams_a_seeded_erp_into_norce(
    erp: ErpSimulator, norce: NorceConnectSimulator
) -> None:
    erp.seed(customers=2000, companies=50, bad=True, anonymised=["C0000002"])
    source = HttpErp(erp.url, "erp-local-key", page_size=300)
    connect = HttpNorceConnect(norce.connect_url, basic=(norce.application_id, "connect-local-secret"))
    config = ImportConfig(account_id=1)
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
        jobs.append(connect.import_stream(entity, body.chunks(), header, full_file=True))

    assert [connect.get_job(job).StatusId for job in jobs] == [2, 2]
    assert summary.skipped == {
        "invalid e-mail address": 1,
        "Code already sent in this run (duplicated in the ERP)": 1,
        "neither Code nor e-mail": 1,
    }
    assert norce.count_held("customers") == {"active": 2000, "inactive": 0}
    by_code = {c["Code"]: c for c in norce.customers.values()}
    assert by_code["C0000005"]["Companies"] == ["B000001"]
    assert by_code["C0000002"]["EmailAddress"] is None and by_code["C0000002"]["FirstName"] is None
    assert norce.count_held("companies") == {"active": 50, "inactive": 0}
