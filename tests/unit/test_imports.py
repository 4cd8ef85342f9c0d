"""Scheduled imports in the domain, on in-memory ports: the records Norce gets, the delta watermark, the
full import's flag and shrink guard, bad ERP data, and what a failure midway leaves behind."""

import gc
import json
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from norce_integration.adapters.memory.imports import InMemoryImporter, InMemoryImportStore
from norce_integration.contracts.connect import Job
from norce_integration.erp.model import ErpAddress, ErpCompany, ErpCustomer
from norce_integration.erp.ports import ErpUnavailable
from norce_integration.imports import records
from norce_integration.imports.config import Entity, ImportConfig, Mode, RunRequest
from norce_integration.imports.records import RecordWriter, Skipped
from norce_integration.imports.seen import SeenCodes
from norce_integration.imports.service import ImportRunner
from norce_integration.norce.ports import NorceRejected, NorceUnavailable

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
APP = "123e4567-e89b-12d3-a456-426614174000"


def customer(n: int, **changes: object) -> ErpCustomer:
    return ErpCustomer(
        code=f"C{n:07d}",
        email=f"customer{n}@example.com",
        first_name="Anna",
        last_name=f"Berg{n}",
        cell_phone="0701",
        address=ErpAddress(line1="Storgatan 1", zip_code="11122", city="Stockholm", country="SE"),
        changed_at=T0 + timedelta(minutes=n),
    ).model_copy(update=changes)


@dataclass
class FakeErp:
    customers: list[ErpCustomer] = field(default_factory=list)
    companies: list[ErpCompany] = field(default_factory=list)
    fail_after: int | None = None  # raise after yielding this many (a page that fails)
    asked: list[datetime | None] = field(default_factory=list)

    def export_customers(self, changed_since: datetime | None) -> Iterator[ErpCustomer]:
        self.asked.append(changed_since)
        for index, item in enumerate(
            c for c in self.customers if not changed_since or (c.changed_at or T0) >= changed_since
        ):
            if self.fail_after is not None and index >= self.fail_after:
                raise ErpUnavailable("ERP answered 503 on page 3")
            yield item

    def export_companies(self, changed_since: datetime | None) -> Iterator[ErpCompany]:
        yield from self.companies


def runner(
    erp: FakeErp,
    norce: InMemoryImporter | None = None,
    store: InMemoryImportStore | None = None,
    **config: object,
):
    return ImportRunner(
        erp,
        norce or InMemoryImporter(),
        store or InMemoryImportStore(),
        ImportConfig(account_id=7, **config),  # type: ignore[arg-type]
        sleep=lambda seconds: None,
    )


# ---------------------------------------------------------------- records
def test_a_customer_record_has_norces_names_and_only_the_configured_fields():
    writer = RecordWriter(Entity.CUSTOMERS, ImportConfig(account_id=1))
    record = json.loads(writer.record(customer(1, company_code="B000001", price_lists=["PL1"])))  # type: ignore[arg-type]
    assert set(record) == {*ImportConfig(account_id=1).customer_fields, "IsCompanyListDelta"}
    assert record["Code"] == "C0000001" and record["EmailAddress"] == "customer1@example.com"
    assert record["InvoiceAddress"] == {
        "AddressLine1": "Storgatan 1",
        "AddressLine2": None,
        "CareOf": None,
        "ZipCode": "11122",
        "City": "Stockholm",
        "Region": None,
        "CountryCode": "SE",
    }
    assert record["Companies"] == [{"Code": "B000001"}] and record["PriceLists"] == [{"Code": "PL1"}]
    assert record["IsCompanyListDelta"] is True, "Norce's default would unlink the companies Norce added"
    assert "Accounts" not in record and "ApplicationKey" not in record


def test_application_unique_clients_send_the_application_key_and_accounts_when_configured():
    config = ImportConfig(account_id=1, application_key="123e4567-e89b-12d3-a456-426614174000", accounts=True)
    record = json.loads(
        RecordWriter(Entity.CUSTOMERS, config).record(customer(1, accounts=[{"LoginName": "anna"}]))  # type: ignore[arg-type]
    )
    assert record["ApplicationKey"] == "123e4567-e89b-12d3-a456-426614174000"
    assert record["Accounts"] == [{"LoginName": "anna"}]
    assert "ApplicationKey" in config.fields(Entity.COMPANIES)


