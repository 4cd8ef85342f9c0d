"""Norce Commerce Query (OData v4, read-only): ``GET /commerce/query/2.0/<set>`` and ``/3.0/<set>``.

Only what Norce publishes, in its casing and types (the descriptions in ``tests/contracts/norce/query.py``
name the page of each): 2.0 PascalCase with string ids on the Orders entities, 3.0 camelCase with int64
ids; integer ``CountryId`` / ``CurrencyId`` (``codes``); navigation properties only with ``$expand``;
``$select``, ``$filter`` and the rest as ``odata`` plays them (an unknown property is a 400 with OData's
message, never a 500). Needs the ``applicationId`` header (an integer) and Connect's auth.

2.0: ``Orders/Orders`` (nav ``Items``, ``Infos``), ``Orders/OrderItems``, ``Orders/Invoices``,
``Orders/DeliveryNotes``, ``Customers/Customers`` and ``Customers/Companies`` (nav ``Addresses``).
3.0: ``Orders/Orders`` (nav ``buyerCustomer``, ``buyerCustomerInfo``, ``payerCustomerInfo``,
``shipToCustomerInfo``, ``dropPointCustomerInfo``), ``Customers/Customers`` and ``Customers/Companies``
(nav ``addresses``). Where Norce's pages leave a name out, the choice is in docs/simulators.md.
"""

import base64
import re
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import Flask, Response, jsonify, request

from local.norce import odata
from local.norce.codes import country_id, currency_id
from local.norce.identity import authorized
from local.norce.odata import EntityType, ODataError
from local.norce.query_types import (
    CLIENT_COMPANY,
    CLIENT_CUSTOMER,
    COMPANY,
    CUSTOMER,
    DELIVERY_NOTE,
    INFO_ROLES,
    INVOICE_TYPE,
    ORDER,
    ORDER_3,
    ORDER_ITEM,
    PARTIES,
    camel,
)
from local.norce.state import NorceState

QUERY = "/commerce/query/2.0"
QUERY_3 = "/commerce/query/3.0"
# Query's Orders StatusId per SendOrderStatus status (Query 3.0's documented values; others keep the last)
STATUS_IDS = {
    "Created": 0,
    "Allocation": 1,
    "Confirmed": 2,
    "Delivered": 4,
    "Invoiced": 5,
    "Cancelled": 6,
    "PartlyDelivered": 8,
}
INVOICE, CREDIT = 1, 2  # Invoice TypeId: 1 is documented (sales order invoice); 2 for a credit is ours
INVOICE_ADDRESS, DELIVERY_ADDRESS = 1, 2  # CustomerAddress TypeId: not documented, our choice


def register(app: Flask, state: NorceState) -> None:
    @app.get(f"{QUERY}/<path:entity_set>")
    def query(entity_set: str) -> tuple[Response, int]:
        return answer(state, "2.0", entity_set)

    @app.get(f"{QUERY_3}/<path:entity_set>")
    def query_3(entity_set: str) -> tuple[Response, int]:
        return answer(state, "3.0", entity_set)


Rows = Callable[[NorceState, "Named"], list[dict[str, Any]]]
Named = tuple[str, str] | None  # the key one ``Id eq N`` / ``QuotationId eq N`` filter names
_ONE_KEY = re.compile(r"^\s*(Id|id|QuotationId)\s+eq\s+'?(-?\d+)'?\s*$")


def _named(args: dict[str, str]) -> Named:
    """The key a ``$filter`` of one ``Id eq N`` (or ``QuotationId eq N``) names, else None. Only the rows
    that can match it are built; the filter itself still decides, so the answer is the same, and the local
    Norce stays fast when a soak has placed thousands of orders."""
    found = _ONE_KEY.match(args.get("$filter", ""))
    return (found.group(1).lower(), found.group(2)) if found else None


def _placed(state: NorceState, named: Named) -> list[str]:
    if named is None:
        return list(state.placed)
    key, value = named
    if key == "id":
        return [ref for ref, placed in state.placed.items() if str(placed["OrderId"]) == value]
    return [ref for ref in state.placed if str(quotation_id(ref)) == value]


