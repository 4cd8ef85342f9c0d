"""Execution environments that die like Lambda's: every function runs in worker processes of its own, apart
from moto and the simulators. A worker killed mid-invocation loses nothing and doubles nothing: its SQS
messages come back after their visibility timeout (20 s on the e2e stack) and the leases it held run out
(15 s); its API request gets API Gateway's 502. And the API serves Norce Event's senders side by side."""

import os
import signal
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from bench.event_burst import measure
from local.stack import LocalStack
from tests.e2e.helpers import confirmations_for, erp_orders_for, order_body, post_order, wait_until
from tests.e2e.test_lifecycle_e2e import confirmed_order, numbers, push

RECOVERY = 180  # seconds: visibility timeout + lease + retries, with room for a loaded machine
APPLICATION = "123e4567-e89b-12d3-a456-426614174000"  # the example order's ApplicationKey


def workers(stack: LocalStack) -> list[dict[str, Any]]:
    answer = requests.get(f"{stack.api_url}/_local/workers", timeout=10)
    assert answer.status_code == 200
    return list(answer.json())


def kill_busy(stack: LocalStack, function: str) -> list[int]:
    """SIGKILL every worker of ``function`` that is in an invocation now, as Lambda loses an environment."""
    busy = [w["pid"] for w in workers(stack) if w["function"] == function and w["busy"]]
    for pid in busy:
        os.kill(pid, signal.SIGKILL)
    return busy


def wait_busy(stack: LocalStack, function: str, seconds: float = 20) -> None:
    wait_until(
        lambda: any(w["function"] == function and w["busy"] for w in workers(stack)),
        seconds,
        f"a busy {function} worker",
    )


def trail(stack: LocalStack, ref: str) -> list[str]:
    """The steps on the order's record (the ledger item), oldest first."""
    from norce_integration.adapters.aws.dynamodb_records import DynamoDbOrderRecords  # noqa: PLC0415

    records = DynamoDbOrderRecords(stack.aws.client("dynamodb"), stack.resource("OrdersTable"))
    return [entry["event"] for entry in (records.get(f"ORDER#{APPLICATION}#{ref}") or {}).get("trail", [])]


def diagnosis(stack: LocalStack, ref: str, function: str, service: str) -> str:
    """What the system was doing when a recovery did not come: the order's trail, the function's workers,
    its queues' counts and the last lines of its log."""
    queues = {}
    sqs = stack.aws.client("sqs")
    for logical in ("LifecycleQueue", "LifecycleDeadLetterQueue"):
        attributes = sqs.get_queue_attributes(QueueUrl=stack.resource(logical), AttributeNames=["All"])
        queues[logical] = {
            k: v for k, v in attributes["Attributes"].items() if k.startswith("ApproximateNumberOfMessages")
        }
    log = stack.state_dir / "logs" / f"{service}.log"
    tail = log.read_text(errors="replace").splitlines()[-15:] if log.exists() else []
    listed = [w for w in workers(stack) if w["function"] == function]
    return f"trail {trail(stack, ref)}; workers {listed}; queues {queues}; log tail:\n" + "\n".join(tail)


def test_workers_are_listed_and_a_killed_one_is_replaced(stack: LocalStack) -> None:
    before = workers(stack)
    functions = {w["function"] for w in before}
    assert {"OrderReceiverFunction", "OrderProcessorFunction", "EventReceiverFunction"} <= functions
    assert all(w["pid"] != os.getpid() and w["since"] for w in before)
    [victim] = [w for w in before if w["function"] == "OrderReceiverFunction"][:1]

    os.kill(victim["pid"], signal.SIGKILL)

    def receivers_without_the_victim() -> list[dict[str, Any]]:
        """The receiver's workers once the victim is no longer listed (it is noticed dead, not at once)."""
        now = workers(stack)
        if victim["pid"] in {w["pid"] for w in now}:
            return []
        return [w for w in now if w["function"] == "OrderReceiverFunction"]

    after = wait_until(receivers_without_the_victim, what="the killed OrderReceiverFunction worker replaced")
    if len([w for w in before if w["function"] == "OrderReceiverFunction"]) == 1:
        assert after[0]["since"] > victim["since"], "the only one: a new environment took its place"
    ref = f"W-REPLACED-{uuid.uuid4().hex[:8]}"
    assert post_order(stack, order_body(ref)).json()["StatusCode"] == "OK"
    wait_until(lambda: confirmations_for(stack, ref), what="the order confirmed")


