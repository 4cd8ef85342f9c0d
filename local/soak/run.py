"""One soak: a local stack on free ports, the ERP seeded and imported into Norce, the load and the chaos
for the chosen minutes, a drain without faults, then the audit and the figures."""

import json
import random
import shutil
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from local.soak.audit import Audit, AuditResult
from local.soak.chaos import Chaos
from local.soak.drivers import EventDriver, ImportDriver, LifecycleDriver, OrderDriver, Pace
from local.soak.figures import Figures, figures
from local.soak.journal import Journal
from local.soak.orders import OrderFactory
from local.stack import LocalStack
from local.template import ROOT

SOURCE_QUEUES = ("OrdersQueue", "WritebackQueue", "LifecycleQueue", "EventsQueue")


@dataclass(frozen=True)
class SoakOptions:
    orders: int
    minutes: float
    kill_every: float
    faults: tuple[str, ...]
    seed: int
    quick: bool = False
    recovery_seconds: float = 20.0  # LocalStack(recovery_seconds): timeouts at most this, leases 1.5x
    drain_minutes: float = 5.0  # the drain gives up after this long without progress (3x: in any case)
    processors: int = 5  # ProcessorMaxConcurrency's default
    customers: int = 300  # seeded in the ERP and imported into Norce before the load
    companies: int = 30
    poll_every: float = 10.0
    import_every: float = 180.0
    edit_every: float = 5.0
    repeat_edits: bool = True  # a customer may be edited again (--quick: each once, see docs/reliability.md)
    redeliver_every: float = 5.0
    fault_every: float = 12.0
    state_dir: Path = ROOT / ".local-state" / "soak"
    report: Path | None = None


def quick_options(**given: Any) -> SoakOptions:
    """A few minutes (CI): a few hundred orders, a few kills, every fault, the same audit."""
    defaults: dict[str, Any] = {
        "orders": 200,
        "minutes": 1.0,
        "kill_every": 8.0,
        "recovery_seconds": 20.0,
        "drain_minutes": 1.0,
        "customers": 120,
        "companies": 15,
        "poll_every": 4.0,
        "import_every": 40.0,
        "edit_every": 2.0,
        "repeat_edits": False,
        "redeliver_every": 2.0,
        "fault_every": 8.0,
    }
    return SoakOptions(**{**defaults, **given, "quick": True})


@dataclass
class Outcome:
    audit: AuditResult
    figures: Figures
    journal: Journal

    @property
    def passed(self) -> bool:
        return self.audit.passed

    def summary(self) -> str:
        parked = len(self.audit.parked)
        explained = (
            "all explained" if self.audit.unexplained == 0 else f"{self.audit.unexplained} UNEXPLAINED"
        )
        events = next(row.checked for row in self.audit.rows if row.area == "order events")
        orders, documents, minutes = (
            len(self.journal.orders),
            len(self.journal.documents),
            self.figures.load_minutes,
        )
        return (
            f"soak: {orders} orders, {documents} documents, {events} events in {minutes:.1f} min; "
            f"lost {self.audit.lost}, doubled {self.audit.doubled}, parked {parked} ({explained})"
        )


MARKER = ".soak-state"  # a state directory the soak made itself, and may empty before the next run


def fresh_state_dir(path: Path) -> None:
    """An empty state directory: one the soak made before is emptied, any other must be empty already."""
    if path.exists() and any(path.iterdir()):
        if not (path / MARKER).exists():
            raise SystemExit(f"soak: {path} holds files the soak did not make: choose another --state-dir")
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / MARKER).write_text("made by python -m local.soak; emptied by its next run\n")


