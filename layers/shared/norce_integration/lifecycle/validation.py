"""What a lifecycle document must carry before we accept it (HTTP 400 naming every problem otherwise), and
the same again in the processor before anything is sent: what passes the door can be sent.

Norce checks much of it on its side; refusing here means the ERP hears about a broken document at once,
not after it was queued, and nothing that can never be sent is queued. Two steps:
- ``problems``: the document as the ERP sent it (fields, lengths, characters, amounts, quantities);
- ``sendable_problems``: what Norce's request needs once the order's references are filled in
  (ClientOrderRef an int32 basket id for an invoice or credit, ErpOrderNo, a delivery note's OrderNo).
"""

from collections.abc import Iterator
from decimal import Decimal

from norce_integration.contracts.base import NorceModel
from norce_integration.contracts.connect import INT32_MAX, OrderStatusUpdate
from norce_integration.contracts.lifecycle import DeliveryNote, Invoice, InvoicePayment
from norce_integration.lifecycle.documents import Kind

CURRENT_STATUSES = (
    "Created",
    "Allocation",
    "Confirmed",
    "BackOrder",
    "Delivered",
    "Invoiced",
    "Cancelled",
    "CreditControl",
    "PartlyDelivered",
    "Acknowledged",
)
"""SendOrderStatus's OrderStatus enum in Norce's current schema (C/orderservice/openapi/schemas/
sendorderstatusrequest). Accepted by default."""

LEGACY_STATUSES = (
    "ErpConfirmed",
    "ReadyForPickup",
    "PickedUp",
    "NotPickedUp",
    "OnHold",
    "WaitingForCancel",
    "WaitingForOnHoldRemoved",
    "CancelError",
    "AcknowledgementError",
    "ReadyForReservation",
    "Reserved",
)
"""Listed only on Norce's older SendOrderStatus page: unconfirmed. Accepted only when configured
(``ExtraOrderStatuses`` / ``EXTRA_ORDER_STATUSES``)."""

MAX_KEY_LENGTH = 50  # NoteNo, InvoiceNo, CreditedInvoiceNo, OrderNo, ErpOrderNo, ClientOrderRef
MAX_AMOUNT = Decimal(10) ** 10  # no line or invoice of this integration is near ten billion
MAX_AMOUNT_PLACES = 6
MAX_SIGNIFICANT_DIGITS = 15  # what a JSON number (a double) carries exactly to Norce
MAX_QUANTITY = 1_000_000
PACKAGE_STATUSES = frozenset({4, 6, 11, 12, 20})  # Delivered, Canceled, Ready for pickup, Picked up, Reserved
ADDRESS_LENGTHS = {
    "Box": 100,
    "CareOf": 100,
    "Line1": 100,
    "Line2": 100,
    "City": 50,
    "Region": 50,
    "ZipCode": 50,
    "Country": 2,
}


def statuses_accepted(extra: frozenset[str] = frozenset()) -> frozenset[str]:
    """The current schema's statuses, and those of ``extra`` that Norce's older page lists."""
    return frozenset(CURRENT_STATUSES) | (extra & frozenset(LEGACY_STATUSES))


def problems(kind: Kind, document: NorceModel, statuses: frozenset[str]) -> list[str]:
    if isinstance(document, OrderStatusUpdate):
        return _status_problems(document, statuses)
    if isinstance(document, DeliveryNote):
        return _delivery_note_problems(document)
    if isinstance(document, Invoice):
        return _invoice_problems(document, credit=kind is Kind.CREDIT)
    return [f"unsupported document {type(document).__name__}"]


def sendable_problems(document: NorceModel) -> list[str]:
    """What Norce's request requires that the order's references fill in (checked after the filling)."""
    found: list[str] = []
    if isinstance(document, OrderStatusUpdate):
        if document.ClientOrderRef is None and not document.ErpOrderNo:
            found.append("ClientOrderRef or ErpOrderNo is required")
        found += _int32("ClientOrderRef", document.ClientOrderRef)
    elif isinstance(document, DeliveryNote):
        if not document.OrderNo:
            found.append(
                "OrderNo (the ERP order number) is required: Norce finds a delivery note's order by it"
            )
    elif isinstance(document, Invoice):
        if document.ClientOrderRef is None:
            found.append(
                "ClientOrderRef is required: CreateInvoice and CreditPayment need the order's basket id"
            )
        found += _int32("ClientOrderRef", document.ClientOrderRef)
        if not document.ErpOrderNo:
            found.append("ErpOrderNo is required")
    return found