def _held(store: dict[int, dict[str, Any]], named: Named) -> list[dict[str, Any]]:
    if named is None or named[0] != "id":
        return list(store.values())
    return [entity for entity in store.values() if str(entity.get("Id")) == named[1]]


def _documented(state: NorceState, named: Named) -> list[str]:
    """The orders whose documents a filter on one document ``Id`` can match (every order's otherwise)."""
    if named is None or named[0] != "id":
        return list(state.documents)
    return sorted({ref for (ref, _, _), number in state.document_ids.items() if str(number) == named[1]})


def _sets() -> dict[tuple[str, str], tuple[EntityType, Rows]]:
    return {
        ("2.0", "Orders/Orders"): (ORDER, lambda s, n: [_order(s, ref) for ref in _placed(s, n)]),
        ("2.0", "Orders/OrderItems"): (
            ORDER_ITEM,
            lambda s, n: [item for ref in s.placed for item in _order(s, ref)["Items"]],
        ),
        ("2.0", "Orders/Invoices"): (INVOICE_TYPE, lambda s, n: _invoices(s, _documented(s, n))),
        ("2.0", "Orders/DeliveryNotes"): (DELIVERY_NOTE, lambda s, n: _delivery_notes(s, _documented(s, n))),
        ("2.0", "Customers/Customers"): (
            CUSTOMER,
            lambda s, n: [_customer(s, c) for c in _held(s.customers, n)],
        ),
        ("2.0", "Customers/Companies"): (
            COMPANY,
            lambda s, n: [_company(s, c) for c in _held(s.companies, n)],
        ),
        ("3.0", "Orders/Orders"): (ORDER_3, lambda s, n: [_order_3(s, ref) for ref in _placed(s, n)]),
        ("3.0", "Customers/Customers"): (
            CLIENT_CUSTOMER,
            lambda s, n: [_as_3(_customer(s, c)) for c in _held(s.customers, n)],
        ),
        ("3.0", "Customers/Companies"): (
            CLIENT_COMPANY,
            lambda s, n: [_as_3(_company(s, c)) for c in _held(s.companies, n)],
        ),
    }


def answer(state: NorceState, version: str, entity_set: str) -> tuple[Response, int]:
    """One Query request: 401 without Connect's auth, 400 without an integer ``applicationId`` header or
    for what OData refuses, 503 during an injected outage, 404 for a set the local Norce does not serve,
    else the OData list."""
    with state.lock:
        down = state.clock() < state.faults.query_down_until
        if down:
            state.stats["query outage answers"] += 1
    if down:  # the fault queryDownForSeconds: Query is unavailable (no Retry-After, as Query answers)
        return jsonify({"Message": "injected: Norce Query is unavailable"}), 503
    with state.lock:
        allowed = authorized(state, request.headers.get("Authorization", ""))
    if not allowed:
        return jsonify({"Message": "Authorization has been denied for this request."}), 401
    application = request.headers.get("applicationId") or request.headers.get("application-id")
    if not application or not application.strip().lstrip("-").isdigit():
        return jsonify({"error": {"code": "", "message": "The applicationId header is required."}}), 400
    found = _sets().get((version, entity_set))
    if found is None:
        message = f"No HTTP resource was found that matches the request URI '{request.base_url}'."
        return jsonify({"error": {"code": "", "message": message}}), 404
    entity, rows = found
    base = f"{request.host_url.rstrip('/')}/commerce/query/{version}/"
    namespace, _, name = entity_set.partition("/")
    args = dict(request.args.items())
    if args.get("$filter", "x").strip() == "":
        args.pop("$filter")  # an empty $filter filters nothing
    try:
        with state.lock:
            held = rows(state, _named(args))
        return jsonify(
            odata.answer(entity, held, args, f"{base}{namespace}/$metadata#{name}", request.base_url)
        ), 200
    except ODataError as error:
        return jsonify(error.body()), 400


