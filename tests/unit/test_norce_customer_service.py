"""The local Norce's customer service over HTTP, as Norce publishes it: ImportCustomers / ImportCompanies
refused (400) where Norce's schema refuses, matched by Id, then Code (then e-mail / organisation number
only when both are omitted), the company relations and both ``Is*ListDelta`` flags, Contacts vs Customers,
rows refused while the others are applied, the JobResponse, Job/Get and Job/GetLog, the full-import flag
only where it is configured."""

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from local.norce import NorceConnectSimulator
from local.norce.connect import CONNECT

APP = "123e4567-e89b-12d3-a456-426614174000"


@pytest.fixture(scope="module")
def norce_server() -> Iterator[NorceConnectSimulator]:
    with NorceConnectSimulator(port=0, full_file_key="FullFile") as simulator:
        yield simulator


@pytest.fixture
def norce(norce_server: NorceConnectSimulator) -> NorceConnectSimulator:
    norce_server.reset()
    norce_server.full_file_key = "FullFile"
    return norce_server


def chunks(records: list[Any], fail_at: int | None = None) -> Iterator[bytes]:
    """A JSON array in pieces, as the integration streams it; ``fail_at``: stop sending there."""
    yield b"["
    for number, record in enumerate(records):
        if number == fail_at:
            raise RuntimeError("the ERP export failed")
        yield (b"," if number else b"") + json.dumps(record).encode()
    yield b"]"


def post(
    norce: NorceConnectSimulator,
    records: Any,
    customer_fields: list[Any] | None = None,
    company_fields: list[Any] | None = None,
    path: str = "Customer/ImportCustomers",
    raw_header: str | None = None,
    **header: Any,
) -> requests.Response:
    """An import with a header Norce takes (``header`` adds to it, a None value drops a property)."""
    values = {
        "AccountId": 1,
        "CustomerFieldsThatAreSet": customer_fields if customer_fields is not None else ["Code"],
        "CompanyFieldsThatAreSet": company_fields if company_fields is not None else ["Code"],
        **header,
    }
    values = {key: value for key, value in values.items() if value is not None}
    body = records if isinstance(records, bytes | Iterator) else json.dumps(records).encode()
    return requests.post(
        f"{norce.url}{CONNECT}/{path}",
        data=body,
        headers={
            "Authorization": norce.basic,
            "Content-Type": "application/json",
            "X-StormConnect-Header": raw_header if raw_header is not None else json.dumps(values),
        },
        timeout=60,
    )


def companies(
    norce: NorceConnectSimulator, records: Any, fields: list[Any], **header: Any
) -> requests.Response:
    return post(norce, records, company_fields=fields, path="Customer/ImportCompanies", **header)


def job(norce: NorceConnectSimulator, job_id: Any, what: str = "Get") -> requests.Response:
    return requests.get(
        f"{norce.url}{CONNECT}/Job/{what}",
        params={"id": job_id},
        headers={"Authorization": norce.basic},
        timeout=10,
    )


def customer(number: int, **changes: Any) -> dict[str, Any]:
    return {
        "Code": f"C{number:07d}",
        "EmailAddress": f"customer{number}@example.com",
        "FirstName": f"First{number}",
        "LastName": f"Last{number}",
        **changes,
    }


def by_code(norce: NorceConnectSimulator, kind: str = "customers") -> dict[str, dict[str, Any]]:
    store = norce.customers if kind == "customers" else norce.companies
    return {entity["Code"]: entity for entity in store.values() if entity.get("Code")}


FIELDS = ["Code", "EmailAddress", "FirstName"]


# -- the answer and what is written
def test_an_import_is_answered_with_a_job_response_and_writes_only_the_listed_fields(norce):
    held = norce.hold("customers", {"EmailAddress": "customer1@example.com", "LastName": "Kept"})
    first = post(norce, chunks([customer(1, Id=held["Id"]), customer(2), customer(3)]), FIELDS)

    assert first.status_code == 200
    answer = first.json()
    assert answer == {
        "StatusCode": "OK",
        "Description": f"Job {answer['JobId']} queued",
        "JobId": answer["JobId"],
        "ValidationSummary": {"NrOfItemsInTotal": 3, "NrOfValidationFailures": 0, "Messages": []},
    }
    assert isinstance(answer["JobId"], str) and answer["JobId"].isdigit()
    renamed = customer(2, EmailAddress="new@example.com", FirstName="Changed", LastName="Ignored")
    second = post(norce, [renamed], FIELDS).json()
    assert job(norce, second["JobId"]).json()["StatusId"] == 2
    held_now = by_code(norce)
    assert set(held_now) == {"C0000001", "C0000002", "C0000003"}
    assert held_now["C0000001"]["Id"] == held["Id"] and held_now["C0000001"]["LastName"] == "Kept"
    assert "LastName" not in held_now["C0000003"], "LastName is not a listed field"
    two = held_now["C0000002"]
    assert (two["EmailAddress"], two["FirstName"], two["IsActive"]) == ("new@example.com", "Changed", True)
    assert two["Updated"] > held_now["C0000003"]["Updated"]


