"""The soak's load, as the outside world makes it: Norce's checkout and order sender, the ERP making and
pushing its documents (and the scheduled poll reading them), Norce Event sending events again, people
editing customers in Norce Admin, and the scheduled delta imports. Each driver is a thread that writes
what it did in the ``Journal``."""

import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests

from local.norce_order_sender import Attempt, NorceOrderSender
from local.soak.documents import connect_message
from local.soak.journal import Edit, Journal, MadeDocument, Push, SentOrder
from local.soak.orders import OrderFactory, SoakOrder
from local.stack import LocalStack

NOTIFIED_EVENTS = ("OrderReceivedEvent", "OrderConfirmedEvent", "OrderReadyForPickupEvent")


class TimedOrderSender(NorceOrderSender):
    """Norce's order sender, timing each attempt (the round trip of the one answered OK is the figure)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.round_trips: list[float] = []

    def _attempt(self, minute: int, body: bytes, content_type: str, authorization: str) -> Attempt:
        started = time.perf_counter()
        attempt = super()._attempt(minute, body, content_type, authorization)
        self.round_trips.append(time.perf_counter() - started)
        return attempt


@dataclass
class Pace:
    """The load's schedule: ``count`` events spread evenly over ``seconds``, from ``start``."""

    start: float
    seconds: float
    count: int

    def due(self, index: int) -> float:
        return self.start + self.seconds * index / max(1, self.count)


def _wait_until(moment: float, stop: threading.Event) -> bool:
    """Sleep until ``moment``; False when stopped first."""
    return not stop.wait(max(0.0, moment - time.time()))


class OrderDriver:
    """Norce's checkout and order sender: each order is placed in Norce (its buyer held there when new), then
    pushed to ``POST /orders`` with Norce's retry rule (time compressed), by ``senders`` at once; 5 % of
    orders are pushed again (at once or a little later, sometimes in the other format), 1 % of the pushes
    are a malformed body."""

    def __init__(
        self,
        stack: LocalStack,
        factory: OrderFactory,
        journal: Journal,
        rng: random.Random,
        pace: Pace,
        senders: int = 8,
        time_scale: float = 1 / 300,  # Norce's 10 minutes between attempts become 2 s
    ) -> None:
        self.stack, self.factory, self.journal, self.rng, self.pace = stack, factory, journal, rng, pace
        self.time_scale = time_scale
        self.pool = ThreadPoolExecutor(senders, thread_name_prefix="norce-order-sender")
        self.pending: list[Any] = []

    def run(self, stop: threading.Event) -> None:
        for number in range(self.pace.count):
            if not _wait_until(self.pace.due(number), stop):
                break
            malformed = self.rng.random() < 0.01
            order = self.factory.malformed(number) if malformed else self.factory.order(number)
            placed = not malformed and self._place(order)
            self.journal.add_order(SentOrder(order.ref, order.kind, order.wire, order.email, placed))
            self.pending.append(self.pool.submit(self._push, order, False))
            if not malformed and self.rng.random() < 0.05:
                again = self.factory.other_wire(order) if self.rng.random() < 0.3 else order
                delay = 0.0 if self.rng.random() < 0.3 else self.rng.uniform(0.5, 8.0)
                self.pending.append(self.pool.submit(self._push, again, True, delay))

    def _place(self, order: SoakOrder) -> bool:
        assert order.request is not None
        try:
            if order.kind.endswith("-new"):
                self.stack.norce.checkout(order.request)  # the buyer (and company) held without a code
            else:
                self.stack.norce.place_order(order.request)
        except Exception as error:  # noqa: BLE001 - recorded; the order is pushed all the same
            self.journal.problem(f"placing {order.ref} in Norce failed: {type(error).__name__}")
            return False
        return True

    def _push(self, order: SoakOrder, duplicate: bool, delay: float = 0.0) -> None:
        time.sleep(delay)
        sender = TimedOrderSender(
            f"{self.stack.api_url}/orders", self.stack.authorization, time_scale=self.time_scale
        )
        push = Push(started=time.time(), duplicate=duplicate)
        try:
            delivery = sender.send(order.body, order.content_type)
        except Exception as error:  # noqa: BLE001 - a crashed sender is a finding of the load, not ours
            self.journal.problem(f"pushing {order.ref} failed in the sender: {type(error).__name__}")
            return
        push.answered = time.time()
        push.outcome = delivery.outcome
        push.attempts = len(delivery.attempts)
        push.statuses = [attempt.status for attempt in delivery.attempts]
        if delivery.outcome == "OK":
            push.ok_seconds = sender.round_trips[-1]
        self.journal.add_push(order.ref, push)

    def wait(self, timeout: float) -> None:
        """Until every push has its answer (or ``timeout``)."""
        deadline = time.time() + timeout
        for future in self.pending:
            future.result(timeout=max(0.1, deadline - time.time()))
        self.pool.shutdown(wait=False)