# -- rows from what the state holds (every property, navigation values under their names)
def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return None
    return float(number) if number.is_finite() else None


def _key(kind: str, entity_id: Any) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"norce-local:{kind}:{entity_id}"))


def _addresses(state: NorceState, entity: dict[str, Any], owner: str) -> list[dict[str, Any]]:
    """A held entity's InvoiceAddress (TypeId 1) and DeliveryAddresses (TypeId 2) as Query's addresses."""
    held = [(INVOICE_ADDRESS, entity.get("InvoiceAddress"))]
    held += [(DELIVERY_ADDRESS, a) for a in entity.get("DeliveryAddresses") or []]
    rows = []
    for number, (type_id, address) in enumerate(held, start=1):
        if not isinstance(address, dict):
            continue
        rows.append(
            {
                "Id": int(entity["Id"]) * 100 + number,
                owner: int(entity["Id"]),
                "TypeId": type_id,
                "CareOf": address.get("CareOf"),
                "AddressLine1": address.get("AddressLine1"),
                "AddressLine2": address.get("AddressLine2"),
                "ZipCode": address.get("ZipCode"),
                "City": address.get("City"),
                "Region": address.get("Region"),
                "CountryId": country_id(address.get("CountryCode")),
                "Created": _moment(entity.get("Created") or entity.get("Updated")),
                "CreatedBy": 1,
                "Updated": _moment(entity.get("Updated")),
                "UpdatedBy": 1,
                "StatusId": None,
                "StatusUpdated": None,
                "StatusUpdatedBy": None,
                "ClientId": state.client_number,
            }
        )
    return rows


def _moment(value: Any) -> str | None:
    """A held time as Query writes it (ISO 8601, UTC as ``Z``)."""
    if value in (None, ""):
        return None
    text = str(value)
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _customer(state: NorceState, held: dict[str, Any]) -> dict[str, Any]:
    return {
        "Id": int(held["Id"]),
        "Key": _key("customer", held["Id"]),
        "ClientId": state.client_number,
        "CustomerCodePrefix": None,
        "CustomerCode": _text(held.get("Code")),
        "TypeId": 1,
        "EmailAddress": _text(held.get("EmailAddress")),
        "SocialSecurityNumber": _text(held.get("SocialSecurityNumber")),
        "Title": _text(held.get("Title")),
        "FirstName": _text(held.get("FirstName")),
        "MiddleName": _text(held.get("MiddleName")),
        "LastName": _text(held.get("LastName")),
        "Suffix": None,
        "PhoneNumber": _text(held.get("PhoneNumber")),
        "CellPhoneNumber": _text(held.get("CellPhoneNumber")),
        "ReferId": None,
        "ReferUrl": None,
        "UseBillingAddressAsShippingAddress": not held.get("DeliveryAddresses"),
        "OldCustomerNoPrefix": None,
        "OldCustomerNo": None,
        "ReplacementCustomerId": None,
        "IsActive": held.get("IsActive", True) is not False,
        "Created": _moment(held.get("Created") or held.get("Updated")),
        "CreatedBy": 1,
        "Updated": _moment(held.get("Updated")),
        "UpdatedBy": 1,
        "LastOrderDate": None,
        "NormalizedSocialSecurityNumber": None,
        "ApplicationId": state.application_number,
        "IsForgotten": False,
        "ForgottenBy": None,
        "ForgottenDate": None,
        "StoppedDate": None,
        "StoppedBy": None,
        "CrmId": _text(held.get("CrmId")),
        "Addresses": _addresses(state, held, "CustomerId"),
    }


