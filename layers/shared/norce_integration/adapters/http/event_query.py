"""``HttpEventQuery``: the ``EventQuery`` port over Norce Commerce Query, asking for what Norce publishes.

- **An order** (the e-mails): Query 2.0 ``Orders/Orders`` by ``Id`` (a string key: the event's ``OrderId``),
  ``$expand=Items`` (``ProductName``, ``QtyOrdered``, ``LineAmount``: excluding VAT); then Query 3.0's
  ``Orders/Orders`` by ``id`` for the buyer and the ship-to: ``buyerCustomer`` (the customer of
  ``BuyerCustomerId``) or, for a guest, ``buyerCustomerInfo``, and ``shipToCustomerInfo``. Query's Order has
  no e-mail, name, culture, currency code, total or address of its own.
- **A customer or company** (changes into the ERP): ``Customers/Customers`` / ``Customers/Companies`` by
  ``Id`` in ``NorceQueryVersion`` (2.0 PascalCase, 3.0 camelCase: the names are written once, in 2.0's
  spelling), with ``$expand=Addresses``: Query has no ``InvoiceAddress``; the invoice address is the address
  of ``TypeId`` 1 (not published: our choice), else the first. An address change updates the address row,
  so the entity's ``updated`` is the latest of its own and its addresses'.
- **An invoice's order** (InvoiceCaptureCompletedEvent): 2.0 ``Orders/Invoices`` by ``Id`` ->
  ``ReferenceOrderId`` -> ``Orders/Orders`` (``QuotationId``, ``OrderNo``).

Countries and currencies are integer ids in Query (``CountryId``, ``CurrencyId``); ``countries`` and
``currencies`` map them to ISO codes (``NorceCountryCodes``, ``NorceCurrencyCodes``); an id not in the map
is shown as nothing. Every request uses ``$select`` (only published properties; tests hold the request
URLs to the descriptions in tests/contracts/norce/query.py). Orders are cached for a minute per Lambda
instance (an order in Query is a snapshot from checkout); customers and companies never.
"""

import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from norce_integration.adapters.http.caller import Retry
from norce_integration.adapters.http.norce_connect import NorceHttp
from norce_integration.events.views import (
    AddressView,
    CompanyView,
    CustomerView,
    InvoiceOrder,
    OrderLineView,
    OrderView,
)