def test_field_lists_may_name_fields_by_number(norce):
    answer = post(
        norce, [customer(1)], customer_fields=[2, 3, 6], company_fields=[]
    )  # Code, EmailAddress, First

    assert answer.status_code == 200
    assert by_code(norce)["C0000001"]["FirstName"] == "First1"


# -- matching
def test_a_new_code_with_a_known_e_mail_makes_a_second_customer(norce):
    """Norce matches by e-mail only when Id and Code are both omitted: the old write-back's defect."""
    held = norce.hold("customers", {"EmailAddress": "anna@example.com", "FirstName": "Anna"})

    post(norce, [{"Code": "C10001", "EmailAddress": "anna@example.com"}], ["Code"])

    same = [c for c in norce.customers.values() if c.get("EmailAddress") == "anna@example.com"]
    assert len(same) == 2 and "Code" not in norce.customers[held["Id"]]


def test_the_norce_id_finds_the_customer_and_the_code_is_written_to_it(norce):
    held = norce.hold("customers", {"EmailAddress": "anna@example.com", "FirstName": "Anna"})

    post(norce, [{"Id": held["Id"], "Code": "C10001"}], ["Code"])

    [customer_now] = norce.customers.values()
    assert (customer_now["Id"], customer_now["Code"], customer_now["FirstName"]) == (
        held["Id"],
        "C10001",
        "Anna",
    )


def test_the_e_mail_matches_only_without_id_and_code_and_never_with_search_only_by_code(norce):
    held = norce.hold("customers", {"EmailAddress": "anna@example.com"})

    post(norce, [{"EmailAddress": "anna@example.com", "FirstName": "Anna"}], ["FirstName"])
    refused = post(
        norce, [{"EmailAddress": "anna@example.com", "FirstName": "Bo"}], ["FirstName", "SearchOnlyByCode"]
    )

    assert norce.customers[held["Id"]]["FirstName"] == "Anna" and len(norce.customers) == 1
    summary = refused.json()["ValidationSummary"]
    assert summary["NrOfValidationFailures"] == 1
    assert summary["Messages"] == ["Row 1: no Id or Code to match the customer by"]
    assert job(norce, refused.json()["JobId"]).json()["StatusId"] == 4


def test_a_company_is_matched_by_organisation_number_only_without_id_and_code(norce):
    held = norce.hold("companies", {"OrganizationNo": "556000-0000", "Name": "Acme"})

    companies(norce, [{"ApplicationKey": APP, "OrganizationNo": "556000-0000", "Name": "Acme AB"}], ["Name"])
    companies(norce, [{"ApplicationKey": APP, "Code": "B1", "OrganizationNo": "556000-0000"}], ["Code"])

    assert norce.companies[held["Id"]]["Name"] == "Acme AB"
    assert len(norce.companies) == 2, "a Code that matches nothing is a new company"
    refused = companies(
        norce, [{"ApplicationKey": APP, "OrganizationNo": "556000-0000"}], ["SearchOnlyByCode"]
    )
    assert refused.json()["ValidationSummary"]["NrOfValidationFailures"] == 1


def test_rows_norce_cannot_apply_are_refused_one_log_line_each_and_the_others_applied(norce):
    records = [
        customer(1),
        {"Id": 999_999, "Code": "C9"},  # an Id Norce does not hold
        {"EmailAddress": "nobody@example.com"},  # nothing matched, and no Code to create it by
        customer(4, Companies=[{"Code": "B404"}]),  # a company Norce does not hold
        {"FirstName": "Nobody"},  # nothing to match by: refused by validation
    ]

    answer = post(norce, records, [*FIELDS, "Companies"]).json()

    assert list(by_code(norce)) == ["C0000001"]
    status = job(norce, answer["JobId"]).json()
    assert (status["StatusId"], status["Insert"], status["Updates"], status["Fail"], status["Totals"]) == (
        3,
        1,
        0,
        4,
        5,
    )
    log = job(norce, answer["JobId"], "GetLog").json()
    assert [(line["SeverityId"], line["ImportedRow"]) for line in log] == [
        (3, "2"),
        (3, "3"),
        (3, "4"),
        (3, "5"),
    ]
    messages = [line["Message"] for line in log]
    assert messages[:3] == [
        "no customer with Id 999999",
        "a new customer needs a Code",
        "Company B404 does not exist",
    ]
    assert answer["ValidationSummary"]["Messages"] == [
        "Row 5: no Id, Code or EmailAddress to match the customer by"
    ]