def _company(state: NorceState, held: dict[str, Any]) -> dict[str, Any]:
    organization_no = _text(held.get("OrganizationNo"))
    return {
        "Id": int(held["Id"]),
        "Key": _key("company", held["Id"]),
        "ClientId": state.client_number,
        "CompanyCodePrefix": None,
        "CompanyCode": _text(held.get("Code")),
        "TypeId": 1,
        "LogoPath": None,
        "OrganizationNo": organization_no,
        "Name": _text(held.get("Name")),
        "EmailAddress": _text(held.get("EmailAddress")),
        "PhoneNumber": _text(held.get("PhoneNumber")),
        "FaxNumber": None,
        "ParentCompanyId": None,
        "ReferId": None,
        "ReferUrl": None,
        "UseBillingAddressAsShippingAddress": not held.get("DeliveryAddresses"),
        "OldCompanyCodePrefix": None,
        "OldCompanyCode": None,
        "IsActive": held.get("IsActive", True) is not False,
        "Created": _moment(held.get("Created") or held.get("Updated")),
        "CreatedBy": 1,
        "Updated": _moment(held.get("Updated")),
        "UpdatedBy": 1,
        "LogoKey": None,
        "NormalizedOrganizationNo": "".join(c for c in organization_no if c.isalnum())
        if organization_no
        else None,
        "ApplicationId": state.application_number,
        "VatNo": _text(held.get("VatNo")),
        "Addresses": _addresses(state, held, "CompanyId"),
    }


def _as_3(row: dict[str, Any]) -> dict[str, Any]:
    """A 2.0 row in 3.0's camelCase (its navigation rows too)."""
    return {
        camel(name): ([_as_3(child) for child in value] if isinstance(value, list) else value)
        for name, value in row.items()
    }


def quotation_id(ref: str) -> int | None:
    """The basket id Norce's Order holds as QuotationId: our ClientOrderRef when it is an int32."""
    return int(ref) if ref.isascii() and ref.isdigit() and int(ref) < 2**31 else None


def _status_id(state: NorceState, ref: str) -> int:
    """Query's StatusId: of the last status that has one, 0 (Created) before any."""
    ids = [STATUS_IDS[s["OrderStatus"]] for s in state.orders.get(ref, []) if s["OrderStatus"] in STATUS_IDS]
    return ids[-1] if ids else 0


def _amount(item: dict[str, Any], *names: str) -> Decimal:
    for name in names:
        number = _number(item.get(name))
        if number is not None:
            return Decimal(str(number))
    return Decimal(0)


def _ordered(item: dict[str, Any]) -> Decimal:
    """QtyOrdered: Quantity2 for goods sold by weight or length, else Quantity."""
    weighed = _number(item.get("Quantity2"))
    return Decimal(str(weighed)) if weighed else _amount(item, "Quantity")


def _order(state: NorceState, ref: str) -> dict[str, Any]:
    """Under the lock: Query 2.0's Order of a placed order, with its Items (and no Infos)."""
    placed = state.placed[ref]
    order = placed["OrderRequest"]
    currency = currency_id(order.get("CurrencyCode"))
    ship_to = state.customer_infos.get(placed.get("ShipToCustomerInfoId") or 0) or {}
    buyer_customer = state.customers.get(placed.get("BuyerCustomerId") or 0) or {}
    buyer_company = state.companies.get(placed.get("BuyerCompanyId") or 0) or {}
    status = _status_id(state, ref)
    fees = [fee for fee in order.get("Fees") or [] if isinstance(fee, dict)]
    items = [
        _order_item(state, placed, item, number, currency, status)
        for number, item in enumerate(order.get("Items") or [], start=1)
        if isinstance(item, dict)
    ]
    rates = [item["VatRate"] for item in items if item["VatRate"] is not None]
    buyer = {
        "BuyerCompanyCode": _text(buyer_company.get("Code")),
        "BuyerCompanyId": placed.get("BuyerCompanyId"),
        "BuyerCustomerCode": _text(buyer_customer.get("Code")),
        "BuyerCustomerId": placed.get("BuyerCustomerId"),
    }
    return {
        "Id": str(placed["OrderId"]),
        "ClientId": state.client_number,
        "ApplicationId": state.application_number,
        "QuotationId": quotation_id(ref),
        "OrderNo": (state.erp_order_no(ref) or ref)[:50],
        "OrderDate": placed["OrderDate"],
        **buyer,
        **{name.replace("Buyer", "Payer"): value for name, value in buyer.items()},
        **{name.replace("Buyer", "Reseller"): None for name in buyer},
        "GroupCode": None,
        "StatusId": status,
        "SalesRepContactId": None,
        "Source": "WEB",
        "DeliveryTerms": None,
        "DeliveryMode": _text((order.get("ShippingAdvice") or {}).get("DeliveryMethodCode")),
        "DeliveryDate": None,
        "IsPartDelivery": status == STATUS_IDS["PartlyDelivered"],
        "PaymentTerms": _payment_terms(order),
        "CurrencyId": currency,
        "VatRate": rates[0] if rates else 0.0,
        "CashDiscount": 0.0,
        "LineDiscount": float(sum((Decimal(str(i["DiscountAmount"] or 0)) for i in items), Decimal(0))),
        "FreightCost": float(sum((_amount(f, "Amount") for f in fees if f.get("Type") == 0), Decimal(0))),
        "OrderFee": float(sum((_amount(f, "Amount") for f in fees if f.get("Type") == 1), Decimal(0))),
        "DeliveryAttention": " ".join(
            part for part in (ship_to.get("firstName"), ship_to.get("lastName")) if part
        )
        or None,
        "DeliveryCareOf": ship_to.get("careOf"),
        "Items": items,
        "Infos": [],
    }


