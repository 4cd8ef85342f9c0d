"""Orders per minute through the whole pipeline on the local stack: Norce pushes a backlog of orders to the
receiver, the processors (``ProcessorMaxConcurrency`` of them, the template's default) take them off the
queue into the ERP and confirm them in Norce (Norce Event's webhooks are off: the order pipeline alone).
At ERP latencies of 50, 200 and 1,000 ms per call, set against the ideal those allow: ``concurrency x 60
/ (ERP calls per order x latency)``, the ERP calls counted by the ERP simulator. The sustained rate is
measured between the 10th and the 90th percentile confirmation (the start and the last batches' tail left
out); Norce's calls log gives each confirmation's time."""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import requests

from bench.common import Figure, order_json

LATENCIES = (0.05, 0.2, 1.0)


def _confirmations(stack: Any, refs: set[str]) -> dict[str, float]:
    """Ref -> when Norce took its Confirmed (the calls log)."""
    with stack.norce.state.lock:
        calls = [dict(call) for call in stack.norce.calls if call["path"] == "Order/SendOrderStatus"]
    found: dict[str, float] = {}
    for call in calls:
        body = call.get("body") if isinstance(call.get("body"), dict) else None
        if body and body.get("OrderStatus") == "Confirmed" and call.get("status") == 200:
            ref = str(body.get("ClientOrderRef"))
            if ref in refs:
                found.setdefault(ref, datetime.fromisoformat(call["at"]).timestamp())
    return found


def _erp_calls(stack: Any) -> int:
    return sum(n for key, n in stack.erp.stats.items() if key.split()[0] in ("GET", "POST", "PUT"))


def _push_and_wait(stack: Any, refs: list[str], patience: float) -> tuple[float, float, dict[str, float]]:
    """Norce pushes ``refs`` (16 at once); when that started and ended, and each one's confirmation."""
    url = f"{stack.api_url}/orders"
    headers = {"Content-Type": "application/json", "Authorization": stack.authorization}

    def push(ref: str) -> requests.Response:
        return requests.post(url, data=order_json(ref), headers=headers, timeout=60)

    started = time.time()
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(push, refs))
    pushed = time.time()
    refused = [answer.text for answer in answers if answer.status_code != 200]
    if refused:
        raise RuntimeError(f"{len(refused)} pushes refused: {refused[:3]}")
    deadline, wanted = time.time() + patience, set(refs)
    found: dict[str, float] = {}
    while time.time() < deadline and len(found) < len(refs):
        time.sleep(0.5)
        found = _confirmations(stack, wanted)
    if len(found) < len(refs):
        raise RuntimeError(
            f"{len(refs) - len(found)} of {len(refs)} orders not confirmed in {patience:.0f} s"
        )
    return started, pushed, found


def one_latency(stack: Any, latency: float, concurrency: int, orders: int, first: int) -> list[Figure]:
    stack.erp.set_faults(latency_ms=int(latency * 1000))
    calls_before = _erp_calls(stack)
    try:
        refs = [str(first + index) for index in range(orders)]
        started, pushed, found = _push_and_wait(stack, refs, 60 + orders * 2 * latency * 3)
    finally:
        stack.erp.set_faults(latency_ms=0)
    calls = (_erp_calls(stack) - calls_before) / orders
    times = sorted(found.values())
    low, high = times[len(times) // 10], times[(len(times) * 9) // 10]
    sustained = (len(times) * 8 // 10) / max(high - low, 1e-9) * 60
    overall = orders / (times[-1] - started) * 60
    ideal = concurrency * 60 / (calls * latency)
    ms = f"{latency * 1000:.0f} ms"
    return [
        Figure(
            f"pipeline, ERP {ms}, {concurrency} processors: orders/min sustained",
            sustained,
            "orders/min",
            ideal,
            higher_is_better=True,
            note=f"ideal {ideal:.0f} = {concurrency} x 60 / ({calls:.2f} ERP calls x {latency:g} s)",
        ),
        Figure(
            f"pipeline, ERP {ms}: {orders} orders, first push to last confirmation",
            overall,
            "orders/min",
            note=f"pushed in {pushed - started:.1f} s; the last batches' tail included",
        ),
    ]


def run(latencies: tuple[float, ...] = LATENCIES, seconds: float = 40.0, minimum: int = 60) -> list[Figure]:
    """Each latency gets a backlog the ideal rate would clear in about ``seconds`` (``minimum`` orders at
    least, 600 at most)."""
    import tempfile  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    from local.stack import LocalStack  # noqa: PLC0415
    from local.template import load_template  # noqa: PLC0415

    concurrency = int(load_template().parameters["ProcessorMaxConcurrency"])
    figures: list[Figure] = []
    with (
        tempfile.TemporaryDirectory() as state,
        LocalStack.on_free_ports(
            processors=concurrency, state_dir=Path(state), subscribe_events=False
        ) as stack,
    ):
        # Norce's ClientOrderRef is the basket id (an int32): Norce's confirmation names it (SendOrderStatus).
        # First every processor warm:
        _push_and_wait(stack, [str(9_000_000 + n) for n in range(concurrency * 2)], 120)
        for number, latency in enumerate(latencies):
            ideal_per_second = concurrency / (2 * latency)
            orders = max(minimum, min(600, int(ideal_per_second * seconds)))
            figures += one_latency(stack, latency, concurrency, orders, 9_100_000 + number * 10_000)
    return figures


if __name__ == "__main__":
    for figure in run():
        print(figure.line(), flush=True)
