"""A generic REST/JSON ERP on 127.0.0.1:5200, with SQLite state and fault injection.

This is the contract ``HttpErp`` speaks (docs/simulators.md). The ERP enforces a unique external
reference per order, like a well-configured real ERP: a second POST answers 409 with the first order.
"""

import argparse
import json
import random
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, jsonify, request

from local.simulator_http import BackgroundServer, Simulator

SCHEMA = """
CREATE TABLE IF NOT EXISTS customers (code TEXT PRIMARY KEY, email TEXT, changed_at TEXT, body TEXT);
CREATE TABLE IF NOT EXISTS companies (code TEXT PRIMARY KEY, organization_no TEXT, changed_at TEXT,
                                      body TEXT);
CREATE TABLE IF NOT EXISTS orders (order_no TEXT PRIMARY KEY, external_ref TEXT UNIQUE NOT NULL,
                                   created_at TEXT, body TEXT);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER);
CREATE TABLE IF NOT EXISTS party_refs (kind TEXT NOT NULL, external_ref TEXT NOT NULL, code TEXT NOT NULL,
                                       PRIMARY KEY (kind, external_ref));
"""


def normalised(value: str | None) -> str:
    """VAT numbers compare without case, spaces or punctuation, as the integration compares them."""
    return "".join(ch for ch in (value or "").upper() if ch.isalnum())


@dataclass
class ErpFaults:
    latency_ms: int = 0
    error_rate: float = 0.0
    error_status: int = 503
    retry_after_seconds: int | None = None
    down_until: float = 0.0  # on the simulator's clock
    reject_orders: int = 0
    unknown_parts: set[str] = field(default_factory=set)

    def describe(self, now: float) -> dict[str, Any]:
        return {
            "latencyMs": self.latency_ms,
            "errorRate": self.error_rate,
            "errorStatus": self.error_status,
            "retryAfterSeconds": self.retry_after_seconds,
            "downForSeconds": max(0.0, self.down_until - now),
            "rejectOrders": self.reject_orders,
            "unknownParts": sorted(self.unknown_parts),
        }


