"""The chaos of a soak, by seed: faults switched on for a while and off again, one after another, and
workers killed at random, as Lambda loses execution environments.

Faults (``--faults``, comma separated; ``all`` or ``none``): ``erp-5xx`` (the ERP answers a share of calls
500/502/503), ``erp-latency`` (every ERP call waits 100-400 ms), ``erp-lost`` (the ERP does the work and its
answer is lost: 504), ``connect-429`` and ``connect-503`` (Norce Connect refuses the next calls),
``query-outage`` (Norce Query answers 503 for a while), ``ses-throttle`` (the mail service refuses a share of
e-mails), and ``kill`` (workers killed every ``--kill-every`` seconds, busy ones preferred: an idle one dies
with nothing in hand).
"""

import os
import random
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from local.soak.journal import Fault, Journal, Kill
from local.stack import LocalStack

FAULTS = ("erp-5xx", "erp-latency", "erp-lost", "connect-429", "connect-503", "query-outage", "ses-throttle")
EVERY_FAULT = (*FAULTS, "kill")
# The functions whose workers may be killed: everything that serves traffic. erp_import is left out: a
# killed import keeps the import lock for its 16 minutes by design (docs/imports.md), which would only
# turn the next delta imports into "locked" runs.
KILLABLE = (
    "OrderReceiverFunction",
    "OrderProcessorFunction",
    "NorceWritebackFunction",
    "ErpPushFunction",
    "ErpPollFunction",
    "LifecycleProcessorFunction",
    "EventReceiverFunction",
    "EventProcessorFunction",
)


def chosen_faults(text: str) -> tuple[str, ...]:
    """``--faults``: names, ``all`` or ``none``; ValueError names an unknown one."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if names in (["all"], []):
        return EVERY_FAULT
    if names == ["none"]:
        return ()
    unknown = sorted(set(names) - set(EVERY_FAULT))
    if unknown:
        raise ValueError(f"unknown faults {unknown}; known: {', '.join(EVERY_FAULT)}, all, none")
    return tuple(dict.fromkeys(names))


class Chaos:
    """Switches the chosen faults on and off while the load runs; ``calm()`` ends them all."""

    def __init__(
        self,
        stack: LocalStack,
        journal: Journal,
        rng: random.Random,
        faults: tuple[str, ...],
        kill_every: float,
        fault_every: float = 12.0,
        kills_until: float | None = None,
    ) -> None:
        self.stack, self.journal, self.rng = stack, journal, rng
        self.faults = [name for name in faults if name != "kill"]
        self.kills = "kill" in faults and kill_every > 0
        self.kill_every = kill_every
        self.fault_every = fault_every
        self.kills_until = kills_until  # no kill after this (a quick run leaves time to recover)
        self._ends: list[tuple[float, Callable[[], None]]] = []

    def run(self, stop: threading.Event) -> None:
        now = time.time()
        next_fault = now + self.rng.uniform(1, self.fault_every)
        next_kill = now + self.rng.uniform(0.5, 1.5) * self.kill_every
        while not stop.wait(0.2):
            now = time.time()
            for end in [end for end in self._ends if end[0] <= now]:
                self._ends.remove(end)
                end[1]()
            if self.faults and now >= next_fault:
                next_fault = now + self.rng.uniform(0.5, 1.5) * self.fault_every
                self._inject(self.rng.choice(self.faults))
            if self.kills and now >= next_kill and (self.kills_until is None or now < self.kills_until):
                next_kill = now + self.rng.uniform(0.5, 1.5) * self.kill_every
                self._kill()

    def calm(self) -> None:
        """Every fault off (the drain and the audit run without them)."""
        for _, end in self._ends:
            end()
        self._ends = []
        self.stack.erp.set_faults(error_rate=0.0, latency_ms=0, lost_response_rate=0.0)
        self.stack.norce.set_faults(count=0, query_down_for_seconds=0)
        self.stack.set_mail_faults(0.0)

    def _inject(self, name: str) -> None:
        rng, erp, norce = self.rng, self.stack.erp, self.stack.norce
        seconds = rng.uniform(5, 20)
        settings: dict[str, Any]
        if name == "erp-5xx":
            settings = {
                "error_rate": round(rng.uniform(0.1, 0.4), 2),
                "error_status": rng.choice([500, 502, 503]),
            }
            erp.set_faults(**settings)
            self._later(seconds, lambda: erp.set_faults(error_rate=0.0))
        elif name == "erp-latency":
            settings = {"latency_ms": rng.randint(100, 400)}
            erp.set_faults(**settings)
            self._later(seconds, lambda: erp.set_faults(latency_ms=0))
        elif name == "erp-lost":
            settings = {"lost_response_rate": round(rng.uniform(0.05, 0.2), 2)}
            erp.set_faults(**settings)
            self._later(seconds, lambda: erp.set_faults(lost_response_rate=0.0))
        elif name in ("connect-429", "connect-503"):
            settings = {
                "status": int(name[-3:]),
                "count": rng.randint(3, 15),
                "paths": [],
                "retry_after_seconds": 1,
            }
            norce.set_faults(**settings)
            seconds = 0.0  # the next `count` Connect calls are refused, whenever they come
        elif name == "query-outage":
            settings = {"query_down_for_seconds": round(seconds, 1)}
            norce.set_faults(**settings)
        else:  # ses-throttle
            settings = {"throttle_rate": round(rng.uniform(0.2, 0.6), 2)}
            self.stack.set_mail_faults(settings["throttle_rate"])
            self._later(seconds, lambda: self.stack.set_mail_faults(0.0))
        self.journal.note("faults", Fault(time.time(), name, round(seconds, 1), settings))

    def _later(self, seconds: float, end: Callable[[], None]) -> None:
        self._ends.append((time.time() + seconds, end))

    def _kill(self) -> None:
        live = [w for w in self.stack.workers.live() if w.spec.logical_id in KILLABLE]
        busy = [w for w in live if w.busy_since is not None]
        pool = busy if busy and self.rng.random() < 0.8 else live
        if not pool:
            return
        victim = self.rng.choice(pool)
        try:
            os.kill(victim.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        self.journal.note(
            "kills", Kill(time.time(), victim.spec.logical_id, victim.pid, victim.busy_since is not None)
        )