def test_an_anonymised_customer_is_never_sent_with_personal_data():
    record = RecordWriter(Entity.CUSTOMERS, ImportConfig(account_id=1)).record(customer(1, anonymised=True))
    assert isinstance(record, bytes)
    assert b"customer1@example.com" not in record and b"Berg1" not in record and b"Storgatan" not in record
    body = json.loads(record)
    assert body["Code"] == "C0000001" and body["EmailAddress"] is None and body["InvoiceAddress"] is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"code": None, "email": None}, "neither Code nor e-mail"),
        ({"email": "not-an-address"}, "invalid e-mail address"),
        ({"email": "anna@localhost"}, "invalid e-mail address"),
    ],
)
def test_bad_erp_data_is_skipped_with_the_reason(changes, reason):
    record = RecordWriter(Entity.CUSTOMERS, ImportConfig(account_id=1)).record(customer(1, **changes))
    assert isinstance(record, Skipped) and record.reason == reason


def test_a_duplicated_code_is_sent_once_and_reported():
    writer = RecordWriter(Entity.CUSTOMERS, ImportConfig(account_id=1))
    assert isinstance(writer.record(customer(1)), bytes)
    second = writer.record(customer(1, email="other@example.com"))
    assert isinstance(second, Skipped) and "duplicated" in second.reason


def test_a_company_record():
    company = ErpCompany(
        code="B000001",
        name="Nya Bygg AB",
        organization_no="5566778899",
        vat_no="SE556677889901",
        contact_codes=["C0000001"],
    )
    config = ImportConfig(account_id=1, application_key=APP)
    record = json.loads(RecordWriter(Entity.COMPANIES, config).record(company))  # type: ignore[arg-type]
    assert (record["Code"], record["Name"], record["VatNo"]) == ("B000001", "Nya Bygg AB", "SE556677889901")
    assert record["Contacts"] == [{"Code": "C0000001"}], "contacts by code, never as Customers"
    assert "Customers" not in record and "Contacts" in config.fields(Entity.COMPANIES)
    assert record["ApplicationKey"] == APP
    assert isinstance(RecordWriter(Entity.COMPANIES, config).record(ErpCompany(name="x")), Skipped)


@pytest.mark.parametrize(
    ("key", "entity", "problem"),
    [
        (None, Entity.COMPANIES, "requires ApplicationKey on every company"),
        ("not-a-guid", Entity.COMPANIES, "is not a GUID"),
        ("not-a-guid", Entity.CUSTOMERS, "is not a GUID"),
    ],
)
def test_an_import_norce_would_refuse_for_its_application_key_never_starts(key, entity, problem):
    erp, norce = FakeErp([customer(1)], [ErpCompany(code="B1", name="x")]), InMemoryImporter()

    summary = runner(erp, norce, application_key=key).run(RunRequest(entity, Mode.FULL))

    assert summary.outcome == "failed" and problem in (summary.reason or "")
    assert norce.imports == [] and erp.asked == []


def test_customers_may_go_without_an_application_key():
    assert runner(FakeErp([customer(1)])).run(RunRequest(Entity.CUSTOMERS, Mode.FULL)).outcome == "sent"


def test_what_norces_validation_refused_is_kept_on_the_job_and_in_the_summary():
    store, norce = (
        InMemoryImportStore(),
        InMemoryImporter(validation_failures=["Row 2: no Id, Code or EmailAddress"]),
    )

    summary = runner(FakeErp([customer(1), customer(2)]), norce, store).run(
        RunRequest(Entity.CUSTOMERS, Mode.FULL)
    )

    assert summary.outcome == "sent" and summary.validation_failures == 1
    assert summary.as_dict()["validationMessages"] == ["Row 2: no Id, Code or EmailAddress"]
    [job] = store.jobs.values()
    assert job.validation == {"items": 2, "failures": 1, "messages": ["Row 2: no Id, Code or EmailAddress"]}


