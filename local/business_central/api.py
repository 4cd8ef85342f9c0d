"""The API v2.0 routes of the Business Central simulator, one dispatcher for plain requests and ``$batch``.

``/v2.0/{tenant}/{environment}/api/v2.0/``: ``companies``; under ``companies({id})/``: ``customers`` (GET,
POST; ``customers({id})`` GET, PATCH, DELETE), ``salesOrders`` (GET; POST with ``salesOrderLines``, the deep
insert; ``salesOrders({id})`` GET, DELETE), ``salesShipments``, ``salesInvoices``, ``salesCreditMemos`` (GET;
posted documents are made by the control routes), each with ``$expand`` of its lines; ``subscriptions``
(GET, POST; ``subscriptions('{id}')`` GET, PATCH, DELETE); ``$batch`` (JSON, at most 100 requests).
PATCH and DELETE need ``If-Match``: no header is 400 (``BadRequest_InvalidToken``), a stale etag 412
(``Request_EntityChanged``, "Another user has already changed the record."); ``*`` matches any.
"""

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from local.business_central import odata
from local.business_central.entities import checked, render
from local.business_central.odata import ODataError
from local.business_central.schema import ENTITIES, SUBSCRIPTION, WEBHOOK_SETS
from local.business_central.state import BcState
from local.business_central.webhooks import LIFETIME, Notifier

