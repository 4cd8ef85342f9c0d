"""The ERP's own documents (``ErpDocument``, read by the poll) as the Connect messages Norce takes.

A pushing ERP sends Norce's shapes itself; a polled one is read in its own terms and mapped here, so
both reach the same intake, queue and processor.
"""

from decimal import Decimal
from typing import Any

from norce_integration.contracts.connect import OrderStatusUpdate
from norce_integration.contracts.lifecycle import (
    DeliveryNote,
    DeliveryNoteItem,
    DeliveryNotePackage,
    Invoice,
    InvoiceItem,
)
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
    ref = OrderStatusUpdate.ref(document.external_ref) if document.external_ref else None
    body: OrderStatusUpdate | DeliveryNote | Invoice
    if kind is Kind.STATUS:
        body = OrderStatusUpdate(
            ClientOrderRef=ref, ErpOrderNo=document.order_no, OrderStatus=document.status or ""
        )
    elif kind is Kind.DELIVERY_NOTE:
        body = _delivery_note(document, ref)
    else:
        body = _invoice(document, ref, credit=kind is Kind.CREDIT)
    return kind, body.model_dump(mode="json", exclude_none=True)


def _delivery_note(document: ErpDocument, ref: int | str | None) -> DeliveryNote:
    return DeliveryNote(
        ClientOrderRef=ref,
        OrderNo=document.order_no,
        NoteNo=document.document_no,
        DeliveryDate=document.document_date or document.changed_at,
        DeliverynoteItems=[
            DeliveryNoteItem(ItemNo=line.part_no, Qty=line.quantity, RowNumber=line.line_no)
            for line in document.lines
        ],
        DeliveryNotePackages=[DeliveryNotePackage(ParcelNumber=document.parcel_number)]
        if document.parcel_number
        else None,
    )


def _invoice(document: ErpDocument, ref: int | str | None, *, credit: bool) -> Invoice:
    items = [_invoice_item(line) for line in document.lines]
    if credit and not items and document.total_amount is not None:
        amount = document.total_amount - (document.vat or Decimal(0))
        items = [InvoiceItem(PartNo=CREDIT_PART_NO, Quantity=Decimal(1), UnitPrice=amount, LineAmount=amount)]
    return Invoice(
        ClientOrderRef=ref,
        ErpOrderNo=document.order_no,
        InvoiceNo=document.document_no,
        InvoiceDate=document.document_date or document.changed_at,
        CurrencyCode=document.currency,
        CreditedInvoiceNo=document.credited_invoice_no if credit else None,
        Items=items or None,
        TotalAmount=document.total_amount,
        Vat=document.vat,
    )


def _invoice_item(line: ErpDocumentLine) -> InvoiceItem:
    amount = line.line_amount
    if amount is None and line.unit_price is not None:
        amount = line.quantity * line.unit_price
    return InvoiceItem(
        PartNo=line.part_no,
        Quantity=line.quantity,
        UnitPrice=line.unit_price,
        UnitVat=line.unit_vat,
        VatRate=line.vat_rate,
        LineAmount=amount,
        LineNo=line.line_no,
    )