ORDERS, INVOICES = "Orders/Orders", "Orders/Invoices"
CUSTOMERS, COMPANIES = "Customers/Customers", "Customers/Companies"
ORDER_FIELDS = "Id,QuotationId,OrderNo,CurrencyId,DeliveryMode"
ITEM_FIELDS = "LineNumber,PartNo,ProductName,QtyOrdered,LineAmount"
PERSON_FIELDS = "emailAddress,firstName,lastName"
SHIP_TO_FIELDS = (
    "firstName,lastName,companyName,careOf,addressLine1,addressLine2,zipCode,city,region,countryId"
)
ADDRESS_FIELDS = (
    "TypeId",
    "CareOf",
    "AddressLine1",
    "AddressLine2",
    "ZipCode",
    "City",
    "Region",
    "CountryId",
)
CUSTOMER_FIELDS = (
    *("Id", "CustomerCode", "EmailAddress", "FirstName", "LastName"),
    *("PhoneNumber", "CellPhoneNumber", "IsActive", "Updated"),
)
COMPANY_FIELDS = (
    *("Id", "CompanyCode", "Name", "OrganizationNo", "VatNo", "EmailAddress"),
    *("PhoneNumber", "IsActive", "Updated"),
)
INVOICE_ADDRESS_TYPE = 1  # CustomerAddress.TypeId of the invoice address: not published, our choice
ORDER_CACHE_SECONDS = 60.0
ORDER_CACHE_SIZE = 256


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
    def __init__(  # noqa: PLR0917 - the two Query versions' clients, then the settings
        self,
        http: NorceHttp,
        http_3: NorceHttp,
        version: str = "2.0",
        countries: dict[int, str] | None = None,
        currencies: dict[int, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http, self._http_3 = http, http_3
        self._casing = Casing(version)
        self._countries, self._currencies = countries or {}, currencies or {}
        self._clock = clock
        self._orders: OrderedDict[int, tuple[float, OrderView]] = OrderedDict()

    # -- customers and companies
    def customer(self, customer_id: int) -> CustomerView | None:
        row = self._party(CUSTOMERS, customer_id, CUSTOMER_FIELDS)
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
            address=self._invoice_address(get("Addresses")),
            is_active=get("IsActive") is not False,
            updated=self._updated(row),
        )

    def company(self, company_id: int) -> CompanyView | None:
        row = self._party(COMPANIES, company_id, COMPANY_FIELDS)
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
            address=self._invoice_address(get("Addresses")),
            is_active=get("IsActive") is not False,
            updated=self._updated(row),
        )

    def _party(self, entity_set: str, entity_id: int, fields: tuple[str, ...]) -> dict[str, Any] | None:
        name = self._casing.name
        addresses = ",".join(name(f) for f in (*ADDRESS_FIELDS, "Updated"))
        http = self._http_3 if self._casing.camel else self._http
        return _one(
            http,
            entity_set,
            {
                "$filter": f"{name('Id')} eq {int(entity_id)}",
                "$select": ",".join(name(f) for f in fields),
                "$expand": f"{name('Addresses')}($select={addresses})",
            },
        )

    def _invoice_address(self, rows: Any) -> AddressView | None:
        addresses = [row for row in rows or [] if isinstance(row, dict)]
        if not addresses:
            return None
        chosen = next(
            (row for row in addresses if self._casing.get(row, "TypeId") == INVOICE_ADDRESS_TYPE),
            addresses[0],
        )
        get = lambda name: _text(self._casing.get(chosen, name))  # noqa: E731
        return _address(
            get("CareOf"),
            get("AddressLine1"),
            get("AddressLine2"),
            get("ZipCode"),
            get("City"),
            get("Region"),
            self._country(self._casing.get(chosen, "CountryId")),
        )

    def _updated(self, row: dict[str, Any]) -> datetime | None:
        moments = [_moment(self._casing.get(row, "Updated"))]
        moments += [_moment(self._casing.get(a, "Updated")) for a in self._casing.get(row, "Addresses") or []]
        known = [moment for moment in moments if moment is not None]
        return max(known, key=_aware) if known else None

    # -- orders
    def order(self, order_id: int) -> OrderView | None:
        cached = self._orders.get(order_id)
        if cached and self._clock() - cached[0] < ORDER_CACHE_SECONDS:
            return cached[1]
        row = _one(
            self._http,
            ORDERS,
            {
                "$filter": f"Id eq {_odata_string(str(int(order_id)))}",
                "$select": ORDER_FIELDS,
                "$expand": f"Items($select={ITEM_FIELDS})",
            },
        )
        parties = _one(
            self._http_3,
            ORDERS,
            {
                "$filter": f"id eq {int(order_id)}",
                "$select": "id",
                "$expand": f"buyerCustomer($select={PERSON_FIELDS}),"
                f"buyerCustomerInfo($select={PERSON_FIELDS}),shipToCustomerInfo($select={SHIP_TO_FIELDS})",
            },
        )
        if row is None or parties is None:
            return None  # not cached: Query may hold it in a moment
        order = self._order(row, parties)
        self._orders[order_id] = (self._clock(), order)
        while len(self._orders) > ORDER_CACHE_SIZE:
            self._orders.popitem(last=False)
        return order

    def _order(self, row: dict[str, Any], parties: dict[str, Any]) -> OrderView:
        items = sorted(
            (item for item in row.get("Items") or [] if isinstance(item, dict)),
            key=lambda item: _decimal(item.get("LineNumber")) or Decimal(0),
        )
        lines = [
            OrderLineView(
                part_no=_text(item.get("PartNo")),
                name=_text(item.get("ProductName")),
                quantity=_decimal(item.get("QtyOrdered")) or Decimal(0),
                amount=_decimal(item.get("LineAmount")),
            )
            for item in items
        ]
        amounts = [line.amount for line in lines]
        buyer = parties.get("buyerCustomer") or parties.get("buyerCustomerInfo") or {}
        ship_to = parties.get("shipToCustomerInfo") or {}
        quotation = row.get("QuotationId")
        return OrderView(
            order_id=int(row["Id"]) if str(row.get("Id", "")).isdigit() else None,
            order_no=_text(row.get("OrderNo")),
            client_order_ref=str(quotation) if quotation is not None else None,
            currency=self._currencies.get(row["CurrencyId"])
            if isinstance(row.get("CurrencyId"), int)
            else None,
            email=_text(buyer.get("emailAddress")),
            first_name=_text(buyer.get("firstName")),
            last_name=_text(buyer.get("lastName")),
            delivery_mode=_text(row.get("DeliveryMode")),
            delivery_address=_address(
                _text(ship_to.get("careOf")),
                _text(ship_to.get("addressLine1")),
                _text(ship_to.get("addressLine2")),
                _text(ship_to.get("zipCode")),
                _text(ship_to.get("city")),
                _text(ship_to.get("region")),
                self._country(ship_to.get("countryId")),
            ),
            total=sum((a for a in amounts if a is not None), Decimal(0))
            if amounts and None not in amounts
            else None,
            lines=lines,
        )

    # -- an invoice's order
    def invoice_order(self, invoice_id: int) -> InvoiceOrder | None:
        invoice = _one(
            self._http,
            INVOICES,
            {
                "$filter": f"Id eq {_odata_string(str(int(invoice_id)))}",
                "$select": "Id,InvoiceNo,ReferenceOrderId",
            },
        )
        if invoice is None:
            return None
        reference = _text(invoice.get("ReferenceOrderId"))
        order = None
        if reference is not None:
            order = _one(
                self._http,
                ORDERS,
                {"$filter": f"Id eq {_odata_string(reference)}", "$select": "Id,QuotationId,OrderNo"},
            )
        quotation = (order or {}).get("QuotationId")
        return InvoiceOrder(
            invoice_id=int(invoice_id),
            invoice_no=_text(invoice.get("InvoiceNo")),
            order_id=reference,
            client_order_ref=str(quotation) if quotation is not None else None,
            order_no=_text((order or {}).get("OrderNo")),
        )

    def _country(self, value: Any) -> str | None:
        return self._countries.get(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _one(http: NorceHttp, entity_set: str, params: dict[str, str]) -> dict[str, Any] | None:
    rows = http.call("GET", entity_set, Retry.ALWAYS, params={**params, "$top": "1"}).json().get("value")
    return rows[0] if rows and isinstance(rows[0], dict) else None


def _odata_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _address(  # noqa: PLR0917 - the parts of an address, in their order
    care_of: str | None,
    line1: str | None,
    line2: str | None,
    zip_code: str | None,
    city: str | None,
    region: str | None,
    country: str | None,
) -> AddressView | None:
    if not any((care_of, line1, line2, zip_code, city, region)):
        return None
    return AddressView(
        line1=line1,
        line2=line2,
        care_of=care_of,
        zip_code=zip_code,
        city=city,
        region=region,
        country=country,
    )


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _decimal(value: Any) -> Decimal | None:
    if value in (None, "") or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _moment(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
