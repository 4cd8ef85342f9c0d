"""What the Business Central simulator holds, and what Business Central does with it.

One company with its customers, items, G/L accounts, currencies, sales orders and their lines, posted
shipments, invoices and credit memos, and the tenant's webhook subscriptions. Every entity has a GUID ``id``,
a ``lastModifiedDateTime`` that strictly increases (milliseconds, UTC) and an etag that changes with it.

The business rules are Business Central's (APIV2 pages and the BaseApp, ``microsoft/BCApps``): a sales order
needs a customer that exists and is not blocked with type All, items and accounts that exist, a currency
that is the local one (SEK here) or set up; it is created with its lines in one transaction; Code fields are
upper-cased; a text longer than its field is refused. Posting a shipment or an invoice updates the order's
lines; an order fully shipped and invoiced is deleted, as BC deletes it after posting. VAT: 25 % on items
and accounts (the simulated company's posting setup).
"""

import itertools
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from local.business_central.odata import ODataError
from local.business_central.schema import CONTACT_TYPES, ENTITIES, Entity

LCY = "SEK"
VAT = Decimal("25")
CENT = Decimal("0.01")
BLANK_DATE = "0001-01-01"
EXAMPLE_CUSTOMER = {  # the buyer of Norce's example order (events/payloads/order-request.json), known to BC
    "number": "CUST0001",
    "type": "Person",
    "displayName": "John Doe",
    "email": "john.doe@example.com",
    "phoneNumber": "0707654321",
    "addressLine1": "123 Example Street",
    "postalCode": "12345",
    "city": "Anytown",
    "country": "SE",
}


class BusinessError(ODataError):
    """What AL's ``Error()`` raises: 400 ``Application_DialogException`` with BC's message."""

    def __init__(self, message: str) -> None:
        super().__init__(400, "Application_DialogException", message)


def money(value: Decimal) -> float:
    return float(value.quantize(CENT, ROUND_HALF_UP))


def dec(value: Any) -> Decimal:
    return Decimal(str(value if value is not None else 0))


def guid() -> str:
    return str(uuid.uuid4())


