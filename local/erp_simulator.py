"""A generic REST/JSON ERP on 127.0.0.1:5200, with SQLite state and fault injection.

This is the contract ``HttpErp`` speaks (docs/simulators.md). The ERP enforces a unique external
reference per order, like a well-configured real ERP: a second POST answers 409 with the first order.

After an order the ERP makes documents, as a warehouse and an accountant would: delivery notes
(``DN-1``...), invoices (``INV-1``...), credit notes (``CN-1``...) and status changes. Tests and the
demo make them with ``ship`` / ``invoice`` / ``credit`` / ``set_status`` or the control routes
``POST /_orders/<orderNo>/ship|invoice|credit|status`` (no API key, like every ``/_`` route); ``GET
/_documents`` lists them. The integration reads them from the change feed ``GET /documents?changedSince=
&pageSize=&pageToken=`` (API key and faults as on every ERP route; paged like the customer export,
ordered by ``changedAt`` then ``documentNo``). A document's lines carry the order line's part number,
unit price and unit VAT; ``lineAmount`` = quantity x unit price (excluding VAT) and ``totalAmount`` =
the sum of ``lineAmount`` + ``vat``, both rounded to 2 decimals. ``changedAt`` strictly increases.

For scheduled imports: ``seed`` / ``POST /_seed`` ``{"customers": N, "companies": M, "bad": true,
"anonymised": [codes]}`` holds exactly N generated customers (``C0000001``...) and M companies
(``B000001``...), keeping the ones that exist as they are; ``bad`` adds customers the integration must skip
(no code and no e-mail, an invalid e-mail, a duplicated code) at the end of the export. The export pages
stably by ``changedAt`` then code whatever its size; the fault ``failExportOnPage`` N answers 503 to page
N of each customer/company export run, retries of that page included; ``lostResponseRate`` r does each
call and then, with chance r, answers 504 instead (the answer was lost); ``answerLatencyMs`` holds each
answer back that long after the work is done. The seeded records themselves are
built in ``local/erp_seed.py``.
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
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flask import Flask, Response, jsonify, request

from local.erp_seed import (
    BAD_DUPLICATE,
    BAD_EMAIL,
    BAD_NO_CODE,
    SEEDED,
    anonymised,
    bad_customers,
    later_than,
    missing_companies,
    missing_customers,
    seeded_code,
)
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
CREATE TABLE IF NOT EXISTS documents (document_no TEXT PRIMARY KEY, kind TEXT, order_no TEXT, changed_at TEXT,
                                      body TEXT);
CREATE INDEX IF NOT EXISTS customers_changed ON customers (changed_at, code);
CREATE INDEX IF NOT EXISTS customers_email ON customers (email);
CREATE INDEX IF NOT EXISTS companies_changed ON companies (changed_at, code);
CREATE INDEX IF NOT EXISTS companies_organization_no ON companies (organization_no);
CREATE INDEX IF NOT EXISTS documents_changed ON documents (changed_at, document_no);
CREATE INDEX IF NOT EXISTS documents_order ON documents (order_no);
"""
DOCUMENT_PREFIXES = {"deliveryNote": "DN-", "invoice": "INV-", "creditNote": "CN-"}
CENT = Decimal("0.01")


