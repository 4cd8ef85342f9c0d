"""The soak's figures: orders per minute, Norce's push to the ``OK`` answer and to the confirmation in
Norce, a document's way from the ERP into Norce (p50 / p99), each process's peak RSS, the workers killed
and the faults injected. Times come from the soak's clock and Norce's calls log (``at`` of each call)."""

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from local.soak.documents import METHODS
from local.soak.journal import Journal
from local.stack import LocalStack
from local.workers import cpu_seconds, vm_hwm_kb

KEYS = {"CreateDeliveryNote": "NoteNo", "CreateInvoice": "InvoiceNo", "CreditPayment": "InvoiceNo"}


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


@dataclass
class Spread:
    count: int
    p50: float | None
    p99: float | None
    max: float | None

    @classmethod
    def of(cls, values: list[float]) -> "Spread":
        return cls(len(values), percentile(values, 0.5), percentile(values, 0.99), max(values, default=None))

    def text(self, unit: str = "s") -> str:
        if not self.count:
            return "none"
        return f"p50 {self.p50:.2f} {unit}, p99 {self.p99:.2f} {unit} (max {self.max:.2f}, n={self.count})"


@dataclass
class Figures:
    load_minutes: float
    orders_pushed: int
    orders_per_minute: float  # orders answered OK, per minute of load
    confirmed_per_minute: float  # orders Confirmed in Norce during the load, per minute of load
    push_to_ok: Spread  # the round trip of the attempt answered OK
    retried_pushes: int  # pushes that needed Norce's retry (a 502/503 first)
    push_to_confirmed: Spread  # the first push's start to Confirmed in Norce
    document_to_norce: Spread  # made in the ERP to taken by Norce
    pushed_document_to_norce: Spread
    polled_document_to_norce: Spread
    peak_rss_mb: dict[str, float]
    cpu_seconds: dict[str, float]  # of the processes alive at the end (a killed worker's are gone with it)
    workers_killed: dict[str, int]
    killed_busy: int
    faults_injected: dict[str, int]
    fault_effects: dict[str, int]
    drain_seconds: float
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def text(self) -> str:
        rss = ", ".join(f"{name} {mb:.0f}" for name, mb in sorted(self.peak_rss_mb.items()))
        cpu = ", ".join(f"{name} {seconds:.0f}" for name, seconds in sorted(self.cpu_seconds.items()))
        kills = ", ".join(
            f"{name.removesuffix('Function')} {n}" for name, n in sorted(self.workers_killed.items())
        )
        faults = ", ".join(f"{name} {n}" for name, n in sorted(self.faults_injected.items()))
        effects = ", ".join(f"{name} {n}" for name, n in sorted(self.fault_effects.items()))
        return "\n".join(
            [
                f"load                 {self.load_minutes:.1f} min, {self.orders_pushed} orders pushed; "
                f"drained in {self.drain_seconds:.0f} s",
                f"orders per minute    {self.orders_per_minute:.1f} answered OK, "
                f"{self.confirmed_per_minute:.1f} confirmed in Norce",
                f"push -> OK           {self.push_to_ok.text()}; {self.retried_pushes} retried by Norce",
                f"push -> Confirmed    {self.push_to_confirmed.text()}",
                f"document -> Norce    {self.document_to_norce.text()}",
                f"  pushed             {self.pushed_document_to_norce.text()}",
                f"  polled             {self.polled_document_to_norce.text()}",
                f"peak RSS (MB)        {rss}",
                f"CPU seconds          {cpu}",
                f"workers killed       {sum(self.workers_killed.values())} "
                f"({self.killed_busy} mid-invocation): {kills}",
                f"faults injected      {faults}",
                f"their effects        {effects}",
            ]
        )


def _at(call: dict[str, Any]) -> float:
    return datetime.fromisoformat(call["at"]).timestamp()


def _taken(call: dict[str, Any]) -> bool:
    """Norce did the call's work (answered 200, or did it and lost the answer)."""
    return call.get("status") == 200 or call.get("processed_status") == 200