class LifecycleDriver:
    """The ERP's work after an order is confirmed: a plan per order (by seed) of delivery notes, invoices,
    credits and a ReadyForPickup status, made in the ERP simulator over a few seconds. Half the documents
    are pushed to ``POST /erp/{method}`` (a tenth of those twice), the rest are left to the scheduled poll,
    which reads the pushed ones again too."""

    PLANS = (("ship-invoice", 0.45), ("partial-credit", 0.20), ("pickup", 0.10), ("nothing", 0.25))

    def __init__(self, stack: LocalStack, journal: Journal, rng: random.Random, poll_every: float) -> None:
        self.stack, self.journal, self.rng, self.poll_every = stack, journal, rng, poll_every
        self.planned: set[str] = set()
        self.steps: list[tuple[float, str, str, str]] = []  # (due, ref, order_no, step)
        self.lock = threading.Lock()
        self.polled_to = 0.0  # the last finished poll's watermark (epoch seconds)
        self.polling = threading.Thread()  # the poll's run under way, if it is alive

    def confirmed(self) -> dict[str, str]:
        """ClientOrderRef -> ErpOrderNo of the soak's orders Norce holds as Confirmed."""
        with self.stack.norce.state.lock:
            held = {ref: list(statuses) for ref, statuses in self.stack.norce.orders.items()}
        found = {}
        for ref, statuses in held.items():
            numbers = [s.get("ErpOrderNo") for s in statuses if s.get("OrderStatus") == "Confirmed"]
            if numbers and numbers[0] and ref in self.journal.orders:
                found[ref] = str(numbers[0])
        return found

    def plan(self, accepting: bool) -> None:
        """New plans for newly confirmed orders (only while the load runs)."""
        if not accepting:
            return
        now = time.time()
        for ref, order_no in self.confirmed().items():
            if ref in self.planned:
                continue
            self.planned.add(ref)
            plan = self.rng.choices([n for n, _ in self.PLANS], [s for _, s in self.PLANS])[0]
            steps = {
                "ship-invoice": ["ship", "invoice"],
                "partial-credit": ["ship-part", "ship", "invoice", "credit"],
                "pickup": ["pickup", "ship"],
                "nothing": [],
            }[plan]
            at = now
            for step in steps:
                at += self.rng.uniform(0.5, 4.0)
                with self.lock:
                    self.steps.append((at, ref, order_no, step))

    def run(self, stop: threading.Event, accepting: Callable[[], bool]) -> None:
        last_poll = 0.0
        while not stop.wait(0.25):
            self.plan(accepting())
            now = time.time()
            with self.lock:
                due = [step for step in self.steps if step[0] <= now]
                self.steps = [step for step in self.steps if step[0] > now]
            for _, ref, order_no, step in sorted(due):
                self._make(ref, order_no, step)
            # Scheduler fires the poll beside the ERP's work, not in its way; a tick that finds the last
            # run still going is skipped (ReservedConcurrentExecutions 1 would throttle it).
            if now - last_poll >= self.poll_every and not self.polling.is_alive():
                last_poll = now
                self.polling = threading.Thread(target=self._poll, name="soak:poll", daemon=True)
                self.polling.start()
        if self.polling.is_alive():
            self.polling.join(timeout=330)

    @property
    def idle(self) -> bool:
        with self.lock:
            return not self.steps

    def poll_behind(self) -> int:
        """Documents made since the last finished poll's watermark: the feed it has still to read. (A
        document is journalled just after the ERP stamps it: a second's slack for the one at the mark.)"""
        with self.journal.lock:
            made = [document.made_at for document in self.journal.documents.values()]
        return sum(1 for at in made if at > self.polled_to + 1.0)

    def _make(self, ref: str, order_no: str, step: str) -> None:
        erp = self.stack.erp
        try:
            if step == "ship-part":
                document = erp.ship(order_no, [{"lineNo": 1, "quantity": 1}], parcel_number=f"P-{ref}-1")
            elif step == "ship":
                document = erp.ship(order_no, parcel_number=f"P-{ref}")
            elif step == "invoice":
                document = erp.invoice(order_no)
            elif step == "credit":
                invoices = [d for d in erp.documents(order_no) if d["kind"] == "invoice"]
                document = erp.credit(order_no, invoices[-1]["documentNo"], amount="10.00")
            else:
                document = erp.set_status(order_no, "ReadyForPickup")
        except Exception as error:  # noqa: BLE001 - e.g. nothing left to ship: the plan ends there
            self.journal.problem(f"the ERP could not {step} {order_no}: {type(error).__name__}: {error}")
            return
        made = MadeDocument(
            document["documentNo"],
            document["kind"],
            ref,
            order_no,
            time.time(),
            status=document.get("status"),
        )
        self.journal.add_document(made)
        if self.rng.random() < 0.5:
            for _ in range(2 if self.rng.random() < 0.1 else 1):
                made.push_statuses.append(self._push(document))
                made.pushes += 1

    def _push(self, document: dict[str, Any]) -> int:
        method, body = connect_message(document)
        for _ in range(5):  # an ERP retries a 502/503 (a killed worker, our queue down) a few times
            try:
                answer = requests.post(
                    f"{self.stack.api_url}/erp/{method}",
                    json=body,
                    headers={"X-Api-Key": self.stack.erp_push_key},
                    timeout=35,
                )
            except requests.RequestException:
                time.sleep(1)
                continue
            if answer.status_code < 500:
                return answer.status_code
            time.sleep(1)
        return 0  # never queued by a push: the poll still reads it

    def _poll(self) -> None:
        """The scheduled poll (EventBridge Scheduler's run), fired now."""
        try:
            answer = requests.post(f"{self.stack.api_url}/_local/schedules/ErpPollFunction", timeout=330)
            result = answer.json() if answer.status_code == 200 else {"status": answer.status_code}
        except (requests.RequestException, ValueError) as error:
            result = {"error": type(error).__name__}
        self.journal.note("polls", {"at": time.time(), **result})
        mark = result.get("watermark")
        if isinstance(mark, str):
            self.polled_to = max(self.polled_to, datetime.fromisoformat(mark).timestamp())