class DocumentRefused(Exception):
    """A document the ERP cannot make: ``status`` 404 (no such order), 409 (nothing left), 400 (bad input)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


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
    fail_export_on_page: int | None = None  # page N of a customer/company export run (and its retries): 503
    lost_response_rate: float = 0.0  # the call is done, then its answer is lost: 504 instead (by chance)
    answer_latency_ms: int = 0  # the call is done, then its answer takes this long to leave

    def describe(self, now: float) -> dict[str, Any]:
        return {
            "latencyMs": self.latency_ms,
            "errorRate": self.error_rate,
            "errorStatus": self.error_status,
            "retryAfterSeconds": self.retry_after_seconds,
            "downForSeconds": max(0.0, self.down_until - now),
            "rejectOrders": self.reject_orders,
            "unknownParts": sorted(self.unknown_parts),
            "failExportOnPage": self.fail_export_on_page,
            "lostResponseRate": self.lost_response_rate,
            "answerLatencyMs": self.answer_latency_ms,
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
        # per kind: the page of the current export run and its pageToken (a retry asks for the same page)
        self._export_pages: dict[str, tuple[int, str]] = {}
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
            self._export_pages = {}
            self._db.executescript(
                "DELETE FROM customers; DELETE FROM companies; DELETE FROM orders; DELETE FROM counters;"
                "DELETE FROM party_refs; DELETE FROM documents;"
            )

    def seed(
        self,
        customers: int | None = None,
        companies: int | None = None,
        bad: bool | None = None,
        anonymised: list[str] | None = None,
        changed_at: str | None = None,
    ) -> dict[str, Any]:
        """Hold exactly ``customers`` generated customers (``C0000001``...) and ``companies`` generated
        companies (``B000001``...); None leaves that kind as it is. Generated parties that exist keep their
        data and ``changedAt``; new ones get ``changedAt`` now (or ``changed_at``, ISO-8601 UTC: parties the
        ERP has held since then); the ones above the number are removed
        (customers of a removed company lose their ``companyCode``, and so change). ``bad`` True (re)adds
        the bad customers at the end of the export, False removes them. ``anonymised``: customer codes to
        mark ``anonymised: true``. One transaction. Answers the numbers held (and the anonymised codes)."""
        for name, number in (("customers", customers), ("companies", companies)):
            if number is not None and (isinstance(number, bool) or not isinstance(number, int) or number < 0):
                raise ValueError(f"{name} must be a whole number >= 0, not {number!r}")
        with self._lock:
            self._db.execute("BEGIN")
            try:
                now = changed_at or _now()
                if companies is not None:
                    self._seed_companies(companies, now)
                if customers is not None:
                    self._seed_customers(customers, now)
                marked = self._anonymise(anonymised or [])
                if bad is not None:
                    self._db.execute(
                        "DELETE FROM customers WHERE code IN (?, ?, ?)",
                        (BAD_NO_CODE, BAD_EMAIL, BAD_DUPLICATE),
                    )
                    if bad:
                        self._add_bad_customers()
                answer: dict[str, Any] = {
                    kind: self._seeded_count(kind) for kind in ("customers", "companies")
                }
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        if anonymised:
            answer["anonymised"] = marked
        return answer

    def _seeded_codes(self, kind: str) -> set[str]:
        pattern = SEEDED[kind][2]
        rows = self._db.execute(f"SELECT code FROM {kind} WHERE code GLOB ?", (pattern,))  # noqa: S608
        return {row[0] for row in rows.fetchall()}

    def _seeded_count(self, kind: str) -> int:
        pattern = SEEDED[kind][2]
        count = f"SELECT COUNT(*) FROM {kind} WHERE code GLOB ?"  # noqa: S608
        return int(self._db.execute(count, (pattern,)).fetchone()[0])

    def _seed_companies(self, wanted: int, now: str) -> None:
        pattern = SEEDED["companies"][2]
        above = seeded_code("companies", wanted)
        removed = [
            row[0]
            for row in self._db.execute(
                "SELECT code FROM companies WHERE code GLOB ? AND code > ?", (pattern, above)
            ).fetchall()
        ]
        if removed:
            self._db.execute("DELETE FROM companies WHERE code GLOB ? AND code > ?", (pattern, above))
            # the ERP unlinks the contacts of a company it no longer has: they change
            self._db.execute("CREATE TEMP TABLE IF NOT EXISTS removed_companies (code TEXT PRIMARY KEY)")
            self._db.execute("DELETE FROM removed_companies")
            self._db.executemany("INSERT INTO removed_companies VALUES (?)", [(code,) for code in removed])
            self._db.execute(
                "UPDATE customers SET changed_at = ?, "
                "body = json_set(body, '$.companyCode', json('null'), '$.changedAt', ?) "
                "WHERE json_extract(body, '$.companyCode') IN (SELECT code FROM removed_companies)",
                (now, now),
            )
        known = self._seeded_codes("companies")
        rows = [
            (body["code"], body["organizationNo"], now, json.dumps(body))
            for body in missing_companies(wanted, known, now)
        ]
        self._db.executemany("INSERT INTO companies VALUES (?, ?, ?, ?)", rows)

    def _seed_customers(self, wanted: int, now: str) -> None:
        pattern = SEEDED["customers"][2]
        self._db.execute(
            "DELETE FROM customers WHERE code GLOB ? AND code > ?",
            (pattern, seeded_code("customers", wanted)),
        )
        companies = self._seeded_count("companies")
        known = self._seeded_codes("customers")
        rows = [
            (body["code"], body["email"], now, json.dumps(body))
            for body in missing_customers(wanted, known, companies, now)
        ]
        self._db.executemany("INSERT INTO customers VALUES (?, ?, ?, ?)", rows)

    def _later_than_every_customer(self) -> str:
        """Now, or a microsecond after the newest customer change: what is stamped with it comes last."""
        now = _now()
        newest = self._db.execute("SELECT MAX(changed_at) FROM customers").fetchone()[0]
        return later_than(newest, now)

    def _add_bad_customers(self) -> None:
        """The bad customers (``erp_seed.bad_customers``), last in the export; the duplicate copies the
        customer with the lowest code."""
        changed_at = self._later_than_every_customer()
        first = self._db.execute(
            "SELECT body FROM customers WHERE code NOT IN (?, ?, ?) ORDER BY code LIMIT 1",
            (BAD_NO_CODE, BAD_EMAIL, BAD_DUPLICATE),
        ).fetchone()
        bad = bad_customers(changed_at, json.loads(first[0]) if first is not None else None)
        self._db.executemany(
            "INSERT INTO customers VALUES (?, ?, ?, ?)",
            [(key, email, changed_at, json.dumps(body)) for key, email, body in bad],
        )

    def _anonymise(self, codes: list[str]) -> list[str]:
        """Mark these customers ``anonymised: true`` (changedAt now); answers the codes found."""
        marked = []
        for code in codes:
            row = self._db.execute("SELECT body FROM customers WHERE code = ?", (str(code),)).fetchone()
            if row is None:
                continue
            body = anonymised(json.loads(row[0]), _now())
            self._db.execute(
                "UPDATE customers SET changed_at = ?, body = ? WHERE code = ?",
                (body["changedAt"], json.dumps(body), str(code)),
            )
            marked.append(str(code))
        return marked

    def parties(self, kind: str) -> list[dict[str, Any]]:
        """Every customer or company the ERP holds (``kind``: customers / companies)."""
        with self._lock:
            rows = self._db.execute(f"SELECT body FROM {kind} ORDER BY code")  # noqa: S608
            return [json.loads(row[0]) for row in rows.fetchall()]

    def orders(self, *, external_ref: str | None = None, order_no: str | None = None) -> list[dict[str, Any]]:
        """Every order, or the one of an external reference or order number. A look-up goes by index, not
        through every order: the integration looks one up for each order it places, and a look-up that read
        them all made the soak's ERP slower with every order (half the stack's CPU after 25 minutes)."""
        given = {
            column: value
            for column, value in (("external_ref", external_ref), ("order_no", order_no))
            if value is not None
        }
        where = " WHERE " + " AND ".join(f"{column} = ?" for column in given) if given else ""
        with self._lock:
            rows = self._db.execute(
                f"SELECT order_no, external_ref, created_at, body FROM orders{where} ORDER BY order_no",  # noqa: S608
                list(given.values()),
            )
            return [_order_summary(*row) for row in rows.fetchall()]

    # -- documents: what the ERP does with an order afterwards
    def ship(
        self, order_no: str, lines: list[dict[str, Any]] | None = None, parcel_number: str | None = None
    ) -> dict[str, Any]:
        """A delivery note for ``lines`` (``[{"lineNo", "quantity"}]``, quantity defaulting to what is left
        of the line), or for everything not yet shipped."""
        with self._lock:
            order = self._order(order_no)
            left = _left(order, self._shipped(order_no, "deliveryNote"))
            chosen = _choose(left, lines, "ship")
            document = self._document("deliveryNote", order, _document_lines(order, chosen), totals=False)
            document["parcelNumber"] = parcel_number
            return self._store(document)

    def invoice(self, order_no: str, lines: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """An invoice for ``lines``, or for everything shipped and not yet invoiced (everything not yet
        invoiced when nothing was shipped)."""
        with self._lock:
            order = self._order(order_no)
            invoiced = self._shipped(order_no, "invoice")
            left = _left(order, invoiced)
            if lines is None and self._documents_of(order_no, "deliveryNote"):
                shipped = self._shipped(order_no, "deliveryNote")
                left = {
                    n: min(q, shipped.get(n, Decimal(0)) - invoiced.get(n, Decimal(0)))
                    for n, q in left.items()
                }
                left = {n: q for n, q in left.items() if q > 0}
            chosen = _choose(left, lines, "invoice")
            return self._store(self._document("invoice", order, _document_lines(order, chosen), totals=True))

    def credit(self, order_no: str, invoice_no: str, amount: Any = None) -> dict[str, Any]:
        """A credit note for ``amount`` (including VAT; default the whole invoice) of an invoice of the
        order; its VAT is the invoice's VAT share of it. Crediting more than was invoiced is allowed (the
        ERP does not stop it; Norce does)."""
        with self._lock:
            order = self._order(order_no)
            invoice = next(
                (d for d in self._documents_of(order_no, "invoice") if d["documentNo"] == invoice_no), None
            )
            if invoice is None:
                raise DocumentRefused(409, f"{invoice_no} is not an invoice of order {order_no}")
            invoice_total = Decimal(str(invoice["totalAmount"]))
            credited = _to_decimal(amount, "amount") if amount is not None else invoice_total
            credited = credited.quantize(CENT, ROUND_HALF_UP)
            if credited <= 0:
                raise DocumentRefused(400, f"amount must be above 0, not {credited}")
            vat = (
                (credited * Decimal(str(invoice["vat"])) / invoice_total).quantize(CENT, ROUND_HALF_UP)
                if invoice_total
                else Decimal(0)
            )
            net = credited - vat
            line = {
                "lineNo": None,
                "partNo": "CREDIT",
                "quantity": 1,
                "unitPrice": float(net),
                "unitVat": float(vat),
                "vatRate": None,
                "lineAmount": float(net),
            }
            document = self._document("creditNote", order, [line], totals=False)
            document.update(totalAmount=float(credited), vat=float(vat), creditedInvoiceNo=invoice_no)
            return self._store(document)

    def set_status(self, order_no: str, status: str) -> dict[str, Any]:
        """A status change (``Delivered``, ``Cancelled``...): document ``<orderNo>:<status>``; setting the
        same status again makes it change again (a new ``changedAt``)."""
        if not status:
            raise DocumentRefused(400, "status is required")
        with self._lock:
            order = self._order(order_no)
            document = self._document("status", order, [], totals=False, number=f"{order_no}:{status}")
            document["status"] = status
            return self._store(document)

    def documents(self, order_no: str | None = None) -> list[dict[str, Any]]:
        """Every document, or one order's, oldest first."""
        where, args = (" WHERE order_no = ?", [order_no]) if order_no is not None else ("", [])
        with self._lock:
            rows = self._db.execute(
                f"SELECT body FROM documents{where} ORDER BY changed_at, document_no",  # noqa: S608
                args,
            ).fetchall()
            return [json.loads(row[0]) for row in rows]

    def _order(self, order_no: str) -> dict[str, Any]:
        row = self._db.execute(
            "SELECT order_no, external_ref, body FROM orders WHERE order_no = ?", (order_no,)
        ).fetchone()
        if row is None:
            raise DocumentRefused(404, f"no order {order_no}")
        return {"orderNo": row[0], "externalRef": row[1], "body": json.loads(row[2])}

    def _documents_of(self, order_no: str, kind: str) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT body FROM documents WHERE order_no = ? AND kind = ? ORDER BY changed_at", (order_no, kind)
        ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def _shipped(self, order_no: str, kind: str) -> dict[int, Decimal]:
        """Quantity per order line in the order's documents of ``kind`` (delivery notes or invoices)."""
        done: dict[int, Decimal] = {}
        for document in self._documents_of(order_no, kind):
            for line in document["lines"]:
                done[line["lineNo"]] = done.get(line["lineNo"], Decimal(0)) + Decimal(str(line["quantity"]))
        return done

    def _document(
        self,
        kind: str,
        order: dict[str, Any],
        lines: list[dict[str, Any]],
        totals: bool,
        number: str | None = None,
    ) -> dict[str, Any]:
        changed_at = self._changed_at()
        vat = sum((Decimal(str(line.pop("_vat", 0))) for line in lines), Decimal(0)).quantize(
            CENT, ROUND_HALF_UP
        )
        net = sum((Decimal(str(line["lineAmount"])) for line in lines), Decimal(0))
        return {
            "documentNo": number or self._next(f"documents:{kind}", DOCUMENT_PREFIXES[kind], 0),
            "kind": kind,
            "orderNo": order["orderNo"],
            "externalRef": order["externalRef"],
            "currency": order["body"].get("currency"),
            "changedAt": changed_at,
            "documentDate": changed_at,
            "lines": lines,
            "totalAmount": float(net + vat) if totals else None,
            "vat": float(vat) if totals else None,
            "parcelNumber": None,
            "creditedInvoiceNo": None,
            "status": None,
        }

    def _changed_at(self) -> str:
        """Now, or a microsecond after the newest document when the clock has not moved on."""
        now = _now()
        newest = self._db.execute("SELECT MAX(changed_at) FROM documents").fetchone()[0]
        if newest is not None and now <= newest:
            later = datetime.fromisoformat(newest) + timedelta(microseconds=1)
            now = later.isoformat(timespec="microseconds")
        return now

    def _store(self, document: dict[str, Any]) -> dict[str, Any]:
        self._db.execute(
            "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?)",
            (
                document["documentNo"],
                document["kind"],
                document["orderNo"],
                document["changedAt"],
                json.dumps(document),
            ),
        )
        self.stats[f"documents {document['kind']}"] += 1
        return document

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
            if request.path.startswith("/_"):
                return response
            if sim.faults.answer_latency_ms:  # the work is done (an order is in the ERP): a slow way back
                time.sleep(sim.faults.answer_latency_ms / 1000)
            rate = sim.faults.lost_response_rate
            if rate and response.status_code < 500 and sim._random.random() < rate:
                sim.stats["lost responses"] += 1  # the ERP did the work; the caller never hears of it
                sim.stats[f"{request.method} /{request.path.split('/')[1]} lost"] += 1
                return _error(504, "injected: the response was lost")
            sim.stats[f"{request.method} /{request.path.split('/')[1]} {response.status_code}"] += 1
            return response

        for kind, key_column, match_param, prefix, start in (
            ("customers", "email", "email", "C", 10000),
            ("companies", "organization_no", "organizationNo", "B", 20000),
        ):
            sim._register_parties(app, kind, key_column, match_param, prefix, start)
        sim._register_orders(app)
        sim._register_documents(app)
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

    def _export(self, kind: str, key: str = "code") -> Response:
        """One page of the change feed, ordered by ``changed_at`` then the key: the token is the last row's
        ``changed_at|key``, so paging is stable however many rows share a ``changed_at``."""
        since = request.args.get("changedSince") or ""
        try:
            size = max(1, int(request.args.get("pageSize", 500)))
        except ValueError:
            return _error(400, "pageSize must be a whole number")
        after = request.args.get("pageToken") or ""
        after_changed, _, after_code = after.partition("|")
        with self._lock:
            if kind in SEEDED:
                page_no, previous = self._export_pages.get(kind, (0, ""))
                if not after:
                    page_no = 1
                elif after != previous:
                    page_no += 1
                self._export_pages[kind] = (page_no, after)
                if self.faults.fail_export_on_page == page_no:
                    self.stats[f"{kind} export failed on page {page_no}"] += 1
                    return _error(503, f"injected: the export failed on page {page_no}")
            rows = self._db.execute(
                f"SELECT {key}, changed_at, body FROM {kind} WHERE changed_at >= ? "  # noqa: S608
                f"AND (changed_at, {key}) > (?, ?) ORDER BY changed_at, {key} LIMIT ?",
                (since, after_changed, after_code, size + 1),
            ).fetchall()
        page = rows[:size]
        token = f"{page[-1][1]}|{page[-1][0]}" if len(rows) > size else None
        return jsonify({"items": [json.loads(row[2]) for row in page], "nextPageToken": token})

    def _register_orders(self, app: Flask) -> None:
        sim = self

        @app.get("/orders")
        def list_orders() -> Response:
            return jsonify({"items": sim.orders(external_ref=request.args.get("externalRef"))})

        @app.get("/orders/<order_no>")
        def get_order(order_no: str) -> tuple[Response, int]:
            found = sim.orders(order_no=order_no)
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

    def _register_documents(self, app: Flask) -> None:
        sim = self

        @app.get("/documents")
        def changed_documents() -> Response:
            return sim._export("documents", "document_no")

        @app.get("/_documents")
        def all_documents() -> Response:
            return jsonify({"items": sim.documents()})

        def made(make: Callable[[dict[str, Any]], dict[str, Any]]) -> tuple[Response, int]:
            body = request.get_json(silent=True)
            if body is None:
                body = {}
            if not isinstance(body, dict):
                return _error(400, "the body must be a JSON object"), 400
            try:
                return jsonify(make(body)), 201
            except DocumentRefused as refused:
                return _error(refused.status, str(refused)), refused.status

        @app.post("/_orders/<order_no>/ship")
        def ship(order_no: str) -> tuple[Response, int]:
            return made(lambda body: sim.ship(order_no, body.get("lines"), body.get("parcelNumber")))

        @app.post("/_orders/<order_no>/invoice")
        def invoice(order_no: str) -> tuple[Response, int]:
            return made(lambda body: sim.invoice(order_no, body.get("lines")))

        @app.post("/_orders/<order_no>/credit")
        def credit(order_no: str) -> tuple[Response, int]:
            return made(
                lambda body: sim.credit(order_no, str(body.get("invoiceNo") or ""), body.get("amount"))
            )

        @app.post("/_orders/<order_no>/status")
        def status(order_no: str) -> tuple[Response, int]:
            return made(lambda body: sim.set_status(order_no, str(body.get("status") or "")))

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
                    "failExportOnPage": "fail_export_on_page",
                    "lostResponseRate": "lost_response_rate",
                    "answerLatencyMs": "answer_latency_ms",
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

        @app.post("/_seed")
        def seed() -> tuple[Response, int]:
            given = request.get_json(silent=True)
            if not isinstance(given, dict):
                return _error(400, 'the body must be a JSON object like {"customers": 1000}'), 400
            anonymised = given.get("anonymised")
            bad = given.get("bad")
            if anonymised is not None and (
                not isinstance(anonymised, list) or not all(isinstance(c, str) for c in anonymised)
            ):
                return _error(400, "anonymised must be a list of customer codes"), 400
            if bad is not None and not isinstance(bad, bool):
                return _error(400, "bad must be true or false"), 400
            try:
                answer = sim.seed(given.get("customers"), given.get("companies"), bad, anonymised)
            except ValueError as error:
                return _error(400, str(error)), 400
            return jsonify(answer), 200

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


