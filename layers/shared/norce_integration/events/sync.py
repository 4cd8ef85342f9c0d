"""Customer and company changes made in Norce, into the ERP: Event -> Query -> ERP.

- Only entities with a Code exist in the ERP; the others are skipped with the reason.
- EntityChanged values we do not sync (configuration) are filtered out before any look-up.
- A burst (a bulk edit in Norce Admin) ends in one ERP update with the latest state: the notifications wait
  a few seconds on the queue, and one that arrived before our last read of Norce is already covered by it
  (``SYNC#{kind}#{id}.read_at``). Norce's ``Updated`` equal to what we last wrote is no change at all.
- A change never overwrites newer data: when the ERP changed the entity after Norce's ``Updated``, the ERP
  wins and nothing is written (the next full import brings the ERP's state back to Norce). Our own last
  write is told apart by the ERP's ``changed_at`` read back after it (``SYNC#….erp_changed_at``), so an
  edit made in Norce while we wrote the previous one is not mistaken for an ERP change.
- Each write is also remembered by ERP code (``erp/own_writes.py``), so a delta import does not carry it
  back to Norce as an ERP change, where it could overwrite a newer Norce edit.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from norce_integration.erp.model import ErpAddress, ErpCompany, ErpCustomer
from norce_integration.erp.own_writes import Kind, OwnWrite, OwnWrites
from norce_integration.erp.ports import Erp, ErpRejected, ErpUnavailable
from norce_integration.events.contracts import CompanyChangedNotification, CustomerChangedNotification
from norce_integration.events.outcomes import Handled, Outcome
from norce_integration.events.ports import EventQuery, SyncState, SyncStates
from norce_integration.events.views import AddressView, CompanyView, CustomerView
from norce_integration.failures import PermanentFailure, TransientFailure
from norce_integration.norce.ports import NorceRejected, NorceUnavailable

Notification = CustomerChangedNotification | CompanyChangedNotification
CLAIM_SECONDS = 120  # longer than the processor's timeout: a crashed attempt's claim runs out


@dataclass
class ChangeSync:
    query: EventQuery
    erp: Erp
    states: SyncStates
    customer_entities: frozenset[str] | None = None  # EntityChanged values to sync; None: all
    company_entities: frozenset[str] | None = None
    own_writes: OwnWrites | None = None  # where a delta import learns our writes are not ERP changes
    clock: Callable[[], float] = field(default=time.time)
    claim_seconds: float = CLAIM_SECONDS

    def handle(self, event: Notification, received_at: float) -> Handled:
        is_customer = isinstance(event, CustomerChangedNotification)
        wanted = self.customer_entities if is_customer else self.company_entities
        if wanted is not None and (event.EntityChanged or "") not in wanted:
            return Handled(Outcome.FILTERED, f"EntityChanged {event.EntityChanged} is not synced")
        entity_id = event.CustomerId if isinstance(event, CustomerChangedNotification) else event.CompanyId
        key = f"SYNC#{'customer' if is_customer else 'company'}#{entity_id}"
        state = self.states.get(key)
        if state is not None and state.read_at >= received_at:
            return Handled(Outcome.COALESCED, "a later read of Norce covered this notification")
        if state is not None and (state.busy_until or 0) > self.clock():
            raise TransientFailure("another processor is writing this entity to the ERP", retry_after=5)
        read_at = self.clock()
        found = self._look_up(is_customer, entity_id)
        if found is None:
            return Handled(Outcome.NOT_IN_NORCE, f"Norce Query has no {key.split('#')[1]} {entity_id}")
        if not found.code:
            return Handled(Outcome.NO_CODE, "it has no Code in Norce, so it is not in the ERP")
        claimed = self._claim(key, state)
        updated = found.updated.isoformat() if found.updated else None
        try:
            outcome, ours, before = self._write(found, state, updated)
        except BaseException:  # nothing was synced: the retry must not find this notification covered
            self.states.save(
                key, replace(claimed, busy_until=None, version=claimed.version + 1), claimed.version
            )
            raise
        self.states.save(
            key, SyncState(read_at, updated, claimed.version + 1, ours, erp_before=before), claimed.version
        )
        return outcome

    def _claim(self, key: str, state: SyncState | None) -> SyncState:
        """One processor at a time per entity: two writing at once could leave the older state in the ERP."""
        version = state.version if state else None
        claimed = replace(
            state or SyncState(0.0, None, 0),
            version=(version or 0) + 1,
            busy_until=self.clock() + self.claim_seconds,
        )
        if not self.states.save(key, claimed, version):
            raise TransientFailure("another processor is writing this entity to the ERP", retry_after=5)
        return claimed

    def _write(
        self, found: CustomerView | CompanyView, state: SyncState | None, updated: str | None
    ) -> tuple[Handled, str | None, str | None]:
        """What happened; the ERP's ``changed_at`` of our own last write (not an ERP change), and the ERP's
        own last change before it."""
        ours = state.erp_changed_at if state else None
        before = state.erp_before if state else None
        if state is not None and updated is not None and state.norce_updated == updated:
            return Handled(Outcome.UNCHANGED, "Norce holds what was last written to the ERP"), ours, before
        try:
            current = self._erp_entity(found)
            if current is None:
                raise PermanentFailure(f"the ERP has no {_kind(found)} with code {found.code}")
            erp_changed = current.changed_at.isoformat() if current.changed_at else None
            if erp_changed != ours and _newer(current.changed_at, found.updated):
                erp_wins = Handled(Outcome.ERP_NEWER, "the ERP changed it after Norce did: the ERP wins")
                return erp_wins, ours, before
            if erp_changed != ours:  # the ERP changed it since our last write (or we never wrote it)
                before = erp_changed
            if isinstance(found, CustomerView):
                self.erp.update_customer(customer_from(found))
            else:
                self.erp.update_company(company_from(found))
            written = self._erp_entity(found)  # its changed_at is ours: never mistaken for an ERP change
        except ErpUnavailable as error:
            raise TransientFailure(str(error), error.retry_after) from error
        except ErpRejected as error:
            raise PermanentFailure(str(error)) from error
        after = written.changed_at.isoformat() if written and written.changed_at else None
        if after is not None and found.code and self.own_writes is not None:
            self.own_writes.remember(_kind(found), found.code, OwnWrite(after, before))
        return Handled(Outcome.UPDATED, f"{_kind(found)} {found.code}"), after, before

    def _erp_entity(self, found: CustomerView | CompanyView) -> ErpCustomer | ErpCompany | None:
        if isinstance(found, CustomerView):
            return self.erp.find_customer(code=found.code)
        return self.erp.find_company(code=found.code)

    def _look_up(self, is_customer: bool, entity_id: int) -> CustomerView | CompanyView | None:
        try:
            return self.query.customer(entity_id) if is_customer else self.query.company(entity_id)
        except NorceUnavailable as error:
            raise TransientFailure(str(error), error.retry_after) from error
        except NorceRejected as error:
            raise PermanentFailure(str(error)) from error


def _kind(found: CustomerView | CompanyView) -> Kind:
    return "customer" if isinstance(found, CustomerView) else "company"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _newer(erp_changed: datetime | None, norce_updated: datetime | None) -> bool:
    if erp_changed is None or norce_updated is None:
        return False
    return _aware(erp_changed) > _aware(norce_updated)


def _address(view: AddressView | None) -> ErpAddress | None:
    if view is None:
        return None
    return ErpAddress(
        line1=view.line1,
        line2=view.line2,
        care_of=view.care_of,
        zip_code=view.zip_code,
        city=view.city,
        region=view.region,
        country=view.country,
    )


def customer_from(view: CustomerView) -> ErpCustomer:
    """What Norce holds of a person, as the ERP port's customer (only the fields Norce edits)."""
    return ErpCustomer(
        code=view.code,
        email=view.email,
        first_name=view.first_name,
        last_name=view.last_name,
        phone=view.phone,
        cell_phone=view.cell_phone,
        address=_address(view.address),
        is_active=view.is_active,
    )


def company_from(view: CompanyView) -> ErpCompany:
    return ErpCompany(
        code=view.code,
        name=view.name,
        organization_no=view.organization_no,
        vat_no=view.vat_no,
        email=view.email,
        phone=view.phone,
        address=_address(view.address),
        is_active=view.is_active,
    )
