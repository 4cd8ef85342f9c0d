"""Business Central's posted documents as the lifecycle's ``ErpDocument``: read by the poll (what changed
since its watermark, oldest first) and by the webhook (what a notification names).

- ``salesShipments`` with ``salesShipmentLines`` -> ``deliveryNote``: the lines of type Item with a quantity,
  ``RowNumber`` = ``sequence`` / 10,000 (the order line's Norce LineNo). Business Central's standard shipment
  has no parcel or tracking number (``Package Tracking No.`` is on the table, not on the API page), so the
  delivery note goes to Norce without ``DeliveryNotePackages``.
- ``salesInvoices`` posted (``status`` Open, Paid, Canceled or Corrective; Draft and In Review are not posted)
  -> ``invoice``; ``salesCreditMemos`` posted likewise -> ``creditNote``, crediting ``invoiceNumber``, of the
  order that invoice was posted from. A line's ``line_amount`` is its ``netAmount`` (after line and invoice
  discounts, excluding VAT), so the lines plus ``totalTaxAmount`` make ``totalAmountIncludingTax``.
- The order: ``orderNumber`` (the sales order's number, our ErpOrderNo) and, when BC kept our reference as
  it is, ``externalDocumentNumber`` as the ClientOrderRef.
Sources: APIV2SalesShipments/-Lines, APIV2SalesInvoices/-Lines, APIV2SalesCreditMemos/-Lines (BCApps).
"""

import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from norce_integration.adapters.http.business_central.api import BcApi, with_query
from norce_integration.adapters.http.business_central.mapping import LINE, as_date
from norce_integration.adapters.http.business_central.references import client_order_ref, literal
from norce_integration.erp.model import ErpDocument, ErpDocumentLine

POSTED = ("Open", "Paid", "Canceled", "Corrective")
LINES = {
    "salesShipments": "salesShipmentLines",
    "salesInvoices": "salesInvoiceLines",
    "salesCreditMemos": "salesCreditMemoLines",
}
_UNPOSTED = "status ne 'Draft' and status ne 'In Review'"


