"""Write-back batching (few large imports, just the code), by Norce's own Ids (never a second customer or
company), contacts after their company and without losing their other companies, what the orders' trails
say, and retry backoff."""

import pytest

from norce_integration.adapters.memory.jobs import InMemoryCodeJobs
from norce_integration.adapters.memory.processing import (
    InMemoryNorceConnect,
    InMemoryNorceQuery,
    InMemoryOrderRecords,
)
from norce_integration.contracts.connect import Job
from norce_integration.failures import DependencyUnavailable
from norce_integration.processing.ports import Writeback
from norce_integration.processing.retry import backoff_seconds
from norce_integration.processing.writeback import WritebackService

APP = "123e4567-e89b-12d3-a456-426614174000"  # the orders' Header.ApplicationKey


def norce_holding(*refs: int, customer_ids: dict[int, int | None] | None = None) -> InMemoryNorceQuery:
    """Query holding the orders of these basket ids, each bought by customer 5000 + its basket id."""
    query = InMemoryNorceQuery()
    for ref in refs:
        buyer = (customer_ids or {}).get(ref, 5000 + ref)
        query.orders[ref] = {"BuyerCompanyId": None, "BuyerCustomerId": buyer}
    return query


def customer(code: str, ref: int, **fields: object) -> Writeback:
    return Writeback("customer", code, "", APP, str(ref), order_key=f"ORDER#{APP}#{ref}", **fields)  # type: ignore[arg-type]


def test_codes_of_many_orders_go_to_norce_in_one_import_per_kind_by_norces_own_ids():
    norce, jobs = InMemoryNorceConnect(), InMemoryCodeJobs()
    query = norce_holding(*range(1000, 1250), 7)
    items = [customer(f"C{i}", 1000 + i) for i in range(250)]
    items += [customer("C1", 7)]  # the same code from another order: sent once
    items += [Writeback("company", "B1", "556000-0000", APP, "7")]

    sent = WritebackService(
        norce, jobs, account_id=1, query=query, company_match="organization_no", clock=lambda: 1000.0
    ).send(items)

    assert [(job.kind, len(job.codes)) for job in sent.jobs] == [("companies", 1), ("customers", 250)]
    _, companies, company_header = norce.imports[0]
    assert companies[0].model_dump(exclude_none=True) == {
        "Code": "B1",
        "OrganizationNo": "556000-0000",
        "ApplicationKey": APP,
    }
    assert (company_header.CompanyFieldsThatAreSet, company_header.CustomerFieldsThatAreSet) == (["Code"], [])
    kind, customers, header = norce.imports[1]
    assert (kind, header.AccountId, header.CustomerFieldsThatAreSet) == ("customers", 1, ["Code"])
    assert customers[0].model_dump(exclude_none=True) == {"Id": 6000, "Code": "C0"}, "Norce's Id, no e-mail"
    job = jobs.jobs[sent.jobs[1].job_id]
    assert job["count"] == 250 and job["status"] == "Queued"
    assert job["validation"] == {"items": 250, "failures": 0, "messages": []}


def test_large_batches_are_split():
    norce = InMemoryNorceConnect()
    items = [customer(f"C{i}", 10_000 + i) for i in range(2500)]
    query = norce_holding(*range(10_000, 12_500))

    sent = WritebackService(norce, InMemoryCodeJobs(), account_id=1, query=query).send(items).jobs

    assert [len(job.codes) for job in sent] == [1000, 1000, 500]


NEW_COMPANY = Writeback(
    "company", "B20002", "556677-8899", APP, "B2B-1", vat_no="SE556677889901", organization_no="556677-8899"
)
ITS_CONTACT = Writeback("customer", "C10002", "", APP, "900", company_code="B20002", company_pending=True)