def _payment_terms(order: dict[str, Any]) -> str | None:
    """The first payment's method code (Query's PaymentTerms is "code from the PaymentMethod setting")."""
    payments = [p for p in order.get("Payments") or [] if isinstance(p, dict)]
    return _text(payments[0].get("PaymentMethodCode")) if payments else None


def _order_item(
    state: NorceState, placed: dict[str, Any], item: dict[str, Any], number: int, currency: int, status: int
) -> dict[str, Any]:
    line_no = item.get("LineNo") if isinstance(item.get("LineNo"), int) else number
    quantity = _ordered(item)
    price = _amount(item, "UnitPrice")
    discount = _amount(item, "Discount")
    original = _number(item.get("UnitPriceOriginal"))
    return {
        "Id": f"{placed['OrderId']}-{number}",
        "OrderId": str(placed["OrderId"]),
        "LineNumber": _number(line_no),
        "ParentLineNumber": _number(item.get("ParentLineNo")),
        "StatusId": status,
        "PartNo": _text(item.get("PartNo")),
        "ExternalPartNo": _text(item.get("ErpPartNo")),
        "ProductName": _text(item.get("Description")),
        "WarehouseId": None,
        "LocationId": None,
        "QtyOrdered": float(quantity),
        "CurrencyId": currency,
        "VatRate": _number(item.get("VatRate")),
        "CostUnit": 0.0,
        "PriceSale": float(price),
        "DiscountPercentage": 0.0,
        "DiscountAmount": float(discount),
        "LineAmount": float(round(quantity * price - discount, 2)),  # excluding VAT, as FreightCost
        "DeliveryMode": _text((placed["OrderRequest"].get("ShippingAdvice") or {}).get("DeliveryMethodCode")),
        "IsPartDelivery": False,
        "ExpectedDeliveryDate": None,
        "ConfirmedDeliveryDate": None,
        "SalesRepContactId": None,
        "LedgerAccount": None,
        "Department": None,
        "Centre": None,
        "ExternalStatusText": None,
        "Created": placed["OrderDate"],
        "CreatedBy": 1,
        "Updated": None,
        "UpdatedBy": None,
        "LineNumberString": str(line_no),
        "PriceRecommended": original if original is not None else float(price),
        "PriceCatalog": original if original is not None else float(price),
        "PriceStandard": original if original is not None else float(price),
        "ClientId": state.client_number,
    }


