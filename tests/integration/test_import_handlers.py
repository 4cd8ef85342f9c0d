"""erp_import as Lambda runs it: moto for the orders table and secrets, the ERP and Norce Connect simulators
over loopback HTTP (a streamed, chunked import body; real faults), every sample input in events/erp_import."""

import json
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests

from local.erp_simulator import ErpSimulator
from local.norce import NorceConnectSimulator
from norce_integration.bootstrap.imports import build_import
from norce_integration.settings import ImportSettings
from tests.support.aws import ReceiverResources
from tests.support.handlers import EVENTS, FakeLambdaContext, load_event, load_function


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[ErpSimulator, NorceConnectSimulator]]:
    with ErpSimulator(":memory:", port=0) as erp, NorceConnectSimulator(port=0) as norce:
        yield erp, norce


class ImportWorld:
    def __init__(self, aws: ReceiverResources, servers: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.erp, self.norce = servers
        self.erp.reset()
        self.norce.reset()
        secrets = boto3.client("secretsmanager")
        erp_key = secrets.create_secret(Name="erp-key", SecretString=json.dumps({"apiKey": self.erp.api_key}))
        basic = {"application_id": self.norce.application_id, "secret_key": "connect-local-secret"}
        norce_secret = secrets.create_secret(Name="norce", SecretString=json.dumps(basic))
        env = {
            "ERP_BASE_URL": self.erp.url,
            "ERP_API_KEY_SECRET_ARN": erp_key["ARN"],
            "NORCE_CONNECT_URL": self.norce.connect_url,
            "NORCE_AUTH_MODE": "basic",
            "NORCE_CREDENTIALS_SECRET_ARN": norce_secret["ARN"],
            "NORCE_ACCOUNT_ID": "7",
            "SECRETS_CACHE_SECONDS": "0",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        self.table = aws.table
        self.function = load_function("erp_import")
        self.parts = build_import(ImportSettings.from_env())
        self.parts.runner.sleep = lambda seconds: None
        self.function.components = lambda: self.parts

    def run(self, payload: dict[str, Any]) -> dict[str, Any]:
        return dict(self.function.lambda_handler(payload, FakeLambdaContext()))

    def item(self, pk: str) -> dict[str, Any]:
        return boto3.client("dynamodb").get_item(TableName=self.table, Key={"pk": {"S": pk}}).get("Item", {})

    def counts(self, kind: str = "customers") -> dict[str, int]:
        return dict(requests.get(f"{self.norce.url}/_{kind}/count", timeout=10).json())

    def jobs(self) -> list[dict[str, Any]]:
        return list(requests.get(f"{self.norce.url}/_jobs", timeout=10).json())


@pytest.fixture
def world(aws: ReceiverResources, servers: Any, monkeypatch: pytest.MonkeyPatch) -> ImportWorld:
    return ImportWorld(aws, servers, monkeypatch)


EXPECTED = {
    "customers-delta.json": "sent",
    "customers-full.json": "sent",
    "companies-delta.json": "sent",
    "companies-full.json": "sent",
    "customers-full-forced.json": "sent",
    "invalid.json": "invalid_input",
}


def test_every_sample_input(world):
    assert {p.name for p in (EVENTS / "erp_import").glob("*.json")} == {*EXPECTED, "follow-jobs.json"}
    world.erp.seed(customers=20, companies=5)
    for name, outcome in EXPECTED.items():
        world.erp.seed(customers=20, companies=5)  # deltas find the seed again after the overlap
        assert world.run(load_event(f"erp_import/{name}"))["outcome"] in (outcome, "nothing_to_send"), name
    report = world.run(load_event("erp_import/follow-jobs.json"))
    assert set(report) == {"succeeded", "failed", "late", "running", "unreadable"}


def test_a_full_import_reaches_norce_as_one_job_with_only_the_configured_fields(world):
    world.erp.seed(customers=300, companies=20)
    assert world.run({"entity": "companies", "mode": "full"})["outcome"] == "sent"
    summary = world.run({"entity": "customers", "mode": "full"})
    assert summary["outcome"] == "sent" and summary["sent"] == 300 and len(summary["jobIds"]) == 1
    [call] = world.norce.calls_to("Customer/ImportCustomers")
    header = json.loads(next(v for k, v in call["headers"].items() if k.lower() == "x-stormconnect-header"))
    assert header["AccountId"] == 7 and header["FullFile"] is True
    assert "Accounts" not in header["CustomerFieldsThatAreSet"]
    assert world.counts() == {"active": 300, "inactive": 0}
    assert world.item(f"JOB#{summary['jobIds'][0]}")["mode"]["S"] == "full"


def test_the_job_followed_to_its_end_makes_the_shrink_guard_refuse_a_much_smaller_full_import(world):
    world.erp.seed(customers=200, companies=20)
    world.run({"entity": "companies", "mode": "full"})
    world.run({"entity": "customers", "mode": "full"})
    report = world.run({"action": "follow-jobs"})
    assert len(report["succeeded"]) == 2
    assert world.item("IMPORT#customers")["last_full_records"]["N"] == "200"
    world.erp.seed(customers=150)
    refused = world.run({"entity": "customers", "mode": "full"})
    assert refused["outcome"] == "refused_by_shrink_guard"
    assert world.counts() == {"active": 200, "inactive": 0}  # nothing was deactivated
    forced = world.run({"entity": "customers", "mode": "full", "force": True})
    assert forced["outcome"] == "sent" and world.counts() == {"active": 150, "inactive": 50}


def test_the_erp_failing_on_page_two_sends_no_full_import(world):
    world.erp.seed(customers=1500)
    world.erp.set_faults(fail_export_on_page=2)
    try:
        summary = world.run({"entity": "customers", "mode": "full", "force": True})
    finally:
        world.erp.set_faults(fail_export_on_page=None)
    assert summary["outcome"] == "failed" and "ERP failed" in summary["reason"]
    assert world.jobs() == [] and world.counts() == {"active": 0, "inactive": 0}


def test_norce_unavailable_for_every_attempt_fails_the_delta_without_moving_its_watermark(world):
    world.erp.seed(customers=30)
    world.norce.set_faults(status=503, count=10, paths=["Customer/ImportCustomers"])
    try:
        summary = world.run({"entity": "customers", "mode": "delta"})
    finally:
        world.norce.set_faults(status=None, count=0, paths=[])
    assert summary["outcome"] == "failed" and world.jobs() == []
    assert "delta_watermark" not in world.item("IMPORT#customers")
    assert world.run({"entity": "customers", "mode": "delta"})["outcome"] == "sent"
    assert "delta_watermark" in world.item("IMPORT#customers")


def test_norce_throttling_mid_stream_is_retried_and_makes_one_job(world):
    world.erp.seed(customers=3000)
    world.norce.set_faults(status=429, count=1, retry_after_seconds=0, paths=["Customer/ImportCustomers"])
    try:
        summary = world.run({"entity": "customers", "mode": "delta"})
    finally:
        world.norce.set_faults(status=None, count=0, paths=[])
    assert summary["outcome"] == "sent" and summary["sent"] == 3000 and len(world.jobs()) == 1


def test_two_runs_of_one_schedule_at_once_make_one_import(world):
    world.erp.seed(customers=2000)
    world.erp.set_faults(latency_ms=300)  # each page takes a while: the runs overlap
    results: list[dict[str, Any]] = []
    try:
        threads = [
            threading.Thread(
                target=lambda: results.append(world.run({"entity": "customers", "mode": "delta"}))
            )
            for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        world.erp.set_faults(latency_ms=0)
    assert sorted(r["outcome"] for r in results) == ["locked", "sent"] and len(world.jobs()) == 1


def test_bad_erp_data_is_skipped_by_reason_and_anonymised_customers_lose_their_personal_data(world):
    world.erp.seed(customers=10, companies=2)
    world.run({"entity": "companies", "mode": "full"})
    world.run({"entity": "customers", "mode": "full"})
    world.erp.seed(customers=10, bad=True, anonymised=["C0000002"])
    summary = world.run({"entity": "customers", "mode": "full"})
    assert summary["outcome"] == "sent" and summary["sent"] == 10
    assert set(summary["skipped"]) == {
        "neither Code nor e-mail",
        "invalid e-mail address",
        "Code already sent in this run (duplicated in the ERP)",
    }
    held = next(c for c in world.norce.customers.values() if c.get("Code") == "C0000002")
    assert held.get("EmailAddress") is None and held.get("FirstName") is None and held["IsActive"] is True
    stored = json.loads(world.item("IMPORT#customers")["last_full_run"]["S"])
    assert stored["skipped"] == summary["skipped"]
