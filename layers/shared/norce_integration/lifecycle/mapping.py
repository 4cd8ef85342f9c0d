"""The ERP's own documents (``ErpDocument``, read by the poll) as the Connect messages Norce takes.

A pushing ERP sends Norce's shapes itself; a polled one is read in its own terms and mapped here, so
both reach the same intake, queue and processor. The result is a plain JSON-ready body, not a model: the
intake validates it exactly as it validates a push, and names what is wrong (a fractional quantity, say).
A delivery note names its order by ``OrderNo``; the others carry the ERP's ``externalRef`` as
``ClientOrderRef`` too, which the intake uses to find the order.
"""

from decimal import Decimal
from typing import Any

from norce_integration.erp.model import ErpDocument, ErpDocumentLine
from norce_integration.lifecycle.documents import Kind

ERP_KINDS: dict[str, Kind] = {
    "status": Kind.STATUS,
    "deliveryNote": Kind.DELIVERY_NOTE,
    "invoice": Kind.INVOICE,
    "creditNote": Kind.CREDIT,
}
CREDIT_PART_NO = "CREDIT"  # the one item of a credit the ERP sends as an amount without lines


class UnknownDocumentKind(ValueError):
    pass


def to_norce(document: ErpDocument) -> tuple[Kind, dict[str, Any]]:
    """The Connect method and its body (JSON-ready, nulls left out) for one ERP document."""
    kind = ERP_KINDS.get(document.kind)
    if kind is None:
        raise UnknownDocumentKind(f"document {document.document_no} has an unknown kind {document.kind!r}")
    if kind is Kind.STATUS:
        body: dict[str, Any] = {
            "ClientOrderRef": document.external_ref,
            "ErpOrderNo": document.order_no,
            "OrderStatus": document.status or "",
        }
    elif kind is Kind.DELIVERY_NOTE:
        body = _delivery_note(document)
    else:
        body = _invoice(document, credit=kind is Kind.CREDIT)
    return kind, _json_ready(body)


def _delivery_note(document: ErpDocument) -> dict[str, Any]:
    return {
        "OrderNo": document.order_no,
        "NoteNo": document.document_no,
        "DeliveryDate": document.document_date or document.changed_at,
        "DeliverynoteItems": [
            {"ItemNo": line.part_no, "Qty": _count(line.quantity), "RowNumber": line.line_no}
            for line in document.lines
        ],
        "DeliveryNotePackages": [{"ParcelNumber": document.parcel_number}]
        if document.parcel_number
        else None,
    }


def _invoice(document: ErpDocument, *, credit: bool) -> dict[str, Any]:
    items = [_invoice_item(line) for line in document.lines]
    if credit and not items and document.total_amount is not None:
        amount = document.total_amount - (document.vat or Decimal(0))
        items = [
            {
                "PartNo": CREDIT_PART_NO,
                "Quantity": 1,
                "UnitPrice": _amount(amount),
                "LineAmount": _amount(amount),
            }
        ]
    return {
        "ClientOrderRef": document.external_ref,
        "ErpOrderNo": document.order_no,
        "InvoiceNo": document.document_no,
        "InvoiceDate": document.document_date or document.changed_at,
        "CurrencyCode": document.currency,
        "CreditedInvoiceNo": document.credited_invoice_no if credit else None,
        "Items": items or None,
        "TotalAmount": _amount(document.total_amount),
        "Vat": _amount(document.vat),
    }


def _invoice_item(line: ErpDocumentLine) -> dict[str, Any]:
    amount = line.line_amount
    if amount is None and line.unit_price is not None:
        amount = line.quantity * line.unit_price
    return {
        "PartNo": line.part_no,
        "Quantity": _count(line.quantity),
        "UnitPrice": _amount(line.unit_price),
        "UnitVat": _amount(line.unit_vat),
        "VatRate": _amount(line.vat_rate),
        "LineAmount": _amount(amount),
        "LineNo": line.line_no,
    }


def _count(quantity: Decimal) -> int | float:
    """A quantity as Norce takes it, an integer; a fractional one stays as it is, for the intake to refuse."""
    return (
        int(quantity)
        if quantity.is_finite() and quantity == quantity.to_integral_value()
        else float(quantity)
    )


def _amount(amount: Decimal | None) -> float | None:
    """An amount as a JSON number, as a pushing ERP would send it (``1E+400`` becomes ``inf``, which the
    intake refuses)."""
    return float(amount) if amount is not None else None


def _json_ready(value: Any) -> Any:
    """Nulls left out, a date as ISO 8601 text."""
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_json_ready(item) for item in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