def test_a_new_company_is_imported_by_the_norce_id_query_finds_for_its_vat_number():
    norce, query = InMemoryNorceConnect(), InMemoryNorceQuery()
    query.companies[77] = {"Id": 77, "Name": "Nya Bygg AB", "VatNo": "SE 556677-8899 01"}

    result = WritebackService(norce, InMemoryCodeJobs(), account_id=1, query=query).send([NEW_COMPANY])

    [(kind, [company], header)] = norce.imports
    assert company.model_dump(exclude_none=True) == {"Id": 77, "Code": "B20002", "ApplicationKey": APP}
    assert kind == "companies" and header.CompanyFieldsThatAreSet == ["Code"] and result.deferred == {}


@pytest.mark.parametrize("key", [None, "", "not-a-guid"])
def test_a_company_of_an_order_without_an_application_key_is_never_sent(key):
    norce, query = InMemoryNorceConnect(), InMemoryNorceQuery()
    query.companies[77] = {"Id": 77, "VatNo": "SE556677889901"}
    company = Writeback("company", "B20002", "", key, "B2B-1", vat_no="SE556677889901")

    result = WritebackService(norce, InMemoryCodeJobs(), account_id=1, query=query).send([company])

    assert norce.imports == [] and result.deferred == {}
    assert "requires on every company" in result.not_written_back[("company", "B20002")]


def test_a_company_query_does_not_know_is_deferred_never_imported_blind():
    norce = InMemoryNorceConnect()

    result = WritebackService(norce, InMemoryCodeJobs(), account_id=1, query=InMemoryNorceQuery()).send(
        [NEW_COMPANY]
    )

    assert norce.imports == []
    assert "does not know the company yet" in result.deferred[("company", "B20002")]


def test_organisation_number_matching_sends_the_derived_number_instead_of_asking_query():
    norce, query = InMemoryNorceConnect(), InMemoryNorceQuery()

    WritebackService(
        norce, InMemoryCodeJobs(), account_id=1, query=query, company_match="organization_no"
    ).send([NEW_COMPANY])

    assert norce.imports[0][1][0].model_dump(exclude_none=True) == {
        "Code": "B20002",
        "OrganizationNo": "556677-8899",
        "ApplicationKey": APP,
    }
    assert query.calls == 0


def test_a_contact_is_imported_with_its_company_after_the_company_import_succeeded():
    norce, query, jobs = InMemoryNorceConnect(), norce_holding(900), InMemoryCodeJobs()
    query.companies[77] = {"Id": 77, "VatNo": "SE556677889901"}

    result = WritebackService(norce, jobs, account_id=1, query=query).send([ITS_CONTACT, NEW_COMPANY])

    assert [kind for kind, _, _ in norce.imports] == ["companies", "customers"]
    _, [contact], header = norce.imports[1]
    assert header.CustomerFieldsThatAreSet == ["Code", "Companies"]
    assert contact.model_dump(exclude_none=True) == {
        "Id": 5900,
        "Code": "C10002",
        "Companies": [{"Code": "B20002"}],
        "IsCompanyListDelta": True,  # Norce's default would unlink it from its other companies
    }
    assert result.deferred == {}
    assert jobs.job_of_code("company", "B20002")["status"] == "Succeeded"


def test_a_contact_waits_while_its_company_is_not_in_norce_yet():
    norce, now = InMemoryNorceConnect(), [0.0]
    running = Job(JobId=1, StatusId=1)
    norce.get_job = lambda job_id: running  # type: ignore[method-assign]
    jobs = InMemoryCodeJobs()

    def sleep(seconds: float) -> None:
        now[0] += seconds

    service = WritebackService(
        norce, jobs, account_id=1, query=norce_holding(900), clock=lambda: now[0], sleep=sleep
    )

    first = service.send([ITS_CONTACT])  # the company was not imported at all yet
    jobs.record_codes("company", ["B20002"], 9)
    second = service.send([ITS_CONTACT])  # its job is still running

    assert "has not been imported into Norce yet" in first.deferred[("customer", "C10002")]
    assert "is still running" in second.deferred[("customer", "C10002")]
    assert norce.imports == []


