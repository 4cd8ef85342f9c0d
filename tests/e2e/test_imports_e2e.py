"""The scheduled customer and company imports on the local stack, over HTTP: the ERP simulator seeded with
customers and companies, each schedule fired through ``POST /_local/schedules/{ScheduleName}``, Norce
Connect's simulator applying the imports as Norce does (upsert by Code, a full import deactivates the rest),
the jobs completed by JobCompletedEvent or ImportJobsFollow, and the records in the orders table.

What a user relies on: every ERP customer reaches Norce, a delta sends what changed, and a bad full import
(an ERP that lost customers, an export failing half-way, Norce refusing) never deactivates real customers
and loses nothing. The stack is shared by the whole e2e session: every test leaves the ERP with the
baseline seed and no fault, and the module puts back what it changed in the ERP and in Norce.
"""

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from local.stack import LocalStack
from tests.e2e.helpers import wait_until

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CUSTOMERS, COMPANIES = 500, 30  # the baseline seed (ERP page size 500: 1,200 customers are three pages)
SKIPPED_BAD = {
    "neither Code nor e-mail": 1,
    "invalid e-mail address": 1,
    "Code already sent in this run (duplicated in the ERP)": 1,
}
PERSONAL = (
    "EmailAddress",
    "FirstName",
    "LastName",
    "PhoneNumber",
    "CellPhoneNumber",
    "InvoiceAddress",
    "DeliveryAddresses",
)