def test_seen_codes_grow_past_their_first_table():
    seen = SeenCodes(slots=8)
    assert all(seen.add(f"C{n}") for n in range(100))
    assert not any(seen.add(f"C{n}") for n in range(100))
    assert len(seen) == 100


class BodyKeepingImporter(InMemoryImporter):
    """Keeps every request body it was given, as an HTTP client's request and response objects may."""

    def __init__(self) -> None:
        super().__init__()
        self.bodies: list[Iterable[bytes]] = []

    def import_stream(self, entity, body, header, full_file):  # type: ignore[no-untyped-def]
        self.bodies.append(body)
        return super().import_stream(entity, body, header, full_file)


@pytest.mark.parametrize("mode", [Mode.FULL, Mode.DELTA])
def test_a_finished_run_lets_its_table_of_sent_codes_go_at_once(monkeypatch, mode):
    """A warm environment runs import after import: each run's 32 MB table must not wait for Python's cycle
    collector (off here), which let 20 delta runs reach 901 MB in the soak (the function has 1,024 MB)."""
    tables: list[weakref.ref[SeenCodes]] = []

    class Tracked(SeenCodes):
        def __init__(self) -> None:
            super().__init__(slots=8)
            tables.append(weakref.ref(self))

    monkeypatch.setattr(records, "SeenCodes", Tracked)
    erp, norce = FakeErp([customer(n) for n in range(1, 6)]), BodyKeepingImporter()
    run = runner(erp, norce, max_records_per_job=2)
    gc.disable()
    try:
        for _ in range(3):
            assert run.run(RunRequest(Entity.CUSTOMERS, mode)).outcome in ("sent", "nothing_to_send")
        alive = [table for table in tables if table() is not None]
    finally:
        gc.enable()
    assert len(tables) == 3 and norce.bodies, "three runs, each with its writer, their bodies kept"
    assert alive == []


def test_a_closed_record_writer_takes_no_more_records():
    writer = RecordWriter(Entity.CUSTOMERS, ImportConfig(account_id=1))
    writer.close()
    with pytest.raises(RuntimeError, match="closed"):
        writer.record(customer(1))


# ---------------------------------------------------------------- runs
def test_a_full_import_is_one_job_with_the_flag_on_and_the_configured_header():
    erp = FakeErp([customer(n) for n in range(1, 6)])
    norce = InMemoryImporter()
    summary = runner(erp, norce).run(RunRequest(Entity.CUSTOMERS, Mode.FULL))
    assert summary.outcome == "sent" and summary.sent == 5 and len(summary.job_ids) == 1
    [sent] = norce.imports
    assert sent["full"] is True and sent["count"] == 5
    assert sent["header"].AccountId == 7 and sent["header"].CustomerFieldsThatAreSet[0] == "Code"
    assert erp.asked == [None]


def test_a_full_import_is_never_split(monkeypatch):
    norce = InMemoryImporter()
    runner(FakeErp([customer(n) for n in range(1, 11)]), norce, max_records_per_job=3).run(
        RunRequest(Entity.CUSTOMERS, Mode.FULL)
    )
    assert [i["count"] for i in norce.imports] == [10]


def test_a_delta_reads_from_the_watermark_less_the_overlap_and_moves_it_after_norce_took_the_job():
    store = InMemoryImportStore()
    erp = FakeErp([customer(n) for n in range(1, 4)])
    first = runner(erp, store=store, overlap_seconds=30).run(RunRequest(Entity.CUSTOMERS, Mode.DELTA))
    assert first.sent == 3 and store.state(Entity.CUSTOMERS).delta_watermark == T0 + timedelta(minutes=3)
    erp.customers.append(customer(10))
    second = runner(erp, store=store, overlap_seconds=30).run(RunRequest(Entity.CUSTOMERS, Mode.DELTA))
    assert erp.asked[-1] == T0 + timedelta(minutes=3) - timedelta(seconds=30)
    assert second.sent == 2  # the overlap re-reads the last one: Norce's upsert makes that harmless
    assert store.state(Entity.CUSTOMERS).delta_watermark == T0 + timedelta(minutes=10)