def _order_3(state: NorceState, ref: str) -> dict[str, Any]:
    """Under the lock: Query 3.0's Order of a placed order (camelCase, int64 id) and its navigations."""
    placed, row = state.placed[ref], _order(state, ref)
    infos = {role: placed.get(f"{role[:1].upper()}{role[1:]}CustomerInfoId") for role in INFO_ROLES}
    customer = state.customers.get(placed.get("BuyerCustomerId") or 0)
    names = [k for k in ORDER_3.properties if k not in ("id",) and not k.endswith("CustomerInfoId")]
    shaped = {name: row.get(name[:1].upper() + name[1:]) for name in names}
    return {
        **shaped,
        "id": int(placed["OrderId"]),
        "orderTypeId": 1,
        **{f"{role}CustomerInfoId": infos[role] for role in INFO_ROLES},
        "buyerCustomer": _as_3(_customer(state, customer)) if customer else None,
        **{f"{role}CustomerInfo": state.customer_infos.get(infos[role] or 0) for role in INFO_ROLES},
    }


def customer_info(state: NorceState, person: dict[str, Any], company: dict[str, Any] | None) -> int:
    """Under the lock: hold an OrderRequest person (and its address) as Query 3.0's CustomerInfo."""
    info_id = next(state.customer_info_ids)
    given = person.get("Address")
    address: dict[str, Any] = given if isinstance(given, dict) else {}
    state.customer_infos[info_id] = {
        "id": info_id,
        "firstName": _text(person.get("FirstName")),
        "lastName": _text(person.get("LastName")),
        "emailAddress": _text(person.get("Email")),
        "phoneNumber": _text(person.get("PrivatePhone") or person.get("WorkPhone")),
        "cellPhoneNumber": _text(person.get("CellPhone")),
        "created": _moment(state.stamp()),
        "createdBy": 1,
        "rowid": base64.b64encode(info_id.to_bytes(8, "big")).decode(),
        "companyName": _text((company or {}).get("Name")),
        "careOf": _text(address.get("CareOf")),
        "addressLine1": _text(address.get("Line1")),
        "addressLine2": _text(address.get("Line2")),
        "zipCode": _text(address.get("ZipCode")),
        "city": _text(address.get("City")),
        "region": _text(address.get("Region")),
        "countryId": country_id(address.get("Country")),
        "clientId": state.client_number,
        "shippingPhoneNumber": _text(address.get("ShippingPhoneNumber")),
        "gln": _text(address.get("Gln")),
    }
    return info_id


# -- Orders/Invoices and Orders/DeliveryNotes: the documents Connect took
def order_id_of(state: NorceState, ref: str) -> int:
    """Under the lock: Norce's order id of ``ref``: the placed order's, else a stable number from the ref
    (an order never placed here, above the placed orders' range)."""
    placed = state.placed.get(ref)
    if placed is not None:
        return int(placed["OrderId"])
    digest = uuid.uuid5(uuid.NAMESPACE_URL, f"norce-local:order:{ref}").int
    return 900_000_000 + digest % 100_000_000


def document_id(state: NorceState, ref: str, kind: str, index: int) -> int:
    """Under the lock: the Id Norce gave the ``index``-th document of ``kind`` of order ``ref``."""
    key = (ref, kind, index)
    if key not in state.document_ids:
        state.document_ids[key] = next(state.next_document_id)
    return state.document_ids[key]


def _invoices(state: NorceState, refs: list[str]) -> list[dict[str, Any]]:
    rows = []
    for ref in refs:
        documents = state.documents[ref]
        placed = state.placed.get(ref) or {}
        for kind, type_id in (("Invoices", INVOICE), ("Credits", CREDIT)):
            for index, invoice in enumerate(documents[kind]):
                rows.append(_invoice(state, ref, placed, kind, index, invoice, type_id))
    return rows


