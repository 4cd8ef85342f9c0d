"""The demo's import part: a delta run and a full run of the scheduled imports, their jobs followed to the
end, and the shrink guard refusing a full import after the ERP "lost" most of its customers."""

import json
import time
from collections.abc import Callable
from typing import Any

import requests

from local.stack import LocalStack


def _fire(stack: LocalStack, schedule: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    answer = requests.post(
        f"{stack.api_url}/_local/schedules/{schedule}",
        data=json.dumps(payload) if payload is not None else b"",
        timeout=300,
    )
    return dict(answer.json())


def _line(summary: dict[str, Any]) -> str:
    skipped = ", ".join(f"{reason}: {count}" for reason, count in summary.get("skipped", {}).items())
    return (
        f"{summary['outcome']}, sent {summary.get('sent', 0)}, jobs {summary.get('jobIds', [])}"
        + (f", skipped ({skipped})" if skipped else "")
        + (f"\n                                 reason: {summary['reason']}" if summary.get("reason") else "")
    )


def _counts(stack: LocalStack) -> str:
    customers = requests.get(f"{stack.norce.url}/_customers/count", timeout=10).json()
    return f"Norce holds {customers['active']} active and {customers['inactive']} inactive customers"


def run_imports(stack: LocalStack, out: Callable[[str], None]) -> list[str]:
    """Seed the ERP, run the imports, show the guard; the problems found (none when all is well)."""
    out("\n## 14. Scheduled imports: ERP customers and companies into Norce (delta, full, the shrink guard)")
    requests.post(
        f"{stack.erp.url}/_seed", json={"customers": 2000, "companies": 100, "bad": True}, timeout=60
    )
    out("   The ERP holds 2,000 customers and 100 companies (plus three bad customers)")
    companies = _fire(stack, "CompaniesFull")
    out(f"   CompaniesFull (schedule):     {_line(companies)}")
    delta = _fire(stack, "CustomersDelta")
    out(f"   CustomersDelta (schedule):    {_line(delta)}")
    full = _fire(stack, "CustomersFull")
    out(f"   CustomersFull (schedule):     {_line(full)}")
    time.sleep(0.5)
    followed = _fire(stack, "ImportJobsFollow")
    running, late = followed["running"], followed["late"]
    out(f"   ImportJobsFollow:             open jobs still running {running}, late {late}")
    jobs = requests.get(f"{stack.norce.url}/_jobs", timeout=10).json()
    out(
        "   Norce's jobs:                 "
        + ", ".join(
            f"{j['JobId']} {j['kind']} {j['count']} {'full' if j['full'] else 'delta'} status {j['StatusId']}"
            for j in jobs
        )
    )
    out(f"   {_counts(stack)}")
    requests.post(f"{stack.erp.url}/_seed", json={"customers": 1200}, timeout=60)
    refused = _fire(stack, "CustomersFull")
    out(f"   The ERP now exports 1,200 customers; CustomersFull: {_line(refused)}")
    out(f"   {_counts(stack)}  (nothing was deactivated)")
    problems = []
    if companies["outcome"] != "sent" or full["outcome"] != "sent" or delta["outcome"] != "sent":
        problems.append("an import run did not send")
    if refused["outcome"] != "refused_by_shrink_guard":
        problems.append("the shrink guard let a much smaller full import through")
    if not full.get("skipped"):
        problems.append("the bad customers were not reported")
    return problems