# -- relations
def test_companies_replace_a_customers_relations_unless_the_list_is_a_delta(norce):
    a = norce.hold("companies", {"Code": "A", "Name": "A AB"})
    b = norce.hold("companies", {"Code": "B", "Name": "B AB", "OrganizationNo": "556000-0002"})
    c = norce.hold("companies", {"Code": "C", "Name": "C AB"})
    buyer = norce.hold("customers", {"EmailAddress": "anna@example.com", "Companies": [a["Id"]]})

    post(
        norce, [{"Id": buyer["Id"], "Companies": [{"Code": "B"}], "IsCompanyListDelta": True}], ["Companies"]
    )
    assert norce.customers[buyer["Id"]]["Companies"] == [a["Id"], b["Id"]], "a delta keeps A"

    post(norce, [{"Id": buyer["Id"], "Companies": [{"Id": c["Id"], "Code": "nonsense"}]}], ["Companies"])
    assert norce.customers[buyer["Id"]]["Companies"] == [c["Id"]], "Norce's default unlinks A and B"

    post(
        norce,
        [{"Id": buyer["Id"], "Companies": [{"OrganizationNo": "556000-0002"}], "IsCompanyListDelta": True}],
        ["Companies"],
    )
    assert norce.customers[buyer["Id"]]["Companies"] == [c["Id"], b["Id"]]


def test_company_contacts_link_customers_by_code_and_an_unknown_one_is_only_a_warning(norce):
    post(norce, [customer(1), customer(2)], FIELDS)
    company = {"ApplicationKey": APP, "Code": "B1", "Contacts": [{"Code": "C0000001"}, {"Code": "C404"}]}

    answer = companies(norce, [company], ["Code", "Contacts"]).json()

    held = by_code(norce, "companies")["B1"]
    assert by_code(norce)["C0000001"]["Companies"] == [held["Id"]]
    assert job(norce, answer["JobId"]).json()["StatusId"] == 2
    [warning] = job(norce, answer["JobId"], "GetLog").json()
    assert (warning["SeverityId"], warning["Message"]) == (2, "Contact C404 does not exist: not linked")
    companies(
        norce,
        [{"ApplicationKey": APP, "Code": "B1", "Contacts": [{"Code": "C0000001", "IsActive": False}]}],
        ["Contacts"],
    )
    assert by_code(norce)["C0000001"]["Companies"] == []


def test_company_customers_are_full_records_that_must_exist_and_replace_unless_a_delta(norce):
    post(norce, [customer(1), customer(2)], FIELDS)
    held = companies(
        norce,
        [{"ApplicationKey": APP, "Code": "B1", "Contacts": [{"Code": "C0000001"}]}],
        ["Code", "Contacts"],
    )
    assert held.status_code == 200
    record = {"ApplicationKey": APP, "Code": "B1", "Customers": [{"Code": "C0000002", "FirstName": "Bo"}]}

    delta = companies(
        norce,
        [{**record, "IsCustomerListDelta": True}],
        ["Customers"],
        CustomerFieldsThatAreSet=["FirstName"],
    )
    company_id = by_code(norce, "companies")["B1"]["Id"]
    assert by_code(norce)["C0000002"]["FirstName"] == "Bo", "written through CustomerFieldsThatAreSet"
    assert by_code(norce)["C0000001"]["Companies"] == [company_id] == by_code(norce)["C0000002"]["Companies"]
    assert job(norce, delta.json()["JobId"]).json()["StatusId"] == 2

    companies(norce, [record], ["Customers"], CustomerFieldsThatAreSet=["FirstName"])
    assert by_code(norce)["C0000001"]["Companies"] == [], "Norce's default: the others lose the relation"

    missing = companies(norce, [{**record, "Customers": [{"Code": "C404"}]}], ["Customers"]).json()
    assert job(norce, missing["JobId"]).json()["StatusId"] == 3
    assert job(norce, missing["JobId"], "GetLog").json()[0]["Message"] == "Customer C404 does not exist"


