"""Business Central's webhooks: the notifications it sends us, what they stand for, and our subscriptions.

Per ``api-reference/v2.0/dynamics-subscriptions`` (learn.microsoft.com) and the BaseApp's
``APIWebhookNotificationSend`` codeunit (BCApps):
- A notification is a POST to the ``notificationUrl`` of ``{"value": [{"subscriptionId", "clientState",
  "expirationDateTime", "resource", "changeType", "lastModifiedDateTime"}]}``; ``changeType`` is
  ``created``, ``updated``, ``deleted`` or ``collection`` (more than 1,000 changes within the 30 s BC waits:
  ``resource`` is then the collection with a ``lastModifiedDateTime`` filter). It carries no data.
- Creating (POST) and renewing (PATCH with ``If-Match``) a subscription make BC call the ``notificationUrl``
  with ``?validationToken=``: the answer must be 200 with the token as the body. A subscription expires
  after three days unless renewed. BC retries a notification for 36 hours on 408, 429 and 5xx; any other
  answer deletes the subscription.
- ``salesShipments`` cannot be subscribed to (not in the list of supported entities); a posted shipment
  changes its sales order's lines, and a change of a line notifies the order. So we subscribe to
  ``salesOrders`` (read: the order's shipments), ``salesInvoices`` and ``salesCreditMemos``.
"""

import hashlib
import hmac
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from norce_integration.adapters.http.business_central.api import BcApi
from norce_integration.adapters.http.business_central.documents import BcDocuments
from norce_integration.adapters.http.caller import Retry
from norce_integration.erp.model import ErpChange, ErpDocument
from norce_integration.erp.ports import ErpError

SUBSCRIBED = ("salesOrders", "salesInvoices", "salesCreditMemos")
_RESOURCE = re.compile(
    r"companies\((?P<company>[0-9A-Fa-f-]{36})\)/(?P<set>\w+)(?:\((?P<id>[0-9A-Fa-f-]{36})\))?(?:\?(?P<query>.*))?$"
)
_SINCE = re.compile(r"lastModifiedDateTime\s+(?:gt|ge)\s+(\S+?)(?:'|\s|&|$)")


def client_state(client_secret: str) -> str:
    """Our subscriptions' ``clientState``: derived from the app's client secret (HMAC-SHA256), so it needs no
    secret of its own, only Business Central and we know it, and it changes when the secret is rotated
    (the next renewal sends the new one)."""
    return hmac.new(client_secret.encode(), b"norce-erp-integration/bc-webhooks", hashlib.sha256).hexdigest()


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def notifications(body: Any, expected_state: str) -> tuple[list[ErpChange], int]:
    """The changes of a notification body whose ``clientState`` is ours, and how many were not (forged or
    stale). Raises ``ValueError`` for a body that is not Business Central's notification shape."""
    if not isinstance(body, dict) or not isinstance(body.get("value"), list):
        raise ValueError('the body is not a Business Central notification ({"value": [...]})')
    changes, foreign = [], 0
    for item in body["value"]:
        if not isinstance(item, dict) or not isinstance(item.get("resource"), str):
            raise ValueError("a notification has no resource")
        if not hmac.compare_digest(str(item.get("clientState") or ""), expected_state):
            foreign += 1
            continue
        changes.append(
            ErpChange(
                resource=item["resource"],
                change_type=str(item.get("changeType") or ""),
                changed_at=_when(item.get("lastModifiedDateTime")),
            )
        )
    return changes, foreign


