"""What a lifecycle document must carry before we accept it (HTTP 400 naming every problem otherwise).

Norce checks the same on its side; refusing here means the ERP hears about a broken document at once,
not after it was queued, and nothing broken is ever queued.
"""

from decimal import Decimal

from norce_integration.contracts.base import NorceModel
from norce_integration.contracts.connect import OrderStatusUpdate
from norce_integration.contracts.lifecycle import DeliveryNote, Invoice
from norce_integration.lifecycle.documents import Kind

KNOWN_STATUSES = frozenset(
    (
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
)
"""Norce's OrderStatus values (Connect reference)."""


def problems(kind: Kind, document: NorceModel) -> list[str]:
    if isinstance(document, OrderStatusUpdate):
        return _status_problems(document)
    if isinstance(document, DeliveryNote):
        return _delivery_note_problems(document)
    if isinstance(document, Invoice):
        return _invoice_problems(document, credit=kind is Kind.CREDIT)
    return [f"unsupported document {type(document).__name__}"]


def _order_reference(client_order_ref: object, erp_order_no: str | None, erp_name: str) -> list[str]:
    if client_order_ref in (None, "") and not erp_order_no:
        return [f"ClientOrderRef or {erp_name} is required"]
    return []


def _status_problems(status: OrderStatusUpdate) -> list[str]:
    found = _order_reference(status.ClientOrderRef, status.ErpOrderNo, "ErpOrderNo")
    if status.OrderStatus not in KNOWN_STATUSES:
        found.append(f"OrderStatus {status.OrderStatus!r} is not a Norce order status")
    return found


def _delivery_note_problems(note: DeliveryNote) -> list[str]:
    found = _order_reference(note.ClientOrderRef, note.OrderNo, "OrderNo")
    if not note.NoteNo:
        found.append("NoteNo is required")
    if not note.DeliverynoteItems:
        found.append("DeliverynoteItems must name at least one item")
    for index, item in enumerate(note.DeliverynoteItems or []):
        where = f"DeliverynoteItems[{index}]"
        if not item.ItemNo:
            found.append(f"{where}.ItemNo is required")
        if item.Qty is None:
            found.append(f"{where}.Qty is required")
        elif item.Qty <= 0:
            found.append(f"{where}.Qty must be greater than 0")
    return found


def _invoice_problems(invoice: Invoice, *, credit: bool) -> list[str]:
    found = _order_reference(invoice.ClientOrderRef, invoice.ErpOrderNo, "ErpOrderNo")
    for name in ("InvoiceNo", "CurrencyCode", "InvoiceDate"):
        if getattr(invoice, name) in (None, ""):
            found.append(f"{name} is required")
    if credit and not invoice.CreditedInvoiceNo:
        found.append("CreditedInvoiceNo is required for a credit payment")
    if not invoice.Items and not invoice.SuppressPspCall:
        found.append("Items are required (the payment provider needs them), unless SuppressPspCall is true")
    for index, item in enumerate(invoice.Items or []):
        if item.Quantity is not None and item.Quantity < 0:
            found.append(f"Items[{index}].Quantity must not be negative")
    if invoice.TotalAmount is not None and invoice.TotalAmount < 0:
        found.append("TotalAmount must not be negative")
    if invoice.TotalAmount is not None and invoice.Items:
        lines = sum((item.LineAmount or Decimal(0) for item in invoice.Items), Decimal(0))
        expected = lines + (invoice.Vat or Decimal(0)) + (invoice.InvoiceRoundOff or Decimal(0))
        if abs(expected - invoice.TotalAmount) > Decimal("0.01"):
            found.append(f"TotalAmount {invoice.TotalAmount} is not Items[].LineAmount plus Vat ({expected})")
    return found