def _to_decimal(value: Any, name: str) -> Decimal:
    if isinstance(value, bool):
        raise DocumentRefused(400, f"{name} must be a number, not {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise DocumentRefused(400, f"{name} must be a number, not {value!r}") from None
    if not number.is_finite():
        raise DocumentRefused(400, f"{name} must be a number, not {value!r}")
    return number


def _left(order: dict[str, Any], done: dict[int, Decimal]) -> dict[int, Decimal]:
    """Per order line number, the quantity not yet in ``done`` (only lines with something left)."""
    left = {}
    for line in order["body"].get("lines") or []:
        remaining = _to_decimal(line.get("quantity") or 0, "quantity") - done.get(
            line.get("lineNo"), Decimal(0)
        )
        if remaining > 0:
            left[line.get("lineNo")] = remaining
    return left


def _choose(left: dict[int, Decimal], wanted: list[dict[str, Any]] | None, verb: str) -> dict[int, Decimal]:
    """The quantities per line to ship or invoice: ``wanted`` (default quantity: what is left of the
    line) or everything left; 409 when nothing is left or more than what is left is asked for."""
    if wanted is None:
        if not left:
            raise DocumentRefused(409, f"nothing left to {verb}")
        return left
    if not isinstance(wanted, list) or not wanted:
        raise DocumentRefused(400, "lines must be a non-empty array of {lineNo, quantity}")
    chosen: dict[int, Decimal] = {}
    for line in wanted:
        if not isinstance(line, dict) or "lineNo" not in line:
            raise DocumentRefused(400, "every line needs a lineNo")
        line_no = line["lineNo"]
        remaining = left.get(line_no, Decimal(0)) - chosen.get(line_no, Decimal(0))
        quantity = remaining if line.get("quantity") is None else _to_decimal(line["quantity"], "quantity")
        if quantity <= 0 and line.get("quantity") is not None:
            raise DocumentRefused(400, f"line {line_no}: quantity must be above 0")
        if remaining <= 0:
            raise DocumentRefused(409, f"line {line_no}: nothing left to {verb}")
        if quantity > remaining:
            raise DocumentRefused(
                409, f"line {line_no}: {quantity} is more than the {remaining} left to {verb}"
            )
        chosen[line_no] = chosen.get(line_no, Decimal(0)) + quantity
    return chosen


def _document_lines(order: dict[str, Any], chosen: dict[int, Decimal]) -> list[dict[str, Any]]:
    """Document lines for the chosen quantities, priced like the order line (excluding VAT)."""
    lines = []
    for line in order["body"].get("lines") or []:
        quantity = chosen.get(line.get("lineNo"))
        if quantity is None:
            continue
        unit_price = _to_decimal(line.get("unitPrice") or 0, "unitPrice")
        unit_vat = _to_decimal(line.get("unitVat") or 0, "unitVat")
        vat_rate = line.get("vatRate")
        lines.append(
            {
                "lineNo": line.get("lineNo"),
                "partNo": line.get("partNo"),
                "quantity": _quantity(quantity),
                "unitPrice": float(unit_price),
                "unitVat": float(unit_vat),
                "vatRate": float(_to_decimal(vat_rate, "vatRate")) if vat_rate is not None else None,
                "lineAmount": float((quantity * unit_price).quantize(CENT, ROUND_HALF_UP)),
                "_vat": str(quantity * unit_vat),  # summed and rounded once for the document's vat
            }
        )
    return lines


def _quantity(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


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