def _invoice(
    state: NorceState,
    ref: str,
    placed: dict[str, Any],
    kind: str,
    index: int,
    invoice: dict[str, Any],
    type_id: int,
) -> dict[str, Any]:
    items = [i for i in invoice.get("Items") or [] if isinstance(i, dict)]
    lines = sum((_amount(i, "LineAmount") for i in items), Decimal(0))
    total = _number(invoice.get("TotalAmount"))
    round_off = _number(invoice.get("InvoiceRoundOff")) or 0.0
    parties = {f"{r}{k}Id": None for r in ("Buyer", "Payer", "Reseller") for k in ("Company", "Customer")}
    for role in ("Buyer", "Payer"):
        parties[f"{role}CompanyId"] = placed.get("BuyerCompanyId")
        parties[f"{role}CustomerId"] = placed.get("BuyerCustomerId")
    return {
        "Id": str(document_id(state, ref, kind, index)),
        "ClientId": state.client_number,
        "InvoiceNo": _text(invoice.get("InvoiceNo")),
        "TypeId": type_id,
        "ReferenceOrderId": str(order_id_of(state, ref)),
        **parties,
        "GroupCode": None,
        "DeliveryDate": _text(invoice.get("DeliveryDate")),
        "InvoiceDate": _text(invoice.get("InvoiceDate")) or placed.get("OrderDate") or "",
        "InvoiceDueDate": _text(invoice.get("InvoiceDueDate")),
        "SalesRepContactId": None,
        "Source": "WEB",
        "Quantity": float(sum((_amount(i, "Quantity") for i in items), Decimal(0))),
        "Volume": None,
        "Weight": None,
        "CurrencyId": currency_id(invoice.get("CurrencyCode")),
        "CurrencyRate": 1.0,
        "CashDiscount": 0.0,
        "SumLineDiscount": 0.0,
        "FreightCost": 0.0,
        "InvoiceFee": 0.0,
        "CostValue": 0.0,
        "SalesBalance": float(lines),
        "InvoiceAmount": total if total is not None else float(lines),
        "InvoiceRoundOff": round_off,
    }


def _delivery_notes(state: NorceState, refs: list[str]) -> list[dict[str, Any]]:
    rows = []
    for ref in refs:
        documents = state.documents[ref]
        placed = state.placed.get(ref) or {}
        for index, note in enumerate(documents["DeliveryNotes"]):
            given = note.get("DeliveryAddress")
            address: dict[str, Any] = given if isinstance(given, dict) else {}
            items = [i for i in note.get("DeliverynoteItems") or [] if isinstance(i, dict)]
            rows.append(
                {
                    "Id": str(document_id(state, ref, "DeliveryNotes", index)),
                    "ClientId": state.client_number,
                    "NoteNo": _text(note.get("NoteNo")),
                    "SupplierId": None,
                    "TypeId": 1,
                    "ReferenceOrderId": str(order_id_of(state, ref)),
                    **dict.fromkeys(PARTIES),
                    "BuyerCompanyId": placed.get("BuyerCompanyId"),
                    "BuyerCustomerId": placed.get("BuyerCustomerId"),
                    "GroupCode": None,
                    "DeliveryName": _text(note.get("DeliveryName")),
                    "DeliveryAttention": _text(note.get("DeliveryAttention")),
                    "DeliveryCareOf": _text(address.get("CareOf")),
                    "DeliveryAddressLine1": _text(address.get("Line1")),
                    "DeliveryAddressLine2": _text(address.get("Line2")),
                    "DeliveryZipCode": _text(address.get("ZipCode")),
                    "DeliveryCity": _text(address.get("City")),
                    "DeliveryRegion": _text(address.get("Region")),
                    "DeliveryCountryId": country_id(address.get("Country")),
                    "DeliveryDate": _text(note.get("DeliveryDate")),
                    "Quantity": float(sum((_amount(i, "Qty") for i in items), Decimal(0))),
                    "Volume": None,
                    "Weight": None,
                    "IsPrinted": False,
                    "DeliveryTerms": None,
                    "DeliveryMode": _text(note.get("DeliveryMode")),
                    "Source": "WEB",
                    "DeliveryMark": None,
                    "NoteText": None,
                }
            )
    return rows
