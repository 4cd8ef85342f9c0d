"""The neutral ERP model as Business Central API v2.0 entities, and back (docs/erp-adapter.md has the table).

Field names are the API pages' (``microsoft/BCApps`` ``src/Apps/W1/APIV2/app/src/pages/APIV2*.Page.al``);
lengths are their tables' (``src/Layers/W1/BaseApp``: Sales Header, Sales Line, Customer). Business Central
refuses a text longer than its field (``Application_StringExceededLength``), so text is cut to fit;
Code fields Business Central upper-cases itself.

Prices: ``pricesIncludeTax`` false and ``unitPrice`` excluding VAT, as Norce sends them; Business Central
computes the VAT from its own posting setup of the item and the customer. ``discountAmount`` is the line's
discount amount (Norce's ``Discount``) and, on the header, the order's discounts (an invoice discount).
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from norce_integration.adapters.http.business_central.references import external_document_number
from norce_integration.erp.model import ErpAddress, ErpCompany, ErpCustomer, ErpOrder
from norce_integration.erp.ports import ErpRejected
from norce_integration.processing.vat import normalise_vat_no

LINE = 10_000  # an item line's ``sequence`` (Line No.) is Norce's LineNo x 10,000: posted lines keep it
TEXT = {  # field -> length, of the tables behind the API pages
    "description": 100,  # Sales Line.Description Text[100]
    "shipToName": 100,  # Sales Header."Ship-to Name" Text[100]
    "shipToContact": 100,  # Sales Header."Ship-to Contact" Text[100]
    "shipToAddressLine1": 100,  # Sales Header."Ship-to Address" Text[100]
    "shipToAddressLine2": 50,  # Sales Header."Ship-to Address 2" Text[50]
    "shipToCity": 30,  # Sales Header."Ship-to City" Text[30]
    "shipToState": 30,  # Sales Header."Ship-to County" Text[30]
    "shipToPostCode": 20,  # Sales Header."Ship-to Post Code" Code[20]
    "shipToCountry": 10,  # Sales Header."Ship-to Country/Region Code" Code[10]
    "phoneNumber": 30,  # Sales Header."Sell-to Phone No." / Customer."Phone No." Text[30]
    "email": 80,  # Sales Header."Sell-to E-Mail" / Customer."E-Mail" Text[80]
    "displayName": 100,  # Customer.Name Text[100]
    "addressLine1": 100,  # Customer.Address Text[100]
    "addressLine2": 50,  # Customer."Address 2" Text[50]
    "city": 30,  # Customer.City Text[30]
    "state": 30,  # Customer.County Text[30]
    "postalCode": 20,  # Customer."Post Code" Code[20]
    "country": 10,  # Customer."Country/Region Code" Code[10]
    "taxRegistrationNumber": 20,  # Customer."VAT Registration No." Text[20]
}
CODE_FIELDS = {"shipToPostCode", "shipToCountry", "postalCode", "country"}  # Business Central upper-cases
BLOCKED_ALL = "All"  # Customer.Blocked: " ", "Ship", "Invoice", "All"


def fit(field: str, value: str | None) -> str | None:
    """``value`` cut to the length of ``field`` (blank becomes ``None``)."""
    text = (value or "").strip()
    return text[: TEXT[field]] if text else None


def _set(body: dict[str, Any], field: str, value: str | None) -> None:
    fitted = fit(field, value)
    if fitted is not None:
        body[field] = fitted


def _money(value: Decimal) -> float:
    return float(value)


def sales_order(order: ErpOrder, fee_account: str | None) -> dict[str, Any]:
    """The ``salesOrder`` to POST, with its ``salesOrderLines`` (a deep insert: one call, one transaction)."""
    customer = order.company_code or order.customer_code
    if not customer:
        raise ErpRejected("Business Central: the order has no customer code (customerNumber is required)")
    body: dict[str, Any] = {
        "externalDocumentNumber": external_document_number(order.external_ref),
        "customerNumber": customer,
        "currencyCode": order.currency,
        "pricesIncludeTax": False,
    }
    if order.submitted_at:
        body["orderDate"] = order.submitted_at.date().isoformat()
    if order.delivery.complete_delivery is not None:
        body["partialShipping"] = not order.delivery.complete_delivery
    address = order.delivery.address
    if address:
        _set(body, "shipToName", address.name)
        _set(body, "shipToContact", address.care_of)
        _set(body, "shipToAddressLine1", address.line1)
        _set(body, "shipToAddressLine2", address.line2 or address.box)
        _set(body, "shipToCity", address.city)
        _set(body, "shipToState", address.region)
        _set(body, "shipToPostCode", address.zip_code)
        _set(body, "shipToCountry", address.country)
        _set(body, "phoneNumber", address.phone)
    discounts = sum((charge.amount for charge in order.discounts), Decimal(0))
    if discounts:
        body["discountAmount"] = _money(abs(discounts))
    body["salesOrderLines"] = _lines(order, fee_account)
    return body


def _lines(order: ErpOrder, fee_account: str | None) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    for line in order.lines:
        item: dict[str, Any] = {
            "sequence": line.line_no * LINE,
            "lineType": "Item",
            "lineObjectNumber": line.part_no,
            "quantity": _money(line.quantity),
            "unitPrice": _money(line.unit_price),
        }
        _set(item, "description", line.description)
        if line.discount:
            item["discountAmount"] = _money(line.discount)
        lines.append(item)
        if line.comment:
            lines.append(_comment(line.line_no * LINE + 1, line.comment))
    last = max((line.line_no for line in order.lines), default=0) * LINE
    for offset, fee in enumerate((fee for fee in order.fees if fee.amount), start=1):
        if not fee_account:
            raise ErpRejected(
                f"Business Central: fee {fee.code or fee.description or offset} has no G/L account: set "
                "BcFeeAccount to the account fees are booked on"
            )
        fee_line: dict[str, Any] = {
            "sequence": last + LINE * offset,
            "lineType": "Account",
            "lineObjectNumber": fee_account,
            "quantity": 1.0,
            "unitPrice": _money(fee.amount),
        }
        _set(fee_line, "description", fee.description or fee.code)
        lines.append(fee_line)
    if order.comment:
        lines.append(_comment(last + LINE * (len(order.fees) + 1), order.comment))
    return lines


def _comment(sequence: int, text: str) -> dict[str, Any]:
    line: dict[str, Any] = {"sequence": sequence, "lineType": "Comment"}
    _set(line, "description", text)
    return line


# -- customers and companies
def _address_fields(body: dict[str, Any], address: ErpAddress | None) -> None:
    if address is None:
        return
    _set(body, "addressLine1", address.line1)
    _set(body, "addressLine2", address.line2 or address.box)
    _set(body, "city", address.city)
    _set(body, "state", address.region)
    _set(body, "postalCode", address.zip_code)
    _set(body, "country", address.country)


def person_name(customer: ErpCustomer) -> str:
    return " ".join(part for part in (customer.first_name, customer.last_name) if part and part.strip())


def customer_body(customer: ErpCustomer) -> dict[str, Any]:
    """A person as a BC ``customer`` of ``type`` Person. BC has one phone: the mobile, else the other."""
    body: dict[str, Any] = {"type": "Person"}
    _set(body, "displayName", person_name(customer) or customer.email or customer.external_ref)
    _set(body, "email", customer.email)
    _set(body, "phoneNumber", customer.cell_phone or customer.phone)
    _address_fields(body, customer.address)
    return body


def company_body(company: ErpCompany) -> dict[str, Any]:
    """An organisation as a BC ``customer`` of ``type`` Company; the VAT number is its
    ``taxRegistrationNumber``. BC's customer has no organisation number field: it is not carried."""
    body: dict[str, Any] = {"type": "Company"}
    _set(body, "displayName", company.name or company.vat_no or company.external_ref)
    _set(body, "taxRegistrationNumber", company.vat_no)
    _set(body, "email", company.email)
    _set(body, "phoneNumber", company.phone)
    _address_fields(body, company.address)
    return body


