"""``HttpNorceQuery``: the ``NorceQuery`` port over Norce Commerce Query 2.0 (OData v4, PascalCase).

Where Norce's reference leaves names to confirm, they live here and nowhere else: the entity set of
companies and its field names, and how an order is found by its basket id (``ClientOrderRef`` is the
basket id, which Query's ``Orders/Orders`` holds as ``QuotationId``). Query wants the ``applicationId``
header; auth is Connect's (the shared OAuth2 token, or legacy Basic). Look-ups are idempotent and
retried on any transient failure.
"""

from typing import Any

from norce_integration.adapters.http.caller import Retry
from norce_integration.adapters.http.norce_connect import NorceHttp
from norce_integration.norce.ports import OrderBuyer
from norce_integration.processing.vat import normalise_vat_no

COMPANIES = "Customers/Companies"
COMPANY_ID, COMPANY_VAT_NO, COMPANY_ORGANIZATION_NO = "Id", "VatNo", "OrganizationNo"
ORDERS, ORDER_BASKET_ID = "Orders/Orders", "QuotationId"
BUYER_COMPANY_ID, BUYER_CUSTOMER_ID = "BuyerCompanyId", "BuyerCustomerId"
DELIVERY_NOTES, INVOICES = "Orders/DeliveryNotes", "Orders/Invoices"  # credits are invoices with IsCredit


def _odata_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class HttpNorceQuery:
    def __init__(self, http: NorceHttp) -> None:
        self._http = http

    def find_company_id(self, *, vat_no: str | None, organization_no: str | None) -> int | None:
        wanted_vat = normalise_vat_no(vat_no)
        if wanted_vat:
            # Norce may hold the number as the buyer typed it: ask for it as sent and as normalised.
            candidates = {wanted_vat, (vat_no or "").strip()} - {""}
            filter_ = " or ".join(f"{COMPANY_VAT_NO} eq {_odata_string(v)}" for v in sorted(candidates))
            found = self._first(filter_, lambda c: normalise_vat_no(c.get(COMPANY_VAT_NO)) == wanted_vat)
            if found is not None:
                return found
        if organization_no:
            filter_ = f"{COMPANY_ORGANIZATION_NO} eq {_odata_string(organization_no)}"
            return self._first(filter_, lambda c: c.get(COMPANY_ORGANIZATION_NO) == organization_no)
        return None

    def order_buyer(self, basket_id: int) -> OrderBuyer | None:
        params = {
            "$filter": f"{ORDER_BASKET_ID} eq {int(basket_id)}",
            "$select": f"Id,{BUYER_COMPANY_ID},{BUYER_CUSTOMER_ID}",
            "$top": "1",
        }
        rows = self._http.call("GET", ORDERS, Retry.ALWAYS, params=params).json().get("value") or []
        if not rows:
            return None
        company_id, customer_id = rows[0].get(BUYER_COMPANY_ID), rows[0].get(BUYER_CUSTOMER_ID)
        return OrderBuyer(
            int(company_id) if company_id is not None else None,
            int(customer_id) if customer_id is not None else None,
        )

    def has_delivery_note(self, note_no: str) -> bool:
        return self._exists(DELIVERY_NOTES, f"NoteNo eq {_odata_string(note_no)}")

    def has_invoice(self, invoice_no: str) -> bool:
        return self._exists(INVOICES, f"InvoiceNo eq {_odata_string(invoice_no)}")

    def _exists(self, entity_set: str, filter_: str) -> bool:
        params = {"$filter": filter_, "$select": "Id", "$top": "1"}
        return bool(self._http.call("GET", entity_set, Retry.ALWAYS, params=params).json().get("value"))

    def _first(self, filter_: str, matches: Any) -> int | None:
        params = {
            "$filter": filter_,
            "$select": f"{COMPANY_ID},{COMPANY_VAT_NO},{COMPANY_ORGANIZATION_NO}",
            "$top": "10",
        }
        rows = self._http.call("GET", COMPANIES, Retry.ALWAYS, params=params).json().get("value") or []
        for row in rows:
            if matches(row):
                return int(row[COMPANY_ID])
        return None