# -- what Norce's schema refuses: 400, no job
@pytest.mark.parametrize(
    ("send", "message"),
    [
        (lambda n: post(n, [customer(1)], AccountId=None), "AccountId is required"),
        (
            lambda n: post(n, [customer(1)], CompanyFieldsThatAreSet=None),
            "CompanyFieldsThatAreSet is required",
        ),
        (lambda n: post(n, [customer(1)], ["Code", "Email"]), "'Email' is not one of its fields"),
        (lambda n: post(n, [customer(1)], ["Code", 22]), "22 is not one of its fields"),
        (lambda n: post(n, [customer(1)], raw_header="{AccountId: 1}"), "not valid JSON"),
        (lambda n: post(n, [customer(1)], raw_header=""), "X-StormConnect-Header is required"),
        (lambda n: post(n, [customer(1)], Full=True), "Full is not a documented property"),
        (lambda n: post(n, [customer(1)], SerializationType=1), "SerializationType must be 0"),
        (lambda n: post(n, [customer(1)], AccountId="1"), "AccountId must be an int32"),
        (lambda n: post(n, [customer(1, Email="x")]), "Row 1.Email is not a documented field"),
        (lambda n: post(n, [customer(1, Id="7")]), "Row 1.Id must be an int32"),
        (
            lambda n: post(n, [customer(1, Companies=[{"Code": "B1", "Name": "x"}])]),
            "Row 1.Companies[0].Name",
        ),
        (lambda n: post(n, [customer(1, InvoiceAddress={"CountryCode": "SWE"})]), "at most 2 characters"),
        (lambda n: post(n, {"Code": "C1"}), "must be an array"),
        (lambda n: post(n, ["C1"]), "Row 1 must be an object"),
        (lambda n: companies(n, [{"Code": "B1"}], ["Code"]), "Row 1.ApplicationKey is required"),
        (lambda n: companies(n, [{"Code": "B1", "ApplicationKey": "x"}], ["Code"]), "must be a GUID"),
        (
            lambda n: companies(
                n, [{"ApplicationKey": APP, "Customers": [{"Code": "C1", "Nope": 1}]}], ["Code"]
            ),
            "Nope",
        ),
        (
            lambda n: companies(n, [{"ApplicationKey": APP, "Contacts": [{"IsActive": True}]}], ["Contacts"]),
            "Code is required",
        ),
    ],
)
def test_what_norces_schema_refuses_is_answered_400_and_makes_no_job(norce, send, message):
    answer = send(norce)

    assert answer.status_code == 400 and message in answer.json()["Message"], answer.text
    assert norce.jobs == {} and norce.customers == {} and norce.companies == {}


def test_a_norce_without_a_full_import_flag_refuses_one_as_undocumented(norce):
    norce.full_file_key = None

    answer = post(norce, [customer(1)], FullFile=True)

    assert answer.status_code == 400 and "FullFile is not a documented property" in answer.json()["Message"]


def test_an_upload_cut_short_creates_no_job_and_changes_nothing(norce):
    post(norce, [customer(1)])

    with pytest.raises(RuntimeError, match="export failed"):
        post(norce, chunks([customer(n) for n in range(1, 5000)], fail_at=3000), FullFile=True)
    broken = post(norce, b'[{"Code": "C0000009"}')  # a complete request, not JSON

    deadline = time.monotonic() + 5
    while norce.stats["aborted imports"] < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert norce.stats["aborted imports"] == 2 and broken.status_code == 400
    assert len(norce.jobs) == 1
    assert [(c["Code"], c["IsActive"]) for c in norce.customers.values()] == [("C0000001", True)]


# -- full imports
def test_a_full_import_deactivates_what_it_does_not_name_only_with_the_configured_flag(norce):
    post(norce, [customer(n) for n in range(1, 6)], FIELDS)
    norce.hold("customers", {"EmailAddress": "checkout@example.com"})

    without_flag = post(norce, [customer(2)], FIELDS)  # everything again, no flag: nothing deactivated
    assert norce.count_held("customers") == {"active": 6, "inactive": 0} and without_flag.status_code == 200
    full = post(
        norce,
        chunks([customer(2), customer(4), customer(6), {"Id": 999, "Code": "C9"}]),
        FIELDS,
        FullFile=True,
    )

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
    assert requests.get(f"{norce.url}/_customers/count", timeout=10).json() == {"active": 3, "inactive": 4}
    inactive = requests.get(f"{norce.url}/_customers", params={"active": "false"}, timeout=10).json()
    assert len(inactive) == 4 and not any(c["IsActive"] for c in inactive)
    assert requests.get(f"{norce.url}/_customers", params={"active": "maybe"}, timeout=10).status_code == 400
    *_, summary = requests.get(f"{norce.url}/_jobs", timeout=10).json()
    assert summary == {
        "JobId": int(full.json()["JobId"]),
        "kind": "customers",
        "count": 4,
        "full": True,
        "AccountId": 1,
        "StatusId": 3,
        "inserted": 1,
        "updated": 2,
        "refused": 1,
        "validationFailures": 0,
        "errors": 1,
    }