def test_a_contact_of_a_company_that_already_had_a_code_is_sent_at_once():
    norce = InMemoryNorceConnect()
    contact = customer("C3", 33, company_code="B100", company_pending=False)

    result = WritebackService(norce, InMemoryCodeJobs(), account_id=1, query=norce_holding(33)).send(
        [contact]
    )

    assert result.deferred == {} and norce.imports[0][1][0].Companies[0].Code == "B100"


def test_norce_unavailable_defers_only_what_it_stopped():
    norce, query = InMemoryNorceConnect(), norce_holding(9)
    query.companies[77] = {"Id": 77, "VatNo": "SE556677889901"}
    norce.unavailable_calls = 1  # the company import fails, the plain customer goes through

    result = WritebackService(norce, InMemoryCodeJobs(), account_id=1, query=query).send(
        [NEW_COMPANY, customer("C9", 9)]
    )

    assert set(result.deferred) == {("company", "B20002")}
    assert [kind for kind, _, _ in norce.imports] == ["customers"]


def test_a_customer_norce_cannot_be_given_by_its_id_is_never_sent_by_e_mail():
    query = norce_holding(41, customer_ids={41: None})  # 41: a guest checkout; 42: not in Query yet
    items = [
        Writeback("customer", "C1", "anna@example.com", APP, "EXT-1"),  # an earlier version's message
        customer("C2", 41),
        customer("C3", 42),
    ]
    norce = InMemoryNorceConnect()

    result = WritebackService(norce, InMemoryCodeJobs(), account_id=1, query=query).send(items)

    assert norce.imports == []
    assert "not a Norce basket id" in result.not_written_back[("customer", "C1")]
    assert "guest checkout" in result.not_written_back[("customer", "C2")]
    assert "does not hold its order yet" in result.deferred[("customer", "C3")]


def test_the_orders_trail_tells_which_job_carried_its_codes_and_what_never_reaches_norce():
    records, norce = InMemoryOrderRecords(), InMemoryNorceConnect()
    query = norce_holding(51, 52, customer_ids={52: None})
    service = WritebackService(norce, InMemoryCodeJobs(), 1, query=query, records=records, clock=lambda: 9.0)

    result = service.send([customer("C1", 51), customer("C2", 52), customer("C3", 53)], lambda item: True)

    [job] = result.jobs
    [sent] = records.records[f"ORDER#{APP}#51"]["trail"]
    assert sent == {
        "at": 9.0,
        "event": "codes_sent_to_norce",
        "codes": ["customer C1"],
        "norce_job": job.job_id,
        "validation": {"items": 1, "failures": 0, "messages": []},
    }
    [guest] = records.records[f"ORDER#{APP}#52"]["trail"]
    assert guest["event"] == "codes_not_written_back" and "guest checkout" in guest["reasons"][0]
    [last] = records.records[f"ORDER#{APP}#53"]["trail"]  # its last attempt, Query still without it
    assert last["event"] == "codes_not_written_back" and "does not hold its order" in last["reasons"][0]


def test_a_trail_that_cannot_be_written_never_sends_the_codes_again():
    records = InMemoryOrderRecords()

    def table_down(*args: object, **kwargs: object) -> None:
        raise DependencyUnavailable("Updating the order record failed (ClientError)")

    records.note = table_down  # type: ignore[method-assign]
    service = WritebackService(
        InMemoryNorceConnect(), InMemoryCodeJobs(), 1, query=norce_holding(61), records=records
    )

    result = service.send([customer("C1", 61)])

    assert len(result.jobs) == 1 and result.deferred == {}, "sent once: not retried for its trail"
    assert result.trails_not_noted == [f"ORDER#{APP}#61"]


@pytest.mark.parametrize(("count", "low", "high"), [(1, 24, 36), (2, 48, 72), (3, 96, 144), (10, 720, 900)])
def test_backoff_grows_and_is_capped(count, low, high):
    assert all(low <= backoff_seconds(count, None) <= high for _ in range(50))


def test_backoff_honours_retry_after_and_sqs_limits():
    assert backoff_seconds(1, 600) == 600
    assert backoff_seconds(1, 10**6) == 43_200