def _address(entity: dict[str, Any]) -> ErpAddress | None:
    fields = {
        "line1": entity.get("addressLine1") or None,
        "line2": entity.get("addressLine2") or None,
        "city": entity.get("city") or None,
        "region": entity.get("state") or None,
        "zip_code": entity.get("postalCode") or None,
        "country": entity.get("country") or None,
    }
    return ErpAddress(**fields) if any(fields.values()) else None


def _changed_at(entity: dict[str, Any]) -> datetime | None:
    value = entity.get("lastModifiedDateTime")
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def split_name(display_name: str | None) -> tuple[str | None, str | None]:
    """``displayName`` as (first names, last name): split at its last blank; one word is a first name."""
    first, _, last = (display_name or "").strip().rpartition(" ")
    return (first or None, last or None) if first else (last or None, None)


def to_customer(entity: dict[str, Any]) -> ErpCustomer:
    """A BC customer as a person (BC holds one ``displayName``: ``split_name``)."""
    first, last = split_name(entity.get("displayName"))
    email = entity.get("email") or None
    return ErpCustomer(
        code=entity.get("number"),
        external_ref=f"email:{email.lower()}" if email else None,
        email=email,
        first_name=first,
        last_name=last,
        phone=entity.get("phoneNumber") or None,
        address=_address(entity),
        is_active=entity.get("blocked") != BLOCKED_ALL,
        changed_at=_changed_at(entity),
    )


def to_company(entity: dict[str, Any]) -> ErpCompany:
    vat_no = normalise_vat_no(entity.get("taxRegistrationNumber") or None) or None
    return ErpCompany(
        code=entity.get("number"),
        external_ref=f"vat:{vat_no}" if vat_no else None,
        name=entity.get("displayName") or None,
        vat_no=vat_no,
        email=entity.get("email") or None,
        phone=entity.get("phoneNumber") or None,
        address=_address(entity),
        is_active=entity.get("blocked") != BLOCKED_ALL,
        changed_at=_changed_at(entity),
    )


def changes(current: dict[str, Any], wanted: dict[str, Any], is_active: bool) -> dict[str, Any]:
    """The fields of ``wanted`` that differ from ``current`` (a PATCH body; empty: nothing to write, and
    ``lastModifiedDateTime`` stays, so the next delta import does not send it back). ``blocked`` becomes
    ``All`` for an inactive entity, and back to blank only from ``All`` (a ``Ship``/``Invoice`` block
    is the accountant's, not Norce's)."""

    def held(field: str, value: Any) -> Any:
        return value.upper() if field in CODE_FIELDS and isinstance(value, str) else value

    patch = {
        field: value
        for field, value in wanted.items()
        if field != "type" and held(field, current.get(field) or None) != held(field, value)
    }
    blocked = current.get("blocked")
    if not is_active and blocked != BLOCKED_ALL:
        patch["blocked"] = BLOCKED_ALL
    elif is_active and blocked == BLOCKED_ALL:
        patch["blocked"] = " "
    return patch


def as_date(value: str | None) -> datetime | None:
    """A BC ``date`` (``2024-12-18``; ``0001-01-01`` is BC's blank date) as a datetime at midnight."""
    if not value or value.startswith("0001-01-01"):
        return None
    return datetime.combine(date.fromisoformat(value[:10]), datetime.min.time())