class EventDriver:
    """Norce Event sending some order events again (its at-least-once delivery), and people editing
    customers the ERP and Norce both hold in Norce Admin (CustomerChangedNotification)."""

    def __init__(
        self,
        stack: LocalStack,
        journal: Journal,
        rng: random.Random,
        customers: list[dict[str, Any]],
        edit_every: float,
        redeliver_every: float,
        repeat_edits: bool = True,
    ) -> None:
        self.stack, self.journal, self.rng = stack, journal, rng
        self.customers = list(customers)  # {"code", "norce_id"}
        self.edit_every, self.redeliver_every = edit_every, redeliver_every
        self.repeat_edits = repeat_edits
        self.edits = 0

    def run(self, stop: threading.Event) -> None:
        next_edit = time.time() + self.rng.uniform(0, self.edit_every)
        next_redelivery = time.time() + self.rng.uniform(0, self.redeliver_every)
        while not stop.wait(0.2):
            now = time.time()
            if now >= next_edit and self.customers:
                next_edit = now + self.rng.uniform(0.5, 1.5) * self.edit_every
                self._edit()
            if now >= next_redelivery:
                next_redelivery = now + self.rng.uniform(0.5, 1.5) * self.redeliver_every
                self._redeliver()

    def _edit(self) -> None:
        customer = self.rng.choice(self.customers)
        if not self.repeat_edits:
            self.customers.remove(customer)
        self.edits += 1
        changes = {"FirstName": f"Soak{self.edits}", "LastName": f"Edited{self.rng.randint(1000, 9999)}"}
        try:
            self.stack.norce.edit_customer(customer["norce_id"], changes)
        except Exception as error:  # noqa: BLE001 - recorded for the report
            self.journal.problem(f"editing {customer['code']} in Norce failed: {type(error).__name__}")
            return
        self.journal.note("edits", Edit(time.time(), customer["code"], customer["norce_id"], changes))

    def _redeliver(self) -> None:
        delivered = [
            d
            for d in self.stack.norce.events.deliveries
            if d.state == "delivered" and d.event_type.startswith("Order")
        ]
        if not delivered:
            return
        again = self.rng.choice(delivered)
        self.stack.norce.events.emit(again.event_type, dict(again.payload))
        self.journal.note("redelivered", (time.time(), again.event_type, dict(again.payload)))


class ImportDriver:
    """EventBridge Scheduler's delta imports (customers, then companies), fired every ``every`` seconds."""

    def __init__(self, stack: LocalStack, journal: Journal, every: float) -> None:
        self.stack, self.journal, self.every = stack, journal, every

    def run(self, stop: threading.Event) -> None:
        while not stop.wait(self.every):
            for schedule in ("CustomersDelta", "CompaniesDelta"):
                try:
                    answer = requests.post(f"{self.stack.api_url}/_local/schedules/{schedule}", timeout=300)
                    result = answer.json() if answer.status_code == 200 else {"status": answer.status_code}
                except (requests.RequestException, ValueError) as error:
                    result = {"error": type(error).__name__}
                self.journal.note("imports", {"at": time.time(), "schedule": schedule, **result})
