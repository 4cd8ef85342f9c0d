"""Norce Commerce Connect 4.0 (and its token endpoint) on 127.0.0.1:5100, for the local stack and tests.

Follows Norce's documented behaviour where known: OAuth2 client credentials with the token endpoint's
rate limit (3/min per IP, burst 20), legacy Basic auth, SendOrderStatus with the documented statuses,
ImportCustomers/ImportCompanies that need ``X-StormConnect-Header`` and answer a job id, Job/Get.
Choices where Norce says nothing: the job id is a bare JSON integer; the full-import flag is
``FullFile`` inside X-StormConnect-Header. Every call is recorded (``GET /_calls``); faults injectable.

Imports, as Norce applies them: the body (also chunked) is read whole before anything else; one cut short
or not JSON makes no job (400, ``aborted imports`` in ``stats``). The header's field lists may name only
Connect's Customer/Company fields (else 400). Records are matched by Id, then Code, then EmailAddress /
OrganizationNo (indexed), only the listed fields are written, every entity named is active and gets
``Updated``; a full import deactivates the others of its kind. A record without a match key, or a customer
whose Companies Norce does not hold, is a job log line, and the job ends 4 (Validation failed: only records
without a match key) or 3 (Failed: a customer's company missing, or the ``failJobs`` fault).
``GET /_jobs`` lists the jobs; ``/_customers/count`` counts active and inactive.

The order lifecycle after the ERP took an order: ``Order/CreateDeliveryNote``, ``Order/CreateInvoice``
(a capture at the PSP) and ``Order/CreditPayment`` (a refund of an invoice). They need an order Norce
knows, i.e. one that had a SendOrderStatus, found by ClientOrderRef or by the ErpOrderNo sent with its
statuses; bodies are kept as received in ``documents[ClientOrderRef]`` (``DeliveryNotes``, ``Invoices``,
``Credits``). Like Norce, nothing is deduplicated: a repeated NoteNo / InvoiceNo is accepted again and
counted in ``stats`` ("duplicate delivery notes", "double captures", "double refunds"). An invoice's
``TotalAmount`` must equal its items' ``LineAmount`` + ``Vat`` + ``InvoiceRoundOff``; a credit may not
exceed what the order's invoices captured less what was already credited. Query 2.0 serves
``Orders/DeliveryNotes`` and ``Orders/Invoices`` (credits are invoices with ``IsCredit``).

Norce Event (``local.norce_event_sender``, ``self.events``): orders placed with ``place_order`` /
``POST /_orders/place`` (an OrderRequest, stored per ClientOrderRef with an ``OrderId`` from 700000001)
send OrderReceivedEvent; the first Confirmed / ReadyForPickup / Delivered / PartlyDelivered / Cancelled
SendOrderStatus of an order sends its Order*Event once; ``PATCH /_customers/<id>`` / ``/_companies/<id>``
(an edit in Norce Admin) sends Customer/CompanyChangedNotification; a finished import job sends
JobCompletedEvent. Customers and companies carry ``Updated``; Query 2.0 also serves ``Orders/Orders``
(placed orders with their Items). Subscriptions and deliveries: ``/_events/subscriptions``,
``/_events/emit``, ``GET /_events``.

Faults (``POST /_faults``): ``count`` answers ``status`` without processing; ``dropResponses`` processes
the request completely and then answers 504, as when Norce took a call but the answer was lost.
Control routes: ``/_calls``, ``/_orders`` (per ClientOrderRef: Statuses, DeliveryNotes, Invoices,
Credits), ``/_customers``, ``/_companies`` (``?active=``, ``/count``), ``/_jobs``, ``/_stats``, ``/_faults``,
``/_reset``, ``/_events``.
"""

import argparse
import base64
import hashlib
import itertools
import json
import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import BadRequest

from local.norce_event_sender import ANY_EVENT, NorceEventSender, delivery_view
from local.simulator_http import BackgroundServer, Simulator

CONNECT = "/commerce/connect/4.0"
STATUSES = frozenset(
    [
        "Created",
        "Allocation",
        "Confirmed",
        "BackOrder",
        "Delivered",
        "Invoiced",
        "Cancelled",
        "CreditControl",
        "PartlyDelivered",
        "Acknowledged",
        "ErpConfirmed",
        "ReadyForPickup",
        "PickedUp",
        "NotPickedUp",
        "OnHold",
        "WaitingForCancel",
        "WaitingForOnHoldRemoved",
        "CancelError",
        "AcknowledgementError",
        "ReadyForReservation",
        "Reserved",
    ]
)
# SendOrderStatus statuses that make Norce send an order event (once per order)
STATUS_EVENTS = {
    "Confirmed": "OrderConfirmedEvent",
    "ReadyForPickup": "OrderReadyForPickupEvent",
    "Delivered": "OrderDeliveredEvent",
    "PartlyDelivered": "OrderPartlyDeliveredEvent",
    "Cancelled": "OrderCancelledEvent",
}
# Query's Orders/Orders StatusId per status (statuses not listed leave the previous one)
STATUS_IDS = {
    "Created": 0,
    "Allocation": 1,
    "Confirmed": 2,
    "Delivered": 4,
    "Invoiced": 5,
    "Cancelled": 6,
    "PartlyDelivered": 8,
}
FIRST_ORDER_ID = 700000001
IMPORT_PATHS = frozenset(["Customer/ImportCustomers", "Customer/ImportCompanies"])
# The field names X-StormConnect-Header may list (Connect's Customer Service 4.0 entities); another name
# answers 400
CUSTOMER_FIELDS = frozenset(
    [
        "Id",
        "Code",
        "ApplicationKey",
        "EmailAddress",
        "FirstName",
        "LastName",
        "PhoneNumber",
        "CellPhoneNumber",
        "InvoiceAddress",
        "DeliveryAddresses",
        "Companies",
        "PriceLists",
        "Accounts",
        "IsActive",
    ]
)
COMPANY_FIELDS = frozenset(
    [
        "Id",
        "Code",
        "ApplicationKey",
        "OrganizationNo",
        "Name",
        "VatNo",
        "EmailAddress",
        "PhoneNumber",
        "InvoiceAddress",
        "DeliveryAddresses",
        "Customers",
        "PriceLists",
        "IsActive",
    ]
)
FIELD_LISTS = {"CustomerFieldsThatAreSet": CUSTOMER_FIELDS, "CompanyFieldsThatAreSet": COMPANY_FIELDS}
NATURAL_KEYS = {"customers": "EmailAddress", "companies": "OrganizationNo"}
CALL_BODY_LIMIT = 1000  # an import's records kept in ``calls`` (the rest is counted in ``records``)


@dataclass
class ConnectFaults:
    status: int = 503
    count: int = 0
    paths: list[str] = field(
        default_factory=list
    )  # e.g. ["Order/SendOrderStatus"]; empty = every Connect path
    retry_after_seconds: int = 1
    latency_ms: int = 0
    fail_jobs: bool = False
    drop_responses: int = 0  # process the request, then answer 504 (the answer was lost); respects paths


