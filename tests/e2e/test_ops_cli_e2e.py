"""The ops CLI (`norce-ops`) against the shared local stack: an order's trail, a parked order found, redriven
and replayed into exactly one ERP order, an import followed to its job's end, jobs, dlq and health."""

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from local.stack import LocalStack
from ops.cli import app
from ops.target import Target, from_local_stack
from tests.e2e.helpers import confirmations_for, erp_orders_for, order_body, post_order, wait_until

pytestmark = pytest.mark.e2e
runner = CliRunner()
UNKNOWN_ITEM = "ERP rejected it: ERP: POST /orders answered 422: line 1: unknown item ITEM404"


@pytest.fixture(scope="module")
def target(stack: LocalStack) -> Target:
    return from_local_stack(stack)


def cli(target: Target, *args: str) -> Any:
    return runner.invoke(app, list(args), obj=target)


def output_of(result: Any) -> Any:
    """The CLI's JSON document. The local stack runs the handlers in this process, and a handler that logs
    (or flushes metrics) while the runner captures stdout adds its one-line JSON record there: skipped."""
    decoder, text, at, documents = json.JSONDecoder(), result.stdout, 0, []
    while (at := _skip_space(text, at)) < len(text):
        document, at = decoder.raw_decode(text, at)
        documents.append(document)
    ours = [d for d in documents if not _is_handler_record(d)]
    assert len(ours) == 1, f"expected one JSON document from the CLI, got {len(ours)}: {text[:300]!r}"
    return ours[0]


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at].isspace():
        at += 1
    return at


def _is_handler_record(document: Any) -> bool:
    """A Powertools log record (level, location, service) or an EMF metrics blob (``_aws``)."""
    if not isinstance(document, dict):
        return False
    return "_aws" in document or {"level", "location", "service"} <= document.keys()


def report(target: Target, ref: str) -> dict[str, Any]:
    result = cli(target, "trail", ref, "--json")
    assert result.exit_code in (0, 1), result.output
    return dict(output_of(result)) if result.exit_code == 0 else {"verdict": "unknown"}


def verdict_of(target: Target, ref: str, starts: str) -> dict[str, Any] | None:
    found = report(target, ref)
    return found if found["verdict"].startswith(starts) else None


def order_with_unknown_item(ref: str) -> bytes:
    order = json.loads(order_body(ref))
    order["Items"][0]["PartNo"] = order["Items"][0]["ErpPartNo"] = "ITEM404"
    return json.dumps(order).encode()


def test_trail_shows_the_journey_of_a_confirmed_order(stack, target):
    post_order(stack, order_body("E2E-OPS-TRAIL"))
    wait_until(lambda: confirmations_for(stack, "E2E-OPS-TRAIL"), what="the confirmation")
    [erp_order] = erp_orders_for(stack, "E2E-OPS-TRAIL")

    found = wait_until(lambda: verdict_of(target, "E2E-OPS-TRAIL", "confirmed"), what="the confirmed trail")

    assert found["verdict"] == f"confirmed in Norce (ERP order {erp_order['orderNo']})"
    [order] = found["orders"]
    assert order["intake"]["state"] == "ACCEPTED" and order["intake"]["answer"]["StatusCode"] == "OK"
    assert order["intake"]["received_at"] and order["intake"]["wire_format"] == "json"
    assert order["archive"]["exists"] and order["archive"]["key"].startswith("orders/")
    assert order["erp_order_no"] == erp_order["orderNo"] and order["confirmed_at"]
    events = [entry["event"] for entry in order["trail"]]
    assert events[0] == "received" and "erp_order_created" in events and events[-1] == "confirmed"
    assert order["messages"] == [] and order["errors"] == []
    # the same through --local and the URLs, as `make ops ARGS="trail REF --local"` resolves it
    local = runner.invoke(
        app,
        [
            "--endpoint-url",
            stack.aws.endpoint,
            "--api-url",
            stack.api_url,
            "trail",
            "E2E-OPS-TRAIL",
            "--local",
        ],
    )
    assert local.exit_code == 0, local.output
    assert erp_order["orderNo"] in local.stdout and "erp_order_created" in local.stdout


def test_an_order_the_erp_refuses_is_found_parked_and_redriven_into_one_erp_order(stack, target):
    stack.erp.set_faults(unknown_parts=["ITEM404"])
    post_order(stack, order_with_unknown_item("E2E-OPS-PARKED"))

    parked = wait_until(lambda: verdict_of(target, "E2E-OPS-PARKED", "parked"), what="the parked order")

    assert parked["verdict"] == f"parked in the orders DLQ: {UNKNOWN_ITEM}"
    [order] = parked["orders"]
    assert order["processing_state"] == "failed" and order["last_error"] == UNKNOWN_ITEM
    assert [m["queue"] for m in order["messages"]] == ["OrdersDeadLetterQueue"]
    dlqs = {row["queue"]: row for row in output_of(cli(target, "dlq", "--json"))}
    assert dlqs["OrdersDeadLetterQueue"]["depth"] >= 1
    assert dlqs["OrdersDeadLetterQueue"]["oldest_age_seconds"] is not None
    dry = output_of(cli(target, "redrive", "orders", "--dry-run", "--json"))
    assert dry["reasons"].get(UNKNOWN_ITEM) == 1 and dry["moved"] == 0
    assert erp_orders_for(stack, "E2E-OPS-PARKED") == []

    stack.erp.set_faults(unknown_parts=[])  # the item now exists in the ERP
    moved = cli(target, "redrive", "orders", "--yes", "--json")

    assert moved.exit_code == 0, moved.output
    summary = output_of(moved)
    assert summary["moved"] >= 1 and summary["method"] == "manual", "moto has no StartMessageMoveTask"
    wait_until(lambda: confirmations_for(stack, "E2E-OPS-PARKED"), what="the redriven order's confirmation")
    assert len(erp_orders_for(stack, "E2E-OPS-PARKED")) == 1
    wait_until(lambda: verdict_of(target, "E2E-OPS-PARKED", "confirmed"), what="the confirmed trail")


