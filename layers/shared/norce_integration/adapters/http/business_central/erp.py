"""``BusinessCentralErp``: the ``Erp`` port on Business Central's standard API v2.0 (docs/erp-adapter.md).

Exactly once, with an ERP that keeps no unique key of ours:
- an order is one ``salesOrder`` with its lines in the same POST; its ClientOrderRef is the
  ``externalDocumentNumber`` (``references``) and ``find_order`` finds it by ``$filter`` on it, also once BC
  has posted the order (its shipments and invoices keep the number) - three look-ups in one ``$batch``;
- every create (order, customer, company) is fenced (``fence``): one attempt at a time per key; an
  attempt whose outcome is unknown (a timeout, a 5xx, a 504 at BC's 10-minute ceiling) blocks the next
  one until BC has surely finished, and the next one looks the entity up before it writes;
- a person is found by e-mail (any case), a company by VAT number (compared normalised, as the port
  wants: ``taxRegistrationNumber`` is not a table field, so Business Central cannot filter on it and the
  companies are read, 20,000 a page, with only the fields compared); an entity with no natural key by the
  number its fence remembers.
Updates are PATCHes of what differs, with ``If-Match`` and the entity's etag; a 412 (changed meanwhile)
reads it again and retries.
"""

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from norce_integration.adapters.http.business_central.api import BcApi, ErpRefused, with_query
from norce_integration.adapters.http.business_central.documents import BcDocuments, odata_datetime
from norce_integration.adapters.http.business_central.fence import (
    UNCERTAIN_SECONDS,
    Fence,
    InMemoryWriteFence,
    WriteFence,
)
from norce_integration.adapters.http.business_central.mapping import (
    changes,
    company_body,
    customer_body,
    sales_order,
    to_company,
    to_customer,
)
from norce_integration.adapters.http.business_central.references import external_document_number, literal
from norce_integration.adapters.http.caller import Retry
from norce_integration.erp.model import ErpCompany, ErpCustomer, ErpDocument, ErpOrder, ErpOrderRef
from norce_integration.erp.ports import ErpRejected, ErpUnavailable
from norce_integration.processing.vat import normalise_vat_no

_ORDER_FIELDS = "id,number,externalDocumentNumber"
_COMPANY_SCAN = "id,number,displayName,taxRegistrationNumber,lastModifiedDateTime"
_ETAG_RETRIES = 3


