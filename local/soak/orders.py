"""The orders of a soak, as Norce's checkout makes them and its order sender pushes them.

Built from the example OrderRequests in ``events/payloads/`` with a seeded random: B2C and B2B, buyers the
ERP and Norce already know (the seeded customers and companies, imported into Norce first) and new ones
(Norce holds them without a code until the integration writes the ERP's back), 1 to 3 lines, as JSON or as
XML. The XML is written here from Norce's field names (collections wrap one element per item, named by
its type), not by the integration's own codec. A malformed order is a body cut short.
"""

import copy
import json
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from local.template import ROOT

PAYLOADS = ROOT / "events" / "payloads"
B2C_EXAMPLE: dict[str, Any] = json.loads((PAYLOADS / "order-request.json").read_text())
B2B_EXAMPLE: dict[str, Any] = json.loads((PAYLOADS / "order-request-b2b-new-company.json").read_text())
ITEM_ELEMENTS = {
    "Payments": "Payment",
    "Items": "OrderItem",
    "AdditionalInfo": "CodeValue",
    "PriceLists": "PriceListItem",
    "Discounts": "Discount",
    "Fees": "Fee",
    "Promotions": "Promotion",
}
KINDS = (("b2c-known", 0.40), ("b2c-new", 0.30), ("b2b-known", 0.15), ("b2b-new", 0.15))
PARTS = (("ITEM001", "300.00", "75.00"), ("ITEM002", "120.00", "30.00"), ("ITEM003", "49.90", "12.48"))


@dataclass(frozen=True)
class SoakOrder:
    ref: str
    kind: str  # one of KINDS' names, or "malformed"
    wire: str  # "json" or "xml"
    body: bytes
    request: dict[str, Any] | None  # the OrderRequest (None when malformed)

    @property
    def content_type(self) -> str:
        return "application/xml" if self.wire == "xml" else "application/json"

    @property
    def email(self) -> str | None:
        person = ((self.request or {}).get("SellTo") or {}).get("Person") or {}
        return person.get("Email")


def to_xml(order: dict[str, Any]) -> bytes:
    """An OrderRequest as XML in Norce's element names; nulls are left out."""
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + _element("OrderRequest", order)).encode()


