"""The Business Central simulator's control side: what a person does in BC's client, and what tests look at.

Python (on ``BusinessCentralSimulator``) and HTTP (no token needed, like every ``/_`` route):
- ``ship(order_no, {sequence: quantity})`` / ``POST /_salesOrders/{number}/ship`` ``{"lines": {"10000": 1}}``
  posts a shipment (default: all that is left); ``invoice`` / ``.../invoice`` posts an invoice of what was
  shipped; ``credit(invoice_no, amount)`` / ``POST /_salesInvoices/{number}/credit`` ``{"amount": 100}``
  posts a credit memo (default: the whole invoice);
- ``edit_customer(number, {"displayName": ...})`` / ``PATCH /_customers/{number}``: a person edits a customer
  (``lastModifiedDateTime`` moves, subscribers are told); ``add_item(number, price)`` / ``POST /_items``;
- ``seed(customers=N, companies=M, bad=True)`` / ``POST /_seed``: exactly N generated persons
  (``C0000001``...) and M companies (``B000001``...), as the generic ERP simulator seeds them; ``bad`` adds
  a person with the e-mail ``not-an-email``;
- ``set_faults(...)`` / ``POST /_faults``; ``reset()`` / ``POST /_reset``; ``GET /_calls``, ``/_stats``,
  ``/_subscriptions``, ``/_deliveries`` (the notifications sent and their attempts), ``/_orders``.
``orders()`` and ``parties(kind)`` are the demo's view (every sales order ever created, also those BC deleted
after posting; customers in the generic ERP simulator's field names) so the demo's checks read both ERPs.
"""

import re
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, jsonify, request

from local.business_central import posting
from local.business_central.odata import ODataError
from local.business_central.state import BcState, BusinessError
from norce_integration.adapters.http.business_central.mapping import split_name  # the adapter's own reading

if TYPE_CHECKING:
    from local.business_central.webhooks import Notifier


SEEDED_PERSON = re.compile(r"^C\d{7}$")  # never a number Business Central hands out here (C10001...)
SEEDED_COMPANY = re.compile(r"^B\d{6}$")


def _seeded_person(n: int) -> dict[str, Any]:
    return {
        "number": f"C{n:07d}",
        "type": "Person",
        "displayName": f"First{n} Last{n}",
        "email": f"customer{n}@example.com",
        "phoneNumber": f"070{n:07d}",
        "addressLine1": f"Storgatan {n}",
        "postalCode": "11122",
        "city": "Stockholm",
        "country": "SE",
    }


def _seeded_company(n: int) -> dict[str, Any]:
    organisation = f"{5560000000 + n}"
    return {
        "number": f"B{n:06d}",
        "type": "Company",
        "displayName": f"Company {n} AB",
        "taxRegistrationNumber": f"SE{organisation}01",
        "addressLine1": f"Industrivägen {n}",
        "postalCode": "11122",
        "city": "Stockholm",
        "country": "SE",
    }


class Control:
    state: BcState
    notifier: "Notifier"

    def set_faults(self, **changes: Any) -> None: ...  # the simulator's

    def ship(self, order_no: str, lines: dict[int, Any] | None = None) -> dict[str, Any]:
        return posting.ship(self.state, order_no, lines)

    def invoice(self, order_no: str, lines: dict[int, Any] | None = None) -> dict[str, Any]:
        return posting.invoice(self.state, order_no, lines)

    def credit(self, invoice_no: str, amount: Any = None) -> dict[str, Any]:
        return posting.credit(self.state, invoice_no, amount)

    def add_item(self, number: str, unit_price: Any = 100) -> dict[str, Any]:
        from decimal import Decimal  # noqa: PLC0415

        return self.state.add_item(number, Decimal(str(unit_price)))

    def customer(self, number: str) -> dict[str, Any] | None:
        with self.state.lock:
            return self.state.find("customers", number=number.upper())

    def add_customer(self, **values: Any) -> dict[str, Any]:
        return self.state.create_customer(values)

    def edit_customer(self, number: str, changes: dict[str, Any]) -> dict[str, Any]:
        with self.state.lock:
            row = self.customer(number)
            if row is None:
                raise ODataError(
                    404, "Internal_RecordNotFound", f"The Customer does not exist. No.='{number}'"
                )
            row.update(changes)
            self.state.touch("customers", row, "updated")
            return row

    def seed(
        self, customers: int | None = None, companies: int | None = None, bad: bool | None = None
    ) -> dict[str, int]:
        """Exactly ``customers`` generated persons and ``companies`` generated companies (the others stay)."""
        with self.state.lock:
            for kind, wanted, make, pattern in (
                ("Person", customers, _seeded_person, SEEDED_PERSON),
                ("Company", companies, _seeded_company, SEEDED_COMPANY),
            ):
                if wanted is None:
                    continue
                generated = {
                    r["number"]: r
                    for r in self.state.table("customers").values()
                    if r["type"] == kind and pattern.match(r["number"])
                }
                keep = {make(n)["number"] for n in range(1, wanted + 1)}
                for number, row in generated.items():
                    if number not in keep:
                        del self.state.table("customers")[row["id"]]
                for n in range(1, wanted + 1):
                    if make(n)["number"] not in generated:
                        self.state.create_customer(make(n))
            if bad is not None:
                existing = self.customer("CBAD00001")
                if existing is not None:
                    del self.state.table("customers")[existing["id"]]
                if bad:
                    self.state.create_customer(
                        {
                            "number": "CBAD00001",
                            "type": "Person",
                            "displayName": "Bad Email",
                            "email": "not-an-email",
                        }
                    )
            rows = self.state.table("customers").values()
            return {
                "customers": sum(1 for r in rows if r["type"] == "Person"),
                "companies": sum(1 for r in rows if r["type"] == "Company"),
            }

    def orders(self) -> list[dict[str, Any]]:
        """Every sales order ever created (BC deletes a fully posted one): ``orderNo``, ``externalRef`` (its
        externalDocumentNumber), ``customerCode``, ``currency``, ``lineCount``, ``createdAt``."""
        with self.state.lock:
            return [dict(order) for order in self.state.history]

    def parties(self, kind: str) -> list[dict[str, Any]]:
        """Customers (``customers``: persons) or companies, in the generic ERP simulator's field names."""
        wanted = "Person" if kind == "customers" else "Company"
        with self.state.lock:
            rows = [dict(r) for r in self.state.table("customers").values() if r["type"] == wanted]
        view = []
        for row in rows:
            first, last = split_name(row["displayName"])
            view.append(
                {
                    "code": row["number"],
                    "name": row["displayName"],
                    "firstName": first,
                    "lastName": last,
                    "email": row["email"] or None,
                    "cellPhone": row["phoneNumber"] or None,
                    "vatNo": row["taxRegistrationNumber"] or None,
                    "organizationNo": None,
                    "companyCode": None,
                    "changedAt": row["lastModifiedDateTime"],
                }
            )
        return view

    def subscriptions(self) -> list[dict[str, Any]]:
        return list(self.notifier.subscriptions.values())

    def deliveries(self) -> list[dict[str, Any]]:
        return [
            {"url": d.url, "payload": d.payload, "attempts": d.attempts, "state": d.state}
            for d in self.notifier.deliveries
        ]