def test_an_api_request_whose_worker_dies_gets_api_gateways_502(stack: LocalStack) -> None:
    stack.erp.set_faults(latency_ms=3000)  # the poll waits on the ERP: its worker is busy long enough
    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(requests.post, f"{stack.api_url}/_local/schedules/ErpPollFunction", timeout=30)
        wait_busy(stack, "ErpPollFunction")
        assert kill_busy(stack, "ErpPollFunction")
        died = answer.result()
    stack.erp.set_faults(latency_ms=0)

    assert (died.status_code, died.json()) == (502, {"message": "Internal server error"})
    again = requests.post(f"{stack.api_url}/_local/schedules/ErpPollFunction", timeout=30)
    assert again.status_code == 200, "a new environment serves the next request"


def test_a_worker_killed_after_the_erp_answered_before_the_ledger_was_updated_gives_one_erp_order(
    stack: LocalStack,
) -> None:
    ref = f"W-ERP-{uuid.uuid4().hex[:8]}"
    stack.erp.set_faults(answer_latency_ms=3000)  # the ERP makes the order, then its answer takes a while
    try:
        assert post_order(stack, order_body(ref)).json()["StatusCode"] == "OK"
        wait_until(lambda: erp_orders_for(stack, ref), seconds=30, what="the order in the ERP")
        killed = kill_busy(stack, "OrderProcessorFunction")  # the processor is still waiting for the answer
    finally:
        stack.erp.set_faults(answer_latency_ms=0)
    assert len(killed) == 1, f"one order processor was in its invocation: {killed}"
    steps = trail(stack, ref)
    assert "erp_order_created" not in steps and "confirmed" not in steps, steps  # killed before recording

    wait_until(lambda: confirmations_for(stack, ref), seconds=RECOVERY, what="the order confirmed after all")

    assert len(erp_orders_for(stack, ref)) == 1
    assert len(confirmations_for(stack, ref)) == 1
    assert "erp_order_found" in trail(stack, ref)  # the redelivery found the ERP's order, made none


def test_a_worker_killed_while_the_lifecycle_processor_holds_an_invoice_gives_one_capture(
    stack: LocalStack,
) -> None:
    ref, order_no = confirmed_order(stack)
    invoice = stack.erp.invoice(order_no)
    captures = stack.norce.stats["captures"]

    def sent_to_norce() -> bool:
        return any(
            (call.get("body") or {}).get("InvoiceNo") == invoice["documentNo"]
            for call in stack.norce.calls_to("Order/CreateInvoice")
        )

    stack.norce.set_faults(latency_ms=3000)  # Norce takes the invoice slowly: the worker holds it
    try:
        assert push(stack, invoice).status_code == 202
        wait_until(sent_to_norce, seconds=30, what="CreateInvoice on its way")
        killed = kill_busy(stack, "LifecycleProcessorFunction")  # Norce is still working on it
    finally:
        stack.norce.set_faults(latency_ms=0)
    assert killed, "the lifecycle processor was in its invocation"
    assert "document_sent" not in trail(stack, ref), "killed before Norce answered"
    # Norce finishes the call the dead worker made: it has the invoice, the integration does not know it
    wait_until(lambda: numbers(stack, ref, "Invoices"), seconds=30, what="the invoice in Norce")

    try:
        wait_until(
            lambda: "document_found_in_norce" in trail(stack, ref),
            seconds=RECOVERY,
            what="the next attempt asking Norce",
        )
    except AssertionError as timeout:
        seen = diagnosis(stack, ref, "LifecycleProcessorFunction", "lifecycle-processor")
        raise AssertionError(f"{timeout}; {seen}") from None
    assert numbers(stack, ref, "Invoices") == [invoice["documentNo"]]
    assert stack.norce.stats["captures"] == captures + 1
    assert stack.norce.stats["double captures"] == 0


def test_fifty_concurrent_norce_event_senders_are_served_side_by_side(stack: LocalStack) -> None:
    """Every sender is acknowledged, by several environments at once (the API scales out as Lambda does).
    How fast (p99 within 1 s warm) is measured by ``make bench`` (bench/event_burst.py), not asserted here:
    a speed target is a benchmark's, never a test's."""
    figures = measure(stack, 50)  # raises unless all 50 of each burst were acknowledged 200

    print("\n" + "\n".join(figure.line() for figure in figures))
    assert len([w for w in workers(stack) if w["function"] == "EventReceiverFunction"]) > 1