def key_problem(name: str, value: str | None) -> str | None:
    """A document number or order reference: at most 50 characters (Norce's length), no control
    character, no space at either end."""
    if value is None:
        return None
    if len(value) > MAX_KEY_LENGTH:
        return f"{name} is {len(value)} characters long: Norce takes at most {MAX_KEY_LENGTH}"
    if any(ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F for char in value):
        return f"{name} must not hold control characters (tab, line feed, ...)"
    if value != value.strip():
        return f"{name} must not start or end with a space"
    return None


def _keys(*named: tuple[str, str | None]) -> list[str]:
    return [problem for name, value in named if (problem := key_problem(name, value))]


def _int32(name: str, value: int | None) -> list[str]:
    if value is not None and not -INT32_MAX - 1 <= value <= INT32_MAX:
        return [f"{name} {value} is not an int32, which Norce requires"]
    return []


def _status_problems(status: OrderStatusUpdate, statuses: frozenset[str]) -> list[str]:
    found = _keys(("ErpOrderNo", status.ErpOrderNo))
    if status.OrderStatus not in statuses:
        shown = status.OrderStatus[:60]
        if status.OrderStatus in LEGACY_STATUSES:
            found.append(
                f"OrderStatus {shown!r} is only on Norce's older SendOrderStatus page (unconfirmed); "
                "it is accepted when listed in ExtraOrderStatuses"
            )
        else:
            found.append(f"OrderStatus {shown!r} is not a Norce order status ({', '.join(sorted(statuses))})")
    if status.Infos:
        found.append("Infos cannot be sent: Norce does not publish the fields of an OrderInfo")
    found += _int32("AccountId", status.AccountId)
    return found


def _delivery_note_problems(note: DeliveryNote) -> list[str]:
    found = _keys(("NoteNo", note.NoteNo), ("OrderNo", note.OrderNo))
    if not note.NoteNo:
        found.append("NoteNo is required")
    if not note.DeliverynoteItems:
        found.append("DeliverynoteItems must name at least one item")
    for index, item in enumerate(note.DeliverynoteItems or []):
        where = f"DeliverynoteItems[{index}]"
        if not item.ItemNo:
            found.append(f"{where}.ItemNo is required")
        found += _quantity(f"{where}.Qty", item.Qty, minimum=1) + _int32(f"{where}.RowNumber", item.RowNumber)
        if item.Id is not None:
            found.append(f"{where}.Id must be null (Norce: always null, deprecated)")
    for index, package in enumerate(note.DeliveryNotePackages or []):
        where = f"DeliveryNotePackages[{index}]"
        if package.StatusId is not None and package.StatusId not in PACKAGE_STATUSES:
            found.append(f"{where}.StatusId must be one of 4, 6, 11, 12, 20 (Norce's parcel statuses)")
        if package.Id is not None:
            found.append(f"{where}.Id must be null (Norce: always null, deprecated)")
    address = note.DeliveryAddress
    if address is not None:
        for name, limit in ADDRESS_LENGTHS.items():
            value = getattr(address, name)
            if value is not None and len(value) > limit:
                found.append(
                    f"DeliveryAddress.{name} is {len(value)} characters long: Norce takes at most {limit}"
                )
        if address.Type is not None:
            found.append("DeliveryAddress.Type must be null (Norce: always null, deprecated)")
    return found


