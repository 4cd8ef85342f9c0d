"""``HttpErp``: the ``Erp`` port over a generic REST/JSON ERP (contract in docs/simulators.md).

``POST /orders``, ``/customers`` and ``/companies`` are retried freely because the ERP refuses a second
entity with the same ``externalRef`` (409 -> the existing one). An entity created without an external
reference is looked up after a create that may have gone through, before anything is posted again.
"""

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import requests

from norce_integration.adapters.http.caller import HttpCaller, Retry
from norce_integration.erp.model import (
    ErpCompany,
    ErpCustomer,
    ErpDocument,
    ErpModel,
    ErpOrder,
    ErpOrderRef,
)
from norce_integration.erp.ports import ErpRejected, ErpUnavailable


def _unavailable(reason: str, retry_after: float | None) -> Exception:
    return ErpUnavailable(f"ERP: {reason}", retry_after)


def _rejected(reason: str) -> Exception:
    return ErpRejected(f"ERP: {reason}")


def _wire(model: ErpModel) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


class HttpErp:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        session: requests.Session | None = None,
        page_size: int = 500,
        caller: HttpCaller | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._caller = caller or HttpCaller(_unavailable, _rejected, session=session or requests.Session())
        self._caller.session.headers.update({"X-Api-Key": api_key, "Accept": "application/json"})
        self._page_size = page_size

    def _get(self, path: str, **params: Any) -> Any:
        return self._caller.request("GET", f"{self._base}{path}", retry=Retry.ALWAYS, params=params).json()

    # -- orders
    def find_order(self, external_ref: str) -> ErpOrderRef | None:
        items = self._get("/orders", externalRef=external_ref).get("items") or []
        return (
            ErpOrderRef(external_ref=external_ref, order_no=items[0]["orderNo"], created=False)
            if items
            else None
        )

    def create_order(self, order: ErpOrder) -> ErpOrderRef:
        response = self._caller.request(
            "POST", f"{self._base}/orders", retry=Retry.ALWAYS, accept=frozenset({409}), json=_wire(order)
        )
        body = response.json()
        return ErpOrderRef(
            external_ref=order.external_ref,
            order_no=str(body["orderNo"]),
            created=response.status_code != 409,
        )

    # -- customers
    def find_customer(
        self, *, code: str | None = None, email: str | None = None, external_ref: str | None = None
    ) -> ErpCustomer | None:
        found = self._find("/customers", code=code, externalRef=external_ref, email=email)
        return ErpCustomer.model_validate(found) if found else None

    def create_customer(self, customer: ErpCustomer) -> ErpCustomer:
        return ErpCustomer.model_validate(
            self._create(
                "/customers",
                customer,
                lambda: self.find_customer(external_ref=customer.external_ref, email=customer.email),
            )
        )

    def update_customer(self, customer: ErpCustomer) -> None:
        self._caller.request(
            "PUT", f"{self._base}/customers/{customer.code}", retry=Retry.ALWAYS, json=_wire(customer)
        )

    # -- companies
    def find_company(
        self,
        *,
        code: str | None = None,
        organization_no: str | None = None,
        vat_no: str | None = None,
        external_ref: str | None = None,
    ) -> ErpCompany | None:
        found = self._find(
            "/companies", code=code, externalRef=external_ref, vatNo=vat_no, organizationNo=organization_no
        )
        return ErpCompany.model_validate(found) if found else None

    def create_company(self, company: ErpCompany) -> ErpCompany:
        return ErpCompany.model_validate(
            self._create(
                "/companies",
                company,
                lambda: self.find_company(
                    external_ref=company.external_ref,
                    vat_no=company.vat_no,
                    organization_no=company.organization_no,
                ),
            )
        )

    def update_company(self, company: ErpCompany) -> None:
        self._caller.request(
            "PUT", f"{self._base}/companies/{company.code}", retry=Retry.ALWAYS, json=_wire(company)
        )

    def _find(self, path: str, **keys: str | None) -> dict[str, Any] | None:
        """The first entity found by the given keys, one query per key, in the order given."""
        for name, value in keys.items():
            if value:
                items = self._get(path, **{name: value}).get("items") or []
                if items:
                    found: dict[str, Any] = items[0]
                    return found
        return None

    def _create(self, path: str, entity: ErpCustomer | ErpCompany, find: Any) -> Any:
        """POST the entity. With an ``externalRef`` the ERP refuses a second one (409 -> the existing
        entity), so the POST is retried freely; without one, a POST that may have gone through
        (timeout, 5xx) is followed by a look-up before anything is posted again."""
        if entity.external_ref:
            response = self._caller.request(
                "POST", f"{self._base}{path}", retry=Retry.ALWAYS, accept=frozenset({409}), json=_wire(entity)
            )
            return response.json()
        for _ in range(2):
            try:
                return self._caller.request(
                    "POST", f"{self._base}{path}", retry=Retry.IF_REFUSED, json=_wire(entity)
                ).json()
            except ErpUnavailable:
                existing = find()
                if existing is not None:
                    return existing.model_dump(mode="json", by_alias=True)
        raise ErpUnavailable(f"ERP: creating {path.strip('/')} failed twice")

    # -- exports
    def export_customers(self, changed_since: datetime | None) -> Iterator[ErpCustomer]:
        for item in self._pages("/customers", changed_since):
            yield ErpCustomer.model_validate(item)

    def export_companies(self, changed_since: datetime | None) -> Iterator[ErpCompany]:
        for item in self._pages("/companies", changed_since):
            yield ErpCompany.model_validate(item)

    def changed_documents(self, changed_since: datetime | None) -> Iterator[ErpDocument]:
        for item in self._pages("/documents", changed_since):
            yield ErpDocument.model_validate(item)

    def _pages(self, path: str, changed_since: datetime | None) -> Iterator[dict[str, Any]]:
        params: dict[str, Any] = {
            "pageSize": self._page_size,
            "changedSince": (changed_since or datetime.min).isoformat(),
        }
        while True:
            page = self._get(path, **params)
            yield from page.get("items") or []
            if not page.get("nextPageToken"):
                return
            params["pageToken"] = page["nextPageToken"]