def odata_datetime(moment: datetime) -> str:
    """A ``DateTimeOffset`` literal in UTC, milliseconds (Business Central's precision)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value if value is not None else 0))


def _changed_at(entity: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(entity["lastModifiedDateTime"]).replace("Z", "+00:00"))


def _line_no(sequence: Any) -> int | None:
    number = int(sequence or 0)
    return number // LINE if number and number % LINE == 0 else None


def shipment_document(entity: dict[str, Any]) -> ErpDocument:
    lines = [
        ErpDocumentLine(
            line_no=_line_no(line.get("sequence")),
            part_no=line.get("lineObjectNumber"),
            quantity=_decimal(line.get("quantity")),
        )
        for line in entity.get("salesShipmentLines") or []
        if line.get("lineType") == "Item" and _decimal(line.get("quantity")) > 0
    ]
    return ErpDocument(
        document_no=entity["number"],
        kind="deliveryNote",
        order_no=entity.get("orderNumber") or None,
        external_ref=client_order_ref(entity.get("externalDocumentNumber")),
        currency=entity.get("currencyCode") or None,
        changed_at=_changed_at(entity),
        document_date=as_date(entity.get("postingDate")),
        lines=lines,
    )


def _money_lines(entity: dict[str, Any], lines_set: str) -> list[ErpDocumentLine]:
    found = []
    for line in entity.get(lines_set) or []:
        quantity = _decimal(line.get("quantity"))
        if line.get("lineType") == "Comment" or quantity <= 0:
            continue
        net, tax = _decimal(line.get("netAmount")), _decimal(line.get("netTaxAmount"))
        found.append(
            ErpDocumentLine(
                line_no=_line_no(line.get("sequence")),
                part_no=line.get("lineObjectNumber"),
                quantity=quantity,
                unit_price=_decimal(line.get("unitPrice")),
                unit_vat=(tax / quantity).quantize(Decimal("0.00001")),
                vat_rate=_decimal(line.get("taxPercent")),
                line_amount=net,
            )
        )
    return found


def money_document(entity: dict[str, Any], kind: str, order_no: str | None) -> ErpDocument | None:
    """A posted invoice (``invoice``) or credit memo (``creditNote``); ``None`` while it is not posted."""
    if entity.get("status") not in POSTED:
        return None
    credit = kind == "creditNote"
    return ErpDocument(
        document_no=entity["number"],
        kind=kind,
        order_no=order_no,
        external_ref=client_order_ref(entity.get("externalDocumentNumber")),
        currency=entity.get("currencyCode") or None,
        changed_at=_changed_at(entity),
        document_date=as_date(entity.get("creditMemoDate" if credit else "invoiceDate")),
        lines=_money_lines(entity, "salesCreditMemoLines" if credit else "salesInvoiceLines"),
        total_amount=_decimal(entity.get("totalAmountIncludingTax")),
        vat=_decimal(entity.get("totalTaxAmount")),
        credited_invoice_no=(entity.get("invoiceNumber") or None) if credit else None,
    )


@dataclass
class BcDocuments:
    api: BcApi
    _invoice_orders: dict[str, str | None] = field(default_factory=dict)  # invoice number -> order number

    def changed(self, since: datetime | None) -> Iterator[ErpDocument]:
        """Shipments, posted invoices and posted credit memos changed since ``since``, oldest first: three
        ordered collections, their first pages in one ``$batch``, the rest page by page, merged."""
        sets = list(LINES)
        firsts = self.api.batch_get(
            [with_query(s, self._changed_query(s, since)) for s in sets], self.api.prefer
        )
        streams = [self._documents(entity_set, first) for entity_set, first in zip(sets, firsts, strict=True)]
        yield from heapq.merge(*streams, key=lambda document: document.changed_at)

    @staticmethod
    def _changed_query(entity_set: str, since: datetime | None) -> dict[str, Any]:
        clauses = [f"lastModifiedDateTime ge {odata_datetime(since)}"] if since else []
        if entity_set != "salesShipments":
            clauses.append(_UNPOSTED)
        params: dict[str, Any] = {"$orderby": "lastModifiedDateTime", "$expand": LINES[entity_set]}
        if clauses:
            params["$filter"] = " and ".join(clauses)
        return params

    def _documents(self, entity_set: str, first: dict[str, Any] | None) -> Iterator[ErpDocument]:
        for entity in self.api.follow(first):
            document = self.document(entity_set, entity)
            if document is not None:
                yield document

    def changed_in(self, entity_set: str, since: datetime) -> Iterator[ErpDocument]:
        """One collection's documents changed since ``since`` (a ``collection`` notification)."""
        first = self.api.get(entity_set, **self._changed_query(entity_set, since))
        yield from self._documents(entity_set, first)

    def document(self, entity_set: str, entity: dict[str, Any]) -> ErpDocument | None:
        """One entity of ``entity_set`` (read with its lines) as a document, when it is one."""
        if entity_set == "salesShipments":
            return shipment_document(entity)
        if entity_set == "salesInvoices":
            return money_document(entity, "invoice", entity.get("orderNumber") or None)
        if entity_set == "salesCreditMemos":
            invoice = entity.get("invoiceNumber") or None
            return money_document(entity, "creditNote", self.order_of_invoice(invoice) if invoice else None)
        return None

    def order_of_invoice(self, invoice_number: str) -> str | None:
        """The sales order a posted invoice came from (a credit memo names only its invoice)."""
        if invoice_number not in self._invoice_orders:
            found = self.api.get(
                "salesInvoices",
                **{"$filter": f"number eq {literal(invoice_number)}", "$select": "number,orderNumber"},
            ).get("value") or [{}]
            self._invoice_orders[invoice_number] = found[0].get("orderNumber") or None
        return self._invoice_orders[invoice_number]

    def shipments_of(self, order_numbers: list[str]) -> Iterator[ErpDocument]:
        """The posted shipments of these sales orders (a notification names the order, not its shipment)."""
        for number in dict.fromkeys(order_numbers):
            params = {"$filter": f"orderNumber eq {literal(number)}", "$expand": "salesShipmentLines"}
            for entity in self.api.pages("salesShipments", **params):
                yield shipment_document(entity)
