"""What event handling needs from the outside world, as small interfaces (ports).

Failures are the shared kinds of ``norce_integration.failures``: ``TransientFailure`` (retry later) and
``PermanentFailure`` (park with the reason); intake-side stores raise ``DependencyUnavailable`` (503).
"""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from norce_integration.events.envelope import QueuedEvent
from norce_integration.events.views import CompanyView, CustomerView, InvoiceOrder, OrderView


class EventQueue(Protocol):
    def send(self, event: QueuedEvent, delay_seconds: int = 0) -> None:
        """Durably queue the event (``DependencyUnavailable`` when the queue cannot be reached)."""
        ...


class EventDeadLetters(Protocol):
    def park(self, body: str, reason: str) -> None:
        """Put a message that cannot succeed where a person sees it (the events DLQ, alarmed)."""
        ...


@dataclass(frozen=True, slots=True)
class Email:
    to: str
    subject: str
    html: str
    text: str
    event_type: str
    client_order_ref: str
    language: str
    headers: dict[str, str] = field(default_factory=dict)


class NotifierUnavailable(Exception):
    """Sending failed in a way a retry may fix (throttling, the service down)."""


class NotifierInDoubt(Exception):
    """The request reached the mail service but its answer was lost: the e-mail may have gone out."""


class NotifierRejected(Exception):
    """The mail service refuses this message (bad address, unverified sender): a retry cannot help."""


class Notifier(Protocol):
    def send(self, email: Email) -> str:
        """Send one e-mail; returns the mail service's message id."""
        ...


class Claim(StrEnum):
    CLAIMED = "claimed"  # ours to send now
    SENT = "sent"  # already sent: never again
    IN_DOUBT = "in_doubt"  # an earlier attempt may have sent it and died: not sent again (at most once)
    BUSY = "busy"  # another attempt is sending it right now: retry later


class NotificationLedger(Protocol):
    """One e-mail per event type and order, ever (``MAIL#{type}#{ClientOrderRef}``)."""

    def claim(self, key: str, now: float) -> Claim: ...

    def sent(self, key: str, message_id: str, now: float) -> None: ...

    def release(self, key: str) -> None:
        """Sending failed before the mail service took it: the next attempt may send."""
        ...


@dataclass(frozen=True, slots=True)
class SyncState:
    """The last state of a Norce customer/company we wrote to the ERP (``SYNC#{kind}#{id}``)."""

    read_at: float  # when we read Norce: every notification received before this is covered
    norce_updated: str | None  # Norce's Updated of what we wrote
    version: int
    erp_changed_at: str | None = None  # the ERP's changed_at right after our own write
    busy_until: float | None = None  # a processor is writing it to the ERP until then
    erp_before: str | None = None  # the ERP's own last change before our write(s) (erp/own_writes.py)


class SyncStates(Protocol):
    def get(self, key: str) -> SyncState | None: ...

    def save(self, key: str, state: SyncState, expected_version: int | None) -> bool:
        """Write if the stored version is still ``expected_version`` (None: no record yet); False when
        another processor got there first."""
        ...


class EventQuery(Protocol):
    """Norce Query look-ups for events, as ``events.views`` (Query's version and casing stay in the adapter).

    ``None``: Query holds no such entity (yet: Query caches for a while). Failures raise ``NorceUnavailable``
    or ``NorceRejected`` like every Norce call."""

    def customer(self, customer_id: int) -> CustomerView | None: ...

    def company(self, company_id: int) -> CompanyView | None: ...

    def order(self, order_id: int) -> OrderView | None:
        """The order by Norce's OrderId (the events carry it), with its lines, buyer and ship-to."""
        ...

    def invoice_order(self, invoice_id: int) -> InvoiceOrder | None:
        """The order a Norce invoice (InvoiceCaptureCompletedEvent's CapturedInvoiceId) belongs to."""
        ...