@dataclass
class BcChanges:
    """``ErpChangeReader`` for Business Central: the documents a batch of notifications stands for."""

    api: BcApi
    documents: BcDocuments

    def documents_for(self, changes: list[ErpChange]) -> Iterator[ErpDocument]:
        ids: dict[str, list[str]] = {entity_set: [] for entity_set in SUBSCRIBED}
        collections: dict[str, datetime] = {}
        for change in changes:
            match = _RESOURCE.search(change.resource)
            if match is None or match["company"].lower() != self.api.company_id.lower():
                continue  # another company's, or not an entity we read
            entity_set = match["set"]
            if entity_set not in ids or change.change_type == "deleted":
                continue  # a deleted order was shipped and invoiced in full: its invoice says so
            if entity_set == "salesOrders" and change.change_type == "created":
                continue  # a new order has shipped nothing (our own orders notify us too)
            if change.change_type == "collection" or not match["id"]:
                since = _since(match["query"]) or change.changed_at
                if since is not None:
                    collections[entity_set] = min(since, collections.get(entity_set, since))
            elif match["id"] not in ids[entity_set]:
                ids[entity_set].append(match["id"])
        yield from self._read(ids)
        for entity_set, since in collections.items():
            source = "salesShipments" if entity_set == "salesOrders" else entity_set
            yield from self.documents.changed_in(source, since)

    def _read(self, ids: dict[str, list[str]]) -> Iterator[ErpDocument]:
        urls = [f"salesOrders({i})?$select=id,number" for i in ids["salesOrders"]]
        urls += [f"salesInvoices({i})?$expand=salesInvoiceLines" for i in ids["salesInvoices"]]
        urls += [f"salesCreditMemos({i})?$expand=salesCreditMemoLines" for i in ids["salesCreditMemos"]]
        bodies = self.api.batch_get(urls) if urls else []
        orders = bodies[: len(ids["salesOrders"])]
        invoices = bodies[len(orders) : len(orders) + len(ids["salesInvoices"])]
        credits = bodies[len(orders) + len(invoices) :]
        numbers = [body["number"] for body in orders if body]
        numbers += [body["orderNumber"] for body in invoices if body and body.get("orderNumber")]
        yield from self.documents.shipments_of(numbers)
        for entity_set, found in (("salesInvoices", invoices), ("salesCreditMemos", credits)):
            for body in found:
                document = self.documents.document(entity_set, body) if body else None
                if document is not None:
                    yield document


def _since(query: str | None) -> datetime | None:
    from urllib.parse import unquote  # noqa: PLC0415 - only for collection notifications

    found = _SINCE.search(unquote(query or ""))
    return _when(found[1].strip("'")) if found else None


@dataclass
class SubscriptionReport:
    created: list[str] = field(default_factory=list)
    renewed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # resource -> why

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "renewed": self.renewed,
            "kept": self.kept,
            "removed": self.removed,
            "failed": self.failed,
        }


def _resource_key(resource: str) -> str:
    """``/api/v2.0/companies(..)/x``, relative or absolute, compared from ``api/`` on, without case."""
    return resource[resource.find("api/") :].lower() if "api/" in resource else resource.lower()


@dataclass
class BcSubscriptions:
    """Our subscriptions, one per entity: created when missing, renewed before they expire (or when our
    ``clientState`` changed), and removed when they name what we no longer want."""

    api: BcApi
    notification_url: str
    client_state: str
    renew_within: timedelta = timedelta(hours=36)
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def wanted(self) -> list[str]:
        return [f"/api/v2.0/companies({self.api.company_id})/{entity_set}" for entity_set in SUBSCRIBED]

    def ensure(self) -> SubscriptionReport:
        report = SubscriptionReport()
        listed = self.api.get(f"{self.api.root}/subscriptions").get("value") or []
        mine = {
            _resource_key(s.get("resource") or ""): s
            for s in listed
            if s.get("notificationUrl") == self.notification_url
        }
        for resource in self.wanted():
            existing = mine.pop(_resource_key(resource), None)
            try:
                self._ensure_one(resource, existing, report)
            except ErpError as error:
                report.failed[resource] = str(error)
        for stale in mine.values():
            try:
                self.api.request(
                    "DELETE",
                    f"{self.api.root}/subscriptions('{stale['subscriptionId']}')",
                    retry=Retry.ALWAYS,
                    accept=frozenset({404}),
                    headers={"If-Match": stale.get("@odata.etag") or "*"},
                )
                report.removed.append(str(stale.get("resource")))
            except ErpError as error:
                report.failed[str(stale.get("resource"))] = str(error)
        return report

    def _ensure_one(self, resource: str, existing: dict[str, Any] | None, report: SubscriptionReport) -> None:
        body = {
            "notificationUrl": self.notification_url,
            "resource": resource,
            "clientState": self.client_state,
        }
        if existing is None:
            self.api.request("POST", f"{self.api.root}/subscriptions", retry=Retry.IF_REFUSED, json=body)
            report.created.append(resource)
            return
        expires = _when(existing.get("expirationDateTime"))
        due = expires is None or expires - self.renew_within <= self.clock()
        if not due and existing.get("clientState") == self.client_state:
            report.kept.append(resource)
            return
        self.api.request(
            "PATCH",
            f"{self.api.root}/subscriptions('{existing['subscriptionId']}')",
            retry=Retry.ALWAYS,  # renewing twice renews once
            json=body,
            headers={"If-Match": existing.get("@odata.etag") or "*"},
        )
        report.renewed.append(resource)
