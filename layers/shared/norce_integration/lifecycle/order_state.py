"""An order's lifecycle as we have told Norce: its status only moves forward, and what was delivered,
invoiced and credited adds up. Plain functions over the order record's fields (``lifecycle``: what was
sent) and over the door's book (what was accepted)."""

from decimal import Decimal
from typing import Any

from norce_integration.lifecycle.bounds import Counted
from norce_integration.lifecycle.documents import Kind
from norce_integration.lifecycle.ports import Book

# A status may follow another of lower or equal rank; one of lower rank than the current is late.
STATUS_RANK: dict[str, int] = {
    "Created": 0,
    "Allocation": 0,
    "Acknowledged": 1,
    "ErpConfirmed": 1,
    "Confirmed": 1,
    "AcknowledgementError": 1,
    "CreditControl": 2,
    "OnHold": 2,
    "WaitingForOnHoldRemoved": 2,
    "BackOrder": 2,
    "ReadyForReservation": 2,
    "Reserved": 2,
    "PartlyDelivered": 3,
    "ReadyForPickup": 4,
    "Delivered": 5,
    "PickedUp": 5,
    "NotPickedUp": 5,
    "Invoiced": 6,
    "WaitingForCancel": 7,
    "CancelError": 7,
    "Cancelled": 8,
}
_ZERO = Decimal(0)
# Where the lifecycle keeps each kind of document it has sent, by number.
_SENT = {Kind.DELIVERY_NOTE: "delivery_notes", Kind.INVOICE: "invoices", Kind.CREDIT: "credits"}


def moves_forward(current: str | None, new: str) -> bool:
    """Whether ``new`` may follow ``current`` (the same status again is no move: a repeat)."""
    if current is None:
        return True
    if new == current:
        return False
    return STATUS_RANK.get(new, 0) >= STATUS_RANK.get(current, 0)


def recorded(state: dict[str, Any], kind: Kind, number: str | None) -> bool:
    """Whether the lifecycle already counts this document: a note, invoice or credit is recorded only once
    Norce has it, by number (the door refuses another document under a number it took). A status: never."""
    name = _SENT.get(kind)
    return name is not None and number is not None and number in (state.get(name) or {})


def amounts(state: dict[str, Any], name: str) -> dict[str, Decimal]:
    """``invoices`` / ``credits``: document number -> TotalAmount (kept as text, exact)."""
    return {number: Decimal(str(value)) for number, value in (state.get(name) or {}).items()}


def creditable(state: dict[str, Any]) -> Decimal:
    """What may still be paid back: everything invoiced minus everything already credited."""
    return sum(amounts(state, "invoices").values(), _ZERO) - sum(amounts(state, "credits").values(), _ZERO)


def delivered(state: dict[str, Any]) -> dict[str, Decimal]:
    """Delivered quantity per order line (``LineNo`` as text), over every delivery note sent."""
    return _summed((state.get("delivery_notes") or {}).values())


def _summed(documents: Any) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for lines in documents:
        for line, quantity in (lines or {}).items():
            totals[line] = totals.get(line, _ZERO) + Decimal(str(quantity))
    return totals


def counted(state: dict[str, Any]) -> Counted:
    """What was sent to Norce, as the processor's rules count it."""
    invoices = amounts(state, "invoices")
    return Counted(
        delivered=delivered(state),
        invoiced=_summed((state.get("invoiced_lines") or {}).values()),
        invoiced_total=sum(invoices.values(), _ZERO),
        credited_total=sum(amounts(state, "credits").values(), _ZERO),
        invoices=frozenset(invoices),
    )


def counted_at_the_door(book: Book) -> Counted:
    """What the door accepted (sent or not yet), as its rules count it."""
    notes = book.entries.get(Kind.DELIVERY_NOTE.value, {})
    invoices = book.entries.get(Kind.INVOICE.value, {})
    credits = book.entries.get(Kind.CREDIT.value, {})
    return Counted(
        delivered=_summed(entry.lines for entry in notes.values()),
        invoiced=_summed(entry.lines for entry in invoices.values()),
        invoiced_total=sum((Decimal(entry.total or "0") for entry in invoices.values()), _ZERO),
        credited_total=sum((Decimal(entry.total or "0") for entry in credits.values()), _ZERO),
        invoices=frozenset(invoices),
    )


def fully_delivered(ordered: dict[str, Decimal], state: dict[str, Any]) -> bool:
    done = delivered(state)
    return all(done.get(line, _ZERO) >= quantity for line, quantity in ordered.items())
