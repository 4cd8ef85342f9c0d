"""Norce Commerce Query 2.0 (OData): ``GET /commerce/query/2.0/<entity set>``.

Entity sets: ``Customers/Customers`` and ``Customers/Companies`` (what Norce holds, in Query's names:
``CustomerCode`` / ``CompanyCode`` for Code), ``Orders/Orders`` (the placed orders with their Items),
``Orders/DeliveryNotes`` and ``Orders/Invoices`` (credits are invoices with ``IsCredit``), from the documents
Connect took. Needs the ``applicationId`` header; understands ``$filter`` with ``Field eq 'value'`` joined
by ``or`` / ``and``, and ``$top``; answers ``{"value": [...]}``.
"""

import re
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, jsonify, request

from local.norce.connect_orders import decimal, total_of
from local.norce.events import person
from local.norce.state import NorceState

QUERY = "/commerce/query/2.0"
# Query's Orders/Orders StatusId per status (statuses not listed leave the previous one)
STATUS_IDS = {
    "Created": 0,
    "Allocation": 1,
    "Confirmed": 2,
    "Delivered": 4,
    "Invoiced": 5,
    "Cancelled": 6,
    "PartlyDelivered": 8,
}


def register(app: Flask, state: NorceState) -> None:
    @app.get(f"{QUERY}/<path:entity_set>")
    def query(entity_set: str) -> tuple[Response, int]:
        return answer(state, entity_set)


def answer(state: NorceState, entity_set: str) -> tuple[Response, int]:
    """Norce Query 2.0 (OData): ``$filter`` with ``Field eq 'value'`` joined by ``or`` / ``and``,
    ``$top``; answers ``{"value": [...]}`` in Query's PascalCase (CompanyCode, not Code).
    ``Orders/DeliveryNotes`` and ``Orders/Invoices`` (credits too, ``IsCredit``) come from
    ``documents``; ``$select`` is ignored."""
    with state.lock:
        down = state.clock() < state.faults.query_down_until
        if down:
            state.stats["query outage answers"] += 1
    if down:  # the fault queryDownForSeconds: Query is unavailable (no Retry-After, as Query answers)
        return jsonify({"Message": "injected: Norce Query is unavailable"}), 503
    if not request.headers.get("applicationId") and not request.headers.get("application-id"):
        return jsonify({"Message": "applicationId header is required"}), 400
    matches = _odata_filter(request.args.get("$filter", ""))
    top = int(request.args.get("$top", "100"))
    if entity_set in ("Orders/DeliveryNotes", "Orders/Invoices", "Orders/Orders"):
        with state.lock:
            rows = (
                _placed_rows(state) if entity_set == "Orders/Orders" else _lifecycle_rows(state, entity_set)
            )
        return jsonify({"value": [row for row in rows if matches(row)][:top]}), 200
    store = {"Customers/Companies": state.companies, "Customers/Customers": state.customers}.get(entity_set)
    if store is None:
        return jsonify({"Message": f"unknown entity set {entity_set}"}), 404
    with state.lock:
        rows = [_query_row(entity_set, e) for e in store.values()]
    return jsonify({"value": [row for row in rows if matches(row)][:top]}), 200


def _query_row(entity_set: str, entity: dict[str, Any]) -> dict[str, Any]:
    """A held entity in Query's names; ``Updated`` (and every other field) is carried as held."""
    row = {k: v for k, v in entity.items() if k != "Code"}
    row["CompanyCode" if entity_set.endswith("Companies") else "CustomerCode"] = entity.get("Code")
    return row


def _odata_filter(text: str) -> Callable[[dict[str, Any]], bool]:
    """The small part of OData's $filter the integration uses: ``A eq 'x' or B eq 'y'`` (and ``and``)."""
    if not text.strip():
        return lambda row: True
    alternatives = []
    for alternative in re.split(r"\s+or\s+", text):
        terms = []
        for term in re.split(r"\s+and\s+", alternative):
            match = re.fullmatch(r"\s*(\w+)\s+eq\s+(?:'((?:[^']|'')*)'|(\d+))\s*", term)
            if match is None:
                raise ValueError(f"unsupported $filter term {term!r}")
            name, text_value, number = match.groups()
            terms.append((name, text_value.replace("''", "'") if text_value is not None else int(number)))
        alternatives.append(terms)
    return lambda row: any(all(row.get(n) == v for n, v in terms) for terms in alternatives)


# -- Orders/Orders: the placed orders
def _placed_rows(state: NorceState) -> list[dict[str, Any]]:
    """Under the lock: Query's Orders/Orders, one row per placed order."""
    return [_placed_row(state, ref, placed) for ref, placed in state.placed.items()]


