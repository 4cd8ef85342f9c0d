"""Write-back batching (few large imports, just the code), how Norce recognises companies it holds
without a code, contacts after their company, and retry backoff."""

import pytest

from norce_integration.adapters.memory.jobs import InMemoryCodeJobs
from norce_integration.adapters.memory.processing import InMemoryNorceConnect, InMemoryNorceQuery
from norce_integration.contracts.connect import Job
from norce_integration.processing.ports import Writeback
from norce_integration.processing.retry import backoff_seconds
from norce_integration.processing.writeback import WritebackService


def test_codes_of_many_orders_go_to_norce_in_one_import_per_kind():
    norce, jobs = InMemoryNorceConnect(), InMemoryCodeJobs()
    items = [Writeback("customer", f"C{i}", f"c{i}@example.com", None, f"R{i}") for i in range(250)]
    items += [Writeback("customer", "C1", "c1@example.com", None, "R-again")]  # same code from another order
    items += [Writeback("company", "B1", "556000-0000", None, "R7")]

    sent = WritebackService(norce, jobs, account_id=1, clock=lambda: 1000.0).send(items).jobs

    assert [(job.kind, len(job.codes)) for job in sent] == [("companies", 1), ("customers", 250)]
    _, companies, company_header = norce.imports[0]
    assert companies[0].model_dump(exclude_none=True) == {"Code": "B1", "OrganizationNo": "556000-0000"}
    assert company_header.CompanyFieldsThatAreSet == ["Code"]
    kind, customers, header = norce.imports[1]
    assert (kind, header.AccountId, header.CustomerFieldsThatAreSet) == ("customers", 1, ["Code"])
    assert customers[0].model_dump(exclude_none=True) == {"Code": "C0", "EmailAddress": "c0@example.com"}
    assert jobs.jobs[sent[1].job_id]["count"] == 250 and jobs.jobs[sent[1].job_id]["status"] == "Queued"


def test_large_batches_are_split():
    norce = InMemoryNorceConnect()
    items = [Writeback("customer", f"C{i}", f"c{i}@example.com") for i in range(2500)]

    sent = WritebackService(norce, InMemoryCodeJobs(), account_id=1).send(items).jobs

    assert [len(job.codes) for job in sent] == [1000, 1000, 500]


NEW_COMPANY = Writeback(
    "company", "B20002", "556677-8899", None, "B2B-1", vat_no="SE556677889901", organization_no="556677-8899"
)
ITS_CONTACT = Writeback(
    "customer", "C10002", "anna@nyabygg.example", None, "B2B-1", company_code="B20002", company_pending=True
)


def test_a_new_company_is_imported_by_the_norce_id_query_finds_for_its_vat_number():
    norce, query = InMemoryNorceConnect(), InMemoryNorceQuery()
    query.companies[77] = {"Id": 77, "Name": "Nya Bygg AB", "VatNo": "SE 556677-8899 01"}

    result = WritebackService(norce, InMemoryCodeJobs(), account_id=1, query=query).send([NEW_COMPANY])

    [(kind, [company], header)] = norce.imports
    assert kind == "companies" and company.model_dump(exclude_none=True) == {"Id": 77, "Code": "B20002"}
    assert header.CompanyFieldsThatAreSet == ["Code"] and result.deferred == {}


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
    }
    assert query.calls == 0


def test_a_contact_is_imported_with_its_company_after_the_company_import_succeeded():
    norce, query, jobs = InMemoryNorceConnect(), InMemoryNorceQuery(), InMemoryCodeJobs()
    query.companies[77] = {"Id": 77, "VatNo": "SE556677889901"}

    result = WritebackService(norce, jobs, account_id=1, query=query).send([ITS_CONTACT, NEW_COMPANY])

    assert [kind for kind, _, _ in norce.imports] == ["companies", "customers"]
    _, [contact], header = norce.imports[1]
    assert header.CustomerFieldsThatAreSet == ["Code", "Companies"]
    assert contact.model_dump(exclude_none=True) == {
        "Code": "C10002",
        "EmailAddress": "anna@nyabygg.example",
        "Companies": [{"Code": "B20002"}],
    }
    assert result.deferred == {}
    assert jobs.job_of_code("company", "B20002")["status"] == "Succeeded"


def test_a_contact_waits_while_its_company_is_not_in_norce_yet():
    norce, now = InMemoryNorceConnect(), [0.0]
    running = Job(JobId=1, StatusId=6)
    norce.get_job = lambda job_id: running  # type: ignore[method-assign]
    jobs = InMemoryCodeJobs()

    def sleep(seconds: float) -> None:
        now[0] += seconds

    service = WritebackService(
        norce, jobs, account_id=1, query=InMemoryNorceQuery(), clock=lambda: now[0], sleep=sleep
    )

    first = service.send([ITS_CONTACT])  # the company was not imported at all yet
    jobs.record_codes("company", ["B20002"], 9)
    second = service.send([ITS_CONTACT])  # its job is still running

    assert "has not been imported into Norce yet" in first.deferred[("customer", "C10002")]
    assert "is still running" in second.deferred[("customer", "C10002")]
    assert norce.imports == []


def test_a_contact_of_a_company_that_already_had_a_code_is_sent_at_once():
    norce = InMemoryNorceConnect()
    contact = Writeback("customer", "C3", "c3@example.com", company_code="B100", company_pending=False)

    result = WritebackService(norce, InMemoryCodeJobs(), account_id=1).send([contact])

    assert result.deferred == {} and norce.imports[0][1][0].Companies[0].Code == "B100"


def test_norce_unavailable_defers_only_what_it_stopped():
    norce, query = InMemoryNorceConnect(), InMemoryNorceQuery()
    query.companies[77] = {"Id": 77, "VatNo": "SE556677889901"}
    norce.unavailable_calls = 1  # the company import fails, the plain customer goes through
    plain = Writeback("customer", "C9", "c9@example.com")

    result = WritebackService(norce, InMemoryCodeJobs(), account_id=1, query=query).send([NEW_COMPANY, plain])

    assert set(result.deferred) == {("company", "B20002")}
    assert [kind for kind, _, _ in norce.imports] == ["customers"]


@pytest.mark.parametrize(("count", "low", "high"), [(1, 24, 36), (2, 48, 72), (3, 96, 144), (10, 720, 900)])
def test_backoff_grows_and_is_capped(count, low, high):
    assert all(low <= backoff_seconds(count, None) <= high for _ in range(50))


def test_backoff_honours_retry_after_and_sqs_limits():
    assert backoff_seconds(1, 600) == 600
    assert backoff_seconds(1, 10**6) == 43_200
