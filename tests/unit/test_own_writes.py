"""A delta import never echoes our own write of a Norce edit back to Norce (erp/own_writes.py).

The soak lost a customer edit so: the sync wrote edit 1 to the ERP, the ERP stamped the customer changed,
and the next delta carried it back to Norce just after the person's edit 2, overwriting it."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from norce_integration.adapters.memory.events import InMemoryEventQuery, InMemorySyncStates
from norce_integration.adapters.memory.imports import InMemoryImporter, InMemoryImportStore
from norce_integration.adapters.memory.own_writes import InMemoryOwnWrites
from norce_integration.adapters.memory.processing import InMemoryErp
from norce_integration.erp.model import ErpCustomer
from norce_integration.erp.own_writes import OwnWrite, is_echo
from norce_integration.events.contracts import CustomerChangedNotification
from norce_integration.events.outcomes import Outcome
from norce_integration.events.sync import ChangeSync
from norce_integration.events.views import CustomerView
from norce_integration.imports.config import Entity, ImportConfig, Mode, RunRequest
from norce_integration.imports.echoes import ECHO_REASON
from norce_integration.imports.service import ImportRunner

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
CREATED = T0 - timedelta(hours=1)  # C1 in the ERP; C2 and C3 changed at T0, the first delta's watermark


class StampingErp(InMemoryErp):
    """Stamps ``changed_at`` on every write and exports what changed since, as a real ERP does."""

    now: datetime = T0

    def update_customer(self, customer: ErpCustomer) -> None:
        super().update_customer(customer.model_copy(update={"changed_at": self.now}))

    def erp_edit(self, code: str, **fields: object) -> None:
        """A change made in the ERP itself."""
        self.customers[code] = self.customers[code].model_copy(update={**fields, "changed_at": self.now})

    def export_customers(self, changed_since: datetime | None) -> Iterator[ErpCustomer]:
        found = [c for c in self.customers.values() if not changed_since or c.changed_at >= changed_since]
        return iter(sorted(found, key=lambda c: c.changed_at or T0))


@dataclass
class World:
    erp: StampingErp
    query: InMemoryEventQuery
    sync: ChangeSync
    imports: ImportRunner
    norce: InMemoryImporter
    store: InMemoryImportStore
    own_writes: InMemoryOwnWrites

    def at(self, minutes: float) -> None:
        self.erp.now = T0 + timedelta(minutes=minutes)

    def norce_edit(self, first_name: str, minutes: float) -> None:
        self.query.customers[1] = CustomerView(
            1, "C1", "anna@example.com", first_name, "Berg", updated=T0 + timedelta(minutes=minutes)
        )

    def notified(self, received_at: float) -> Outcome:
        event = CustomerChangedNotification.model_validate({"ClientId": 1, "CustomerId": 1})
        return self.sync.handle(event, received_at=received_at).outcome

    def delta(self):
        return self.imports.run(RunRequest(Entity.CUSTOMERS, Mode.DELTA))

    def sent_codes(self) -> list[str]:
        """What the deltas sent, less C2 and C3: each delta reads the overlap (T0) again."""
        codes = [r["Code"] for i in self.norce.imports for r in i["records"]]
        return [code for code in codes if code not in ("C2", "C3")]


@pytest.fixture
def world() -> World:
    erp = StampingErp(customers={"C1": ErpCustomer(code="C1", first_name="Anna", changed_at=CREATED)})
    erp.customers.update(
        {f"C{n}": ErpCustomer(code=f"C{n}", first_name="Other", changed_at=T0) for n in range(2, 4)}
    )
    query, own_writes, store = InMemoryEventQuery(), InMemoryOwnWrites(), InMemoryImportStore()
    norce = InMemoryImporter()
    clock = iter(range(100, 100_000))
    sync = ChangeSync(
        query, erp, InMemorySyncStates(), own_writes=own_writes, clock=lambda: float(next(clock))
    )
    runner = ImportRunner(
        erp, norce, store, ImportConfig(account_id=7, overlap_seconds=60), own_writes=own_writes
    )
    world = World(erp, query, sync, runner, norce, store, own_writes)
    world.at(1)
    assert world.delta().sent == 3  # the first delta: everything, the watermark at T0
    norce.imports.clear()
    return world


def test_our_write_of_a_norce_edit_is_not_sent_back_and_the_watermark_moves_past_it(world):
    world.norce_edit("Annika", minutes=10)
    world.at(11)
    assert world.notified(received_at=50.0) is Outcome.UPDATED
    assert world.own_writes.items[("customer", "C1")] == OwnWrite(
        (T0 + timedelta(minutes=11)).isoformat(), CREATED.isoformat()
    )
    world.norce_edit("Anni", minutes=12)  # the person edits again before the next delta
    summary = world.delta()
    assert world.sent_codes() == []  # the edit of 12:00 is not overwritten by our echo of 11:00
    assert summary.skipped == {ECHO_REASON: 1} and summary.skipped_codes == [f"C1: {ECHO_REASON}"]
    assert world.store.state(Entity.CUSTOMERS).delta_watermark == T0 + timedelta(minutes=11)  # read
    assert world.delta().skipped == {ECHO_REASON: 1}  # the overlap reads it again: left out again
    assert world.sent_codes() == []


def test_an_erp_change_after_our_write_is_sent(world):
    world.norce_edit("Annika", minutes=10)
    world.at(11)
    world.notified(received_at=50.0)
    world.at(12)
    world.erp.erp_edit("C1", last_name="Changed in the ERP")
    world.delta()
    assert world.sent_codes() == ["C1"]


def test_an_erp_change_no_delta_has_read_yet_goes_with_our_write(world):
    """Our write carries only what Norce edits; an unread ERP change of the same record (a price list,
    say) would be lost to Norce if the record were left out."""
    world.at(5)
    world.erp.erp_edit("C1", price_lists=["VIP"])
    world.norce_edit("Annika", minutes=6)
    world.at(7)
    assert world.notified(received_at=50.0) is Outcome.UPDATED
    world.delta()
    assert world.sent_codes() == ["C1"]


def test_consecutive_writes_of_ours_keep_the_erps_own_last_change(world):
    for minute, name in ((10, "Annika"), (20, "Anni"), (30, "Ann")):
        world.norce_edit(name, minutes=minute)
        world.at(minute + 1)
        assert world.notified(received_at=float(minute * 1000)) is Outcome.UPDATED
    assert world.own_writes.items[("customer", "C1")] == OwnWrite(
        (T0 + timedelta(minutes=31)).isoformat(), CREATED.isoformat()
    )
    world.delta()
    assert world.sent_codes() == []


def test_a_full_import_names_every_record_also_our_writes(world):
    world.norce_edit("Annika", minutes=10)
    world.at(11)
    world.notified(received_at=50.0)
    summary = world.imports.run(RunRequest(Entity.CUSTOMERS, Mode.FULL))
    (full,) = world.norce.imports
    assert sorted(r["Code"] for r in full["records"]) == ["C1", "C2", "C3"] and summary.skipped == {}


def test_a_delta_looks_our_writes_up_a_page_at_a_time(world):
    world.at(40)
    for n in range(10, 260):
        world.erp.customers[f"C{n}"] = ErpCustomer(code=f"C{n}", changed_at=world.erp.now)
    assert world.delta().sent == 252  # with C2 and C3, the overlap
    assert world.own_writes.lookups == 3  # 100 + 100 + 52 codes, never one read per record


WROTE = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("write", "changed_at", "since", "echo"),
    [
        (OwnWrite(WROTE.isoformat(), T0.isoformat()), WROTE, T0 + timedelta(hours=1), True),
        (OwnWrite(WROTE.isoformat(), T0.isoformat()), WROTE, T0, True),  # read at since: read before
        (None, WROTE, T0 + timedelta(hours=1), False),  # never written by us
        (OwnWrite(WROTE.isoformat(), T0.isoformat()), WROTE + timedelta(seconds=1), T0, False),  # ERP since
        (OwnWrite(WROTE.isoformat(), T0.isoformat()), WROTE, T0 - timedelta(seconds=1), False),  # unread
        (OwnWrite(WROTE.isoformat(), None), WROTE, T0 + timedelta(hours=1), False),  # not known: sent
        (OwnWrite(WROTE.isoformat(), T0.isoformat()), WROTE.replace(tzinfo=None), T0, False),  # another form
    ],
)
def test_what_counts_as_our_echo(write, changed_at, since, echo):
    assert is_echo(write, changed_at, since) is echo