def _placed_row(state: NorceState, ref: str, placed: dict[str, Any]) -> dict[str, Any]:
    order = placed["OrderRequest"]
    buyer = person(order)
    items = [_order_item_row(item) for item in order.get("Items") or [] if isinstance(item, dict)]
    amounts = [item["LineAmount"] for item in items]
    return {
        "Id": placed["OrderId"],
        "QuotationId": int(ref) if ref.isascii() and ref.isdigit() else None,  # the basket id
        "OrderNo": state.erp_order_no(ref),
        "ClientOrderRef": ref,
        "BuyerCompanyId": placed.get("BuyerCompanyId"),
        "BuyerCustomerId": placed.get("BuyerCustomerId"),
        "CultureCode": order.get("CultureCode"),
        "CurrencyCode": order.get("CurrencyCode"),
        "EmailAddress": buyer.get("Email"),
        "FirstName": buyer.get("FirstName"),
        "LastName": buyer.get("LastName"),
        "StatusId": _status_id(state, ref),
        "DeliveryMode": _delivery_mode(order),
        "DeliveryAddress": _delivery_address(order),
        "TotalAmount": round(sum(amounts), 2) if amounts and None not in amounts else None,
        "Items": items,
    }


def _status_id(state: NorceState, ref: str) -> int:
    """Query's StatusId: of the last status that has one, 0 (Created) before any."""
    ids = [STATUS_IDS[s["OrderStatus"]] for s in state.orders.get(ref, []) if s["OrderStatus"] in STATUS_IDS]
    return ids[-1] if ids else 0


def _delivery_mode(order: dict[str, Any]) -> str | None:
    """Best effort: the OrderRequest's ShippingAdvice.DeliveryMethodCode, or ShippingInfo.DeliveryMethod."""
    for section, name in (("ShippingAdvice", "DeliveryMethodCode"), ("ShippingInfo", "DeliveryMethod")):
        value = (order.get(section) or {}).get(name)
        if value not in (None, ""):
            return str(value)
    return None


def _delivery_address(order: dict[str, Any]) -> dict[str, Any] | None:
    """ShipTo's Person address in Query's names, else the buyer's."""
    ship_to = (order.get("ShipTo") or {}).get("Person")
    address = (ship_to if isinstance(ship_to, dict) else person(order)).get("Address")
    if not isinstance(address, dict):
        return None
    return {
        name: address.get(name)
        for name in ("Line1", "Line2", "CareOf", "ZipCode", "City", "Region", "Country")
    }


def _order_item_row(item: dict[str, Any]) -> dict[str, Any]:
    """An OrderRequest item as a Query order row item; LineAmount incl. VAT, None when not computable."""
    quantity = decimal(item.get("Quantity"))
    price = decimal(item.get("UnitPrice"))
    vat = decimal(item.get("UnitVat"))
    rate = decimal(item.get("VatRate"))
    if vat is None and price is not None and rate is not None:
        vat = price * rate / 100
    amount = None
    if quantity is not None and price is not None:
        amount = float(round(quantity * (price + (vat or 0)), 2))
    return {
        "PartNo": item.get("PartNo") or item.get("ErpPartNo"),
        "Name": item.get("Name") or item.get("Description"),
        "Quantity": float(quantity) if quantity is not None else None,
        "LineAmount": amount,
    }


# -- Orders/DeliveryNotes and Orders/Invoices: the documents Connect took
def _lifecycle_rows(state: NorceState, entity_set: str) -> list[dict[str, Any]]:
    """Under the lock: the delivery notes, or the invoices and credits, one row each."""
    rows: list[dict[str, Any]] = []
    for ref, documents in state.documents.items():
        if entity_set == "Orders/DeliveryNotes":
            for note in documents["DeliveryNotes"]:
                rows.append(
                    {
                        "Id": len(rows) + 1,
                        "NoteNo": note.get("NoteNo"),
                        "ClientOrderRef": ref,
                        "OrderNo": note.get("OrderNo") or state.erp_order_no(ref),
                    }
                )
            continue
        for kind, is_credit in (("Invoices", False), ("Credits", True)):
            for invoice in documents[kind]:
                rows.append(
                    {
                        "Id": len(rows) + 1,
                        "InvoiceNo": invoice.get("InvoiceNo"),
                        "ClientOrderRef": ref,
                        "ErpOrderNo": invoice.get("ErpOrderNo") or state.erp_order_no(ref),
                        "TotalAmount": float(total_of(invoice)),
                        "CreditedInvoiceNo": invoice.get("CreditedInvoiceNo"),
                        "IsCredit": is_credit,
                    }
                )
    return rows
