"""Norce Commerce Connect 4.0 (and its token endpoint) on 127.0.0.1:5100, for the local stack and tests.

Follows Norce's documented behaviour where known: OAuth2 client credentials with the token endpoint's
rate limit (3/min per IP, burst 20), legacy Basic auth, SendOrderStatus with the documented statuses,
ImportCustomers/ImportCompanies that need ``X-StormConnect-Header`` and answer a job id, Job/Get.
Choices where Norce says nothing: the job id is a bare JSON integer; the full-import flag is
``FullFile`` inside X-StormConnect-Header. Every call is recorded (``GET /_calls``); faults injectable.
"""

import argparse
import base64
import itertools
import json
import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, jsonify, request

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
        self.customers: dict[int, dict[str, Any]] = {}  # by Norce's internal Id
        self.companies: dict[int, dict[str, Any]] = {}
        self.jobs: dict[int, dict[str, Any]] = {}
        self.stats: Counter[str] = Counter()
        self._job_ids = itertools.count(5001)
        self._entity_ids = itertools.count(1)
        self._lock = threading.RLock()
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
            self.stats.clear()

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
            body = request.get_json(silent=True)
            headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
            call = {
                "at": datetime.now(UTC).isoformat(),
                "method": request.method,
                "path": path,
                "query": dict(request.args),
                "headers": headers,
                "body": body,
            }
            with sim._lock:
                sim.calls.append(call)
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
            return None

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
                sim.calls[-1]["status"] = 200
            return jsonify({}), 200

        @app.post(f"{CONNECT}/Customer/ImportCustomers")
        def import_customers() -> tuple[Response, int]:
            return sim._import("customers", "CustomerFieldsThatAreSet", ("Code", "EmailAddress"))

        @app.post(f"{CONNECT}/Customer/ImportCompanies")
        def import_companies() -> tuple[Response, int]:
            return sim._import("companies", "CompanyFieldsThatAreSet", ("Code", "OrganizationNo"))

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

        @app.get("/_calls")
        def calls() -> Response:
            with sim._lock:
                path = request.args.get("path")
                return jsonify([c for c in sim.calls if not path or c["path"].endswith(path)])

        @app.get("/_orders")
        def orders() -> Response:
            return jsonify(sim.orders)

        @app.get("/commerce/query/2.0/<path:entity_set>")
        def query(entity_set: str) -> tuple[Response, int]:
            return sim._query(entity_set)

        @app.route("/_customers", methods=["GET", "POST"])
        def customers() -> Any:
            if request.method == "POST":  # as if a buyer had just checked out
                return jsonify(sim.hold("customers", request.get_json(force=True))), 201
            return jsonify(list(sim.customers.values()))

        @app.route("/_companies", methods=["GET", "POST"])
        def companies() -> Any:
            if request.method == "POST":
                return jsonify(sim.hold("companies", request.get_json(force=True))), 201
            return jsonify(list(sim.companies.values()))

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
            held = {"Id": next(self._entity_ids), "IsActive": True, **entity}
            (self.customers if kind == "customers" else self.companies)[held["Id"]] = held
            return held

    def _match(self, kind: str, entity: dict[str, Any]) -> dict[str, Any] | None:
        """Norce's order: Id, then Code, then OrganizationNo (companies) or EmailAddress (customers)."""
        store = self.customers if kind == "customers" else self.companies
        natural = "OrganizationNo" if kind == "companies" else "EmailAddress"
        for key in ("Id", "Code", natural):
            wanted = entity.get(key)
            if wanted in (None, ""):
                continue
            for held in store.values():
                if held.get(key) == wanted:
                    return held
        return None

    def _import(self, kind: str, fields_key: str, match_keys: tuple[str, str]) -> tuple[Response, int]:
        raw_header = request.headers.get("X-StormConnect-Header")
        try:
            header = json.loads(raw_header or "")
            account_id = int(header["AccountId"])
        except (ValueError, KeyError, TypeError):
            return jsonify({"Message": "X-StormConnect-Header with AccountId is required"}), 400
        entities = request.get_json(force=True)
        if not isinstance(entities, list):
            return jsonify({"Message": "the body must be an array"}), 400
        store = self.customers if kind == "customers" else self.companies
        fields = header.get(fields_key)
        log: list[dict[str, Any]] = []
        with self._lock:
            seen = set()
            for row, entity in enumerate(entities, start=1):
                current = self._match(kind, entity)
                written = {
                    k: v
                    for k, v in entity.items()
                    if k != "Id" and (fields is None or k in fields or (current is None and k in match_keys))
                }
                if kind == "customers" and "Companies" in written:
                    missing = [c for c in written["Companies"] or [] if self._match("companies", c) is None]
                    if missing:  # Norce links a customer only to companies it already holds
                        log.append(
                            _log_line(row, f"Company {missing[0].get('Code') or missing[0]} does not exist")
                        )
                        continue
                    written["Companies"] = [
                        (self._match("companies", c) or {}).get("Code") for c in written["Companies"]
                    ]
                if current is None:
                    current = {"Id": next(self._entity_ids), "IsActive": True}
                    store[current["Id"]] = current
                current.update(written)
                seen.add(current["Id"])
            if header.get(self.full_file_key) is True:
                for entity_id, entity in store.items():
                    if entity_id not in seen:
                        entity["IsActive"] = False
            job_id = next(self._job_ids)
            self.jobs[job_id] = {
                "JobId": job_id,
                "kind": kind,
                "count": len(entities),
                "AccountId": account_id,
                "created": self.clock(),
                "fail": self.faults.fail_jobs or bool(log),
                "log": log,
            }
            self.calls[-1]["status"] = 200
        return jsonify(job_id), 200

    def _query(self, entity_set: str) -> tuple[Response, int]:
        """Norce Query 2.0 (OData): ``$filter`` with ``Field eq 'value'`` joined by ``or`` / ``and``,
        ``$top``; answers ``{"value": [...]}`` in Query's PascalCase (CompanyCode, not Code)."""
        if not request.headers.get("applicationId") and not request.headers.get("application-id"):
            return jsonify({"Message": "applicationId header is required"}), 400
        store = {"Customers/Companies": self.companies, "Customers/Customers": self.customers}.get(entity_set)
        if store is None:
            return jsonify({"Message": f"unknown entity set {entity_set}"}), 404
        matches = _odata_filter(request.args.get("$filter", ""))
        top = int(request.args.get("$top", "100"))
        with self._lock:
            rows = [_query_row(entity_set, e) for e in store.values()]
        return jsonify({"value": [row for row in rows if matches(row)][:top]}), 200

    def _job_view(self, job: dict[str, Any]) -> dict[str, Any]:
        finished = self.clock() - job["created"] >= self.job_seconds
        status = (3 if job["fail"] else 2) if finished else 6
        now = datetime.now(UTC).isoformat()
        return {
            "JobId": job["JobId"],
            "StatusId": status,
            "IsFinished": finished,
            "Insert": 0,
            "Updates": job["count"] if status == 2 else 0,
            "Fail": job["count"] if status == 3 else 0,
            "Totals": job["count"],
            "Start": now,
            "Stop": now if finished else None,
            "LastUpdated": now,
        }


def _log_line(row: int, message: str) -> dict[str, Any]:
    return {
        "SeverityId": 3,
        "Message": message,
        "TimeStamp": datetime.now(UTC).isoformat(),
        "ImportedRow": row,
    }


def _query_row(entity_set: str, entity: dict[str, Any]) -> dict[str, Any]:
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
