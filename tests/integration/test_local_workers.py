"""The local stack's execution environments (local/workers.py): a function's handler runs in worker
processes forked from a zygote, one invocation at a time each; a worker that dies or runs past its timeout
fails its invocation and is replaced, a handler that raises leaves its worker serving, and a pool runs
invocations side by side up to its size, as Lambda scales out."""

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.workers import (
    FunctionSpec,
    HandlerFailed,
    IntegrationTimedOut,
    WorkerDied,
    WorkerPool,
    WorkerTimedOut,
    Zygote,
)

HANDLER = """
import os, time

def handler(event, context):
    started = time.time()
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("fail"):
        raise ValueError("a message that may quote an order")
    return {"pid": os.getpid(), "variable": os.environ.get("WORKER_TEST_VARIABLE"),
            "remaining_ms": context.get_remaining_time_in_millis(), "function": context.function_name,
            "started": started, "ended": time.time()}
"""


@pytest.fixture(scope="module")
def zygote() -> Iterator[Zygote]:
    started = Zygote(dict(os.environ))
    started.wait_ready()
    yield started
    started.stop()


@pytest.fixture
def spec(tmp_path: Path) -> FunctionSpec:
    (tmp_path / "app.py").write_text(HANDLER)
    return FunctionSpec(
        logical_id="TestFunction",
        module_file=tmp_path / "app.py",
        handler="handler",
        timeout_seconds=3.0,
        environment={**os.environ, "WORKER_TEST_VARIABLE": "its own"},
    )


def started_pool(spec: FunctionSpec, zygote: Zygote, size: int = 1) -> WorkerPool:
    pool = WorkerPool(spec, size=size, warm=1).start(zygote)
    pool.warm_up()
    assert pool.wait_warm(30)
    return pool


def test_a_worker_runs_the_handler_in_its_own_process_with_the_functions_environment(spec, zygote):
    pool = started_pool(spec, zygote)
    try:
        answer = pool.invoke({})
        [worker] = pool.workers()
        assert answer["pid"] == worker.pid != os.getpid()
        assert answer["variable"] == "its own" and answer["function"] == "TestFunction"
        assert 0 < answer["remaining_ms"] <= 3000  # the function's timeout, as Lambda's context counts it
        assert worker.describe() | {"since": "t"} == {
            "function": "TestFunction",
            "pid": worker.pid,
            "since": "t",
            "busy": False,
            "invocations": 1,
        }
    finally:
        pool.stop()


def test_a_handler_that_raises_fails_its_invocation_and_its_worker_serves_on(spec, zygote):
    pool = started_pool(spec, zygote)
    try:
        with pytest.raises(HandlerFailed) as failed:
            pool.invoke({"fail": True})
        assert failed.value.error_type == "ValueError"
        assert pool.invoke({})["pid"] == pool.workers()[0].pid
        assert pool.died == 0
    finally:
        pool.stop()


def test_a_worker_killed_mid_invocation_fails_it_and_is_replaced(spec, zygote):
    pool = started_pool(spec, zygote)
    try:
        [worker] = pool.workers()
        threading.Timer(0.5, os.kill, (worker.pid, signal.SIGKILL)).start()

        with pytest.raises(WorkerDied):
            pool.invoke({"sleep": 5})

        deadline = time.monotonic() + 10
        while not pool.workers() and time.monotonic() < deadline:
            time.sleep(0.05)
        [replacement] = pool.workers()
        assert replacement.pid != worker.pid and pool.died == 1
        assert pool.invoke({})["pid"] == replacement.pid
    finally:
        pool.stop()


def test_an_invocation_past_the_functions_timeout_is_stopped_with_its_worker(spec, zygote):
    pool = started_pool(spec, zygote)
    try:
        [worker] = pool.workers()
        with pytest.raises(WorkerTimedOut, match=r"timed out after 3\.00 seconds"):
            pool.invoke({"sleep": 10})  # its 10 s are never waited for: the answer is the timeout
        deadline = time.monotonic() + 10  # SIGKILLed at once; the zygote reaps it soon after
        while worker.alive and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not worker.alive
    finally:
        pool.stop()


def test_a_pool_runs_invocations_side_by_side_up_to_its_size(spec, zygote):
    pool = started_pool(spec, zygote, size=3)
    try:
        futures = [pool.submit({"sleep": 1}) for _ in range(3)]
        results = [future.result(timeout=30) for future in futures]
        assert len({result["pid"] for result in results}) == 3, "three environments"
        latest_start = max(result["started"] for result in results)
        assert latest_start < min(result["ended"] for result in results), "at once, not one after another"
        assert len(pool.workers()) == 3
    finally:
        pool.stop()


def test_a_caller_that_stops_waiting_leaves_the_invocation_running(spec, zygote):
    pool = started_pool(spec, zygote)
    try:
        with pytest.raises(IntegrationTimedOut):
            pool.invoke({"sleep": 1}, wait=0.2)  # API Gateway's 29 s, shortened
        assert pool.invoke({})["pid"] == pool.workers()[0].pid, "the same environment, once it is free"
        assert pool.died == 0
    finally:
        pool.stop()