def test_replaying_an_order_norce_refused_finds_the_erp_order_and_makes_no_second_one(stack, target):
    stack.norce.set_faults(status=400, count=1, paths=["Order/SendOrderStatus"])
    post_order(stack, order_body("E2E-OPS-REPLAY"))
    parked = wait_until(lambda: verdict_of(target, "E2E-OPS-REPLAY", "parked"), what="the parked order")
    assert parked["verdict"].startswith("parked in the orders DLQ: Norce rejected it")
    assert len(erp_orders_for(stack, "E2E-OPS-REPLAY")) == 1, "the ERP has it; Norce refused the confirmation"

    result = cli(target, "replay", "E2E-OPS-REPLAY", "--wait", "--timeout", "30", "--json")

    assert result.exit_code == 0, result.output
    replayed = output_of(result)
    assert replayed["removed_from_dlq"] == 1 and replayed["outcome"]["processing_state"] == "confirmed"
    [erp_order] = erp_orders_for(stack, "E2E-OPS-REPLAY")
    assert [c["ErpOrderNo"] for c in confirmations_for(stack, "E2E-OPS-REPLAY")] == [erp_order["orderNo"]]
    [order] = report(target, "E2E-OPS-REPLAY")["orders"]
    assert [e["event"] for e in order["trail"]][-2:] == ["erp_order_found", "confirmed"]
    assert order["messages"] == [], "the parked copy left the DLQ"
    again = cli(target, "replay", "E2E-OPS-REPLAY")
    assert again.exit_code == 1 and "already confirmed" in again.output


def test_import_customers_delta_runs_and_follows_its_job_to_the_end(stack, target):
    held = stack.erp.seed()["customers"]
    stack.erp.seed(customers=held + 3)  # three customers changed since the last delta

    result = cli(target, "import", "customers", "delta", "--poll", "0.2", "--timeout", "20", "--json")

    assert result.exit_code == 0, result.output
    run = output_of(result)
    assert run["summary"]["outcome"] == "sent" and run["summary"]["sent"] >= 3
    assert run["jobs"] and all(job["status"] == "Succeeded" for job in run["jobs"])
    job_ids = {job["id"] for job in run["jobs"]}
    listed = output_of(cli(target, "jobs", "--json", "--limit", "0"))
    assert job_ids <= {job["id"] for job in listed}
    when = [job["started_at"] or job["finished_at"] or 0 for job in listed]  # a foreign job has no start
    assert when == sorted(when, reverse=True), "newest first"
    assert "Succeeded" in cli(target, "jobs").stdout


def test_health_reflects_the_state_of_the_stack(stack, target):
    sqs = stack.aws.client("sqs")
    writeback_dlq = stack.resource("WritebackDeadLetterQueue")
    sqs.send_message(QueueUrl=writeback_dlq, MessageBody='{"crafted": "e2e-ops"}')

    parked = cli(target, "health", "--json")
    checks = {c["name"]: c for c in output_of(parked)["checks"]}

    assert parked.exit_code == 1
    assert checks["dlq:WritebackDeadLetterQueue"]["ok"] is False
    assert checks["erp"]["ok"] is True and checks["norce"]["ok"] is True
    assert checks["alarms"]["ok"] is None and "skipped" in checks["alarms"]["detail"]

    [crafted] = [
        m
        for m in sqs.receive_message(QueueUrl=writeback_dlq, MaxNumberOfMessages=10).get("Messages", [])
        if m["Body"] == '{"crafted": "e2e-ops"}'
    ]
    sqs.delete_message(QueueUrl=writeback_dlq, ReceiptHandle=crafted["ReceiptHandle"])
    stack.erp.set_faults(down_for_seconds=30)
    erp_down = cli(target, "health", "--json")
    stack.erp.set_faults(down_for_seconds=0)
    now = cli(target, "health")

    assert erp_down.exit_code == 1
    assert {c["name"]: c for c in output_of(erp_down)["checks"]}["erp"]["ok"] is False
    healthy = all(c["ok"] is not False for c in output_of(cli(target, "health", "--json"))["checks"])
    assert now.exit_code == (0 if healthy else 1)
    assert ("NOT healthy" in now.stdout) is not healthy