# -- talking to the stack
def fire(stack: LocalStack, schedule: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    """Fire a schedule now, as EventBridge Scheduler would (``payload`` replaces its input); its answer."""
    answer = requests.post(
        f"{stack.api_url}/_local/schedules/{schedule}",
        data=json.dumps(payload) if payload is not None else b"",
        timeout=120,
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def item(stack: LocalStack, pk: str) -> dict[str, Any]:
    table = stack.resource("OrdersTable")
    found = stack.aws.client("dynamodb").get_item(TableName=table, Key={"pk": {"S": pk}}, ConsistentRead=True)
    return dict(found.get("Item", {}))


def watermark(stack: LocalStack, entity: str = "customers") -> str | None:
    return item(stack, f"IMPORT#{entity}").get("delta_watermark", {}).get("S")


def last_full(stack: LocalStack, entity: str = "customers") -> tuple[int | None, int | None]:
    """``IMPORT#{entity}``'s shrink-guard reference: (last_full_records, last_full_job)."""
    found = item(stack, f"IMPORT#{entity}")
    number = lambda name: int(found[name]["N"]) if name in found else None  # noqa: E731
    return number("last_full_records"), number("last_full_job")


def wait_for_reference(stack: LocalStack, summary: dict[str, Any], entity: str = "customers") -> None:
    """Until the full import's job is completed (JobCompletedEvent) and is the shrink guard's reference."""
    [job_id] = summary["jobIds"]
    wait_until(
        lambda: last_full(stack, entity) == (summary["sent"], job_id),
        what=f"{entity} full import job {job_id} recorded as the last good full import",
    )


def norce_jobs(stack: LocalStack) -> list[dict[str, Any]]:
    return list(requests.get(f"{stack.norce.url}/_jobs", timeout=10).json())


def new_jobs(stack: LocalStack, before: list[dict[str, Any]]) -> list[dict[str, Any]]:
    known = {job["JobId"] for job in before}
    return [job for job in norce_jobs(stack) if job["JobId"] not in known]


def held(stack: LocalStack, kind: str = "customers") -> list[dict[str, Any]]:
    return list(requests.get(f"{stack.norce.url}/_{kind}", timeout=10).json())


def held_by_code(stack: LocalStack, kind: str = "customers") -> dict[str, dict[str, Any]]:
    return {entity["Code"]: entity for entity in held(stack, kind) if entity.get("Code")}


def held_state(stack: LocalStack, kind: str = "customers") -> dict[int, tuple[Any, ...]]:
    """Everything an import could change, per held entity: the comparison for "Norce unchanged"."""
    return {entity["Id"]: tuple(sorted(entity.items(), key=lambda kv: kv[0])) for entity in held(stack, kind)}


def counts(stack: LocalStack, kind: str = "customers") -> dict[str, int]:
    return dict(requests.get(f"{stack.norce.url}/_{kind}/count", timeout=10).json())


def import_calls(stack: LocalStack) -> list[dict[str, Any]]:
    return stack.norce.calls_to("Customer/ImportCustomers")


def erp_codes(stack: LocalStack, kind: str = "customers") -> set[str]:
    return {party["code"] for party in stack.erp.parties(kind) if party.get("code")}


def seeded_codes(first: int, last: int) -> set[str]:
    return {f"C{number:07d}" for number in range(first, last + 1)}


def erp_edit(stack: LocalStack, code: str, changes: dict[str, Any]) -> dict[str, Any]:
    """A change to a customer in the ERP (``PUT /customers/<code>``): its new body, with ``changedAt``."""
    answer = requests.put(
        f"{stack.erp.url}/customers/{code}",
        json=changes,
        headers={"X-Api-Key": stack.erp.api_key},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def erp_customer(stack: LocalStack, code: str) -> dict[str, Any]:
    answer = requests.get(
        f"{stack.erp.url}/customers/{code}", headers={"X-Api-Key": stack.erp.api_key}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def moment(text: str | None) -> datetime:
    assert text, "no timestamp"
    return datetime.fromisoformat(text)


def seed_baseline(stack: LocalStack) -> None:
    stack.erp.seed(customers=CUSTOMERS, companies=COMPANIES, bad=False)


def full_imports_done(stack: LocalStack) -> dict[str, Any]:
    """The ERP at its baseline and Norce matching it: both full imports sent and completed; the customers'
    summary."""
    seed_baseline(stack)
    companies = fire(stack, "CompaniesFull")
    assert companies["outcome"] == "sent", companies
    wait_for_reference(stack, companies, "companies")
    customers = fire(stack, "CustomersFull")
    assert customers["outcome"] == "sent", customers
    wait_for_reference(stack, customers)
    return customers


@pytest.fixture(scope="module", autouse=True)
def restored_afterwards(stack: LocalStack) -> Iterator[None]:
    """What the module changes, put back: the ERP without seeded parties and faults; Norce's customers and
    companies that existed before active or not as they were (full imports deactivate what the ERP does not
    hold)."""
    before = {
        kind: {entity["Id"]: entity.get("IsActive", True) for entity in held(stack, kind)}
        for kind in ("customers", "companies")
    }
    yield
    stack.erp.set_faults(fail_export_on_page=None, latency_ms=0)
    stack.norce.set_faults(count=0, status=503, paths=[], retry_after_seconds=1)
    stack.erp.seed(customers=0, companies=0, bad=False)
    for kind, flags in before.items():
        store = stack.norce.customers if kind == "customers" else stack.norce.companies
        for entity_id, active in flags.items():
            if entity_id in store:
                store[entity_id]["IsActive"] = active


@pytest.fixture
def no_delta_overlap(stack: LocalStack) -> Iterator[None]:
    """erp_import deployed with ``DeltaOverlapSeconds=0`` (a cold start with that setting), then back.

    With the default 300 s a delta reads again everything changed in the 5 minutes before its watermark,
    which in a test is the whole seed: "only what changed" can only be seen without the overlap."""
    pool = stack.workers["ErpImportFunction"]
    name = "DELTA_OVERLAP_SECONDS"
    previous = pool.spec.environment.get(name)
    pool.recycle({name: "0"})
    try:
        yield
    finally:
        pool.recycle({name: previous})


# -- 1. full imports
def test_full_imports_bring_every_erp_customer_and_company_into_norce_as_one_completed_job_each(
    stack: LocalStack,
) -> None:
    seed_baseline(stack)
    jobs_before = norce_jobs(stack)
    erp_customers, erp_companies = erp_codes(stack), erp_codes(stack, "companies")
    assert seeded_codes(1, CUSTOMERS) <= erp_customers

    companies = fire(stack, "CompaniesFull")
    customers = fire(stack, "CustomersFull")

    assert companies["outcome"] == "sent" and companies["sent"] == len(erp_companies)
    assert customers["outcome"] == "sent" and customers["sent"] == len(erp_customers)
    assert customers["skipped"] == {} and customers["reason"] is None
    assert len(companies["jobIds"]) == 1 and len(customers["jobIds"]) == 1
    jobs = {job["JobId"]: job for job in new_jobs(stack, jobs_before)}
    assert set(jobs) == {*companies["jobIds"], *customers["jobIds"]}, "one job per run"
    [company_job], [customer_job] = companies["jobIds"], customers["jobIds"]
    assert jobs[company_job]["kind"] == "companies" and jobs[company_job]["count"] == companies["sent"]
    assert jobs[customer_job]["kind"] == "customers" and jobs[customer_job]["count"] == customers["sent"]
    assert jobs[company_job]["full"] and jobs[customer_job]["full"]
    headers = {name.lower(): value for name, value in import_calls(stack)[-1]["headers"].items()}
    header = json.loads(headers["x-stormconnect-header"])
    assert header["FullFile"] is True and "Code" in header["CustomerFieldsThatAreSet"]

    in_norce = held_by_code(stack)
    assert all(in_norce[code]["IsActive"] for code in erp_customers), "every ERP customer active in Norce"
    assert counts(stack)["active"] >= len(erp_customers)
    companies_in_norce = held_by_code(stack, "companies")
    assert all(companies_in_norce[code]["IsActive"] for code in erp_companies)
    contact = in_norce["C0000005"]  # every 5th seeded customer is a contact of a seeded company
    assert contact["Companies"] == [companies_in_norce["B000001"]["Id"]]
    assert contact["EmailAddress"] == "customer5@example.com"

    for summary, kind in ((companies, "companies"), (customers, "customers")):
        [job_id] = summary["jobIds"]
        record = wait_until(
            lambda job_id=job_id: (
                (found := item(stack, f"JOB#{job_id}")).get("status", {}).get("S") == "Succeeded" and found
            ),
            what=f"JOB#{job_id} completed by its JobCompletedEvent",
        )
        assert record["kind"]["S"] == kind and record["mode"]["S"] == "full"
        assert int(record["records"]["N"]) == summary["sent"] and record["job_errors"]["L"] == []
        wait_for_reference(stack, summary, kind)
    report = fire(stack, "ImportJobsFollow")
    followed = {*report["running"], *report["late"], *report["failed"], *report["unreadable"]}
    assert not followed & {company_job, customer_job}, "no job of the runs is left open"
    open_jobs = item(stack, "JOBS#OPEN").get("jobs", {}).get("M", {})
    assert f"j{company_job}" not in open_jobs and f"j{customer_job}" not in open_jobs
    assert last_full(stack) == (len(erp_customers), customer_job)
    stored = json.loads(item(stack, "IMPORT#customers")["last_full_run"]["S"])
    assert stored == customers


# -- 2. deltas
def test_a_delta_sends_only_the_customers_changed_since_its_watermark_and_moves_it(
    stack: LocalStack, no_delta_overlap: None
) -> None:
    seed_baseline(stack)
    newest = erp_edit(stack, "C0000001", {})  # the newest change: the watermark is one customer's
    first = fire(stack, "CustomersDelta")
    assert first["outcome"] == "sent" and moment(watermark(stack)) == moment(newest["changedAt"])
    jobs_before = norce_jobs(stack)
    codes = ("C0000010", "C0000123", "C0000250", "C0000333", "C0000499")
    originals = {code: erp_customer(stack, code)["lastName"] for code in codes}

    edited = {code: erp_edit(stack, code, {"lastName": f"Ändrad {code}"}) for code in codes}
    stack.erp.seed(customers=CUSTOMERS + 3)  # and three new customers
    changed = set(edited) | seeded_codes(CUSTOMERS + 1, CUSTOMERS + 3)
    try:
        delta = fire(stack, "CustomersDelta")

        assert delta["outcome"] == "sent" and len(delta["jobIds"]) == 1
        assert moment(delta["since"]) == moment(newest["changedAt"]), "read from the watermark"
        sent_codes = {record["Code"] for record in import_calls(stack)[-1]["body"]}
        assert changed <= sent_codes
        # nothing older than the watermark again (the customer at the watermark itself is read again:
        # the ERP's changedSince is inclusive, and Norce's upsert by Code makes that harmless)
        assert sent_codes - changed <= {"C0000001"}, "unchanged customers were sent"
        [job] = new_jobs(stack, jobs_before)
        assert job["count"] == delta["sent"] == len(sent_codes) and not job["full"]
        newest_change = max(moment(party["changedAt"]) for party in stack.erp.parties("customers"))
        assert moment(watermark(stack)) == newest_change == moment(delta["watermark"])
        assert moment(watermark(stack)) > moment(newest["changedAt"]), "the watermark moved"
        in_norce = held_by_code(stack)
        assert all(in_norce[code]["LastName"] == f"Ändrad {code}" for code in edited)
        assert all(in_norce[code]["IsActive"] for code in changed)

        again = fire(stack, "CustomersDelta")  # nothing changed in the ERP meanwhile
        assert moment(watermark(stack)) == newest_change, "the watermark stays"
        assert again["outcome"] in ("sent", "nothing_to_send")
        if again["jobIds"]:
            resent = {record["Code"] for record in import_calls(stack)[-1]["body"]}
            at_watermark = {
                p["code"] for p in stack.erp.parties("customers") if moment(p["changedAt"]) == newest_change
            }
            assert resent <= at_watermark, "a delta with no change sent customers older than its watermark"
    finally:
        seed_baseline(stack)
        for code, last_name in originals.items():
            erp_edit(stack, code, {"lastName": last_name})


def test_a_second_delta_with_no_change_sends_nothing_and_keeps_its_watermark(
    stack: LocalStack, no_delta_overlap: None
) -> None:
    seed_baseline(stack)
    erp_edit(stack, "C0000002", {})
    assert fire(stack, "CustomersDelta")["outcome"] == "sent"
    kept = watermark(stack)
    jobs_before = norce_jobs(stack)

    again = fire(stack, "CustomersDelta")

    assert watermark(stack) == kept
    assert again["outcome"] == "nothing_to_send" and again["sent"] == 0 and again["jobIds"] == []
    assert new_jobs(stack, jobs_before) == []


# -- 3. the shrink guard
def test_the_shrink_guard_refuses_a_much_smaller_full_import_and_force_sends_it(stack: LocalStack) -> None:
    reference = full_imports_done(stack)
    try:
        stack.erp.seed(customers=100)  # the ERP "lost" 400 of its 500 seeded customers
        remaining, lost = erp_codes(stack), seeded_codes(101, CUSTOMERS)
        jobs_before, norce_before = norce_jobs(stack), held_state(stack)
        aborted = stack.norce.stats["aborted imports"]

        refused = fire(stack, "CustomersFull")

        assert refused["outcome"] == "refused_by_shrink_guard"
        assert f"below the last full import's {reference['sent']}" in refused["reason"]
        assert refused["jobIds"] == [] and refused["sent"] == 0
        wait_until(lambda: stack.norce.stats["aborted imports"] > aborted, what="the request aborted")
        assert new_jobs(stack, jobs_before) == [], "no job"
        assert held_state(stack) == norce_before, "nothing deactivated (nothing changed) in Norce"
        assert last_full(stack) == (reference["sent"], reference["jobIds"][0])
        assert json.loads(item(stack, "IMPORT#customers")["last_full_run"]["S"]) == refused

        inactive_before = counts(stack)["inactive"]
        forced = fire(stack, "CustomersFull", {"entity": "customers", "mode": "full", "force": True})

        assert forced["outcome"] == "sent" and forced["sent"] == len(remaining)
        [job] = new_jobs(stack, jobs_before)
        assert job["JobId"] == forced["jobIds"][0] and job["full"] and job["count"] == len(remaining)
        in_norce = held_by_code(stack)
        assert all(in_norce[code]["IsActive"] for code in remaining)
        assert not any(in_norce[code]["IsActive"] for code in lost), "the missing ones deactivated"
        assert counts(stack)["inactive"] == inactive_before + len(lost)
        wait_for_reference(stack, forced)
    finally:
        seed_baseline(stack)
        restore = fire(stack, "CustomersFull", {"entity": "customers", "mode": "full", "force": True})
        assert restore["outcome"] == "sent", restore
        wait_for_reference(stack, restore)
    in_norce = held_by_code(stack)
    assert all(in_norce[code]["IsActive"] for code in seeded_codes(1, CUSTOMERS)), "all back"


# -- 4. the ERP failing half-way
def test_the_erp_failing_on_page_two_of_a_full_import_sends_nothing_and_fails_the_run(
    stack: LocalStack,
) -> None:
    reference = full_imports_done(stack)
    stack.erp.seed(customers=1200)  # three pages; the first alone would pass the shrink guard
    jobs_before, norce_before = norce_jobs(stack), held_state(stack)
    aborted = stack.norce.stats["aborted imports"]
    stack.erp.set_faults(fail_export_on_page=2)
    try:
        summary = fire(stack, "CustomersFull")
    finally:
        stack.erp.set_faults(fail_export_on_page=None)
        seed_baseline(stack)

    assert summary["outcome"] == "failed"
    assert "the ERP failed while it was read" in summary["reason"] and "503" in summary["reason"]
    assert summary["jobIds"] == [] and summary["sent"] == 0
    assert stack.erp.stats["customers export failed on page 2"] >= 1
    wait_until(lambda: stack.norce.stats["aborted imports"] > aborted, what="the import request aborted")
    assert new_jobs(stack, jobs_before) == [], "no job"
    assert held_state(stack) == norce_before, "Norce unchanged: nothing deactivated"
    assert last_full(stack) == (reference["sent"], reference["jobIds"][0])
    assert json.loads(item(stack, "IMPORT#customers")["last_full_run"]["S"]) == summary


# -- 5. Norce unavailable
def test_norce_answering_503_to_every_attempt_fails_the_delta_and_the_next_one_catches_up(
    stack: LocalStack,
) -> None:
    seed_baseline(stack)
    assert fire(stack, "CustomersDelta")["outcome"] == "sent"
    kept = watermark(stack)
    codes = ("C0000020", "C0000021", "C0000022")
    originals = {code: erp_customer(stack, code)["firstName"] for code in codes}
    edited = {code: erp_edit(stack, code, {"firstName": f"Ny {code}"}) for code in codes}
    jobs_before, calls_before = norce_jobs(stack), len(import_calls(stack))
    stack.norce.set_faults(count=100, status=503, paths=["Customer/ImportCustomers"], retry_after_seconds=1)
    try:
        failed = fire(stack, "CustomersDelta")
    finally:
        stack.norce.set_faults(count=0, status=503, paths=[], retry_after_seconds=1)

    assert failed["outcome"] == "failed" and "Norce Connect unavailable" in failed["reason"]
    assert "503" in failed["reason"] and failed["jobIds"] == [] and failed["watermark"] is None
    assert [call["status"] for call in import_calls(stack)[calls_before:]] == [503, 503, 503]
    assert watermark(stack) == kept, "the watermark did not move"
    assert new_jobs(stack, jobs_before) == []
    assert all(held_by_code(stack)[code]["FirstName"] != f"Ny {code}" for code in edited)

    caught_up = fire(stack, "CustomersDelta")

    assert caught_up["outcome"] == "sent" and len(caught_up["jobIds"]) == 1
    assert {record["Code"] for record in import_calls(stack)[-1]["body"]} >= set(edited)
    in_norce = held_by_code(stack)
    assert all(in_norce[code]["FirstName"] == f"Ny {code}" for code in edited)
    newest = max(moment(body["changedAt"]) for body in edited.values())
    assert moment(watermark(stack)) == newest, "the watermark moved to the newest change"
    for code, first_name in originals.items():
        erp_edit(stack, code, {"firstName": first_name})


# -- 6. bad ERP data, anonymised customers
def test_bad_erp_records_are_skipped_by_reason_and_an_anonymised_customer_is_cleared_in_norce(
    stack: LocalStack,
) -> None:
    full_imports_done(stack)
    assert held_by_code(stack)["C0000002"]["EmailAddress"] == "customer2@example.com"
    try:
        stack.erp.seed(bad=True, anonymised=["C0000002"])
        valid = erp_codes(stack) - {"CBAD00001"}
        duplicate = next(p for p in stack.erp.parties("customers") if p.get("firstName") == "Duplicate")

        summary = fire(stack, "CustomersFull")

        assert summary["outcome"] == "sent" and summary["sent"] == len(valid)
        assert summary["skipped"] == SKIPPED_BAD
        assert "CBAD00001: invalid e-mail address" in summary["skippedCodes"]
        assert (
            f"{duplicate['code']}: Code already sent in this run (duplicated in the ERP)"
            in summary["skippedCodes"]
        )
        assert json.loads(item(stack, "IMPORT#customers")["last_full_run"]["S"])["skipped"] == SKIPPED_BAD
        in_norce = held_by_code(stack)
        assert "CBAD00001" not in in_norce
        assert in_norce[duplicate["code"]]["FirstName"] != "Duplicate", (
            "the first of a duplicated Code is sent"
        )
        anonymised = in_norce["C0000002"]
        assert anonymised["IsActive"] is True
        assert {name: anonymised.get(name) for name in PERSONAL} == dict.fromkeys(PERSONAL)
        assert not [c for c in held(stack) if c.get("EmailAddress") == "customer2@example.com"]
        wait_for_reference(stack, summary)
    finally:
        stack.erp.seed(bad=False)
        erp_edit(stack, "C0000002", {"anonymised": False})
        restore = fire(stack, "CustomersFull", {"entity": "customers", "mode": "full", "force": True})
        assert restore["outcome"] == "sent", restore
        wait_for_reference(stack, restore)


# -- 7. make import
def test_make_imports_script_runs_a_delta_on_the_stack_and_prints_its_summary(stack: LocalStack) -> None:
    seed_baseline(stack)
    erp_edit(stack, "C0000042", {})
    jobs_before = norce_jobs(stack)

    done = subprocess.run(
        [sys.executable, "-m", "local.run_import", "customers", "delta", "--api", stack.api_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    printed, _, followed = done.stdout.partition("jobs followed: ")
    summary = json.loads(printed)
    assert summary["entity"] == "customers" and summary["mode"] == "delta" and summary["outcome"] == "sent"
    assert summary["sent"] >= 1 and len(summary["jobIds"]) == 1
    assert [job["JobId"] for job in new_jobs(stack, jobs_before)] == summary["jobIds"]
    report = json.loads(followed)
    assert report["running"] == [] and report["late"] == [] and report["failed"] == []
    assert json.loads(item(stack, "IMPORT#customers")["last_delta_run"]["S"]) == summary


# -- 8. two runs at once
def test_two_customer_deltas_fired_at_once_make_one_import_and_one_locked_run(stack: LocalStack) -> None:
    seed_baseline(stack)
    erp_edit(stack, "C0000077", {})
    jobs_before = norce_jobs(stack)
    start = threading.Barrier(2)
    results: list[dict[str, Any]] = []

    def over_http() -> None:  # the local API runs one handler call at a time: one run goes this way,
        start.wait()
        results.append(fire(stack, "CustomersDelta"))

    def by_the_scheduler() -> None:  # the other as EventBridge Scheduler invokes the function
        start.wait()
        results.append(stack.run_schedule("CustomersDelta"))

    stack.erp.set_faults(latency_ms=300)  # each ERP page takes a while: the runs overlap
    try:
        threads = [threading.Thread(target=over_http), threading.Thread(target=by_the_scheduler)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        stack.erp.set_faults(latency_ms=0)

    assert sorted(result["outcome"] for result in results) == ["locked", "sent"]
    [locked] = [result for result in results if result["outcome"] == "locked"]
    [sent] = [result for result in results if result["outcome"] == "sent"]
    assert locked["jobIds"] == [] and locked["sent"] == 0 and "another customers import" in locked["reason"]
    assert [job["JobId"] for job in new_jobs(stack, jobs_before)] == sent["jobIds"], "one job"
    assert "lock_until" not in item(stack, "IMPORT#customers"), "the lock released"
    assert fire(stack, "CustomersDelta")["outcome"] == "nothing_to_send", "the next run is not locked out"


# -- 9. a first full import Norce applied with rows refused
def test_a_first_full_import_with_refused_rows_then_a_half_size_one_deactivates_nobody(
    stack: LocalStack,
) -> None:
    """Issue 20 item 8: Norce refused the customers linked to companies it does not hold and applied the
    others (its job ends Failed, as real imports often do); what it applied is the guard's reference."""
    full_imports_done(stack)
    missing = {f"B{n:06d}" for n in range(1, 11)}  # ten companies Norce does not hold: 40 contacts
    removed = {i: c for i, c in list(stack.norce.companies.items()) if c.get("Code") in missing}
    for company_id in removed:
        del stack.norce.companies[company_id]
    stack.norce.reindex()
    stack.aws.client("dynamodb").update_item(  # a first full import: no reference yet
        TableName=stack.resource("OrdersTable"),
        Key={"pk": {"S": "IMPORT#customers"}},
        UpdateExpression="REMOVE last_full_records, last_full_job, last_full_started",
    )
    try:
        first = fire(stack, "CustomersFull")

        assert first["outcome"] == "sent" and first["sent"] == len(erp_codes(stack))
        [job_id] = first["jobIds"]
        record = wait_until(
            lambda: (found := item(stack, f"JOB#{job_id}")).get("status", {}).get("S") == "Failed" and found,
            what="the first full import's job ended Failed",
        )
        errors = [line["S"] for line in record["job_errors"]["L"]]
        assert all(e.endswith("does not exist") for e in errors)
        assert any(e.endswith(": Company B000001 does not exist") for e in errors)
        refused = stack.norce.jobs[job_id]["refused"]  # the 40 contacts of the ten companies
        assert refused >= 40
        applied = first["sent"] - refused
        wait_until(lambda: last_full(stack) == (applied, job_id), what="what Norce applied as the reference")
        stack.erp.seed(customers=CUSTOMERS // 2)
        norce_before, jobs_before = held_state(stack), norce_jobs(stack)

        half = fire(stack, "CustomersFull")

        assert half["outcome"] == "refused_by_shrink_guard", half
        assert f"below the last full import's {applied} (what Norce applied of it)" in half["reason"]
        assert new_jobs(stack, jobs_before) == [] and held_state(stack) == norce_before, "nobody deactivated"
    finally:
        stack.norce.companies.update(removed)
        stack.norce.reindex()
        seed_baseline(stack)
        restore = fire(stack, "CustomersFull", {"entity": "customers", "mode": "full", "force": True})
        assert restore["outcome"] == "sent", restore
        wait_for_reference(stack, restore)


# -- 10. the full-import flag switched off
@pytest.fixture
def full_file_flag_off(stack: LocalStack) -> Iterator[None]:
    """erp_import deployed with ``NorceFullFileIn=off`` (the template's default), then back."""
    pool = stack.workers["ErpImportFunction"]
    name = "NORCE_FULL_FILE_IN"
    previous = pool.spec.environment.get(name)
    pool.recycle({name: "off"})
    try:
        yield
    finally:
        pool.recycle({name: previous})


def test_with_the_full_import_flag_off_a_forced_smaller_full_import_deactivates_nobody(
    stack: LocalStack, full_file_flag_off: None
) -> None:
    full_imports_done(stack)
    try:
        stack.erp.seed(customers=100)
        inactive = counts(stack)["inactive"]

        forced = fire(stack, "CustomersFull", {"entity": "customers", "mode": "full", "force": True})

        assert forced["outcome"] == "sent" and forced["sent"] == len(erp_codes(stack))
        headers = {name.lower(): value for name, value in import_calls(stack)[-1]["headers"].items()}
        assert "FullFile" not in json.loads(headers["x-stormconnect-header"])
        assert counts(stack)["inactive"] == inactive, "no flag: Norce upserts and deactivates nobody"
        wait_for_reference(stack, forced)
    finally:
        seed_baseline(stack)