def test_a_big_delta_becomes_several_jobs_and_the_flag_stays_off():
    norce = InMemoryImporter()
    summary = runner(FakeErp([customer(n) for n in range(1, 8)]), norce, max_records_per_job=3).run(
        RunRequest(Entity.CUSTOMERS, Mode.DELTA)
    )
    assert [i["count"] for i in norce.imports] == [3, 3, 1] and not any(i["full"] for i in norce.imports)
    assert summary.sent == 7 and len(summary.job_ids) == 3


def test_a_delta_with_nothing_new_sends_nothing_and_keeps_the_watermark():
    store = InMemoryImportStore()
    store.move_watermark(Entity.CUSTOMERS, T0)
    norce = InMemoryImporter()
    summary = runner(FakeErp([]), norce, store).run(RunRequest(Entity.CUSTOMERS, Mode.DELTA))
    assert summary.outcome == "nothing_to_send" and norce.imports == []
    assert store.state(Entity.CUSTOMERS).delta_watermark == T0


def test_norce_refusing_is_retried_from_the_erp_and_the_watermark_moves_once():
    store = InMemoryImportStore()
    norce = InMemoryImporter(failures=[NorceUnavailable("429", retry_after=1)])
    erp = FakeErp([customer(n) for n in range(1, 4)])
    summary = runner(erp, norce, store).run(RunRequest(Entity.CUSTOMERS, Mode.DELTA))
    assert summary.outcome == "sent" and len(norce.imports) == 1 and len(erp.asked) == 2


def test_norce_down_for_every_attempt_fails_the_run_without_moving_the_watermark():
    store = InMemoryImportStore()
    norce = InMemoryImporter(failures=[NorceUnavailable("503")] * 3)
    summary = runner(FakeErp([customer(1)]), norce, store).run(RunRequest(Entity.CUSTOMERS, Mode.DELTA))
    assert summary.outcome == "failed" and "unavailable" in (summary.reason or "")
    assert store.state(Entity.CUSTOMERS).delta_watermark is None and store.jobs == {}


def test_the_erp_failing_midway_sends_no_full_import():
    norce = InMemoryImporter()
    erp = FakeErp([customer(n) for n in range(1, 100)], fail_after=50)
    summary = runner(erp, norce).run(RunRequest(Entity.CUSTOMERS, Mode.FULL))
    assert summary.outcome == "failed" and "ERP failed" in (summary.reason or "")
    assert norce.imports == []


def test_norce_rejecting_the_import_fails_the_run_with_its_reason():
    norce = InMemoryImporter(failures=[NorceRejected("Customer/ImportCustomers answered 400: unknown field")])
    summary = runner(FakeErp([customer(1)]), norce).run(RunRequest(Entity.CUSTOMERS, Mode.FULL))
    assert summary.outcome == "failed" and "unknown field" in (summary.reason or "")


def test_the_shrink_guard_refuses_a_full_import_much_smaller_than_the_last_good_one():
    store = InMemoryImportStore()
    store.full_applied("customers", 100, 4000, 1.0)
    norce = InMemoryImporter()
    summary = runner(FakeErp([customer(n) for n in range(1, 90)]), norce, store).run(
        RunRequest(Entity.CUSTOMERS, Mode.FULL)
    )
    assert summary.outcome == "refused_by_shrink_guard" and "89 records" in (summary.reason or "")
    assert norce.imports == []


def test_the_shrink_guard_lets_a_small_shrink_through_and_can_be_forced():
    store = InMemoryImportStore()
    store.full_applied("customers", 100, 4000, 1.0)
    erp = FakeErp([customer(n) for n in range(1, 91)])
    assert runner(erp, store=store).run(RunRequest(Entity.CUSTOMERS, Mode.FULL)).outcome == "sent"
    erp.customers = erp.customers[:10]
    assert runner(erp, store=store).run(RunRequest(Entity.CUSTOMERS, Mode.FULL, force=True)).outcome == "sent"


