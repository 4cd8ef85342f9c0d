"""Posting in the Business Central simulator, as a warehouse and an accountant would in BC's client.

``ship`` posts a shipment of an order (all that is left, or the given quantities by line ``sequence``),
``invoice`` posts an invoice of what was shipped and not invoiced, ``credit`` posts a credit memo of an
invoice (its lines, or an amount including VAT on G/L account 3990). Each updates the order's lines
(``shippedQuantity``, ``invoicedQuantity``), which notifies the order's subscribers; an order fully shipped
and invoiced is deleted, as Business Central deletes it after posting. "There is nothing to post." when
nothing is left, as BC says it.
"""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from local.business_central.schema import ENTITIES
from local.business_central.state import VAT, BcState, BusinessError, dec, guid, money

_SHIPMENT_LINE_TYPE = {"Item": "Item", "Account": "G/L Account", "Comment": " "}
_COPIED = (
    "externalDocumentNumber", "customerId", "customerNumber", "customerName", "billToCustomerId",
    "billToName", "billToCustomerNumber", "currencyCode", "pricesIncludeTax", "phoneNumber", "email",
)  # fmt: skip


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def _copy(target: str, source: dict[str, Any]) -> dict[str, Any]:
    fields = ENTITIES[target].by_name
    copied = {name: value for name, value in source.items() if name in fields and name in _COPIED}
    copied |= {
        name: value for name, value in source.items() if name.startswith(("sellTo", "billTo", "shipTo"))
    }
    return {name: value for name, value in copied.items() if name in fields}


def _chosen(lines: list[dict[str, Any]], left: str, wanted: dict[int, Any] | None) -> dict[str, Decimal]:
    """Line id -> quantity: what is left of each line, or the quantities asked for by ``sequence``."""
    chosen = {}
    for line in lines:
        if line.get("lineType") == "Comment":
            continue
        available = dec(line.get("quantity")) - dec(line.get(left))
        asked = dec(wanted[line["sequence"]]) if wanted and line["sequence"] in wanted else None
        quantity = available if wanted is None else (asked or Decimal(0))
        if quantity > available:
            raise BusinessError(f"You cannot post more than {available} units on line {line['sequence']}.")
        if quantity > 0:
            chosen[line["id"]] = quantity
    if not chosen:
        raise BusinessError("There is nothing to post.")
    return chosen


def ship(state: BcState, order_number: str, quantities: dict[int, Any] | None = None) -> dict[str, Any]:
    with state.lock:
        order = state.order_by_number(order_number)
        chosen = _chosen(order["_lines"], "shippedQuantity", quantities)
        shipment = state.blank(ENTITIES["salesShipments"]) | _copy("salesShipments", order)
        shipment |= {
            "id": guid(),
            "number": f"S-SHPT{next(state.counters['shipment'])}",
            "orderNumber": order["number"],
            "invoiceDate": _today(),
            "postingDate": _today(),
            "dueDate": _today(),
        }
        shipment["_lines"] = []
        for line in order["_lines"]:
            if line["id"] not in chosen:
                continue
            line["shippedQuantity"] = float(dec(line["shippedQuantity"]) + chosen[line["id"]])
            line["shipQuantity"] = float(dec(line["quantity"]) - dec(line["shippedQuantity"]))
            shipment["_lines"].append(
                state.blank(ENTITIES["salesShipmentLines"])
                | {
                    "id": guid(),
                    "documentId": shipment["id"],
                    "documentNo": shipment["number"],
                    "sequence": line["sequence"],
                    "lineType": _SHIPMENT_LINE_TYPE[line["lineType"]],
                    "lineObjectNumber": line["lineObjectNumber"],
                    "description": line["description"],
                    "unitOfMeasureCode": line["unitOfMeasureCode"],
                    "unitPrice": line["unitPrice"],
                    "quantity": float(chosen[line["id"]]),
                    "taxPercent": line["taxPercent"],
                    "shipmentDate": _today(),
                }
            )
        order["fullyShipped"] = all(
            dec(line["shippedQuantity"]) >= dec(line["quantity"]) for line in order["_lines"]
        )
        state.rows["salesShipments"][shipment["id"]] = shipment
        state.touch("salesShipments", shipment, "created")
        _after_posting(state, order)
        return shipment


def _money_document(state: BcState, entity_set: str, source: dict[str, Any], number: str) -> dict[str, Any]:
    document = state.blank(ENTITIES[entity_set]) | _copy(entity_set, source)
    document |= {
        "id": guid(),
        "number": number,
        "postingDate": _today(),
        "dueDate": _today(),
        "status": "Open",
    }
    document["_lines"] = []
    return document