@dataclass
class BusinessCentralErp:
    api: BcApi
    fence: WriteFence = field(default_factory=InMemoryWriteFence)
    fee_account: str | None = None
    clock: Callable[[], float] = time.time
    owner: str = field(default_factory=lambda: uuid.uuid4().hex)
    documents: BcDocuments = field(init=False)

    def __post_init__(self) -> None:
        self.documents = BcDocuments(self.api)

    # -- orders
    def find_order(self, external_ref: str) -> ErpOrderRef | None:
        number = external_document_number(external_ref)
        where = f"externalDocumentNumber eq {literal(number)}"
        open_orders, shipments, invoices = self.api.batch_get(
            [
                with_query("salesOrders", {"$filter": where, "$select": _ORDER_FIELDS}),
                with_query("salesShipments", {"$filter": where, "$select": "number,orderNumber"}),
                with_query("salesInvoices", {"$filter": where, "$select": "number,orderNumber"}),
            ]
        )
        found = sorted(order["number"] for order in (open_orders or {}).get("value") or [])
        found += sorted(
            doc["orderNumber"]
            for doc in [*((shipments or {}).get("value") or []), *((invoices or {}).get("value") or [])]
            if doc.get("orderNumber")
        )
        return ErpOrderRef(external_ref=external_ref, order_no=found[0], created=False) if found else None

    def create_order(self, order: ErpOrder) -> ErpOrderRef:
        body = sales_order(order, self.fee_account)  # ErpRejected before any claim: nothing was sent
        key = f"order:{body['externalDocumentNumber']}"

        def find(_: float | None) -> str | None:
            found = self.find_order(order.external_ref)
            return found.order_no if found else None

        def post() -> str:
            answer = self.api.request("POST", self.api.url("salesOrders"), retry=Retry.IF_REFUSED, json=body)
            return str(answer.json()["number"])

        number, created = self._fenced(key, find, post)
        return ErpOrderRef(external_ref=order.external_ref, order_no=number, created=created)

    # -- the fence around every create
    def _fenced(
        self, key: str, find: Callable[[float | None], str | None], post: Callable[[], str]
    ) -> tuple[str, bool]:
        """The number of the entity ``key`` names, created by ``post`` unless ``find`` or the fence knows it.
        ``find`` gets the start of an earlier attempt whose outcome is unknown (``None``: there was none)."""
        now = self.clock()
        granted, before = self.fence.begin(key, self.owner, now)
        if before is not None and before.state is Fence.WRITTEN and before.number:
            return before.number, False
        if not granted:  # another attempt holds it: what it made may be there already
            found = find(before.started_at if before else None)
            if found is not None:
                self.fence.written(key, self.owner, found)
                return found, False
            wait = (before.started_at + UNCERTAIN_SECONDS - now) if before else 60.0
            what = "this order" if key.startswith("order:") else "this customer"  # never the key: an e-mail
            raise ErpUnavailable(
                f"Business Central: another attempt is creating {what} (or its outcome is not known yet); "
                "trying again once it has surely ended",
                retry_after=max(5.0, min(wait, 300.0)),
            )
        earlier = before.started_at if before is not None and before.state is Fence.WRITING else None
        try:
            existing = find(earlier)
            if existing is not None:
                self.fence.written(key, self.owner, existing)
                return existing, False
            number = post()
        except (ErpRefused, ErpRejected):
            self.fence.release(key, self.owner)  # surely nothing was written: the next attempt may go at once
            raise
        except ErpUnavailable:  # unknown outcome: the claim holds; the next attempt looks it up first
            raise
        self.fence.written(key, self.owner, number)
        return number, True

    # -- customers (persons)
    def _by_number(self, number: str) -> dict[str, Any] | None:
        found = self.api.get("customers", **{"$filter": f"number eq {literal(number)}"}).get("value") or []
        return found[0] if found else None

    def _by_email(self, email: str) -> dict[str, Any] | None:
        query = {"$filter": f"tolower(email) eq {literal(email.lower())}", "$orderby": "number"}
        found = self.api.get("customers", **query).get("value") or []
        return found[0] if found else None

    def _remembered(self, external_ref: str | None) -> dict[str, Any] | None:
        """The entity a fenced create of ``external_ref`` made (the only key of one without a natural key)."""
        state = self.fence.get(f"ref:{external_ref}") if external_ref else None
        if state is not None and state.state is Fence.WRITTEN and state.number:
            return self._by_number(state.number)
        return None

    def find_customer(
        self, *, code: str | None = None, email: str | None = None, external_ref: str | None = None
    ) -> ErpCustomer | None:
        found = self._by_number(code) if code else None
        if found is None and external_ref:
            found = self._remembered(external_ref)
        ref = external_ref or ""
        emails = [ref.removeprefix("email:")] if ref.startswith("email:") else []
        for address in dict.fromkeys([*emails, *([email.lower()] if email else [])]):
            found = found or self._by_email(address)  # compared case-insensitively: one look-up per address
        return to_customer(found) if found else None

    def create_customer(self, customer: ErpCustomer) -> ErpCustomer:
        key = _key(customer.external_ref, "email", (customer.email or "").lower())
        body = customer_body(customer)

        def find(earlier: float | None) -> str | None:
            found = self._by_email(customer.email) if customer.email else self._same_name(body, earlier)
            return found["number"] if found else None

        def post() -> str:
            answer = self.api.request("POST", self.api.url("customers"), retry=Retry.IF_REFUSED, json=body)
            return str(answer.json()["number"])

        number, _ = self._fenced(key, find, post)
        found = self._by_number(number)
        return to_customer(found) if found else customer.model_copy(update={"code": number})

    def _same_name(self, body: dict[str, Any], earlier: float | None) -> dict[str, Any] | None:
        """An entity with no natural key, after an attempt whose answer was lost: one of this name changed
        since that attempt began (the only trace it leaves). No earlier attempt: nothing to find."""
        if earlier is None:
            return None
        since = odata_datetime(datetime.fromtimestamp(earlier, UTC))
        where = f"displayName eq {literal(body['displayName'])} and lastModifiedDateTime ge {since}"
        found = self.api.get("customers", **{"$filter": where}).get("value") or []
        return found[0] if found else None

    def update_customer(self, customer: ErpCustomer) -> None:
        self._update(customer.code, customer_body(customer), customer.is_active)

    def _update(self, number: str | None, wanted: dict[str, Any], is_active: bool) -> None:
        """PATCH what differs, with ``If-Match``; a 412 (changed meanwhile) reads it again and retries."""
        if not number:
            raise ErpRejected("Business Central: an update needs the customer's number (its code)")
        for _ in range(_ETAG_RETRIES):
            current = self._by_number(number)
            if current is None:
                raise ErpRejected(f"Business Central has no customer {number}")
            patch = changes(current, wanted, is_active)
            if not patch:
                return
            answer = self.api.request(
                "PATCH",
                self.api.url(f"customers({current['id']})"),
                retry=Retry.ALWAYS,  # the same PATCH twice writes the same values
                accept=frozenset({412}),
                json=patch,
                headers={"If-Match": current["@odata.etag"]},
            )
            if answer.status_code != 412:
                return
        raise ErpUnavailable(f"Business Central: customer {number} kept changing while we wrote it", 30)

    # -- companies (customers of type Company)
    def find_company(
        self,
        *,
        code: str | None = None,
        organization_no: str | None = None,
        vat_no: str | None = None,
        external_ref: str | None = None,
    ) -> ErpCompany | None:
        del organization_no  # Business Central's customer has no organisation number field
        found = self._by_number(code) if code else None
        if found is None and external_ref:
            found = self._remembered(external_ref)
            if found is None and external_ref.startswith("vat:"):
                found = self._by_vat(external_ref.removeprefix("vat:"))
        if found is None and vat_no:
            found = self._by_vat(vat_no)
        return to_company(found) if found else None

    def _by_vat(self, vat_no: str) -> dict[str, Any] | None:
        wanted = normalise_vat_no(vat_no)
        if not wanted:
            return None
        query = {"$filter": "type eq 'Company'", "$select": _COMPANY_SCAN}
        for entity in self.api.pages("customers", **query):
            if normalise_vat_no(entity.get("taxRegistrationNumber") or None) == wanted:
                return self._by_number(entity["number"])
        return None

    def create_company(self, company: ErpCompany) -> ErpCompany:
        key = _key(company.external_ref, "vat", normalise_vat_no(company.vat_no) or "")
        body = company_body(company)

        def find(earlier: float | None) -> str | None:
            found = self._by_vat(company.vat_no) if company.vat_no else self._same_name(body, earlier)
            return found["number"] if found else None

        def post() -> str:
            answer = self.api.request("POST", self.api.url("customers"), retry=Retry.IF_REFUSED, json=body)
            return str(answer.json()["number"])

        number, _ = self._fenced(key, find, post)
        found = self._by_number(number)
        return to_company(found) if found else company.model_copy(update={"code": number})

    def update_company(self, company: ErpCompany) -> None:
        self._update(company.code, company_body(company), company.is_active)

    # -- exports (scheduled imports) and the change feed (the poll)
    def _export(self, kind: str, since: datetime | None) -> Iterator[dict[str, Any]]:
        where = f"type eq '{kind}'" + (
            f" and lastModifiedDateTime ge {odata_datetime(since)}" if since else ""
        )
        yield from self.api.pages("customers", **{"$filter": where})

    def export_customers(self, changed_since: datetime | None) -> Iterator[ErpCustomer]:
        for entity in self._export("Person", changed_since):
            yield to_customer(entity)

    def export_companies(self, changed_since: datetime | None) -> Iterator[ErpCompany]:
        for entity in self._export("Company", changed_since):
            yield to_company(entity)

    def changed_documents(self, changed_since: datetime | None) -> Iterator[ErpDocument]:
        yield from self.documents.changed(changed_since)


def _key(external_ref: str | None, natural: str, value: str) -> str:
    """The fence key of a create: its external reference, else its natural key, else one of its own (an
    entity with neither cannot be found again, so it is at least never blocked by another)."""
    return f"ref:{external_ref or (f'{natural}:{value}' if value else 'none:' + uuid.uuid4().hex)}"