Answer = tuple[int, dict[str, str], Any]  # status, headers, JSON body (None: no content)
_GUID = r"[0-9A-Fa-f-]{36}"
_COMPANY = re.compile(rf"^companies\(({_GUID})\)(?:/(\w+)(?:\(({_GUID})\))?(?:/(\w+))?)?$")
_SUBSCRIPTION = re.compile(r"^subscriptions(?:\('([^']+)'\))?$")
READABLE = ("customers", "salesOrders", "salesShipments", "salesInvoices", "salesCreditMemos")
MAX_BATCH = 100


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class BcApi:
    state: BcState
    notifier: Notifier
    root: Callable[[], str]  # the service root URL as the caller sees it, for nextLink and @odata.context

    def dispatch(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: Any
    ) -> Answer:
        if path == "companies":
            row = {
                "id": self.state.company_id,
                "name": self.state.company_name,
                "displayName": self.state.company_name,
            }
            return 200, {}, {"value": [row]}
        if (match := _SUBSCRIPTION.match(path)) is not None:
            return self._subscriptions(method, match[1], headers, body)
        match = _COMPANY.match(path)
        if match is None or match[1].lower() != self.state.company_id:
            raise ODataError(
                404, "BadRequest_ResourceNotFound", f"Resource not found for the segment '{path}'."
            )
        entity_set, id_, navigation = match[2], match[3], match[4]
        if entity_set is None:
            return 200, {}, {"id": self.state.company_id, "name": self.state.company_name}
        if entity_set not in READABLE:
            raise ODataError(
                404, "BadRequest_ResourceNotFound", f"Resource not found for the segment '{entity_set}'."
            )
        with self.state.lock:
            if id_ is None:
                return self._collection(method, entity_set, query, headers, body)
            return self._one(method, entity_set, id_.lower(), navigation, query, headers, body)

    # -- collections
    def _collection(
        self, method: str, entity_set: str, query: dict[str, str], headers: dict[str, str], body: Any
    ) -> Answer:
        entity = ENTITIES[entity_set]
        if method == "POST" and entity_set in ("customers", "salesOrders"):
            return self._create(entity_set, body)
        if method != "GET":
            raise ODataError(
                405, "BadRequest_MethodNotAllowed", f"'{method}' requests for '{entity_set}' are not allowed."
            )
        keep = odata.parse_filter(query.get("$filter"), entity)
        key = odata.order_key(query.get("$orderby"), entity)
        rows = sorted((r for r in self.state.table(entity_set).values() if keep(r)), key=key)
        if "$top" in query:
            rows = rows[: int(query["$top"])]
        size = odata.page_size(headers.get("Prefer"))
        if token := query.get("$skiptoken"):
            last = odata.after(token)
            rows = [r for r in rows if json.loads(json.dumps(key(r), default=str)) > last]
        page, more = rows[:size], len(rows) > size
        value = [self._row(entity_set, r, query) for r in page]
        answer: dict[str, Any] = {
            "@odata.context": f"{self.root()}/$metadata#companies({self.state.company_id})/{entity_set}",
            "value": value,
        }
        if more:
            next_query = {k: v for k, v in query.items() if k != "$skiptoken"} | {
                "$skiptoken": odata.skiptoken(key(page[-1]))
            }
            text = urlencode(next_query, safe="$'(),")  # BC's links keep $skiptoken readable
            answer["@odata.nextLink"] = (
                f"{self.root()}/companies({self.state.company_id})/{entity_set}?{text}"
            )
        return 200, {}, answer

    def _row(self, entity_set: str, row: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        entity = ENTITIES[entity_set]
        shown = odata.select(render(row, entity, self.state.etag(row["id"])), query.get("$select"), entity)
        for navigation in filter(None, (query.get("$expand") or "").split(",")):
            if navigation != entity.lines:
                raise odata.not_found_property(navigation, entity)
            lines = ENTITIES[navigation]
            shown[navigation] = [
                render(line, lines, self.state.etag(line["id"])) for line in row.get("_lines", [])
            ]
        return shown

    def _create(self, entity_set: str, body: Any) -> Answer:
        entity = ENTITIES[entity_set]
        if entity_set == "customers":
            row = self.state.create_customer(checked(body, entity, creating=True))
        else:
            header = checked(body, entity, creating=True, nested=("salesOrderLines",))
            lines_body = body.get("salesOrderLines") or []
            if not isinstance(lines_body, list):
                raise ODataError(400, "BadRequest", "Invalid Request Body")
            lines = [checked(line, ENTITIES["salesOrderLines"], creating=True) for line in lines_body]
            row = self.state.create_order(header, lines)
        return (
            201,
            {"Location": f"{self.root()}/companies({self.state.company_id})/{entity_set}({row['id']})"},
            self._row(entity_set, row, {}),
        )

    # -- one entity
    def _one(
        self,
        method: str,
        entity_set: str,
        id_: str,
        navigation: str | None,
        query: dict[str, str],
        headers: dict[str, str],
        body: Any,
    ) -> Answer:
        entity = ENTITIES[entity_set]
        row = self.state.table(entity_set).get(id_)
        if row is None:
            raise ODataError(
                404,
                "Internal_RecordNotFound",
                f"The {entity.name} does not exist. Identification fields and values: Id='{{{id_.upper()}}}'",
            )
        if navigation is not None:
            if navigation != entity.lines:
                raise ODataError(
                    404, "BadRequest_ResourceNotFound", f"Resource not found for the segment '{navigation}'."
                )
            lines = ENTITIES[navigation]
            return (
                200,
                {},
                {
                    "value": [
                        render(line, lines, self.state.etag(line["id"])) for line in row.get("_lines", [])
                    ]
                },
            )
        if method == "GET":
            return 200, {}, self._row(entity_set, row, query)
        self._if_match(headers, row["id"])
        if method == "PATCH" and entity_set == "customers":
            row.update(checked(body, entity, creating=False))
            self.state.touch(entity_set, row, "updated")
            return 200, {}, self._row(entity_set, row, {})
        if method == "DELETE" and entity_set in ("customers", "salesOrders"):
            del self.state.table(entity_set)[id_]
            self.state.on_change(entity_set, id_, "deleted", self.state.clock.tick())
            return 204, {}, None
        raise ODataError(
            405, "BadRequest_MethodNotAllowed", f"'{method}' requests for '{entity_set}' are not allowed."
        )

    def _if_match(self, headers: dict[str, str], id_: str) -> None:
        given = headers.get("If-Match")
        if not given:
            raise ODataError(
                400,
                "BadRequest_InvalidToken",
                "Could not validate the client concurrency token required by the service. "
                "Please provide a valid token in the client request.",
            )
        if given != "*" and given != self.state.etag(id_):
            raise ODataError(412, "Request_EntityChanged", "Another user has already changed the record.")

    # -- webhook subscriptions (tenant level, not under a company)
    def _subscriptions(self, method: str, id_: str | None, headers: dict[str, str], body: Any) -> Answer:
        subscriptions = self.notifier.subscriptions
        if id_ is None and method == "GET":
            return 200, {}, {"value": [self._subscription(s) for s in subscriptions.values()]}
        if id_ is None and method == "POST":
            values = checked(body, SUBSCRIPTION, creating=True)
            self._valid_subscription(values)
            self.notifier.handshake(values["notificationUrl"])
            now = _stamp()
            created = {
                "subscriptionId": uuid.uuid4().hex, "notificationUrl": values["notificationUrl"],
                "resource": values["resource"], "timestamp": 0, "userId": str(uuid.uuid4()),
                "lastModifiedDateTime": now, "clientState": values.get("clientState", ""),
                "expirationDateTime": self._expiry(), "systemCreatedAt": now,
                "systemCreatedBy": "00000000-0000-0000-0000-000000000001", "systemModifiedAt": now,
                "systemModifiedBy": "00000000-0000-0000-0000-000000000001", "id": uuid.uuid4().hex,
            }  # fmt: skip
            subscriptions[created["subscriptionId"]] = created
            self.state.versions[created["id"]] = 1
            return 201, {}, self._subscription(created)
        found = subscriptions.get(id_ or "")
        if found is None:
            raise ODataError(
                404,
                "Internal_RecordNotFound",
                "The API Webhook Subscription does not exist. Identification fields and values: "
                f"Subscription Id='{id_}'",
            )
        if method == "GET":
            return 200, {}, self._subscription(found)
        self._if_match(headers, found["id"])
        if method == "DELETE":
            del subscriptions[found["subscriptionId"]]
            return 204, {}, None
        if method == "PATCH":
            values = checked(body, SUBSCRIPTION, creating=False)
            self._valid_subscription(found | values)
            self.notifier.handshake(values.get("notificationUrl", found["notificationUrl"]))
            found.update(values)
            found["expirationDateTime"] = self._expiry()
            found["lastModifiedDateTime"] = found["systemModifiedAt"] = _stamp()
            self.state.versions[found["id"]] += 1
            return 200, {}, self._subscription(found)
        raise ODataError(
            405, "BadRequest_MethodNotAllowed", f"'{method}' requests for 'subscriptions' are not allowed."
        )

    def _subscription(self, row: dict[str, Any]) -> dict[str, Any]:
        return render(row, SUBSCRIPTION, self.state.etag(row["id"]))

    def _valid_subscription(self, values: dict[str, Any]) -> None:
        url, resource = values.get("notificationUrl") or "", values.get("resource") or ""
        if urlsplit(url).scheme not in ("http", "https"):
            raise ODataError(400, "BadRequest", "The notificationUrl must be an absolute URL.")
        match = re.search(rf"companies\(({_GUID})\)/(\w+)$", resource)
        if match is None or match[1].lower() != self.state.company_id or match[2] not in WEBHOOK_SETS:
            raise ODataError(400, "BadRequest", f"The resource '{resource}' is not supported for webhooks.")

    @staticmethod
    def _expiry() -> str:
        return (datetime.now(UTC) + LIFETIME).strftime("%Y-%m-%dT%H:%M:%SZ")

    # -- $batch
    def batch(self, body: Any, run: Callable[[str, str, dict[str, str], Any], Answer]) -> Answer:
        requests_ = body.get("requests") if isinstance(body, dict) else None
        if not isinstance(requests_, list):
            raise ODataError(400, "BadRequest", "Invalid Request Body")
        if len(requests_) > MAX_BATCH:
            raise ODataError(
                400, "BadRequest", f"The batch has {len(requests_)} requests; the maximum is {MAX_BATCH}."
            )
        responses = []
        for inner in requests_:
            url = str(inner.get("url") or "")
            relative = url.split("/api/v2.0/", 1)[1] if "/api/v2.0/" in url else url.lstrip("/")
            status, headers, answer = run(
                str(inner.get("method") or "GET").upper(),
                relative,
                dict(inner.get("headers") or {}),
                inner.get("body"),
            )
            item = {
                "id": inner.get("id"),
                "status": status,
                "headers": {
                    "content-type": "application/json; odata.metadata=minimal",
                    "odata-version": "4.0",
                }
                | headers,
            }
            if answer is not None:
                item["body"] = answer
            responses.append(item)
        return 200, {}, {"responses": responses}


def split_query(relative: str) -> tuple[str, dict[str, str]]:
    path, _, text = relative.partition("?")
    return path, dict(parse_qsl(text, keep_blank_values=True))