def register_control(app: Flask, sim: Any) -> None:
    def guarded(make: Any) -> tuple[Response, int]:
        try:
            return jsonify(_public(make())), 200
        except BusinessError as error:
            return jsonify({"error": {"code": error.code, "message": error.message}}), error.status
        except ODataError as error:
            return jsonify({"error": {"code": error.code, "message": error.message}}), error.status

    def lines() -> dict[int, Any] | None:
        given = (request.get_json(silent=True) or {}).get("lines")
        return {int(k): v for k, v in given.items()} if given else None

    @app.post("/_salesOrders/<number>/ship")
    def ship(number: str) -> tuple[Response, int]:
        return guarded(lambda: sim.ship(number, lines()))

    @app.post("/_salesOrders/<number>/invoice")
    def invoice(number: str) -> tuple[Response, int]:
        return guarded(lambda: sim.invoice(number, lines()))

    @app.post("/_salesInvoices/<number>/credit")
    def credit(number: str) -> tuple[Response, int]:
        return guarded(lambda: sim.credit(number, (request.get_json(silent=True) or {}).get("amount")))

    @app.patch("/_customers/<number>")
    def edit(number: str) -> tuple[Response, int]:
        return guarded(lambda: sim.edit_customer(number, request.get_json(silent=True) or {}))

    @app.post("/_items")
    def items() -> tuple[Response, int]:
        body = request.get_json(silent=True) or {}
        return guarded(lambda: sim.add_item(str(body.get("number")), body.get("unitPrice", 100)))

    @app.post("/_seed")
    def seed() -> tuple[Response, int]:
        body = request.get_json(silent=True) or {}
        return guarded(lambda: sim.seed(body.get("customers"), body.get("companies"), body.get("bad")))

    @app.route("/_faults", methods=["POST", "DELETE"])
    def faults() -> tuple[Response, int]:
        if request.method == "DELETE":
            return guarded(sim.reset_faults)
        body = request.get_json(silent=True) or {}
        names = {"downForSeconds": "down_for_seconds", "status": "status", "count": "count", "paths": "paths",
                 "retryAfterSeconds": "retry_after_seconds", "dropResponses": "drop_responses",
                 "latencyMs": "latency_ms", "rate": "rate", "rejectOrders": "reject_orders"}  # fmt: skip
        return guarded(lambda: sim.set_faults(**{names[k]: v for k, v in body.items() if k in names}) or {})

    @app.post("/_reset")
    def reset() -> tuple[Response, int]:
        return guarded(lambda: sim.reset() or {})

    @app.get("/_calls")
    def calls() -> Response:
        return jsonify(sim.calls)

    @app.get("/_stats")
    def stats() -> Response:
        return jsonify(dict(sim.stats))

    @app.get("/_subscriptions")
    def subscriptions() -> Response:
        return jsonify(sim.subscriptions())

    @app.get("/_deliveries")
    def deliveries() -> Response:
        return jsonify(sim.deliveries())

    @app.get("/_orders")
    def orders() -> Response:
        return jsonify(sim.orders())


def _public(value: Any) -> Any:
    """An entity without the simulator's own keys (``_lines`` become ``lines``)."""
    if isinstance(value, dict):
        return {("lines" if k == "_lines" else k): _public(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_public(v) for v in value]
    return value