def run(options: SoakOptions, out: Any = print) -> Outcome:
    fresh_state_dir(options.state_dir)
    stack = LocalStack.on_free_ports(
        erp_db=None,
        state_dir=options.state_dir,
        processors=options.processors,
        recovery_seconds=options.recovery_seconds,
    )
    out(f"soak: starting the local stack (seed {options.seed}, state in {options.state_dir})")
    with stack:
        customers, companies = _set_up(stack, options)
        out(f"soak: the ERP holds {len(customers)} customers and {len(companies)} companies, Norce too")
        journal = Journal()
        drain_seconds = _load_and_drain(stack, options, journal, customers, companies, out)
        out("soak: auditing")
        audit = Audit(stack, journal).run()
        outcome = Outcome(audit, figures(stack, journal, drain_seconds), journal)
    _report(options, outcome)
    return outcome


def _set_up(stack: LocalStack, options: SoakOptions) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Day one: the customers and companies the ERP has held since yesterday, brought into Norce by full
    imports, then a delta import of one new customer and company each (so the deltas' watermark is today,
    and a delta reads again only what changed in its overlap, not the whole ERP)."""
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat(timespec="microseconds")
    stack.erp.seed(customers=options.customers, companies=options.companies, changed_at=yesterday)
    erp_customers = stack.erp.parties("customers")
    erp_companies = stack.erp.parties("companies")
    for schedule in ("CompaniesFull", "CustomersFull"):
        result = stack.run_schedule(schedule)
        if result.get("outcome") != "sent":
            raise RuntimeError(f"the first {schedule} import did not run: {result}")
    stack.erp.seed(customers=options.customers + 1, companies=options.companies + 1)
    for schedule in ("CompaniesDelta", "CustomersDelta"):
        result = stack.run_schedule(schedule)
        if result.get("outcome") != "sent":
            raise RuntimeError(f"the first {schedule} import did not run: {result}")
    deadline = time.time() + 120
    while time.time() < deadline:
        held = {c.get("Code"): c["Id"] for c in stack.norce.customers.values() if c.get("Code")}
        companies_held = {c.get("Code") for c in stack.norce.companies.values() if c.get("Code")}
        if all(c["code"] in held for c in erp_customers) and all(
            c["code"] in companies_held for c in erp_companies
        ):
            break
        time.sleep(0.5)
    else:
        raise RuntimeError("Norce did not get the ERP's customers and companies in 2 minutes")
    customers = [{**customer, "norce_id": held[customer["code"]]} for customer in erp_customers]
    return customers, erp_companies


def _load_and_drain(
    stack: LocalStack,
    options: SoakOptions,
    journal: Journal,
    customers: list[dict[str, Any]],
    companies: list[dict[str, Any]],
    out: Any,
) -> float:
    """The load and the chaos for ``minutes``; then every fault off and the system left to settle."""

    def rng(name: str) -> random.Random:
        """Each driver's own random from the seed: one driver's choices never shift another's."""
        return random.Random(f"{options.seed}:{name}")  # noqa: S311 - a load, not security

    factory = OrderFactory(rng("orders"), customers, companies)
    pace = Pace(time.time() + 1, options.minutes * 60, options.orders)
    orders = OrderDriver(stack, factory, journal, rng("pushes"), pace)
    lifecycle = LifecycleDriver(stack, journal, rng("documents"), options.poll_every)
    events = EventDriver(
        stack,
        journal,
        rng("events"),
        [{"code": c["code"], "norce_id": c["norce_id"]} for c in customers],
        options.edit_every,
        options.redeliver_every,
        options.repeat_edits,
    )
    imports = ImportDriver(stack, journal, options.import_every)
    kills_until = pace.start + pace.seconds * (0.8 if options.quick else 1.0)  # quick: time to recover
    chaos = Chaos(
        stack,
        journal,
        rng("chaos"),
        options.faults,
        options.kill_every,
        options.fault_every,
        kills_until,
    )
    load_over, everything_over = threading.Event(), threading.Event()
    accepting = [True]
    threads = [
        threading.Thread(target=orders.run, args=(load_over,), name="soak-orders"),
        threading.Thread(target=lifecycle.run, args=(everything_over, lambda: accepting[0]), name="soak-erp"),
        threading.Thread(target=events.run, args=(load_over,), name="soak-events"),
        threading.Thread(target=imports.run, args=(load_over,), name="soak-imports"),
        threading.Thread(target=chaos.run, args=(load_over,), name="soak-chaos"),
    ]
    for thread in threads:
        thread.start()
    faults = ",".join(options.faults) or "none"
    out(f"soak: {options.orders} orders over {options.minutes:g} min, faults {faults}")
    threads[0].join()  # every order pushed (on its way)
    journal.load_ended = time.time()
    load_over.set()
    for thread in threads[2:]:
        thread.join()
    chaos.calm()
    out(f"soak: load done in {(journal.load_ended - journal.started) / 60:.1f} min; draining without faults")
    drain_started = time.time()
    stall = options.drain_minutes * 60  # no progress for this long: the drain gives up
    deadline = drain_started + 3 * stall
    orders.wait(max(1.0, deadline - time.time()))
    accepting[0] = False  # no new lifecycle plans; the ones under way finish, the poll goes on
    settled_since: float | None = None
    busy: list[str] = []
    least, progressed = float("inf"), time.time()
    while time.time() < deadline:
        busy, backlog = _busy(stack, lifecycle)
        now = time.time()
        if not busy:
            settled_since = settled_since or now
            if now - settled_since >= 2 * options.poll_every:
                break
        else:
            settled_since = None
        if backlog < least:
            least, progressed = backlog, now
        elif now - progressed > stall:
            out(f"soak: the drain made no progress for {stall:.0f} s ({', '.join(busy)})")
            break
        time.sleep(1)
    else:
        out(f"soak: the drain ran out of time ({', '.join(busy)}); the audit says what is missing")
    everything_over.set()
    threads[1].join()
    return time.time() - drain_started