def _money_line(
    state: BcState, entity_set: str, document: dict[str, Any], values: dict[str, Any]
) -> dict[str, Any]:
    line = state.blank(ENTITIES[entity_set]) | values
    line |= {"id": guid(), "documentId": document["id"]}
    document["_lines"].append(line)
    return line


def invoice(state: BcState, order_number: str, quantities: dict[int, Any] | None = None) -> dict[str, Any]:
    with state.lock:
        order = state.order_by_number(order_number)
        shipped = [dict(line, quantity=line["shippedQuantity"]) for line in order["_lines"]]
        chosen = _chosen(shipped, "invoicedQuantity", quantities)
        posted = _money_document(state, "salesInvoices", order, f"S-INV{next(state.counters['invoice'])}")
        posted |= {"invoiceDate": _today(), "orderId": order["id"], "orderNumber": order["number"]}
        gross_order = sum(
            (dec(line["quantity"]) * dec(line["unitPrice"]) for line in order["_lines"]), Decimal(0)
        )
        gross_here = Decimal(0)
        for line in order["_lines"]:
            if line["id"] not in chosen:
                continue
            quantity = chosen[line["id"]]
            share = quantity / dec(line["quantity"])
            gross_here += quantity * dec(line["unitPrice"])
            line["invoicedQuantity"] = float(dec(line["invoicedQuantity"]) + quantity)
            line["invoiceQuantity"] = float(dec(line["shippedQuantity"]) - dec(line["invoicedQuantity"]))
            _money_line(
                state,
                "salesInvoiceLines",
                posted,
                {key: line[key] for key in ("sequence", "itemId", "accountId", "lineType", "lineObjectNumber",
                                             "description", "unitOfMeasureCode", "unitPrice", "taxPercent")}
                | {"quantity": float(quantity), "discountAmount": money(dec(line["discountAmount"]) * share)},
            )  # fmt: skip
        discount = dec(order.get("discountAmount"))
        posted["discountAmount"] = money(discount * gross_here / gross_order) if gross_order else 0
        state.recompute(posted)
        state.rows["salesInvoices"][posted["id"]] = posted
        state.touch("salesInvoices", posted, "created")
        _after_posting(state, order)
        return posted


def credit(state: BcState, invoice_number: str, amount: Any = None) -> dict[str, Any]:
    """A credit memo of an invoice: all its lines, or ``amount`` (including VAT) on G/L account 3990."""
    with state.lock:
        posted = state.find("salesInvoices", number=invoice_number)
        if posted is None or posted["status"] not in ("Open", "Paid"):
            raise BusinessError(f"Posted sales invoice {invoice_number} does not exist.")
        credited = sum(
            dec(memo["totalAmountIncludingTax"])
            for memo in state.rows["salesCreditMemos"].values()
            if memo["invoiceNumber"] == invoice_number
        )
        memo = _money_document(state, "salesCreditMemos", posted, f"S-CR{next(state.counters['credit'])}")
        memo |= {"creditMemoDate": _today(), "invoiceId": posted["id"], "invoiceNumber": invoice_number}
        if amount is None:
            for line in posted["_lines"]:
                _money_line(
                    state,
                    "salesCreditMemoLines",
                    memo,
                    {k: v for k, v in line.items() if k not in ("id", "documentId")},
                )
        else:
            net = dec(amount) / (1 + VAT / 100)
            _money_line(
                state,
                "salesCreditMemoLines",
                memo,
                {"sequence": 10000, "lineType": "Account", "lineObjectNumber": "3990", "accountId":
                 state.accounts["3990"], "description": "Refund", "quantity": 1.0, "unitPrice": money(net),
                 "taxPercent": float(VAT)},
            )  # fmt: skip
        state.recompute(memo)
        if dec(memo["totalAmountIncludingTax"]) + credited > dec(posted["totalAmountIncludingTax"]) + Decimal(
            "0.01"
        ):
            raise BusinessError(
                f"The credit memo exceeds what is left to credit of invoice {invoice_number}."
            )
        state.rows["salesCreditMemos"][memo["id"]] = memo
        state.touch("salesCreditMemos", memo, "created")
        return memo


def _after_posting(state: BcState, order: dict[str, Any]) -> None:
    """The order changed; fully shipped and invoiced, Business Central deletes it."""
    done = all(dec(line["invoicedQuantity"]) >= dec(line["quantity"]) for line in order["_lines"])
    if done and order.get("fullyShipped"):
        del state.rows["salesOrders"][order["id"]]
        state.on_change("salesOrders", order["id"], "deleted", state.clock.tick())
    else:
        state.touch("salesOrders", order, "updated")
