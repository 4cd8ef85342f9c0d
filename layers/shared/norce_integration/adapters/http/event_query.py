"""``HttpEventQuery``: the ``EventQuery`` port over Norce Commerce Query, 2.0 or 3.0.

The version and the field casing live here and nowhere else: 2.0 answers PascalCase (``CustomerCode``),
3.0 camelCase (``customerCode``); the names are written once, in 2.0's spelling, and cased per version.
Norce's reference leaves some names to confirm (the order entity's fields): they are the ``*_FIELDS`` below.

Caching: an order as Query holds it is a snapshot taken at checkout, so order look-ups are cached for a
minute per Lambda instance (an e-mail burst of one order reads it once). Customers and companies are never
cached here: a change notification must read the latest state.
"""

import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from norce_integration.adapters.http.caller import Retry
from norce_integration.adapters.http.norce_connect import NorceHttp
from norce_integration.events.views import (
    AddressView,
    CompanyView,
    CustomerView,
    OrderLineView,
    OrderView,
)

ENTITY_SETS = {
    "customers": "Customers/Customers",
    "companies": "Customers/Companies",
    "orders": "Orders/Orders",
}
ADDRESS_FIELDS = ("Line1", "Line2", "CareOf", "ZipCode", "City", "Region", "Country")
ORDER_ITEMS = "Items"
ORDER_CACHE_SECONDS = 60.0
ORDER_CACHE_SIZE = 256


def _odata_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class Casing:
    """Field names of one Query version: written in 2.0's PascalCase, asked and read in the version's."""

    def __init__(self, version: str) -> None:
        if version not in ("2.0", "3.0"):
            raise ValueError(f"Norce Query version {version!r} is not supported (2.0 or 3.0)")
        self.camel = version == "3.0"

    def name(self, pascal: str) -> str:
        return pascal[:1].lower() + pascal[1:] if self.camel else pascal

    def get(self, row: dict[str, Any], pascal: str) -> Any:
        return row.get(self.name(pascal))


class HttpEventQuery:
    def __init__(
        self,
        http: NorceHttp,
        version: str = "2.0",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._casing = Casing(version)
        self._clock = clock
        self._orders: OrderedDict[tuple[int | None, str | None], tuple[float, OrderView]] = OrderedDict()

    def customer(self, customer_id: int) -> CustomerView | None:
        row = self._one("customers", f"{self._casing.name('Id')} eq {int(customer_id)}")
        if row is None:
            return None
        get = lambda name: self._casing.get(row, name)  # noqa: E731
        return CustomerView(
            id=int(get("Id")),
            code=_text(get("CustomerCode")),
            email=_text(get("EmailAddress")),
            first_name=_text(get("FirstName")),
            last_name=_text(get("LastName")),
            phone=_text(get("PhoneNumber")),
            cell_phone=_text(get("CellPhoneNumber")),
            address=self._address(get("InvoiceAddress")),
            is_active=get("IsActive") is not False,
            updated=_moment(get("Updated")),
        )

    def company(self, company_id: int) -> CompanyView | None:
        row = self._one("companies", f"{self._casing.name('Id')} eq {int(company_id)}")
        if row is None:
            return None
        get = lambda name: self._casing.get(row, name)  # noqa: E731
        return CompanyView(
            id=int(get("Id")),
            code=_text(get("CompanyCode")),
            name=_text(get("Name")),
            organization_no=_text(get("OrganizationNo")),
            vat_no=_text(get("VatNo")),
            email=_text(get("EmailAddress")),
            phone=_text(get("PhoneNumber")),
            address=self._address(get("InvoiceAddress")),
            is_active=get("IsActive") is not False,
            updated=_moment(get("Updated")),
        )

    def order(self, *, order_id: int | None, client_order_ref: str | None) -> OrderView | None:
        key = (order_id, client_order_ref)
        cached = self._orders.get(key)
        if cached and self._clock() - cached[0] < ORDER_CACHE_SECONDS:
            return cached[1]
        if order_id is not None:
            filter_ = f"{self._casing.name('Id')} eq {int(order_id)}"
        elif client_order_ref:
            filter_ = f"{self._casing.name('ClientOrderRef')} eq {_odata_string(client_order_ref)}"
        else:
            return None
        row = self._one("orders", filter_, expand=self._casing.name(ORDER_ITEMS))
        if row is None:
            return None  # not cached: Query may hold it in a moment
        order = self._order(row)
        self._orders[key] = (self._clock(), order)
        while len(self._orders) > ORDER_CACHE_SIZE:
            self._orders.popitem(last=False)
        return order

    def _order(self, row: dict[str, Any]) -> OrderView:
        get = lambda name: self._casing.get(row, name)  # noqa: E731
        lines = [
            OrderLineView(
                part_no=_text(self._casing.get(item, "PartNo")),
                name=_text(self._casing.get(item, "Name")),
                quantity=_decimal(self._casing.get(item, "Quantity")) or Decimal(0),
                amount=_decimal(self._casing.get(item, "LineAmount")),
            )
            for item in get(ORDER_ITEMS) or []
        ]
        return OrderView(
            order_id=int(get("Id")) if get("Id") is not None else None,
            order_no=_text(get("OrderNo")),
            client_order_ref=_text(get("ClientOrderRef")),
            culture=_text(get("CultureCode")),
            currency=_text(get("CurrencyCode")),
            email=_text(get("EmailAddress")),
            first_name=_text(get("FirstName")),
            last_name=_text(get("LastName")),
            delivery_mode=_text(get("DeliveryMode")),
            delivery_address=self._address(get("DeliveryAddress")),
            total=_decimal(get("TotalAmount")),
            lines=lines,
        )

    def _address(self, value: Any) -> AddressView | None:
        if not isinstance(value, dict):
            return None
        fields = {name: _text(self._casing.get(value, name)) for name in ADDRESS_FIELDS}
        if not any(fields.values()):
            return None
        return AddressView(
            line1=fields["Line1"],
            line2=fields["Line2"],
            care_of=fields["CareOf"],
            zip_code=fields["ZipCode"],
            city=fields["City"],
            region=fields["Region"],
            country=fields["Country"],
        )

    def _one(self, entity: str, filter_: str, expand: str | None = None) -> dict[str, Any] | None:
        params = {"$filter": filter_, "$top": "1"}
        if expand:
            params["$expand"] = expand
        rows = self._http.call("GET", ENTITY_SETS[entity], Retry.ALWAYS, params=params).json().get("value")
        return rows[0] if rows else None


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _decimal(value: Any) -> Decimal | None:
    if value in (None, "") or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _moment(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None