def _busy(stack: LocalStack, lifecycle: LifecycleDriver) -> tuple[list[str], int]:
    """What is still in flight (nothing: settled), and how much: messages on a source queue (visible, in
    flight or delayed), documents the ERP is still to make, documents the poll has still to read, Norce
    events still being delivered."""
    busy, backlog = [], 0
    if not lifecycle.idle:
        busy.append("documents to make")
        backlog += len(lifecycle.steps)
    behind = lifecycle.poll_behind()
    if behind or lifecycle.polling.is_alive():
        busy.append(f"the poll {behind} documents behind" if behind else "the poll running")
        backlog += behind
    if not stack.norce.events.wait_idle(0):
        busy.append("Norce events being delivered")
        backlog += 1
    sqs = stack.aws.client("sqs")
    names = [f"ApproximateNumberOfMessages{part}" for part in ("", "NotVisible", "Delayed")]
    for queue in SOURCE_QUEUES:
        answer = sqs.get_queue_attributes(QueueUrl=stack.resource(queue), AttributeNames=names)
        count = sum(int(answer["Attributes"].get(name, 0)) for name in names)
        if count:
            busy.append(f"{queue} {count}")
            backlog += count
    return busy, backlog


def _report(options: SoakOptions, outcome: Outcome) -> None:
    """The figures and the audit as JSON (docs/reliability.md quotes a full hour's)."""
    path = options.report or options.state_dir / "report.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "options": {**asdict(options), "state_dir": str(options.state_dir), "report": str(path)},
        "summary": outcome.summary(),
        "passed": outcome.passed,
        "figures": outcome.figures.as_dict(),
        "audit": [asdict(row) for row in outcome.audit.rows],
        "parked": [asdict(item) for item in outcome.audit.parked],
        "findings": outcome.audit.findings,
        "kills": [asdict(kill) for kill in outcome.journal.kills],
        "faults": [asdict(fault) for fault in outcome.journal.faults],
    }
    path.write_text(json.dumps(report, indent=2, default=str))