def _element(name: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return f"<{name}>{''.join(_element(key, item) for key, item in value.items())}</{name}>"
    if isinstance(value, list):
        item = ITEM_ELEMENTS.get(name, "Item")
        return f"<{name}>{''.join(_element(item, entry) for entry in value)}</{name}>"
    if isinstance(value, bool):
        return f"<{name}>{'true' if value else 'false'}</{name}>"
    return f"<{name}>{escape(str(value))}</{name}>"


class OrderFactory:
    """Soak orders by number; ``customers`` and ``companies`` are the ones both the ERP and Norce hold
    (``code``, ``email``, ``firstName``, ``lastName``, ``companyCode`` / ``code``, ``name``, ``vatNo``)."""

    def __init__(
        self,
        rng: random.Random,
        customers: list[dict[str, Any]],
        companies: list[dict[str, Any]],
        first_ref: int = 5_000_001,
        xml_share: float = 0.3,
    ) -> None:
        self._rng = rng
        self._private = [c for c in customers if not c.get("companyCode")]
        self._contacts: dict[str, list[dict[str, Any]]] = {}
        for customer in customers:
            if customer.get("companyCode"):
                self._contacts.setdefault(customer["companyCode"], []).append(customer)
        self._companies = [c for c in companies if self._contacts.get(c["code"])]
        self._first_ref = first_ref
        self._xml_share = xml_share

    def ref(self, number: int) -> str:
        """Norce's ClientOrderRef is the basket id: a number."""
        return str(self._first_ref + number)

    def order(self, number: int) -> SoakOrder:
        rng, ref = self._rng, self.ref(number)
        kind = rng.choices([name for name, _ in KINDS], [share for _, share in KINDS])[0]
        if kind == "b2c-known" and not self._private:
            kind = "b2c-new"
        if kind == "b2b-known" and not self._companies:
            kind = "b2b-new"
        request = self._build(kind, ref)
        wire = "xml" if rng.random() < self._xml_share else "json"
        body = to_xml(request) if wire == "xml" else json.dumps(request).encode()
        return SoakOrder(ref, kind, wire, body, request)

    def malformed(self, number: int) -> SoakOrder:
        """A body cut short in the middle (a broken transmission): Norce is answered Failed."""
        ref = self.ref(number)
        request = self._build("b2c-new", ref)
        wire = "xml" if self._rng.random() < 0.5 else "json"
        whole = to_xml(request) if wire == "xml" else json.dumps(request).encode()
        return SoakOrder(ref, "malformed", wire, whole[: len(whole) // 2], None)

    def other_wire(self, order: SoakOrder) -> SoakOrder:
        """The same order in the other format (Norce resends an order; the content is what counts)."""
        assert order.request is not None
        wire = "json" if order.wire == "xml" else "xml"
        body = to_xml(order.request) if wire == "xml" else json.dumps(order.request).encode()
        return SoakOrder(order.ref, order.kind, wire, body, order.request)

    # -- the parts of an order
    def _build(self, kind: str, ref: str) -> dict[str, Any]:
        rng = self._rng
        order = copy.deepcopy(B2B_EXAMPLE if kind.startswith("b2b") else B2C_EXAMPLE)
        order["ClientOrderRef"] = ref
        order["CustomerOrderRef"] = f"PO-{ref}"
        person = order["SellTo"]["Person"]
        company = order["SellTo"].get("Company")
        if kind == "b2c-known":
            known = rng.choice(self._private)
            self._person(person, known["code"], known["email"], known["firstName"], known["lastName"])
        elif kind == "b2c-new":
            self._person(person, None, f"soak.{ref}@example.com", "Nora", f"Ny{ref[-4:]}")
        elif kind == "b2b-known":
            firm = rng.choice(self._companies)
            buyer = rng.choice(self._contacts[firm["code"]])
            company.update(Code=firm["code"], Name=firm["name"], VatNo=firm.get("vatNo"))
            self._person(person, buyer["code"], buyer["email"], buyer["firstName"], buyer["lastName"])
            person["CompanyCode"] = firm["code"]
        else:  # b2b-new: only Name and VatNo, as Norce sends a business customer's first order
            vat = f"SE{5_500_000_000 + int(ref) % 4_000_000_000:010d}01"
            company.update(Code=None, Name=f"Soak Bygg {ref} AB", VatNo=vat)
            self._person(person, None, f"buyer.{ref}@example.com", "Bo", f"Inköp{ref[-4:]}")
        for party in ("BillTo", "ShipTo"):
            order[party] = copy.deepcopy(order["SellTo"])
        order["Items"] = self._items(order["Items"][0])
        total = sum(
            Decimal(str(item["UnitPrice"] + item["UnitVat"])) * item["Quantity"] for item in order["Items"]
        )
        for payment in order.get("Payments") or []:
            payment["Amount"] = float(total)
        return order

    @staticmethod
    def _person(person: dict[str, Any], code: str | None, email: str, first: str, last: str) -> None:
        person.update(CustomerCode=code, Email=email, FirstName=first, LastName=last)

    def _items(self, template: dict[str, Any]) -> list[dict[str, Any]]:
        items = []
        for line_no, (part, price, vat) in enumerate(self._rng.sample(PARTS, self._rng.randint(1, 3)), 1):
            item = copy.deepcopy(template)
            item.update(
                LineNo=line_no,
                PartNo=part,
                ErpPartNo=part,
                Quantity=self._rng.randint(1, 3),
                UnitPrice=float(price),
                UnitPriceOriginal=float(price),
                UnitVat=float(vat),
            )
            item["Quantity2"] = float(item["Quantity"])
            items.append(item)
        return items