@dataclass
class Clock:
    """``lastModifiedDateTime``: now in UTC, and strictly later than the last one given (milliseconds)."""

    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    _last: datetime | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def tick(self) -> str:
        with self._lock:
            moment = self.now().replace(microsecond=(self.now().microsecond // 1000) * 1000)
            if self._last is not None and moment <= self._last:
                moment = self._last + timedelta(milliseconds=1)
            self._last = moment
            return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class BcState:
    company_id: str = field(default_factory=guid)
    company_name: str = "CRONUS Sverige AB"
    clock: Clock = field(default_factory=Clock)
    lock: threading.RLock = field(default_factory=threading.RLock)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)  # number -> {id, number, unitPrice}
    accounts: dict[str, str] = field(default_factory=dict)  # G/L account number -> id
    currencies: set[str] = field(default_factory=lambda: {"EUR", "NOK", "DKK", "USD"})
    rows: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # set -> id -> entity
    history: list[dict[str, Any]] = field(default_factory=list)  # every sales order ever created
    versions: dict[str, int] = field(default_factory=dict)  # id -> version (the etag)
    counters: dict[str, Any] = field(default_factory=dict)
    on_change: Callable[[str, str, str, str], None] = lambda entity_set, id_, change, when: None

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.rows = {name: {} for name in ENTITIES}
            self.history.clear()
            self.versions.clear()
            self.items = {}
            self.accounts = {"3010": guid(), "3990": guid(), "6910": guid()}
            self.counters = {
                name: itertools.count(start)
                for name, start in (
                    ("customer", 10001),
                    ("order", 101001),
                    ("shipment", 102001),
                    ("invoice", 103001),
                    ("credit", 104001),
                )
            }
            for number, price in (("ITEM001", "300"), ("ITEM002", "150"), ("ITEM003", "99")):
                self.add_item(number, Decimal(price))
            self.create_customer(EXAMPLE_CUSTOMER, notify=False)

    # -- generic
    def add_item(self, number: str, unit_price: Decimal = Decimal(100)) -> dict[str, Any]:
        with self.lock:
            item: dict[str, Any] = {"id": guid(), "number": number.upper(), "unitPrice": unit_price}
            self.items[number.upper()] = item
            return item

    def etag(self, id_: str) -> str:
        return f'W/"JzQ0O{self.versions.get(id_, 1)}{id_[:8]}MDsn"'

    def touch(self, entity_set: str, row: dict[str, Any], change: str = "updated") -> None:
        row["lastModifiedDateTime"] = self.clock.tick()
        self.versions[row["id"]] = self.versions.get(row["id"], 0) + 1
        if change:
            self.on_change(entity_set, row["id"], change, row["lastModifiedDateTime"])

    def table(self, entity_set: str) -> dict[str, dict[str, Any]]:
        return self.rows[entity_set]

    def find(self, entity_set: str, **where: Any) -> dict[str, Any] | None:
        return next(
            (r for r in self.rows[entity_set].values() if all(r.get(k) == v for k, v in where.items())), None
        )

    def blank(self, entity: Entity) -> dict[str, Any]:
        """A new entity with every field at BC's blank value."""
        defaults: dict[str, Any] = {
            "guid": "00000000-0000-0000-0000-000000000000",
            "text": "",
            "code": "",
            "date": BLANK_DATE,
        }
        defaults |= {"decimal": 0, "integer": 0, "boolean": False, "datetime": "0001-01-01T00:00:00Z"}
        row: dict[str, Any] = {}
        for f in entity.fields:
            row[f.name] = f.values[0] if f.kind == "enum" else defaults[f.kind]
        return row

    # -- customers
    def create_customer(self, values: dict[str, Any], notify: bool = True) -> dict[str, Any]:
        if not values.get("displayName"):
            raise BusinessError('A "displayName" must be provided.')
        with self.lock:
            row = self.blank(ENTITIES["customers"]) | {"type": CONTACT_TYPES[0], "currencyCode": LCY}
            row |= values
            row["id"] = guid()
            if not row.get("number"):
                row["number"] = f"C{next(self.counters['customer'])}"  # never a seeded C0000001 or B000001
            elif self.find("customers", number=row["number"]):
                raise ODataError(
                    400,
                    "Internal_EntityWithSameKeyExists",
                    f"The record in table Customer already exists. Identification fields and values: "
                    f"No.='{row['number']}'",
                )
            self.rows["customers"][row["id"]] = row
            self.touch("customers", row, "created" if notify else "")
            return row

    # -- sales orders
    def create_order(self, header: dict[str, Any], lines: list[dict[str, Any]]) -> dict[str, Any]:
        """A deep insert: the order and its lines, all or nothing."""
        with self.lock:
            customer = self._sell_to(header)
            currency = self._currency(header.get("currencyCode"))
            order = self.blank(ENTITIES["salesOrders"]) | header
            order |= {
                "id": guid(),
                "number": f"S-ORD{next(self.counters['order'])}",
                "customerId": customer["id"],
                "customerNumber": customer["number"],
                "customerName": customer["displayName"],
                "billToCustomerId": customer["id"],
                "billToCustomerNumber": customer["number"],
                "billToName": customer["displayName"],
                "currencyCode": currency,
                "status": "Open",
                "orderDate": header.get("orderDate") or datetime.now(UTC).date().isoformat(),
                "postingDate": datetime.now(UTC).date().isoformat(),
            }
            for part in ("AddressLine1", "AddressLine2", "City", "Country", "State", "PostCode"):
                source = {"PostCode": "postalCode"}.get(part, part[0].lower() + part[1:])
                order[f"sellTo{part}"] = order.get(f"sellTo{part}") or customer.get(source, "")
                order[f"billTo{part}"] = customer.get(source, "")
            built = [self._order_line(order, line) for line in lines]
            self.rows["salesOrders"][order["id"]] = order
            order["_lines"] = built
            self.recompute(order)
            self.touch("salesOrders", order, "created")
            self.history.append(
                {
                    "orderNo": order["number"],
                    "externalRef": order["externalDocumentNumber"],
                    "customerCode": order["customerNumber"],
                    "currency": currency,
                    "lineCount": len(built),
                    "createdAt": order["lastModifiedDateTime"],
                }
            )
            return order

    def _sell_to(self, header: dict[str, Any]) -> dict[str, Any]:
        number, id_ = header.get("customerNumber"), header.get("customerId")
        if not number and not id_:
            raise BusinessError('A "customerNumber" or a "customerId" must be provided.')
        customer = self.find("customers", number=number) if number else self.rows["customers"].get(str(id_))
        if customer is None:
            raise BusinessError("The sell-to customer cannot be found.")
        if customer.get("blocked") == "All":
            raise BusinessError(
                "You cannot create this type of document when Customer "
                f"{customer['number']} is blocked with type All"
            )
        return customer

    def _currency(self, code: str | None) -> str:
        code = (code or LCY).upper()
        if code != LCY and code not in self.currencies:
            raise BusinessError('The "currencyCode" does not match to a Currency.')
        return code

    def _order_line(self, order: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
        line = self.blank(ENTITIES["salesOrderLines"]) | {"lineType": "Item"} | values
        line |= {"id": guid(), "documentId": order["id"], "taxPercent": 0}
        line_type, number = line["lineType"], line.get("lineObjectNumber") or ""
        if line_type == "Item":
            item = self.items.get(number)
            if item is None:
                raise BusinessError("Item does not exist.")
            line["itemId"], line["taxPercent"] = item["id"], float(VAT)
            line["unitPrice"] = line.get("unitPrice") if "unitPrice" in values else float(item["unitPrice"])
        elif line_type == "Account":
            if number not in self.accounts:
                raise BusinessError("Account does not exist.")
            line["accountId"], line["taxPercent"] = self.accounts[number], float(VAT)
        line["shipQuantity"] = line["invoiceQuantity"] = line.get("quantity", 0)
        return line

    def recompute(self, document: dict[str, Any]) -> None:
        """Line and header amounts, the header's invoice discount spread over the lines by amount."""
        lines = [line for line in document["_lines"] if line.get("lineType") != "Comment"]
        gross = {
            line["id"]: dec(line.get("quantity")) * dec(line.get("unitPrice"))
            - dec(line.get("discountAmount"))
            for line in lines
        }
        total = sum(gross.values(), Decimal(0))
        discount = dec(document.get("discountAmount"))
        for line in lines:
            share = (
                (discount * gross[line["id"]] / total).quantize(CENT, ROUND_HALF_UP) if total else Decimal(0)
            )
            net = gross[line["id"]] - share
            tax = (net * dec(line["taxPercent"]) / 100).quantize(CENT, ROUND_HALF_UP)
            line |= {
                "amountExcludingTax": money(gross[line["id"]]),
                "totalTaxAmount": money(gross[line["id"]] * dec(line["taxPercent"]) / 100),
                "amountIncludingTax": money(gross[line["id"]] * (1 + dec(line["taxPercent"]) / 100)),
                "invoiceDiscountAllocation": money(share),
                "netAmount": money(net),
                "netTaxAmount": money(tax),
                "netAmountIncludingTax": money(net + tax),
            }
        net_total = sum((dec(line["netAmount"]) for line in lines), Decimal(0))
        tax_total = sum((dec(line["netTaxAmount"]) for line in lines), Decimal(0))
        document["totalAmountExcludingTax"] = money(net_total)
        document["totalTaxAmount"] = money(tax_total)
        document["totalAmountIncludingTax"] = money(net_total + tax_total)

    def order_by_number(self, number: str) -> dict[str, Any]:
        order = self.find("salesOrders", number=number)
        if order is None:
            raise ODataError(
                404, "Internal_RecordNotFound", f"The Sales Header does not exist. No.='{number}'"
            )
        return order