class ErpSimulator(Simulator):
    def __init__(
        self,
        db_path: str = ":memory:",
        api_key: str = "erp-local-key",
        port: int = 5200,
        clock: Callable[[], float] = time.monotonic,
        seed: int | None = None,
    ) -> None:
        self.api_key = api_key
        self.clock = clock
        self.faults = ErpFaults()
        self.stats: Counter[str] = Counter()
        self._random = random.Random(seed)  # noqa: S311 - fault injection, not security
        self._lock = threading.RLock()
        self._db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
        self._db.executescript(SCHEMA)
        self.app = self._build_app()
        self.server = BackgroundServer(self.app, port)

    # -- faults and data, also for tests in-process
    def set_faults(self, **changes: Any) -> None:
        with self._lock:
            if "down_for_seconds" in changes:
                self.faults.down_until = self.clock() + float(changes.pop("down_for_seconds"))
            if "unknown_parts" in changes:
                self.faults.unknown_parts = set(changes.pop("unknown_parts"))
            for name, value in changes.items():
                setattr(self.faults, name, value)

    def reset(self) -> None:
        with self._lock:
            self.faults = ErpFaults()
            self.stats.clear()
            self._db.executescript(
                "DELETE FROM customers; DELETE FROM companies; DELETE FROM orders; DELETE FROM counters;"
                "DELETE FROM party_refs;"
            )

    def parties(self, kind: str) -> list[dict[str, Any]]:
        """Every customer or company the ERP holds (``kind``: customers / companies)."""
        with self._lock:
            rows = self._db.execute(f"SELECT body FROM {kind} ORDER BY code")  # noqa: S608
            return [json.loads(row[0]) for row in rows.fetchall()]

    def orders(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT order_no, external_ref, created_at, body FROM orders ORDER BY order_no"
            )
            return [_order_summary(*row) for row in rows.fetchall()]

    # -- internals
    def _next(self, name: str, prefix: str, start: int) -> str:
        with self._lock:
            row = self._db.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
            value = (row[0] if row else start) + 1
            self._db.execute("INSERT OR REPLACE INTO counters VALUES (?, ?)", (name, value))
            return f"{prefix}{value:06d}" if prefix == "SO-" else f"{prefix}{value}"

    def _fault(self) -> Response | None:
        faults = self.faults
        if faults.latency_ms:
            time.sleep(faults.latency_ms / 1000)
        retry_after = {"Retry-After": str(faults.retry_after_seconds)} if faults.retry_after_seconds else {}
        if self.clock() < faults.down_until:
            seconds = int(faults.down_until - self.clock()) + 1
            return _error(503, "ERP is down for maintenance", {"Retry-After": str(seconds)})
        if faults.error_rate and self._random.random() < faults.error_rate:
            return _error(faults.error_status, "injected error", retry_after)
        return None

    def _build_app(self) -> Flask:
        app = Flask("erp-simulator")
        sim = self

        @app.before_request
        def guard() -> Response | None:
            if request.path.startswith("/_"):
                return None
            if request.headers.get("X-Api-Key") != sim.api_key:
                sim.stats[f"{request.method} {request.path.split('/')[1]} 401"] += 1
                return _error(401, "missing or wrong X-Api-Key")
            return sim._fault()

        @app.after_request
        def count(response: Response) -> Response:
            if not request.path.startswith("/_"):
                sim.stats[f"{request.method} /{request.path.split('/')[1]} {response.status_code}"] += 1
            return response

        for kind, key_column, match_param, prefix, start in (
            ("customers", "email", "email", "C", 10000),
            ("companies", "organization_no", "organizationNo", "B", 20000),
        ):
            sim._register_parties(app, kind, key_column, match_param, prefix, start)
        sim._register_orders(app)
        sim._register_control(app)
        return app

    def _register_parties(
        self, app: Flask, kind: str, key_column: str, match_param: str, prefix: str, start: int
    ) -> None:
        sim = self

        def listing() -> Response:
            with sim._lock:
                if "code" in request.args:
                    rows = sim._db.execute(f"SELECT body FROM {kind} WHERE code = ?", (request.args["code"],))  # noqa: S608
                elif "externalRef" in request.args:
                    rows = sim._db.execute(
                        f"SELECT body FROM {kind} JOIN party_refs r ON r.kind = ? AND r.code = {kind}.code "  # noqa: S608
                        "WHERE r.external_ref = ?",
                        (kind, request.args["externalRef"]),
                    )
                elif "vatNo" in request.args:
                    wanted = normalised(request.args["vatNo"])
                    everything = sim._db.execute(f"SELECT body FROM {kind}").fetchall()  # noqa: S608
                    found = [
                        json.loads(r[0])
                        for r in everything
                        if normalised(json.loads(r[0]).get("vatNo")) == wanted
                    ]
                    return jsonify({"items": found if wanted else []})
                elif match_param in request.args:
                    rows = sim._db.execute(
                        f"SELECT body FROM {kind} WHERE {key_column} = ?",  # noqa: S608
                        (request.args[match_param],),
                    )
                else:
                    return sim._export(kind)
                return jsonify({"items": [json.loads(row[0]) for row in rows.fetchall()]})

        def create() -> tuple[Response, int]:
            body = request.get_json(force=True)
            with sim._lock:
                external_ref = body.get("externalRef")
                if external_ref:  # a unique external reference, like an ERP's "external id" field
                    known = sim._db.execute(
                        f"SELECT {kind}.body FROM party_refs r JOIN {kind} ON {kind}.code = r.code "  # noqa: S608
                        "WHERE r.kind = ? AND r.external_ref = ?",
                        (kind, external_ref),
                    ).fetchone()
                    if known:
                        return jsonify(json.loads(known[0])), 409
                body["code"] = sim._next(kind, prefix, start)
                body["changedAt"] = _now()
                sim._db.execute(
                    f"INSERT INTO {kind} VALUES (?, ?, ?, ?)",  # noqa: S608
                    (body["code"], body.get(match_param), body["changedAt"], json.dumps(body)),
                )
                if external_ref:
                    sim._db.execute(
                        "INSERT INTO party_refs VALUES (?, ?, ?)", (kind, external_ref, body["code"])
                    )
            return jsonify(body), 201

        def one(code: str) -> tuple[Response, int]:
            with sim._lock:
                row = sim._db.execute(f"SELECT body FROM {kind} WHERE code = ?", (code,)).fetchone()  # noqa: S608
                if row is None:
                    return _error(404, f"no {kind[:-1]} {code}"), 404
                if request.method == "PUT":
                    body = {
                        **json.loads(row[0]),
                        **request.get_json(force=True),
                        "code": code,
                        "changedAt": _now(),
                    }
                    sim._db.execute(
                        f"UPDATE {kind} SET {key_column} = ?, changed_at = ?, body = ? WHERE code = ?",  # noqa: S608
                        (body.get(match_param), body["changedAt"], json.dumps(body), code),
                    )
                    return jsonify(body), 200
                return jsonify(json.loads(row[0])), 200

        app.add_url_rule(f"/{kind}", f"{kind}_list", listing, methods=["GET"])
        app.add_url_rule(f"/{kind}", f"{kind}_create", create, methods=["POST"])
        app.add_url_rule(f"/{kind}/<code>", f"{kind}_one", one, methods=["GET", "PUT"])

    def _export(self, kind: str) -> Response:
        since = request.args.get("changedSince") or ""
        size = int(request.args.get("pageSize", 500))
        after = request.args.get("pageToken") or ""
        after_changed, _, after_code = after.partition("|")
        rows = self._db.execute(
            f"SELECT code, changed_at, body FROM {kind} WHERE changed_at >= ? "  # noqa: S608
            "AND (changed_at > ? OR (changed_at = ? AND code > ?)) ORDER BY changed_at, code LIMIT ?",
            (since, after_changed, after_changed, after_code, size + 1),
        ).fetchall()
        page = rows[:size]
        token = f"{page[-1][1]}|{page[-1][0]}" if len(rows) > size else None
        return jsonify({"items": [json.loads(row[2]) for row in page], "nextPageToken": token})

    def _register_orders(self, app: Flask) -> None:
        sim = self

        @app.get("/orders")
        def list_orders() -> Response:
            orders = sim.orders()
            if "externalRef" in request.args:
                orders = [o for o in orders if o["externalRef"] == request.args["externalRef"]]
            return jsonify({"items": orders})

        @app.get("/orders/<order_no>")
        def get_order(order_no: str) -> tuple[Response, int]:
            found = [o for o in sim.orders() if o["orderNo"] == order_no]
            return (jsonify(found[0]), 200) if found else (_error(404, f"no order {order_no}"), 404)

        @app.post("/orders")
        def create_order() -> tuple[Response, int]:
            body = request.get_json(force=True)
            ref = body.get("externalRef")
            problem = _order_problem(body, sim.faults.unknown_parts)
            with sim._lock:
                existing = sim._db.execute(
                    "SELECT order_no FROM orders WHERE external_ref = ?", (ref,)
                ).fetchone()
                if existing:
                    return jsonify(
                        {
                            "externalRef": ref,
                            "orderNo": existing[0],
                            "created": False,
                            "error": "duplicate externalRef",
                        }
                    ), 409
                if sim.faults.reject_orders > 0:
                    sim.faults.reject_orders -= 1
                    problem = problem or "order rejected (injected)"
                if problem:
                    return _error(422, problem), 422
                number = sim._next("orders", "SO-", 0)
                sim._db.execute(
                    "INSERT INTO orders VALUES (?, ?, ?, ?)", (number, ref, _now(), json.dumps(body))
                )
            return jsonify({"externalRef": ref, "orderNo": number, "created": True}), 201

    def _register_control(self, app: Flask) -> None:
        sim = self

        @app.route("/_faults", methods=["GET", "POST", "DELETE"])
        def faults() -> Response:
            if request.method == "POST":
                given = request.get_json(force=True)
                names = {
                    "latencyMs": "latency_ms",
                    "errorRate": "error_rate",
                    "errorStatus": "error_status",
                    "retryAfterSeconds": "retry_after_seconds",
                    "downForSeconds": "down_for_seconds",
                    "rejectOrders": "reject_orders",
                    "unknownParts": "unknown_parts",
                }
                sim.set_faults(**{names[k]: v for k, v in given.items() if k in names})
                if "seed" in given:
                    sim._random.seed(given["seed"])
            elif request.method == "DELETE":
                sim.faults = ErpFaults()
            return jsonify(sim.faults.describe(sim.clock()))

        @app.post("/_reset")
        def reset() -> Response:
            sim.reset()
            return jsonify({"reset": True})

        @app.get("/_stats")
        def stats() -> Response:
            return jsonify(dict(sim.stats))