def test_an_empty_full_import_is_refused():
    summary = runner(FakeErp([])).run(RunRequest(Entity.CUSTOMERS, Mode.FULL))
    assert summary.outcome == "refused_by_shrink_guard" and "empty" in (summary.reason or "")


def test_a_later_full_import_replaces_the_reference_an_older_one_does_not():
    store = InMemoryImportStore()
    store.full_applied("customers", 100, 4000, 10.0)
    store.full_applied("customers", 50, 3999, 5.0)
    assert store.state(Entity.CUSTOMERS).last_full_records == 100
    store.full_applied("customers", 120, 4001, 20.0)
    assert store.state(Entity.CUSTOMERS).last_full_records == 120


def test_bad_records_are_reported_and_the_run_goes_on():
    erp = FakeErp(
        [customer(1), customer(2, email="bad"), customer(1), customer(3, code=None, email=None), customer(4)]
    )
    summary = runner(erp).run(RunRequest(Entity.CUSTOMERS, Mode.FULL))
    assert summary.sent == 2
    assert summary.skipped == {
        "invalid e-mail address": 1,
        "Code already sent in this run (duplicated in the ERP)": 1,
        "neither Code nor e-mail": 1,
    }
    assert "C0000002: invalid e-mail address" in summary.skipped_codes


def test_two_runs_of_one_entity_at_once_make_one_import():
    store = InMemoryImportStore()
    assert store.lock(Entity.CUSTOMERS, "other-run", now=1e12, lease_seconds=60)
    norce = InMemoryImporter()
    summary = runner(FakeErp([customer(1)]), norce, store).run(RunRequest(Entity.CUSTOMERS, Mode.FULL))
    assert summary.outcome == "locked" and norce.imports == []


def test_the_run_summary_is_stored_with_what_was_sent_and_why_not():
    store = InMemoryImportStore()
    runner(FakeErp([customer(1), customer(2, email="x")]), store=store).run(
        RunRequest(Entity.CUSTOMERS, Mode.FULL)
    )
    [summary] = store.summaries
    data = summary.as_dict()
    assert data["sent"] == 1 and data["skipped"] == {"invalid e-mail address": 1} and data["jobIds"] == [5001]
    assert data["finishedAt"] >= data["startedAt"]


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ({"entity": "orders", "mode": "full"}, "entity"),
        ({"entity": "customers", "mode": "weekly"}, "mode"),
        ({"entity": "customers", "mode": "full", "force": "yes"}, "force"),
        ([], "JSON object"),
    ],
)
def test_a_manual_run_names_what_is_wrong_with_its_input(payload, problem):
    with pytest.raises(ValueError, match=problem):
        RunRequest.parse(payload)


def test_a_manual_run_input():
    assert RunRequest.parse({"entity": "Companies", "mode": "FULL", "force": True}) == RunRequest(
        Entity.COMPANIES, Mode.FULL, force=True
    )


# ---------------------------------------------------------------- jobs followed to the end
@dataclass
class FakeJobs:
    states: dict[int, int]  # job id -> StatusId Norce answers

    def get_job(self, job_id: int):
        status = self.states[job_id]
        if status == -1:
            raise NorceUnavailable("Job/Get answered 503")
        return Job(JobId=job_id, StatusId=status, IsFinished=status in (2, 3, 4))