def figures(stack: LocalStack, journal: Journal, drain_seconds: float) -> Figures:
    load_end = journal.load_ended or journal.started
    minutes = max((load_end - journal.started) / 60, 1e-9)
    with stack.norce.state.lock:
        calls = [dict(call) for call in stack.norce.calls]
    confirmed_at: dict[str, float] = {}
    document_at: dict[str, float] = {}
    for call in calls:
        body: dict[str, Any] = call["body"] if isinstance(call.get("body"), dict) else {}
        if not _taken(call):
            continue
        if call["path"] == "Order/SendOrderStatus" and body.get("OrderStatus") == "Confirmed":
            confirmed_at.setdefault(str(body.get("ClientOrderRef")), _at(call))
        elif call["path"] == "Order/SendOrderStatus":
            document_at.setdefault(f"{body.get('ClientOrderRef')}:{body.get('OrderStatus')}", _at(call))
        elif call["path"].split("/")[-1] in KEYS:
            document_at.setdefault(str(body.get(KEYS[call["path"].split("/")[-1]])), _at(call))
    orders = list(journal.orders.values())
    accepted = [order for order in orders if order.accepted and order.kind != "malformed"]
    pushes = [push for order in orders for push in order.pushes]
    to_confirmed = [confirmed_at[o.ref] - o.first.started for o in accepted if o.ref in confirmed_at]
    documents: list[float] = []
    pushed: list[float] = []
    polled: list[float] = []
    for made in journal.documents.values():
        key = made.number if made.kind != "status" else f"{made.ref}:{made.status}"
        if key in document_at and METHODS.get(made.kind):
            seconds = max(0.0, document_at[key] - made.made_at)
            documents.append(seconds)
            (pushed if made.pushes else polled).append(seconds)
    peaks = stack.workers.peak_rss_kb()
    spent = stack.workers.cpu_seconds()
    for name, pid in stack.aws.processes.items():
        peaks[name], spent[name] = vm_hwm_kb(pid), cpu_seconds(pid)
    kills = Counter(kill.function for kill in journal.kills)
    return Figures(
        load_minutes=round(minutes, 2),
        orders_pushed=len(orders),
        orders_per_minute=round(len(accepted) / minutes, 1),
        confirmed_per_minute=round(sum(1 for ref, at in confirmed_at.items() if at <= load_end) / minutes, 1),
        push_to_ok=Spread.of([p.ok_seconds for p in pushes if p.ok_seconds is not None]),
        retried_pushes=sum(1 for p in pushes if p.attempts > 1),
        push_to_confirmed=Spread.of(to_confirmed),
        document_to_norce=Spread.of(documents),
        pushed_document_to_norce=Spread.of(pushed),
        polled_document_to_norce=Spread.of(polled),
        peak_rss_mb={name: round(kb / 1024, 1) for name, kb in peaks.items() if kb},
        cpu_seconds={name: round(seconds, 1) for name, seconds in spent.items()},
        workers_killed=dict(kills),
        killed_busy=sum(1 for kill in journal.kills if kill.busy),
        faults_injected=dict(Counter(fault.name for fault in journal.faults)),
        fault_effects=_effects(stack, calls),
        drain_seconds=round(drain_seconds, 1),
        problems=list(journal.problems),
    )


def _effects(stack: LocalStack, calls: list[dict[str, Any]]) -> dict[str, int]:
    """What the faults did, counted by the simulators themselves."""
    erp = dict(stack.erp.stats)
    norce = dict(stack.norce.stats)
    refused = Counter(call.get("status") for call in calls if call.get("status") in (429, 503))
    return {
        "ERP 5xx answers": sum(n for key, n in erp.items() if key.split()[-1] in ("500", "502", "503")),
        "ERP answers lost": int(erp.get("lost responses", 0)),
        "Connect 429": refused.get(429, 0),
        "Connect 503": refused.get(503, 0),
        "Query 503 (outage)": int(norce.get("query outage answers", 0)),
        "e-mails throttled": int(stack.mail_faults()["throttled"]),
    }