@dataclass
class TokenBucket:
    """3 requests a minute with a burst of 20, per client IP, like Norce's token endpoint."""

    capacity: float = 20.0
    refill_per_second: float = 3 / 60
    tokens: float = 20.0
    updated: float = 0.0

    def take(self, now: float) -> bool:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.refill_per_second)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class NorceConnectSimulator(Simulator):
    def __init__(
        self,
        port: int = 5100,
        client_id: str = "norce-local-client",
        client_secret: str = "norce-local-secret",
        application_id: str = "1001",
        secret_key: str = "connect-local-secret",
        clock: Callable[[], float] = time.monotonic,
        job_seconds: float = 0.0,
        full_file_key: str = "FullFile",
        event_time_scale: float = 0.001,
        client_number: int = 1,
    ) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.application_id = application_id
        self.basic = "Basic " + base64.b64encode(f"{application_id}:{secret_key}".encode()).decode()
        self.clock = clock
        self.job_seconds = job_seconds
        self.full_file_key = full_file_key
        self.faults = ConnectFaults()
        self.calls: list[dict[str, Any]] = []
        self.tokens: dict[str, float] = {}  # token -> expires at (clock)
        self.buckets: dict[str, TokenBucket] = {}
        self.orders: dict[str, list[dict[str, Any]]] = {}
        # ClientOrderRef -> {"DeliveryNotes": [...], "Invoices": [...], "Credits": [...]}, bodies as received
        self.documents: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self.erp_order_refs: dict[str, str] = {}  # ErpOrderNo (from SendOrderStatus) -> ClientOrderRef
        self.customers: dict[int, dict[str, Any]] = {}  # by Norce's internal Id
        self.companies: dict[int, dict[str, Any]] = {}
        self.jobs: dict[int, dict[str, Any]] = {}
        # per kind, per match key (Code and EmailAddress / OrganizationNo): value -> Ids holding it, and
        # the Ids indexed (``_match`` rebuilds when the store no longer has as many)
        self._indexes: dict[str, dict[str, dict[Any, list[int]]]] = {}
        self._indexed: dict[str, set[int]] = {}
        self._clear_indexes()
        self.stats: Counter[str] = Counter()
        self._job_ids = itertools.count(5001)
        self._entity_ids = itertools.count(1)
        self._lock = threading.RLock()
        self.client_number = client_number  # Norce's ClientId in event payloads
        self.events = NorceEventSender(time_scale=event_time_scale)
        self.placed: dict[str, dict[str, Any]] = {}  # ClientOrderRef -> {"OrderId", "OrderRequest"}
        self.order_events: set[tuple[str, str]] = set()  # (order key, event type) already sent
        self._order_ids = itertools.count(FIRST_ORDER_ID)
        self._job_timers: set[threading.Timer] = set()
        self._last_stamp = ""
        self.app = self._build_app()
        self.server = BackgroundServer(self.app, port)

    @property
    def connect_url(self) -> str:
        return f"{self.url}{CONNECT}/"

    @property
    def query_url(self) -> str:
        return f"{self.url}/commerce/query/2.0/"

    @property
    def identity_url(self) -> str:
        return f"{self.url}/identity/1.0/connect/token"

    def set_faults(self, **changes: Any) -> None:
        with self._lock:
            self.faults = ConnectFaults(**{**self.faults.__dict__, **changes})

    def reset(self) -> None:
        with self._lock:
            self.faults, self.calls, self.tokens, self.buckets = ConnectFaults(), [], {}, {}
            self.orders, self.customers, self.companies, self.jobs = {}, {}, {}, {}
            self._clear_indexes()
            self.documents, self.erp_order_refs = {}, {}
            self.placed, self.order_events = {}, set()
            self.stats.clear()
            self._cancel_job_timers()
        self.events.reset()

    def stop(self) -> None:
        super().stop()
        with self._lock:
            self._cancel_job_timers()
        self.events.stop()

    @property
    def application_number(self) -> int:
        return int(self.application_id)

    def _event_ids(self) -> dict[str, Any]:
        """``ClientId`` and ``ApplicationId``, which every event starts with."""
        return {"ClientId": self.client_number, "ApplicationId": self.application_number}

    def _stamp(self) -> str:
        """Under the lock: ``Updated`` now (ISO-8601 UTC, microseconds), strictly later than the last one."""
        stamp = datetime.now(UTC).isoformat(timespec="microseconds")
        if stamp <= self._last_stamp:
            last = datetime.fromisoformat(self._last_stamp)
            stamp = (last + timedelta(microseconds=1)).isoformat(timespec="microseconds")
        self._last_stamp = stamp
        return stamp

    def calls_to(self, path: str) -> list[dict[str, Any]]:
        with self._lock:
            return [call for call in self.calls if call["path"].endswith(path)]

    # -- the app
    def _build_app(self) -> Flask:
        app = Flask("norce-connect-simulator")
        sim = self

        @app.post("/identity/1.0/connect/token")
        def token() -> tuple[Response, int]:
            sim.stats["token requests"] += 1
            with sim._lock:
                bucket = sim.buckets.setdefault(request.remote_addr or "?", TokenBucket(updated=sim.clock()))
                if not bucket.take(sim.clock()):
                    sim.stats["token 429"] += 1
                    response = jsonify({"error": "rate limit exceeded"})
                    response.headers["Retry-After"] = "20"
                    return response, 429
            form = request.form
            if form.get("grant_type") != "client_credentials" or (
                form.get("client_id"),
                form.get("client_secret"),
            ) != (sim.client_id, sim.client_secret):
                return jsonify({"error": "invalid_client"}), 401
            issued = secrets.token_urlsafe(24)
            with sim._lock:
                sim.tokens[issued] = sim.clock() + 3600
            return jsonify(
                {
                    "access_token": issued,
                    "expires_in": 3600,
                    "token_type": "Bearer",
                    "scope": form.get("scope"),
                }
            ), 200

        @app.before_request
        def connect_guard() -> Any:
            if not request.path.startswith(CONNECT):
                return None
            path = request.path[len(CONNECT) + 1 :]
            # the whole body first (also a chunked one), even when the answer is a fault: a client still
            # sending would otherwise never see the status
            complete = _read_body()
            body = _parsed_body() if complete else None
            headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
            call = {
                "at": datetime.now(UTC).isoformat(),
                "method": request.method,
                "path": path,
                "query": dict(request.args),
                "headers": headers,
                "body": body,
            }
            if isinstance(body, list) and len(body) > CALL_BODY_LIMIT:
                call["body"], call["records"] = body[:CALL_BODY_LIMIT], len(body)
            g.connect_body = body
            with sim._lock:
                sim.calls.append(call)
                if not complete:  # the client stopped sending: nothing to act on
                    call["status"] = 400
                    sim.stats["aborted imports" if path in IMPORT_PATHS else "aborted requests"] += 1
                    return jsonify({"Message": "the request body is incomplete"}), 400
                if sim.faults.latency_ms:
                    time.sleep(sim.faults.latency_ms / 1000)
                if sim._authorized() is False:
                    call["status"] = 401
                    return jsonify({"Message": "Authorization has been denied for this request."}), 401
                faults = sim.faults
                if faults.count > 0 and (not faults.paths or path in faults.paths):
                    faults.count -= 1
                    call["status"] = faults.status
                    response = jsonify({"Message": "injected fault"})
                    response.headers["Retry-After"] = str(faults.retry_after_seconds)
                    return response, faults.status
            g.connect_call = call  # the request reaches its handler
            return None

        @app.after_request
        def drop_response(response: Response) -> Response:
            """``drop_responses``: the handler did everything, then the answer is lost on the way back."""
            call = g.get("connect_call")
            if call is None:
                return response
            with sim._lock:
                faults = sim.faults
                if faults.drop_responses > 0 and (not faults.paths or call["path"] in faults.paths):
                    faults.drop_responses -= 1
                    call["processed_status"] = response.status_code
                    call["status"] = 504
                    sim.stats["dropped responses"] += 1
                    dropped = jsonify({"Message": "injected: the response was lost"})
                    dropped.status_code = 504
                    return dropped
            return response

        @app.post(f"{CONNECT}/Order/SendOrderStatus")
        def send_order_status() -> tuple[Response, int]:
            body = request.get_json(force=True)
            if body.get("OrderStatus") not in STATUSES:
                return jsonify({"Message": f"unknown OrderStatus {body.get('OrderStatus')!r}"}), 400
            ref = body.get("ClientOrderRef") or body.get("ErpOrderNo")
            if ref is None:
                return jsonify({"Message": "ClientOrderRef or ErpOrderNo is required"}), 400
            with sim._lock:
                sim.orders.setdefault(str(ref), []).append(
                    {"OrderStatus": body["OrderStatus"], "ErpOrderNo": body.get("ErpOrderNo")}
                )
                if body.get("ErpOrderNo") not in (None, ""):
                    sim.erp_order_refs[str(body["ErpOrderNo"])] = str(ref)
                g.connect_call["status"] = 200
                event = sim._status_event(str(ref), body)
            if event is not None:
                sim.events.emit(*event)
            return jsonify({}), 200

        @app.post(f"{CONNECT}/Order/CreateDeliveryNote")
        def create_delivery_note() -> tuple[Response, int]:
            return sim._answer(sim._delivery_note(request.get_json(force=True)))

        @app.post(f"{CONNECT}/Order/CreateInvoice")
        def create_invoice() -> tuple[Response, int]:
            return sim._answer(sim._invoice(request.get_json(force=True), credit=False))

        @app.post(f"{CONNECT}/Order/CreditPayment")
        def credit_payment() -> tuple[Response, int]:
            return sim._answer(sim._invoice(request.get_json(force=True), credit=True))

        @app.post(f"{CONNECT}/Customer/ImportCustomers")
        def import_customers() -> tuple[Response, int]:
            return sim._import("customers", "CustomerFieldsThatAreSet")

        @app.post(f"{CONNECT}/Customer/ImportCompanies")
        def import_companies() -> tuple[Response, int]:
            return sim._import("companies", "CompanyFieldsThatAreSet")

        @app.get(f"{CONNECT}/Job/Get")
        def job_get() -> tuple[Response, int]:
            with sim._lock:
                job = sim.jobs.get(int(request.args.get("id", "0")))
                if job is None:
                    return jsonify({"Message": "no such job"}), 404
                return jsonify(sim._job_view(job)), 200

        @app.get(f"{CONNECT}/Job/GetLog")
        def job_log() -> tuple[Response, int]:
            with sim._lock:
                job = sim.jobs.get(int(request.args.get("id", "0")))
                return jsonify(job["log"] if job else []), 200

        @app.get("/_jobs")
        def jobs() -> Response:
            with sim._lock:
                return jsonify([sim._job_summary(job) for job in sim.jobs.values()])

        @app.get("/_calls")
        def calls() -> Response:
            with sim._lock:
                path = request.args.get("path")
                return jsonify([c for c in sim.calls if not path or c["path"].endswith(path)])

        @app.get("/_orders")
        def orders() -> Response:
            with sim._lock:
                refs = list(dict.fromkeys([*sim.orders, *sim.documents]))
                return jsonify(
                    {
                        ref: {
                            "Statuses": sim.orders.get(ref, []),
                            **sim.documents.get(ref, {"DeliveryNotes": [], "Invoices": [], "Credits": []}),
                        }
                        for ref in refs
                    }
                )

        @app.get("/commerce/query/2.0/<path:entity_set>")
        def query(entity_set: str) -> tuple[Response, int]:
            return sim._query(entity_set)

        @app.route("/_customers", methods=["GET", "POST"])
        def customers() -> Any:
            if request.method == "POST":  # as if a buyer had just checked out
                return jsonify(sim.hold("customers", request.get_json(force=True))), 201
            return sim._held_answer("customers")

        @app.route("/_companies", methods=["GET", "POST"])
        def companies() -> Any:
            if request.method == "POST":
                return jsonify(sim.hold("companies", request.get_json(force=True))), 201
            return sim._held_answer("companies")

        @app.get("/_customers/count")
        def count_customers() -> Response:
            return jsonify(sim.count_held("customers"))

        @app.get("/_companies/count")
        def count_companies() -> Response:
            return jsonify(sim.count_held("companies"))

        @app.patch("/_customers/<int:entity_id>")
        def edit_customer(entity_id: int) -> tuple[Response, int]:
            return sim._edit_answer("customers", entity_id)

        @app.patch("/_companies/<int:entity_id>")
        def edit_company(entity_id: int) -> tuple[Response, int]:
            return sim._edit_answer("companies", entity_id)

        @app.post("/_orders/place")
        def place_order() -> tuple[Response, int]:
            body = request.get_json(force=True)
            if not isinstance(body, dict) or body.get("ClientOrderRef") in (None, ""):
                return jsonify({"Message": "an OrderRequest object with a ClientOrderRef is required"}), 400
            placed, new = sim._place(body)
            return jsonify(placed), 201 if new else 200

        @app.route("/_events/subscriptions", methods=["GET", "POST", "DELETE"])
        def event_subscriptions() -> tuple[Response, int]:
            if request.method == "POST":
                return sim._subscribe(request.get_json(force=True))
            if request.method == "DELETE":
                sim.events.unsubscribe_all()
            return jsonify({k: v.__dict__ for k, v in sim.events.subscriptions.items()}), 200

        @app.post("/_events/emit")
        def emit_event() -> tuple[Response, int]:
            body = request.get_json(force=True)
            if not isinstance(body, dict) or not isinstance(body.get("eventType"), str):
                return jsonify({"Message": "eventType is required"}), 400
            payload = body.get("payload")
            if not isinstance(payload, dict):
                return jsonify({"Message": "payload must be an object"}), 400
            return jsonify(delivery_view(sim.events.emit(body["eventType"], payload))), 202

        @app.get("/_events")
        def events() -> Response:
            return jsonify([delivery_view(d) for d in sim.events.deliveries])

        @app.get("/_stats")
        def stats() -> Response:
            return jsonify(dict(sim.stats))

        @app.route("/_faults", methods=["GET", "POST", "DELETE"])
        def faults() -> Response:
            if request.method == "POST":
                given = request.get_json(force=True)
                names = {
                    "status": "status",
                    "count": "count",
                    "paths": "paths",
                    "latencyMs": "latency_ms",
                    "retryAfterSeconds": "retry_after_seconds",
                    "failJobs": "fail_jobs",
                    "dropResponses": "drop_responses",
                }
                sim.set_faults(**{names[k]: v for k, v in given.items() if k in names})
            elif request.method == "DELETE":
                sim.set_faults(**ConnectFaults().__dict__)
            return jsonify(sim.faults.__dict__)

        @app.post("/_reset")
        def reset() -> Response:
            sim.reset()
            return jsonify({"reset": True})

        return app

    def _authorized(self) -> bool:
        header = request.headers.get("Authorization", "")
        if header == self.basic:
            return True
        if header.startswith("Bearer "):
            expires = self.tokens.get(header[len("Bearer ") :])
            return expires is not None and expires > self.clock()
        return False

    # -- customers and companies as Norce holds them
    def hold(self, kind: str, entity: dict[str, Any]) -> dict[str, Any]:
        """Add a customer or company as Norce creates it at checkout (no Code yet); returns it with its Id."""
        with self._lock:
            held = {"Id": next(self._entity_ids), "IsActive": True, "Updated": self._stamp(), **entity}
            self._store(kind)[held["Id"]] = held
            self._index(kind, held)
            return held

    def count_held(self, kind: str) -> dict[str, int]:
        """``{"active": n, "inactive": m}`` of the customers or companies held."""
        with self._lock:
            active = sum(1 for entity in self._store(kind).values() if entity.get("IsActive", True))
            return {"active": active, "inactive": len(self._store(kind)) - active}

    def reindex(self) -> None:
        """After changing a held entity's Code, EmailAddress or OrganizationNo directly (not by an import,
        ``hold`` or an edit), so that imports match it by the new value."""
        with self._lock:
            self._clear_indexes()
            for kind in NATURAL_KEYS:
                self._rebuild_index(kind)

    def _store(self, kind: str) -> dict[int, dict[str, Any]]:
        return self.customers if kind == "customers" else self.companies

    def _held_answer(self, kind: str) -> Response | tuple[Response, int]:
        wanted = request.args.get("active")
        if wanted not in (None, "true", "false"):
            return jsonify({"Message": "active must be true or false"}), 400
        with self._lock:
            held = [
                dict(entity)
                for entity in self._store(kind).values()
                if wanted is None or bool(entity.get("IsActive", True)) == (wanted == "true")
            ]
        return jsonify(held)

    def _clear_indexes(self) -> None:
        self._indexes = {kind: {"Code": {}, natural: {}} for kind, natural in NATURAL_KEYS.items()}
        self._indexed = {kind: set() for kind in NATURAL_KEYS}

    def _rebuild_index(self, kind: str) -> None:
        self._indexes[kind] = {"Code": {}, NATURAL_KEYS[kind]: {}}
        self._indexed[kind] = set()
        for entity in self._store(kind).values():
            self._index(kind, entity)

    def _index(self, kind: str, entity: dict[str, Any]) -> None:
        """Under the lock, after the entity was stored or written: findable by its Code and natural key
        (ids under a value the entity no longer has are dropped when looked up)."""
        entity_id = entity.get("Id")
        self._indexed[kind].add(entity_id)  # type: ignore[arg-type]
        for key, index in self._indexes[kind].items():
            value = entity.get(key)
            if _scalar(value):
                ids = index.setdefault(value, [])
                if entity_id not in ids:
                    ids.append(entity_id)  # type: ignore[arg-type]

    def _match(self, kind: str, entity: dict[str, Any]) -> dict[str, Any] | None:
        """Norce's order: Id, then Code, then OrganizationNo (companies) or EmailAddress (customers); with
        several holding the value, the first held (lowest Id). Indexed, so a 100k import stays linear."""
        store = self._store(kind)
        if len(self._indexed[kind]) != len(store):  # entities put into / taken from the store directly
            self._rebuild_index(kind)
        for key in ("Id", "Code", NATURAL_KEYS[kind]):
            wanted = entity.get(key)
            if wanted in (None, "") or not _scalar(wanted):
                continue
            if key == "Id":
                held = store.get(wanted)
                if held is not None and held.get("Id") == wanted:
                    return held
                continue
            index = self._indexes[kind][key]
            ids = index.get(wanted)
            if not ids:
                continue
            live = [i for i in ids if i in store and store[i].get(key) == wanted]
            if len(live) != len(ids):
                if live:
                    index[wanted] = live
                else:
                    del index[wanted]
            if live:
                return store[min(live)]
        return None

    def _import(self, kind: str, fields_key: str) -> tuple[Response, int]:
        """ImportCustomers / ImportCompanies, applied as Norce applies them (see the module doc)."""
        call = g.get("connect_call") or {}

        def refuse(message: str) -> tuple[Response, int]:
            call["status"] = 400
            return jsonify({"Message": message}), 400

        raw_header = request.headers.get("X-StormConnect-Header")
        try:
            header = json.loads(raw_header or "")
            account_id = int(header["AccountId"])
        except (ValueError, KeyError, TypeError):
            return refuse("X-StormConnect-Header with AccountId is required")
        for list_key, known in FIELD_LISTS.items():
            listed = header.get(list_key)
            if listed is None:
                continue
            if not isinstance(listed, list) or not all(isinstance(name, str) for name in listed):
                return refuse(f"{list_key} must be a list of field names")
            unknown = [name for name in listed if name not in known]
            if unknown:
                return refuse(f"{list_key}: unknown field {unknown[0]}")
        entities = g.get("connect_body")
        if entities is None:  # not JSON: an upload cut short, or never an import
            with self._lock:
                self.stats["aborted imports"] += 1
            return refuse("the body is not a complete JSON array")
        if not isinstance(entities, list):
            return refuse("the body must be an array")
        listed = header.get(fields_key)
        fields = None if listed is None else frozenset(listed)
        full = header.get(self.full_file_key) is True or (
            request.headers.get(self.full_file_key, "").lower() == "true"
        )
        with self._lock:
            applied = self._apply(kind, entities, fields, full)
            job_id = next(self._job_ids)
            self.jobs[job_id] = {
                "JobId": job_id,
                "kind": kind,
                "count": len(entities),
                "full": full,
                "AccountId": account_id,
                "created": self.clock(),
                "fail": self.faults.fail_jobs,
                **applied,
            }
            call["status"] = 200
            self.stats[f"{kind} imported"] += len(entities)
            self._complete_job_later(job_id)
        return jsonify(job_id), 200

    def _apply(
        self, kind: str, entities: list[Any], fields: frozenset[str] | None, full: bool
    ) -> dict[str, Any]:
        """Under the lock: upsert every valid record, log the others; a full import then deactivates every
        entity of the kind it did not name. Answers the job's ``log``, ``inserted``, ``updated``."""
        store = self._store(kind)
        natural = NATURAL_KEYS[kind]
        new_keys = ("Code", natural)  # written to a new entity even when not listed
        log: list[dict[str, Any]] = []
        named: set[int] = set()
        inserted = updated = unlinked = 0
        for row, entity in enumerate(entities, start=1):
            if not isinstance(entity, dict):
                log.append(_log_line(row, "the record must be an object"))
                continue
            if all(entity.get(key) in (None, "") for key in ("Id", "Code", natural)):
                log.append(_log_line(row, f"no Id, Code or {natural} to match the record by"))
                continue
            current = self._match(kind, entity)
            written = {
                k: v
                for k, v in entity.items()
                if k != "Id" and (fields is None or k in fields or (current is None and k in new_keys))
            }
            if kind == "customers" and "Companies" in written:
                problem = self._link_companies(written)
                if problem:  # Norce links a customer only to companies it already holds
                    log.append(_log_line(row, problem))
                    unlinked += 1
                    if current is not None:
                        named.add(current["Id"])
                    continue
            if current is None:
                current = {"Id": next(self._entity_ids)}
                store[current["Id"]] = current
                inserted += 1
            else:
                updated += 1
            current["IsActive"] = True  # named: active, unless the record writes IsActive itself
            current.update(written)
            current["Updated"] = self._stamp()
            self._index(kind, current)
            named.add(current["Id"])
        if full:
            for entity_id, entity in store.items():
                if entity_id not in named and entity.get("IsActive", True):
                    entity["IsActive"] = False
                    entity["Updated"] = self._stamp()
        return {"log": log, "inserted": inserted, "updated": updated, "unlinked": unlinked}

    def _link_companies(self, written: dict[str, Any]) -> str | None:
        """A customer's ``Companies`` as the Codes of held companies, or why not."""
        given = written["Companies"] or []
        if not isinstance(given, list):
            return "Companies must be a list of companies"
        codes = []
        for company in given:
            held = self._match("companies", company) if isinstance(company, dict) else None
            if held is None:
                name = company.get("Code") if isinstance(company, dict) else None
                return f"Company {name or company} does not exist"
            codes.append(held.get("Code"))
        written["Companies"] = codes
        return None

    # -- Norce Event: jobs, edits in Norce Admin, placed orders
    def _complete_job_later(self, job_id: int) -> None:
        """Under the lock: JobCompletedEvent when the job finishes (at once with ``job_seconds`` 0)."""
        if self.job_seconds <= 0:
            self._complete_job(job_id)
            return
        timer = threading.Timer(self.job_seconds, self._complete_job, args=(job_id,))
        timer.daemon = True
        self._job_timers.add(timer)
        timer.start()

    def _complete_job(self, job_id: int) -> None:
        with self._lock:
            self._job_timers = {t for t in self._job_timers if t is not threading.current_thread()}
            job = self.jobs.get(job_id)
            if job is None:  # reset meanwhile
                return
            payload = {**self._event_ids(), "JobId": job_id, "StatusId": _job_status(job)}
        self.events.emit("JobCompletedEvent", payload)

    def _cancel_job_timers(self) -> None:
        for timer in self._job_timers:
            timer.cancel()
        self._job_timers = set()

    def edit_customer(
        self, customer_id: int, changes: dict[str, Any], entity_changed: str = "tClientCustomer"
    ) -> dict[str, Any]:
        """A person edits a customer in Norce Admin: CustomerChangedNotification. KeyError if unknown."""
        return self._edit("customers", customer_id, changes, entity_changed)

    def edit_company(
        self, company_id: int, changes: dict[str, Any], entity_changed: str = "tClientCompany"
    ) -> dict[str, Any]:
        """A person edits a company in Norce Admin: CompanyChangedNotification. KeyError if unknown."""
        return self._edit("companies", company_id, changes, entity_changed)

    def _edit(
        self, kind: str, entity_id: int, changes: dict[str, Any], entity_changed: str
    ) -> dict[str, Any]:
        with self._lock:
            entity = (self.customers if kind == "customers" else self.companies)[entity_id]
            entity.update({k: v for k, v in changes.items() if k != "Id"})
            entity["Updated"] = self._stamp()
            self._index(kind, entity)
            edited = dict(entity)
        event_type, id_key = (
            ("CustomerChangedNotification", "CustomerId")
            if kind == "customers"
            else ("CompanyChangedNotification", "CompanyId")
        )
        self.events.emit(
            event_type, {**self._event_ids(), id_key: entity_id, "EntityChanged": entity_changed}
        )
        return edited

    def _edit_answer(self, kind: str, entity_id: int) -> tuple[Response, int]:
        changes = request.get_json(force=True)
        if not isinstance(changes, dict):
            return jsonify({"Message": "the body must be an object of fields"}), 400
        default = "tClientCustomer" if kind == "customers" else "tClientCompany"
        try:
            edited = self._edit(kind, entity_id, changes, request.args.get("entityChanged", default))
        except KeyError:
            return jsonify({"Message": f"no such {kind[:-1]} {entity_id}"}), 404
        return jsonify(edited), 200

    def _subscribe(self, body: Any) -> tuple[Response, int]:
        if not isinstance(body, dict):
            return jsonify({"Message": "the body must be an object"}), 400
        event_type, url, headers = (
            body.get("eventType", ANY_EVENT),
            body.get("url"),
            body.get("headers") or {},
        )
        if not isinstance(event_type, str) or not isinstance(url, str) or not isinstance(headers, dict):
            return jsonify({"Message": "eventType and url must be text, headers an object"}), 400
        self.events.subscribe(event_type, url, {str(k): str(v) for k, v in headers.items()})
        return jsonify({"eventType": event_type, "url": url, "headers": headers}), 201

    def place_order(self, order_request: dict[str, Any], **buyer_ids: int | None) -> dict[str, Any]:
        """A buyer checks out: Norce holds the OrderRequest and sends OrderReceivedEvent (once per ref).

        ``buyer_ids``: ``BuyerCompanyId`` / ``BuyerCustomerId``, the Ids the checkout gave the buyer.
        """
        if order_request.get("ClientOrderRef") in (None, ""):
            raise ValueError("the OrderRequest needs a ClientOrderRef")
        return self._place(order_request, buyer_ids)[0]

    def checkout(self, order_request: dict[str, Any]) -> dict[str, Any]:
        """As Norce's checkout does for a buyer it holds no code for: the SellTo company and person are
        held (without Code) and the order is placed with their Ids (Query's BuyerCompanyId/CustomerId)."""
        sell_to = order_request.get("SellTo") or {}
        company, person = sell_to.get("Company") or {}, sell_to.get("Person") or {}
        ids: dict[str, int | None] = {"BuyerCompanyId": None, "BuyerCustomerId": None}
        if company and not company.get("Code"):
            held = {"Name": company.get("Name"), "VatNo": company.get("VatNo")}
            ids["BuyerCompanyId"] = self.hold("companies", {k: v for k, v in held.items() if v})["Id"]
        if person and not person.get("CustomerCode"):
            fields = {"EmailAddress": "Email", "FirstName": "FirstName", "LastName": "LastName"}
            held = {ours: person.get(theirs) for ours, theirs in fields.items() if person.get(theirs)}
            ids["BuyerCustomerId"] = self.hold("customers", held)["Id"]
        return {**self.place_order(order_request, **ids), **ids}

    def _place(
        self, order_request: dict[str, Any], buyer_ids: dict[str, int | None] | None = None
    ) -> tuple[dict[str, Any], bool]:
        """``place_order``, and whether the order is new."""
        ref = str(order_request["ClientOrderRef"])
        with self._lock:
            known = self.placed.get(ref)
            if known is not None:
                return {"OrderId": known["OrderId"], "ClientOrderRef": ref}, False
            order_id = next(self._order_ids)
            self.placed[ref] = {"OrderId": order_id, "OrderRequest": order_request, **(buyer_ids or {})}
            payload = {
                **self._event_ids(),
                "ClientOrderRef": ref,
                **_person_fields(order_request),
                "Source": "WEB",
            }
        self.events.emit("OrderReceivedEvent", payload)
        return {"OrderId": order_id, "ClientOrderRef": ref}, True

    def _order_key(self, ref: str, body: dict[str, Any]) -> str:
        """Under the lock: the order a status is about; a status sent by ErpOrderNo alone belongs to the
        order (placed first) that had a status with that ErpOrderNo and its ClientOrderRef."""
        erp_no = body.get("ErpOrderNo")
        if ref in self.placed or body.get("ClientOrderRef") not in (None, "") or erp_no in (None, ""):
            return ref
        others = [
            other
            for other, statuses in self.orders.items()
            if other != ref and any(str(s.get("ErpOrderNo")) == str(erp_no) for s in statuses)
        ]
        return next((o for o in others if o in self.placed), others[0] if others else ref)

    def _status_event(self, ref: str, body: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        """Under the lock: the Order*Event this status sends, unless the order already had it."""
        event_type = STATUS_EVENTS.get(body["OrderStatus"])
        if event_type is None:
            return None
        key = self._order_key(ref, body)
        if (key, event_type) in self.order_events:
            return None
        self.order_events.add((key, event_type))
        placed = self.placed.get(key)
        known_ref = placed is not None or key != ref or body.get("ClientOrderRef") not in (None, "")
        erp_no = body.get("ErpOrderNo")
        return event_type, {
            **self._event_ids(),
            "OrderId": placed["OrderId"] if placed else _derived_order_id(key),
            "OrderNo": str(erp_no) if erp_no not in (None, "") else self._erp_order_no(key),
            "ClientOrderRef": key if known_ref else None,
            **_person_fields(placed["OrderRequest"] if placed else {}),
            "Source": "WEB",
        }

    def _placed_rows(self) -> list[dict[str, Any]]:
        """Under the lock: Query's Orders/Orders, one row per placed order."""
        return [self._placed_row(ref, placed) for ref, placed in self.placed.items()]

    def _placed_row(self, ref: str, placed: dict[str, Any]) -> dict[str, Any]:
        order = placed["OrderRequest"]
        person = _person(order)
        items = [_order_item_row(item) for item in order.get("Items") or [] if isinstance(item, dict)]
        amounts = [item["LineAmount"] for item in items]
        return {
            "Id": placed["OrderId"],
            "QuotationId": int(ref) if ref.isascii() and ref.isdigit() else None,  # the basket id
            "OrderNo": self._erp_order_no(ref),
            "ClientOrderRef": ref,
            "BuyerCompanyId": placed.get("BuyerCompanyId"),
            "BuyerCustomerId": placed.get("BuyerCustomerId"),
            "CultureCode": order.get("CultureCode"),
            "CurrencyCode": order.get("CurrencyCode"),
            "EmailAddress": person.get("Email"),
            "FirstName": person.get("FirstName"),
            "LastName": person.get("LastName"),
            "StatusId": self._status_id(ref),
            "DeliveryMode": _delivery_mode(order),
            "DeliveryAddress": _delivery_address(order),
            "TotalAmount": round(sum(amounts), 2) if amounts and None not in amounts else None,
            "Items": items,
        }

    def _status_id(self, ref: str) -> int:
        """Query's StatusId: of the last status that has one, 0 (Created) before any."""
        ids = [
            STATUS_IDS[s["OrderStatus"]] for s in self.orders.get(ref, []) if s["OrderStatus"] in STATUS_IDS
        ]
        return ids[-1] if ids else 0

    # -- the order lifecycle: delivery notes, invoices (captures), credits (refunds)
    def _documents_of(self, ref: str) -> dict[str, list[dict[str, Any]]]:
        return self.documents.setdefault(ref, {"DeliveryNotes": [], "Invoices": [], "Credits": []})

    def _order_ref(self, body: dict[str, Any], erp_no_key: str) -> str | None:
        """The ClientOrderRef of a known order (one that had a SendOrderStatus), by ClientOrderRef or by
        the ErpOrderNo sent with its statuses."""
        ref = body.get("ClientOrderRef")
        if ref not in (None, "") and str(ref) in self.orders:
            return str(ref)
        erp_no = body.get(erp_no_key)
        if erp_no in (None, ""):
            return None
        known = self.erp_order_refs.get(str(erp_no))
        if known is not None:
            return known
        for order_ref, statuses in self.orders.items():  # orders put into ``orders`` directly
            if any(str(status.get("ErpOrderNo")) == str(erp_no) for status in statuses):
                return order_ref
        return None

    def _unknown_order(self, body: dict[str, Any], erp_no_key: str) -> str:
        ref, erp_no = body.get("ClientOrderRef"), body.get(erp_no_key)
        if ref in (None, "") and erp_no in (None, ""):
            return f"ClientOrderRef or {erp_no_key} is required"
        return f"unknown order (ClientOrderRef {ref!r}, {erp_no_key} {erp_no!r})"

    def _answer(self, result: tuple[dict[str, Any], int]) -> tuple[Response, int]:
        body, status = result
        call = g.get("connect_call")
        if call is not None:
            call["status"] = status
        return jsonify(body), status

    def _delivery_note(self, body: Any) -> tuple[dict[str, Any], int]:
        if not isinstance(body, dict):
            return {"Message": "the body must be a delivery note object"}, 400
        problems = []
        if body.get("NoteNo") in (None, ""):
            problems.append("NoteNo is required")
        items = body.get("DeliverynoteItems")
        if not isinstance(items, list) or not items:
            problems.append("DeliverynoteItems must have at least one item")
        else:
            for number, item in enumerate(items, start=1):
                if not isinstance(item, dict):
                    problems.append(f"DeliverynoteItems[{number}] must be an object")
                    continue
                if item.get("ItemNo") in (None, ""):
                    problems.append(f"DeliverynoteItems[{number}]: ItemNo is required")
                qty = _decimal(item.get("Qty"))
                if qty is None or qty <= 0:
                    problems.append(f"DeliverynoteItems[{number}]: Qty must be a number above 0")
        with self._lock:
            ref = self._order_ref(body, "OrderNo")
            if ref is None:
                problems.insert(0, self._unknown_order(body, "OrderNo"))
            if problems:
                return {"Message": "; ".join(problems)}, 400
            assert ref is not None
            notes = self._documents_of(ref)["DeliveryNotes"]
            if any(str(note.get("NoteNo")) == str(body["NoteNo"]) for note in notes):
                self.stats["duplicate delivery notes"] += 1
            notes.append(body)
            self.stats["delivery notes"] += 1
        return {}, 200

    def _invoice(self, body: Any, credit: bool) -> tuple[dict[str, Any], int]:
        """CreateInvoice (``credit`` False) or CreditPayment (True): the same body, and their rules."""
        what = "credit" if credit else "invoice"
        if not isinstance(body, dict):
            return {"Message": f"the body must be an {what} object"}, 400
        problems = [
            f"{name} is required"
            for name in ("InvoiceNo", "CurrencyCode", "InvoiceDate")
            if body.get(name) in (None, "")
        ]
        if credit and body.get("CreditedInvoiceNo") in (None, ""):
            problems.append("CreditedInvoiceNo is required")
        items = body.get("Items")
        if items is not None and not isinstance(items, list):
            problems.append("Items must be an array")
            items = None
        if not items and body.get("SuppressPspCall") is not True:
            problems.append("Items are required unless SuppressPspCall is true")
        line_total = Decimal(0)
        for number, item in enumerate(items or [], start=1):
            if not isinstance(item, dict):
                problems.append(f"Items[{number}] must be an object")
                continue
            quantity = _decimal(item.get("Quantity"), Decimal(0))
            line_amount = _decimal(item.get("LineAmount"), Decimal(0))
            if quantity is None or line_amount is None:
                problems.append(f"Items[{number}]: Quantity and LineAmount must be numbers")
                continue
            if quantity < 0:
                problems.append(f"Items[{number}]: Quantity must not be negative")
            line_total += line_amount
        total = _decimal(body.get("TotalAmount"))
        vat = _decimal(body.get("Vat"), Decimal(0))
        round_off = _decimal(body.get("InvoiceRoundOff"), Decimal(0))
        if vat is None or round_off is None or (body.get("TotalAmount") is not None and total is None):
            problems.append("TotalAmount, Vat and InvoiceRoundOff must be numbers")
        elif total is not None and items:
            expected = line_total + vat + round_off
            if abs(total - expected) > Decimal("0.01"):
                problems.append(
                    f"TotalAmount {total} is not the items' LineAmount + Vat + InvoiceRoundOff ({expected})"
                )
        with self._lock:
            ref = self._order_ref(body, "ErpOrderNo")
            if ref is None:
                problems.insert(0, self._unknown_order(body, "ErpOrderNo"))
            if problems:
                return {"Message": "; ".join(problems)}, 400
            assert ref is not None
            documents = self._documents_of(ref)
            invoice_no = str(body["InvoiceNo"])
            if credit:
                credited_no = str(body["CreditedInvoiceNo"])
                if not any(str(i.get("InvoiceNo")) == credited_no for i in documents["Invoices"]):
                    return {"Message": f"invoice {credited_no} is not an invoice of order {ref}"}, 400
                amount = total if total is not None else line_total + (vat or 0) + (round_off or 0)
                if amount <= 0:
                    return {"Message": f"the credited amount must be above 0, not {amount}"}, 400
                captured = sum((_total_of(i) for i in documents["Invoices"]), Decimal(0))
                refunded = sum((_total_of(c) for c in documents["Credits"]), Decimal(0))
                if amount > captured - refunded:
                    return {
                        "Message": f"the credit {amount} exceeds what is left to refund on order {ref}: "
                        f"{captured} invoiced - {refunded} credited"
                    }, 400
                if any(str(c.get("InvoiceNo")) == invoice_no for c in documents["Credits"]):
                    self.stats["double refunds"] += 1
                documents["Credits"].append(body)
                self.stats["refunds"] += 1
            else:
                if any(str(i.get("InvoiceNo")) == invoice_no for i in documents["Invoices"]):
                    self.stats["double captures"] += 1
                documents["Invoices"].append(body)
                self.stats["captures"] += 1
        return {}, 200

    def _lifecycle_rows(self, entity_set: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for ref, documents in self.documents.items():
            if entity_set == "Orders/DeliveryNotes":
                for note in documents["DeliveryNotes"]:
                    rows.append(
                        {
                            "Id": len(rows) + 1,
                            "NoteNo": note.get("NoteNo"),
                            "ClientOrderRef": ref,
                            "OrderNo": note.get("OrderNo") or self._erp_order_no(ref),
                        }
                    )
                continue
            for kind, is_credit in (("Invoices", False), ("Credits", True)):
                for invoice in documents[kind]:
                    rows.append(
                        {
                            "Id": len(rows) + 1,
                            "InvoiceNo": invoice.get("InvoiceNo"),
                            "ClientOrderRef": ref,
                            "ErpOrderNo": invoice.get("ErpOrderNo") or self._erp_order_no(ref),
                            "TotalAmount": float(_total_of(invoice)),
                            "CreditedInvoiceNo": invoice.get("CreditedInvoiceNo"),
                            "IsCredit": is_credit,
                        }
                    )
        return rows

    def _erp_order_no(self, ref: str) -> str | None:
        numbers = [s.get("ErpOrderNo") for s in self.orders.get(ref, []) if s.get("ErpOrderNo")]
        return str(numbers[-1]) if numbers else None

    def _query(self, entity_set: str) -> tuple[Response, int]:
        """Norce Query 2.0 (OData): ``$filter`` with ``Field eq 'value'`` joined by ``or`` / ``and``,
        ``$top``; answers ``{"value": [...]}`` in Query's PascalCase (CompanyCode, not Code).
        ``Orders/DeliveryNotes`` and ``Orders/Invoices`` (credits too, ``IsCredit``) come from
        ``documents``; ``$select`` is ignored."""
        if not request.headers.get("applicationId") and not request.headers.get("application-id"):
            return jsonify({"Message": "applicationId header is required"}), 400
        matches = _odata_filter(request.args.get("$filter", ""))
        top = int(request.args.get("$top", "100"))
        if entity_set in ("Orders/DeliveryNotes", "Orders/Invoices", "Orders/Orders"):
            with self._lock:
                rows = (
                    self._placed_rows() if entity_set == "Orders/Orders" else self._lifecycle_rows(entity_set)
                )
            return jsonify({"value": [row for row in rows if matches(row)][:top]}), 200
        store = {"Customers/Companies": self.companies, "Customers/Customers": self.customers}.get(entity_set)
        if store is None:
            return jsonify({"Message": f"unknown entity set {entity_set}"}), 404
        with self._lock:
            rows = [_query_row(entity_set, e) for e in store.values()]
        return jsonify({"value": [row for row in rows if matches(row)][:top]}), 200

    def _job_view(self, job: dict[str, Any]) -> dict[str, Any]:
        """Job/Get: 6 Queued until ``job_seconds`` passed, then 2 Succeeded, 4 Validation failed or 3 Failed
        (see ``_job_status``)."""
        finished = self.clock() - job["created"] >= self.job_seconds
        status = _job_status(job) if finished else 6
        applied = finished and not job["fail"]
        now = datetime.now(UTC).isoformat()
        return {
            "JobId": job["JobId"],
            "StatusId": status,
            "IsFinished": finished,
            "Insert": job.get("inserted", 0) if applied else 0,
            "Updates": job.get("updated", job["count"]) if applied else 0,
            "Fail": job["count"] if job["fail"] else len(job["log"]) if finished else 0,
            "Totals": job["count"],
            "Start": now,
            "Stop": now if finished else None,
            "LastUpdated": now,
        }

    def _job_summary(self, job: dict[str, Any]) -> dict[str, Any]:
        """A line of ``GET /_jobs``."""
        return {
            "JobId": job["JobId"],
            "kind": job["kind"],
            "count": job["count"],
            "full": job.get("full", False),
            "AccountId": job.get("AccountId"),
            "StatusId": self._job_view(job)["StatusId"],
            "inserted": job.get("inserted", 0),
            "updated": job.get("updated", 0),
            "errors": len(job["log"]),
        }


def _job_status(job: dict[str, Any]) -> int:
    """A finished job's StatusId: 3 Failed (the ``failJobs`` fault, or a customer linked to a company
    Norce does not hold, as before), 4 Validation failed (only records without a match key), else 2."""
    return 3 if job["fail"] or job.get("unlinked") else 4 if job["log"] else 2


def _read_body() -> bool:
    """Read the request's whole body (a chunked one too); False when the client stopped sending."""
    try:
        request.get_data(cache=True)
    except (OSError, BadRequest):
        return False
    return True


def _parsed_body() -> Any:
    """The body read by ``_read_body`` as JSON, None when empty or not JSON."""
    data = request.get_data(cache=True)
    if not data:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None


def _scalar(value: Any) -> bool:
    """A value a match key can have (and an index can hold)."""
    return isinstance(value, str | int | float)


def _log_line(row: int, message: str) -> dict[str, Any]:
    return {
        "SeverityId": 3,
        "Message": message,
        "TimeStamp": datetime.now(UTC).isoformat(),
        "ImportedRow": row,
    }


def _decimal(value: Any, default: Decimal | None = None) -> Decimal | None:
    """A JSON number or numeric string as a Decimal; ``default`` when absent, None when not a number."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _total_of(invoice: dict[str, Any]) -> Decimal:
    """An accepted invoice's TotalAmount, or its items' LineAmount + Vat + InvoiceRoundOff without one."""
    total = _decimal(invoice.get("TotalAmount"))
    if total is not None:
        return total
    lines = sum(
        (_decimal(i.get("LineAmount"), Decimal(0)) or Decimal(0) for i in invoice.get("Items") or []),
        Decimal(0),
    )
    return (
        lines
        + (_decimal(invoice.get("Vat"), Decimal(0)) or 0)
        + (_decimal(invoice.get("InvoiceRoundOff"), Decimal(0)) or 0)
    )


def _person(order: dict[str, Any]) -> dict[str, Any]:
    """The buyer of an OrderRequest: SellTo's Person, else BillTo's (a B2B SellTo may have none)."""
    for party in ("SellTo", "BillTo"):
        person = (order.get(party) or {}).get("Person")
        if isinstance(person, dict):
            return person
    return {}


def _person_fields(order: dict[str, Any]) -> dict[str, Any]:
    """The person fields of Norce's order events (None when unknown)."""
    person = _person(order)
    return {name: person.get(name) for name in ("Email", "CellPhone", "FirstName", "LastName")}


def _derived_order_id(ref: str) -> int:
    """A stable OrderId for an order never placed here (above the placed orders' range)."""
    return 900_000_000 + int.from_bytes(hashlib.sha256(ref.encode()).digest()[:4], "big")


def _delivery_mode(order: dict[str, Any]) -> str | None:
    """Best effort: the OrderRequest's ShippingAdvice.DeliveryMethodCode, or ShippingInfo.DeliveryMethod."""
    for section, name in (("ShippingAdvice", "DeliveryMethodCode"), ("ShippingInfo", "DeliveryMethod")):
        value = (order.get(section) or {}).get(name)
        if value not in (None, ""):
            return str(value)
    return None


def _delivery_address(order: dict[str, Any]) -> dict[str, Any] | None:
    """ShipTo's Person address in Query's names, else the buyer's."""
    person = (order.get("ShipTo") or {}).get("Person")
    address = (person if isinstance(person, dict) else _person(order)).get("Address")
    if not isinstance(address, dict):
        return None
    return {
        name: address.get(name)
        for name in ("Line1", "Line2", "CareOf", "ZipCode", "City", "Region", "Country")
    }


def _order_item_row(item: dict[str, Any]) -> dict[str, Any]:
    """An OrderRequest item as a Query order row item; LineAmount incl. VAT, None when not computable."""
    quantity = _decimal(item.get("Quantity"))
    price = _decimal(item.get("UnitPrice"))
    vat = _decimal(item.get("UnitVat"))
    rate = _decimal(item.get("VatRate"))
    if vat is None and price is not None and rate is not None:
        vat = price * rate / 100
    amount = None
    if quantity is not None and price is not None:
        amount = float(round(quantity * (price + (vat or 0)), 2))
    return {
        "PartNo": item.get("PartNo") or item.get("ErpPartNo"),
        "Name": item.get("Name") or item.get("Description"),
        "Quantity": float(quantity) if quantity is not None else None,
        "LineAmount": amount,
    }


def _query_row(entity_set: str, entity: dict[str, Any]) -> dict[str, Any]:
    """A held entity in Query's names; ``Updated`` (and every other field) is carried as held."""
    row = {k: v for k, v in entity.items() if k != "Code"}
    row["CompanyCode" if entity_set.endswith("Companies") else "CustomerCode"] = entity.get("Code")
    return row


def _odata_filter(text: str) -> Callable[[dict[str, Any]], bool]:
    """The small part of OData's $filter the integration uses: ``A eq 'x' or B eq 'y'`` (and ``and``)."""
    if not text.strip():
        return lambda row: True
    alternatives = []
    for alternative in re.split(r"\s+or\s+", text):
        terms = []
        for term in re.split(r"\s+and\s+", alternative):
            match = re.fullmatch(r"\s*(\w+)\s+eq\s+(?:'((?:[^']|'')*)'|(\d+))\s*", term)
            if match is None:
                raise ValueError(f"unsupported $filter term {term!r}")
            name, text_value, number = match.groups()
            terms.append((name, text_value.replace("''", "'") if text_value is not None else int(number)))
        alternatives.append(terms)
    return lambda row: any(all(row.get(n) == v for n, v in terms) for terms in alternatives)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=5100)
    args = parser.parse_args(argv)
    simulator = NorceConnectSimulator(args.port).start()
    print(f"Norce Connect simulator on {simulator.connect_url}; token endpoint {simulator.identity_url}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        simulator.stop()


if __name__ == "__main__":
    main()
