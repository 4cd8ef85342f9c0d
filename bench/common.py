"""Timing helpers and the orders the benchmarks send."""

import contextlib
import io
import json
import logging
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "layers" / "shared"), str(ROOT)]
EXAMPLE = json.loads((ROOT / "events" / "payloads" / "order-request.json").read_text())


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    target: float | None = None  # lower is better unless higher_is_better
    higher_is_better: bool = False
    note: str = ""

    def line(self) -> str:
        if self.target is None:
            verdict = ""
        else:
            ratio = self.value / self.target
            met = self.value >= self.target if self.higher_is_better else self.value <= self.target
            sign = ">=" if self.higher_is_better else "<="
            verdict = (
                f"  target {sign} {self.target:g} {self.unit}: {ratio:.2f}x {'met' if met else 'MISSED'}"
            )
        note = f"  {self.note}" if self.note else ""
        return f"  {self.name:<58} {self.value:>10.2f} {self.unit:<9}{verdict}{note}"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def time_calls(call: Callable[[int], object], count: int, warmup: int = 20) -> list[float]:
    """Milliseconds per call; ``call`` gets the iteration number (to vary the order)."""
    for index in range(warmup):
        call(-1 - index)
    samples = []
    for index in range(count):
        start = time.perf_counter_ns()
        call(index)
        samples.append((time.perf_counter_ns() - start) / 1e6)
    return samples


def summary(samples: list[float]) -> tuple[float, float, float]:
    return statistics.median(samples), percentile(samples, 0.9), percentile(samples, 0.99)


def order_json(ref: str, lines: int = 1) -> bytes:
    order = json.loads(json.dumps(EXAMPLE))
    order["ClientOrderRef"] = ref
    if lines > 1:
        item = order["Items"][0]
        order["Items"] = [dict(item, LineNo=n + 1, PartNo=f"ITEM{n:05d}") for n in range(lines)]
    return json.dumps(order).encode()


class _Discard(io.TextIOBase):
    def write(self, text: str) -> int:
        return len(text)


@contextlib.contextmanager
def quiet(logger: logging.Logger | object) -> Iterator[None]:
    """No log line or EMF blob per measured request, and the logger's level put back afterwards:
    Powertools loggers of one service name share it, so a bench run must not silence the tests after it."""
    previous = logger.log_level  # type: ignore[attr-defined]
    logger.setLevel(logging.WARNING)  # type: ignore[attr-defined]
    try:
        with contextlib.redirect_stdout(_Discard()):
            yield
    finally:
        logger.setLevel(previous)  # type: ignore[attr-defined]
