"""Write-back batching (few large imports, just the code) and retry backoff."""

import pytest

from norce_integration.adapters.memory_processing import InMemoryJobTracker, InMemoryNorceConnect
from norce_integration.processing.ports import Writeback
from norce_integration.processing.retry import backoff_seconds
from norce_integration.processing.writeback import WritebackService


def test_codes_of_many_orders_go_to_norce_in_one_import_per_kind():
    norce, jobs = InMemoryNorceConnect(), InMemoryJobTracker()
    items = [Writeback("customer", f"C{i}", f"c{i}@example.com", None, f"R{i}") for i in range(250)]
    items += [Writeback("customer", "C1", "c1@example.com", None, "R-again")]  # same code from another order
    items += [Writeback("company", "B1", "556000-0000", None, "R7")]

    sent = WritebackService(norce, jobs, account_id=1, clock=lambda: 1000.0).send(items)

    assert [(job.kind, len(job.codes)) for job in sent] == [("customers", 250), ("companies", 1)]
    kind, customers, header = norce.imports[0]
    assert (kind, header.AccountId, header.CustomerFieldsThatAreSet) == ("customers", 1, ["Code"])
    assert customers[0].model_dump(exclude_none=True) == {"Code": "C0", "EmailAddress": "c0@example.com"}
    _, companies, company_header = norce.imports[1]
    assert companies[0].model_dump(exclude_none=True) == {"Code": "B1", "OrganizationNo": "556000-0000"}
    assert company_header.CompanyFieldsThatAreSet == ["Code"]
    assert jobs.jobs[sent[0].job_id]["count"] == 250 and jobs.jobs[sent[0].job_id]["status"] == "Queued"


def test_large_batches_are_split():
    norce = InMemoryNorceConnect()
    items = [Writeback("customer", f"C{i}", f"c{i}@example.com") for i in range(2500)]

    sent = WritebackService(norce, InMemoryJobTracker(), account_id=1).send(items)

    assert [len(job.codes) for job in sent] == [1000, 1000, 500]


@pytest.mark.parametrize(("count", "low", "high"), [(1, 24, 36), (2, 48, 72), (3, 96, 144), (10, 720, 900)])
def test_backoff_grows_and_is_capped(count, low, high):
    assert all(low <= backoff_seconds(count, None) <= high for _ in range(50))


def test_backoff_honours_retry_after_and_sqs_limits():
    assert backoff_seconds(1, 600) == 600
    assert backoff_seconds(1, 10**6) == 43_200