def _order_problem(body: dict[str, Any], unknown_parts: set[str]) -> str | None:
    if not body.get("currency"):
        return "currency is required"
    lines = body.get("lines") or []
    if not lines:
        return "an order needs lines"
    for line in lines:
        if float(line.get("quantity") or 0) <= 0:
            return f"line {line.get('lineNo')}: quantity must be positive"
        if line.get("partNo") in unknown_parts:
            return f"line {line.get('lineNo')}: unknown item {line.get('partNo')}"
    return None


def _order_summary(order_no: str, external_ref: str, created_at: str, body: str) -> dict[str, Any]:
    parsed = json.loads(body)
    return {
        "orderNo": order_no,
        "externalRef": external_ref,
        "customerCode": parsed.get("customerCode"),
        "companyCode": parsed.get("companyCode"),
        "currency": parsed.get("currency"),
        "createdAt": created_at,
        "lineCount": len(parsed.get("lines") or []),
        "body": parsed,
    }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=5200)
    parser.add_argument("--db", default=".local-state/erp.sqlite3")
    parser.add_argument("--api-key", default="erp-local-key")
    args = parser.parse_args(argv)
    simulator = ErpSimulator(args.db, args.api_key, args.port).start()
    print(f"ERP simulator on {simulator.url} (X-Api-Key: {args.api_key}, data in {args.db}); Ctrl-C to stop")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        simulator.stop()


if __name__ == "__main__":
    main()
