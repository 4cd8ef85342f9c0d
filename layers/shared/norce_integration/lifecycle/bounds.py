"""Every invoice, delivery note and credit is held against the order before it can move money or goods.

The order is the OrderRequest Norce sent (archived). Per order line (a document's line matches the order's
line by ``LineNo`` / ``RowNumber`` when it names one, else by part number):
- delivered quantity, over every delivery note, <= ordered quantity;
- invoiced quantity, over every invoice, <= ordered quantity (or <= delivered, ``QuantityBasis.DELIVERED``);
and for the money: the invoices' total (incl. VAT) <= the order's total + the freight and rounding
tolerances; a credit <= what was invoiced minus what was already credited, against an invoice of the order.

The same rules run twice over different counts: at the door (``DocumentIntake``) over what was accepted,
so two invoices pushed at once cannot both pass, and in the processor (the authority, FIFO per order) over
what was sent. Plain functions, no I/O.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from norce_integration.contracts import OrderRequest
from norce_integration.contracts.lifecycle import DeliveryNote, Invoice

_ZERO = Decimal(0)
UNKNOWN_LINE = "part "  # an allocation key prefix: a part that is on no line of the order


class QuantityBasis(StrEnum):
    ORDERED = "ordered"  # invoiced <= ordered
    DELIVERED = "delivered"  # invoiced <= delivered (delivery notes accepted or sent before the invoice)


@dataclass(frozen=True, slots=True)
class Bounds:
    """The configured part of the rules (``InvoiceQuantityBasis``, ``InvoiceFreightTolerance``,
    ``InvoiceRoundingTolerance``)."""

    basis: QuantityBasis = QuantityBasis.ORDERED
    freight_tolerance: Decimal = _ZERO  # invoiced freight the order's own lines and fees did not carry
    rounding_tolerance: Decimal = Decimal(1)  # per-line and cash rounding, in the order's currency


@dataclass(frozen=True, slots=True)
class OrderedLine:
    line: str  # the order's LineNo as text
    parts: frozenset[str]  # PartNo and ErpPartNo
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class OrderTerms:
    """What the order allows: its lines, and its total incl. VAT (an upper bound: before discounts)."""

    lines: dict[str, OrderedLine]
    total: Decimal
    currency: str | None

    def part_of(self, line: str) -> str:
        ordered = self.lines.get(line)
        return sorted(ordered.parts)[0] if ordered and ordered.parts else line.removeprefix(UNKNOWN_LINE)


def terms_of(order: OrderRequest) -> OrderTerms:
    """The order's terms. A line's amount is its quantity (``Quantity``, or ``Quantity2`` when larger: goods
    sold by weight or length) times ``UnitPrice`` + ``UnitVat`` (``UnitPrice`` x ``VatRate`` without one);
    fees add their ``Amount`` and VAT. Discounts are not taken off: the bound stays on the safe side of
    what the buyer agreed to, and the payment provider never captures more than was authorised."""
    lines: dict[str, OrderedLine] = {}
    total = _ZERO
    for index, item in enumerate(order.Items or []):
        quantity = item.Quantity if item.Quantity is not None and item.Quantity > 0 else _ZERO
        line = str(item.LineNo) if item.LineNo is not None else f"#{index + 1}"
        parts = frozenset(p for p in (item.PartNo, item.ErpPartNo) if p)
        lines[line] = OrderedLine(line, parts, quantity)
        measured = max(quantity, item.Quantity2 or _ZERO)
        total += measured * _with_vat(item.UnitPrice, getattr(item, "UnitVat", None), item.VatRate)
    for fee in order.Fees or []:
        total += _with_vat(fee.Amount, getattr(fee, "UnitVat", None), getattr(fee, "VatRate", None))
    return OrderTerms(lines, total, order.CurrencyCode)


def _with_vat(price: Decimal | None, vat: Decimal | None, rate: Decimal | None) -> Decimal:
    price = max(price or _ZERO, _ZERO)
    if vat is None:
        vat = price * (rate or _ZERO) / 100
    return price + max(vat, _ZERO)


@dataclass
class Counted:
    """What already counts against the order: accepted (the door) or sent (the processor)."""

    delivered: dict[str, Decimal] = field(default_factory=dict)  # order line -> quantity
    invoiced: dict[str, Decimal] = field(default_factory=dict)  # order line -> quantity
    invoiced_total: Decimal = _ZERO
    credited_total: Decimal = _ZERO
    invoices: frozenset[str] = frozenset()  # the numbers of the invoices counted


def allocate(
    items: Iterable[tuple[int | None, str | None, Decimal]], terms: OrderTerms, done: dict[str, Decimal]
) -> dict[str, Decimal]:
    """A document's quantities per order line: ``(line number named, part, quantity)`` each. A line named
    that the order has takes it all; otherwise the order's lines of that part, in order, up to what is
    left of each (``done`` already counted), the rest on the last; a part on no line ``"part {part}"``."""
    allocated: dict[str, Decimal] = {}
    for line_no, part, quantity in items:
        named = str(line_no) if line_no is not None else None
        if named is not None and named in terms.lines:
            allocated[named] = allocated.get(named, _ZERO) + quantity
            continue
        candidates = [line for line, ordered in terms.lines.items() if part and part in ordered.parts]
        if not candidates:
            key = f"{UNKNOWN_LINE}{part}"
            allocated[key] = allocated.get(key, _ZERO) + quantity
            continue
        left = quantity
        for line in candidates:
            room = terms.lines[line].quantity - done.get(line, _ZERO) - allocated.get(line, _ZERO)
            taken = left if line == candidates[-1] else min(left, max(room, _ZERO))
            if taken > 0:
                allocated[line] = allocated.get(line, _ZERO) + taken
                left -= taken
    return allocated


def note_lines(note: DeliveryNote, terms: OrderTerms, counted: Counted) -> dict[str, Decimal]:
    items = [(i.RowNumber, i.ItemNo, Decimal(i.Qty or 0)) for i in note.DeliverynoteItems or []]
    return allocate(items, terms, counted.delivered)


def invoice_lines(invoice: Invoice, terms: OrderTerms, counted: Counted) -> dict[str, Decimal]:
    items = [(i.LineNo, i.PartNo, Decimal(i.Quantity or 0)) for i in invoice.Items or []]
    return allocate(items, terms, counted.invoiced)


def as_texts(lines: dict[str, Decimal]) -> dict[str, str]:
    """An allocation as it is kept (order line -> quantity as text), the parts on no line left out."""
    return {line: str(quantity) for line, quantity in lines.items() if not line.startswith(UNKNOWN_LINE)}


def invoice_total(invoice: Invoice) -> Decimal:
    """What an invoice (or credit) moves, incl. VAT: its ``TotalAmount``, else its lines and VAT."""
    if invoice.TotalAmount is not None:
        return invoice.TotalAmount
    items = invoice.Items or []
    lines = sum((_line_amount(i.LineAmount, i.Quantity, i.UnitPrice) for i in items), _ZERO)
    vat = invoice.Vat
    if vat is None:
        vat = sum((_line_amount(None, i.Quantity, i.UnitVat) for i in items), _ZERO)
    return lines + vat + (invoice.InvoiceRoundOff or _ZERO)


def _line_amount(amount: Decimal | None, quantity: int | None, unit: Decimal | None) -> Decimal:
    return amount if amount is not None else Decimal(quantity or 0) * (unit or _ZERO)


def delivery_note_problems(note: DeliveryNote, terms: OrderTerms, counted: Counted) -> list[str]:
    found = []
    for line, quantity in note_lines(note, terms, counted).items():
        if line.startswith(UNKNOWN_LINE):
            found.append(
                f"delivered quantity: part {line.removeprefix(UNKNOWN_LINE)} is on no line of the order"
            )
            continue
        ordered = terms.lines[line].quantity
        after = counted.delivered.get(line, _ZERO) + quantity
        if after > ordered:
            found.append(
                f"delivered quantity: order line {line} ({terms.part_of(line)}) would be delivered "
                f"{_n(after)} with this note ({_n(counted.delivered.get(line, _ZERO))} before it), "
                f"but {_n(ordered)} were ordered"
            )
    return found


def invoice_problems(invoice: Invoice, terms: OrderTerms, counted: Counted, bounds: Bounds) -> list[str]:
    found = []
    if terms.currency and invoice.CurrencyCode and invoice.CurrencyCode != terms.currency:
        found.append(f"CurrencyCode {invoice.CurrencyCode} is not the order's currency ({terms.currency})")
    for line, quantity in invoice_lines(invoice, terms, counted).items():
        if line.startswith(UNKNOWN_LINE):
            continue  # a fee, freight or service line: bounded by the invoiced total below
        if bounds.basis is QuantityBasis.DELIVERED:
            limit, what = counted.delivered.get(line, _ZERO), "delivered"
        else:
            limit, what = terms.lines[line].quantity, "ordered"
        after = counted.invoiced.get(line, _ZERO) + quantity
        if after > limit:
            found.append(
                f"invoiced quantity: order line {line} ({terms.part_of(line)}) would be invoiced "
                f"{_n(after)} with this invoice ({_n(counted.invoiced.get(line, _ZERO))} before it), "
                f"but {_n(limit)} were {what}"
            )
    ceiling = terms.total + bounds.freight_tolerance + bounds.rounding_tolerance
    after = counted.invoiced_total + invoice_total(invoice)
    if after > ceiling:
        found.append(
            f"invoiced total: the order's invoices would come to {_money(after)} incl. VAT with this one "
            f"({_money(counted.invoiced_total)} before it), above the order's total {_money(terms.total)} "
            f"plus the tolerances (freight {_money(bounds.freight_tolerance)}, rounding "
            f"{_money(bounds.rounding_tolerance)})"
        )
    return found


def credit_problems(credit: Invoice, counted: Counted) -> list[str]:
    found = []
    if credit.CreditedInvoiceNo and credit.CreditedInvoiceNo not in counted.invoices:
        found.append(f"CreditedInvoiceNo {credit.CreditedInvoiceNo} is not an invoice of this order (yet)")
    left = counted.invoiced_total - counted.credited_total
    amount = invoice_total(credit)
    if amount <= 0:
        found.append(f"the credit's total must be above 0, not {_money(amount)}")
    elif amount > left:
        found.append(
            f"credit {credit.InvoiceNo} of {amount} exceeds what was invoiced minus what was already "
            f"credited ({_money(counted.invoiced_total)} - {_money(counted.credited_total)} = {_money(left)})"
        )
    return found


def _n(quantity: Decimal) -> str:
    return format(quantity.normalize(), "f")


def _money(amount: Decimal) -> str:
    return format(amount.quantize(Decimal("0.01")), "f")