def test_a_full_import_flag_in_an_http_header_counts_too(norce):
    post(norce, [customer(1), customer(2)])
    requests.post(
        f"{norce.url}{CONNECT}/Customer/ImportCustomers",
        json=[customer(1)],
        headers={
            "Authorization": norce.basic,
            "FullFile": "true",
            "X-StormConnect-Header": json.dumps(
                {"AccountId": 1, "CustomerFieldsThatAreSet": ["Code"], "CompanyFieldsThatAreSet": []}
            ),
        },
        timeout=10,
    )

    assert norce.count_held("customers") == {"active": 1, "inactive": 1}


# -- jobs
def test_job_get_is_shaped_as_norce_documents_it_and_initialized_until_the_job_is_done(norce):
    norce.job_seconds = 0.3
    try:
        job_id = post(norce, [customer(1)]).json()["JobId"]
        running = job(norce, job_id).json()
        time.sleep(0.4)
        done = job(norce, job_id).json()
    finally:
        norce.job_seconds = 0.0

    assert set(done) == {
        "Fail",
        "Insert",
        "IsFinished",
        "JobId",
        "LastUpdated",
        "RunTime",
        "Start",
        "StatusId",
        "Stop",
        "StorageName",
        "Totals",
        "Updates",
    }
    assert (running["StatusId"], running["IsFinished"], running["Stop"]) == (1, False, None)
    assert (done["StatusId"], done["IsFinished"], done["JobId"], done["Insert"], done["Totals"]) == (
        2,
        True,
        int(job_id),
        1,
        1,
    )
    assert done["RunTime"].startswith("00:00:00.") and done["Stop"] > done["Start"]


@pytest.mark.parametrize("what", ["Get", "GetLog"])
def test_a_job_id_that_is_no_number_is_400_and_an_unknown_job_the_same_404_from_both(norce, what):
    assert job(norce, "abc", what).status_code == 400
    assert job(norce, "", what).status_code == 400
    assert job(norce, 2**31, what).status_code == 400
    unknown = job(norce, 424242, what)
    assert (unknown.status_code, unknown.json()) == (404, {"Message": "No job with id 424242"})


def test_a_failed_job_fault_applies_nothing_and_ends_failed(norce):
    norce.set_faults(fail_jobs=True)

    answer = post(norce, [customer(1)]).json()

    assert job(norce, answer["JobId"]).json()["StatusId"] == 3 and norce.customers == {}
    norce.set_faults(fail_jobs=False)


def test_a_fault_answers_the_import_after_reading_the_whole_body(norce):
    requests.post(
        f"{norce.url}/_faults",
        json={"status": 429, "count": 1, "retryAfterSeconds": 7, "paths": ["Customer/ImportCustomers"]},
        timeout=10,
    )

    limited = post(norce, chunks([customer(n) for n in range(1, 20_001)]))
    norce.set_faults(status=503, count=1)
    unavailable = post(norce, chunks([customer(1)]))
    accepted = post(norce, chunks([customer(1)]))

    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "7")
    assert (unavailable.status_code, accepted.status_code) == (503, 200)
    assert list(norce.jobs) == [int(accepted.json()["JobId"])] and len(norce.customers) == 1
    calls = norce.calls_to("Customer/ImportCustomers")
    assert [c["status"] for c in calls] == [429, 503, 200] and calls[0]["records"] == 20_000


def test_100k_customers_in_chunks_and_at_once_are_imported_whole(norce):
    """What 100,000 customers cost is bench's business, not a timed test's (a busy machine fails those)."""
    records = [
        customer(n, InvoiceAddress={"AddressLine1": "Storgatan 1", "CountryCode": "SE"})
        for n in range(100_000)
    ]
    body = json.dumps(records).encode()
    fields = [*FIELDS, "LastName", "InvoiceAddress"]

    first = post(norce, iter([body[i : i + 65536] for i in range(0, len(body), 65536)]), fields)
    again = post(norce, iter([body]), fields, FullFile=True)

    assert (first.status_code, again.status_code) == (200, 200)
    assert norce.count_held("customers") == {"active": 100_000, "inactive": 0}
    assert [summary["StatusId"] for summary in requests.get(f"{norce.url}/_jobs", timeout=10).json()] == [
        2,
        2,
    ]
