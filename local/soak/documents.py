"""An ERP that pushes: its documents (the ERP simulator's, camelCase) as the Connect messages it posts to
``POST /erp/{method}`` (docs/erp-push-openapi.yaml, the shapes of events/payloads/erp-*.json). Written from
that contract, not with the integration's own mapping, so the soak pushes what an outside ERP would."""

from typing import Any

METHODS = {
    "status": "SendOrderStatus",
    "deliveryNote": "CreateDeliveryNote",
    "invoice": "CreateInvoice",
    "creditNote": "CreditPayment",
}


def _ref(external_ref: str) -> int | str:
    """Norce's ClientOrderRef: a number when it is one."""
    return int(external_ref) if external_ref.isdigit() else external_ref


def connect_message(document: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The Connect method and body for one ERP document."""
    kind, ref = document["kind"], _ref(document["externalRef"])
    if kind == "status":
        return METHODS[kind], {"ClientOrderRef": ref, "OrderStatus": document["status"]}
    if kind == "deliveryNote":
        body: dict[str, Any] = {
            "ClientOrderRef": ref,
            "NoteNo": document["documentNo"],
            "DeliveryDate": document["documentDate"],
            "DeliverynoteItems": [
                {"RowNumber": line["lineNo"], "ItemNo": line["partNo"], "Qty": line["quantity"]}
                for line in document["lines"]
            ],
        }
        if document.get("parcelNumber"):
            body["DeliveryNotePackages"] = [{"ParcelNumber": document["parcelNumber"]}]
        return METHODS[kind], body
    body = {
        "ClientOrderRef": ref,
        "InvoiceNo": document["documentNo"],
        "InvoiceDate": document["documentDate"],
        "CurrencyCode": document["currency"],
        "Items": [_item(line) for line in document["lines"]],
        "Vat": document["vat"],
        "TotalAmount": document["totalAmount"],
    }
    if kind == "creditNote":
        body["CreditedInvoiceNo"] = document["creditedInvoiceNo"]
    return METHODS[kind], body


def _item(line: dict[str, Any]) -> dict[str, Any]:
    item = {
        "PartNo": line["partNo"],
        "Quantity": line["quantity"],
        "UnitPrice": line["unitPrice"],
        "UnitVat": line["unitVat"],
        "VatRate": line.get("vatRate"),
        "LineAmount": line["lineAmount"],
    }
    if line.get("lineNo") is not None:
        item["LineNo"] = line["lineNo"]
    return {name: value for name, value in item.items() if value is not None}
