"""Norce Event's senders at once: 50 webhooks posted side by side to the local stack's event receiver,
first while the API scales out (new execution environments start), then warm. What Norce waits for is the
acknowledgement; its p99 is set against 1 s warm and 3 s scaling out (ten cold starts at once on a 2-core
machine). The local API serves up to ``api_concurrency`` environments per function, as Lambda scales out."""

import json
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from bench.common import ROOT, Figure, percentile

EVENT = json.loads((ROOT / "events" / "payloads" / "norce-events" / "OrderReceivedEvent.json").read_text())


def burst(senders: int, send: Callable[[int], requests.Response]) -> tuple[list[float], list[int]]:
    """``senders`` at once, each its own connection; their acknowledgement times (s) and statuses."""

    def timed(index: int) -> tuple[float, int]:
        started = time.perf_counter()
        status = send(index).status_code
        return time.perf_counter() - started, status

    with ThreadPoolExecutor(senders) as pool:
        results = list(pool.map(timed, range(senders)))
    return [seconds for seconds, _ in results], [status for _, status in results]


def sender(stack: Any, round_: str) -> Callable[[int], requests.Response]:
    """Posts an OrderReceivedEvent of a new order (``round_`` and the index make it new) as Norce Event."""
    run = uuid.uuid4().hex[:8]

    def send(index: int) -> requests.Response:
        body = {**EVENT, "ClientOrderRef": f"W-EV-{run}-{round_}-{index}"}
        return requests.post(
            f"{stack.api_url}/norce/events/OrderReceivedEvent",
            json=body,
            headers={"X-Api-Key": stack.events_key},
            timeout=10,
        )

    return send


def measure(stack: Any, senders: int = 50) -> list[Figure]:
    """One burst scaling out, then one warm; every sender must be acknowledged 200."""
    figures = []
    for round_, target in (("cold", 3.0), ("warm", 1.0)):
        seconds, statuses = burst(senders, sender(stack, round_))
        if statuses != [200] * senders:
            raise RuntimeError(f"not every sender was acknowledged: {sorted(set(statuses))}")
        label = "scaling out" if round_ == "cold" else "warm"
        figures.append(
            Figure(
                f"{senders} Norce Event senders at once, {label}: p99",
                percentile(seconds, 0.99),
                "s",
                target,
                note=f"p50 {percentile(seconds, 0.5):.3f} s",
            )
        )
    return figures


def run(senders: int = 50) -> list[Figure]:
    import tempfile  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    from local.stack import LocalStack  # noqa: PLC0415

    with (
        tempfile.TemporaryDirectory() as state,
        LocalStack.on_free_ports(state_dir=Path(state), subscribe_events=False) as stack,
    ):
        return measure(stack, senders)