def _invoice_problems(invoice: Invoice, *, credit: bool) -> list[str]:
    found = _keys(
        ("InvoiceNo", invoice.InvoiceNo),
        ("CreditedInvoiceNo", invoice.CreditedInvoiceNo),
        ("ErpOrderNo", invoice.ErpOrderNo),
    )
    for name in ("InvoiceNo", "CurrencyCode", "InvoiceDate"):
        if getattr(invoice, name) in (None, ""):
            found.append(f"{name} is required")
    code = invoice.CurrencyCode
    if code and not (len(code) == 3 and code.isascii() and code.isalpha() and code.isupper()):
        found.append("CurrencyCode must be an ISO 4217 code: three capital letters")
    if credit and not invoice.CreditedInvoiceNo:
        found.append("CreditedInvoiceNo is required for a credit payment")
    if not invoice.Items and not invoice.SuppressPspCall:
        found.append("Items are required (the payment provider needs them), unless SuppressPspCall is true")
    for index, item in enumerate(invoice.Items or []):
        where = f"Items[{index}]"
        if not item.PartNo:
            found.append(f"{where}.PartNo is required")
        if item.UnitPrice is None:
            found.append(f"{where}.UnitPrice is required")
        found += _quantity(f"{where}.Quantity", item.Quantity, minimum=0) + _int32(
            f"{where}.LineNo", item.LineNo
        )
    found += [
        problem for where, amount, signed in _amounts(invoice) if (problem := _amount(where, amount, signed))
    ]
    found += _payment_problems(invoice.Payment)
    if invoice.TotalAmount is not None and invoice.Items and not found:
        lines = sum((item.LineAmount or Decimal(0) for item in invoice.Items), Decimal(0))
        expected = lines + (invoice.Vat or Decimal(0)) + (invoice.InvoiceRoundOff or Decimal(0))
        if abs(expected - invoice.TotalAmount) > Decimal("0.01"):
            found.append(f"TotalAmount {invoice.TotalAmount} is not Items[].LineAmount plus Vat ({expected})")
    return found


def _payment_problems(payment: InvoicePayment | None) -> list[str]:
    if payment is None:
        return []
    found = []
    if payment.PaymentCode is None and not payment.PaymentRef:
        found.append("Payment needs a PaymentCode or a PaymentRef")
    found += _int32("Payment.PaymentCode", payment.PaymentCode)
    return found


def _quantity(where: str, value: int | None, *, minimum: int) -> list[str]:
    if value is None:
        return [f"{where} is required"]
    if value < minimum:
        return [f"{where} must be greater than 0" if minimum else f"{where} must not be negative"]
    if value > MAX_QUANTITY:
        return [f"{where} {value} is above {MAX_QUANTITY:,}: not a quantity this integration sends"]
    return []


def _amounts(invoice: Invoice) -> Iterator[tuple[str, Decimal | None, bool]]:
    """Every amount of an invoice: (where, value, may be negative)."""
    yield "TotalAmount", invoice.TotalAmount, False
    yield "Vat", invoice.Vat, False
    yield "InvoiceRoundOff", invoice.InvoiceRoundOff, True
    yield "VatRoundOff", invoice.VatRoundOff, True
    for index, item in enumerate(invoice.Items or []):
        for name in ("UnitPrice", "LineAmount", "UnitVat", "SalePrice", "Discount", "VatRate"):
            yield f"Items[{index}].{name}", getattr(item, name), False
    if invoice.Payment is not None:
        yield "Payment.Amount", invoice.Payment.Amount, False


def _amount(where: str, value: Decimal | None, signed: bool) -> str | None:
    if value is None:
        return None
    if not value.is_finite():
        return f"{where} is not a finite number"
    if abs(value) > MAX_AMOUNT:
        return f"{where} is beyond {MAX_AMOUNT:,} in size: not an amount this integration sends"
    if value < 0 and not signed:
        return f"{where} must not be negative ({value})"
    exponent = value.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if places > MAX_AMOUNT_PLACES:
        return f"{where} has {places} decimal places: at most {MAX_AMOUNT_PLACES}"
    if len(value.normalize().as_tuple().digits) > MAX_SIGNIFICANT_DIGITS:
        return f"{where} has more than {MAX_SIGNIFICANT_DIGITS} significant digits"
    if where.endswith("VatRate") and value > 100:
        return f"{where} {value} is above 100 %"
    return None