def test_the_follower_completes_finished_jobs_flags_late_ones_and_updates_the_shrink_reference():
    from norce_integration.adapters.memory.jobs import InMemoryJobLog, InMemoryJobRecords  # noqa: PLC0415
    from norce_integration.jobs.completion import JobCompletion  # noqa: PLC0415
    from norce_integration.jobs.follow import JobFollower  # noqa: PLC0415

    store = InMemoryImportStore()
    records = InMemoryJobRecords(
        jobs={
            1: {"kind": "customers", "mode": "full", "records": 1000, "started_at": 100.0},
            2: {"kind": "customers", "mode": "delta", "records": 5, "started_at": 200.0},
            3: {"kind": "companies", "mode": "full", "records": 10, "started_at": 300.0},
            4: {"kind": "companies", "mode": "delta", "records": 1, "started_at": 400.0},
            5: {"kind": "companies", "mode": "delta", "records": 1, "started_at": 3000.0},
        },
        open={1: 100.0, 2: 200.0, 3: 300.0, 4: 400.0, 5: 3000.0},
    )
    log = InMemoryJobLog({2: [{"SeverityId": 3, "Message": "bad row", "ImportedRow": "1"}]})
    completion = JobCompletion(records, log, full_imports=store, clock=lambda: 3600.0)
    follower = JobFollower(
        records,
        FakeJobs({1: 2, 2: 3, 3: 1, 4: -1, 5: 1}),
        completion,
        lead_seconds=3000,
        clock=lambda: 3600.0,
    )
    report = follower.follow()
    assert (report.succeeded, report.failed, report.late, report.unreadable, report.running) == (
        [1],
        [2],
        [3],
        [4],
        [5],
    )
    assert store.state(Entity.CUSTOMERS).last_full_records == 1000
    assert records.jobs[2]["job_errors"] == ["row 1: bad row"]
    assert set(records.open_jobs()) == {3, 4, 5}


def test_a_delta_that_only_reads_the_overlap_again_sends_no_job_and_keeps_the_watermark():
    store = InMemoryImportStore()
    norce = InMemoryImporter()
    erp = FakeErp([customer(n) for n in range(1, 4)])
    assert (
        runner(erp, norce, store, overlap_seconds=600).run(RunRequest(Entity.CUSTOMERS, Mode.DELTA)).sent == 3
    )
    again = runner(erp, norce, store, overlap_seconds=600).run(RunRequest(Entity.CUSTOMERS, Mode.DELTA))
    assert again.outcome == "nothing_to_send" and len(norce.imports) == 1
    assert store.state(Entity.CUSTOMERS).delta_watermark == T0 + timedelta(minutes=3)


def full_import_ended(status_id: int, job: Job | None = None, log: list | None = None) -> InMemoryImportStore:
    """A first full import of 2,500 customers that Norce ended with ``status_id``, as the follower sees it."""
    from norce_integration.adapters.memory.jobs import InMemoryJobLog, InMemoryJobRecords  # noqa: PLC0415
    from norce_integration.jobs.completion import JobCompletion  # noqa: PLC0415
    from norce_integration.jobs.follow import JobFollower  # noqa: PLC0415

    store, records = InMemoryImportStore(), InMemoryJobRecords()
    records.start(9, 100.0, kind="customers", mode="full", records=2500)
    answer = job or Job(JobId=9, StatusId=status_id, IsFinished=True)
    norce = InMemoryJobLog({9: log or []}, {9: answer})
    JobFollower(records, norce, JobCompletion(records, norce, full_imports=store)).follow()
    return store


def test_a_full_import_norce_applied_with_rows_refused_is_the_shrink_guards_reference():
    by_job = Job(JobId=9, StatusId=3, IsFinished=True, Insert=2000, Updates=400, Fail=100, Totals=2500)
    refused = [
        {"SeverityId": 3, "Message": "Company B1 does not exist", "ImportedRow": str(r)} for r in range(100)
    ]
    by_log = Job(JobId=9, StatusId=3, IsFinished=True)  # Norce said nothing of counts: its log's refused rows

    for store in (full_import_ended(3, by_job), full_import_ended(3, by_log, refused)):
        assert store.state(Entity.CUSTOMERS).last_full_records == 2400
        norce = InMemoryImporter()
        half = runner(FakeErp([customer(n) for n in range(1, 1201)]), norce, store).run(
            RunRequest(Entity.CUSTOMERS, Mode.FULL)
        )
        assert half.outcome == "refused_by_shrink_guard" and "2400" in (half.reason or "")
        assert norce.imports == [], "nothing sent: nobody deactivated"


def test_a_full_import_norce_applied_nothing_of_leaves_the_reference_alone():
    store = full_import_ended(3, Job(JobId=9, StatusId=3, IsFinished=True, Fail=2500, Totals=2500))

    assert store.state(Entity.CUSTOMERS).last_full_records is None
