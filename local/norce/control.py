"""The simulator's control side, no Norce service: what a test or a person does to Norce or asks of it.

In Norce's place: a buyer checks out (``place_order``, ``checkout``, ``POST /_orders/place``: the buyer held
as a customer, or a guest's CustomerInfo, and a B2B company; customers and companies held as checkout
creates them, ``hold``, ``POST /_customers`` / ``/_companies``), a person edits a
customer or company in Norce Admin (``edit``, ``PATCH /_customers/<id>`` / ``/_companies/<id>``). Looking
in: ``/_calls`` (``calls_to``), ``/_orders``, ``/_customers``, ``/_companies`` (``?active=``, ``/count``,
``count_held``), ``/_jobs``, ``/_stats``. Misbehaving and forgetting: ``/_faults`` (``set_faults``),
``/_reset`` (``reset``).
"""

from typing import Any

from flask import Flask, Response, jsonify, request

from local.norce.connect_customers import job_summary
from local.norce.events import changed_notification, order_received, person
from local.norce.query import customer_info
from local.norce.state import NATURAL_KEYS, ConnectFaults, NorceState

# ``POST /_faults``'s names for ConnectFaults' fields
FAULT_NAMES = {
    "status": "status",
    "count": "count",
    "paths": "paths",
    "latencyMs": "latency_ms",
    "retryAfterSeconds": "retry_after_seconds",
    "failJobs": "fail_jobs",
    "dropResponses": "drop_responses",
    "queryDownForSeconds": "query_down_for_seconds",
    "captureErrors": "capture_errors",
}


def register(app: Flask, state: NorceState) -> None:
    @app.get("/_jobs")
    def jobs() -> Response:
        with state.lock:
            return jsonify([job_summary(state, job) for job in state.jobs.values()])

    @app.get("/_calls")
    def calls() -> Response:
        with state.lock:
            path = request.args.get("path")
            return jsonify([c for c in state.calls if not path or c["path"].endswith(path)])

    @app.get("/_orders")
    def orders() -> Response:
        with state.lock:
            refs = list(dict.fromkeys([*state.orders, *state.documents]))
            return jsonify(
                {
                    ref: {
                        "Statuses": state.orders.get(ref, []),
                        **state.documents.get(ref, {"DeliveryNotes": [], "Invoices": [], "Credits": []}),
                    }
                    for ref in refs
                }
            )

    @app.route("/_customers", methods=["GET", "POST"])
    def customers() -> Any:
        if request.method == "POST":  # as if a buyer had just checked out
            return jsonify(hold(state, "customers", request.get_json(force=True))), 201
        return _held_answer(state, "customers")

    @app.route("/_companies", methods=["GET", "POST"])
    def companies() -> Any:
        if request.method == "POST":
            return jsonify(hold(state, "companies", request.get_json(force=True))), 201
        return _held_answer(state, "companies")

    @app.get("/_customers/count")
    def count_customers() -> Response:
        return jsonify(count_held(state, "customers"))

    @app.get("/_companies/count")
    def count_companies() -> Response:
        return jsonify(count_held(state, "companies"))

    @app.patch("/_customers/<int:entity_id>")
    def edit_customer(entity_id: int) -> tuple[Response, int]:
        return _edit_answer(state, "customers", entity_id)

    @app.patch("/_companies/<int:entity_id>")
    def edit_company(entity_id: int) -> tuple[Response, int]:
        return _edit_answer(state, "companies", entity_id)

    @app.post("/_orders/place")
    def place_order() -> tuple[Response, int]:
        body = request.get_json(force=True, silent=True)
        if not isinstance(body, dict) or body.get("ClientOrderRef") in (None, ""):
            return jsonify({"Message": "an OrderRequest object with a ClientOrderRef is required"}), 400
        buyer = request.args.get("buyer", "guest")
        if buyer not in ("guest", "customer"):
            return jsonify({"Message": "buyer must be guest or customer"}), 400
        known = str(body["ClientOrderRef"]) in state.placed
        placed = checkout(state, body) if buyer == "customer" else place(state, body)[0]
        return jsonify(placed), 200 if known else 201

    @app.get("/_stats")
    def stats() -> Response:
        return jsonify(dict(state.stats))

    @app.route("/_faults", methods=["GET", "POST", "DELETE"])
    def faults() -> Response:
        if request.method == "POST":
            given = request.get_json(force=True)
            set_faults(state, **{FAULT_NAMES[k]: v for k, v in given.items() if k in FAULT_NAMES})
        elif request.method == "DELETE":
            set_faults(state, **ConnectFaults().__dict__)
        return jsonify(state.faults.__dict__)

    @app.post("/_reset")
    def reset() -> Response:
        state.reset()
        return jsonify({"reset": True})


def set_faults(state: NorceState, **changes: Any) -> None:
    with state.lock:
        if "query_down_for_seconds" in changes:  # a Query outage from now on
            changes["query_down_until"] = state.clock() + float(changes.pop("query_down_for_seconds"))
        state.faults = ConnectFaults(**{**state.faults.__dict__, **changes})


def calls_to(state: NorceState, path: str) -> list[dict[str, Any]]:
    with state.lock:
        return [call for call in state.calls if call["path"].endswith(path)]


# -- customers and companies as Norce holds them
def hold(state: NorceState, kind: str, entity: dict[str, Any]) -> dict[str, Any]:
    """Add a customer or company as Norce creates it at checkout (no Code yet); returns it with its Id. A
    customer's ``Companies`` are the Ids of the companies it is a contact of."""
    with state.lock:
        held = {"Id": next(state.entity_ids), "IsActive": True, "Updated": state.stamp(), **entity}
        state.store(kind)[held["Id"]] = held
        state.index(kind, held)
        return held


def count_held(state: NorceState, kind: str) -> dict[str, int]:
    """``{"active": n, "inactive": m}`` of the customers or companies held."""
    with state.lock:
        active = sum(1 for entity in state.store(kind).values() if entity.get("IsActive", True))
        return {"active": active, "inactive": len(state.store(kind)) - active}


def reindex(state: NorceState) -> None:
    """After changing a held entity's Code, EmailAddress or OrganizationNo directly (not by an import,
    ``hold`` or an edit), so that imports match it by the new value."""
    with state.lock:
        state.clear_indexes()
        for kind in NATURAL_KEYS:
            state.rebuild_index(kind)


def _held_answer(state: NorceState, kind: str) -> Response | tuple[Response, int]:
    wanted = request.args.get("active")
    if wanted not in (None, "true", "false"):
        return jsonify({"Message": "active must be true or false"}), 400
    with state.lock:
        held = [
            dict(entity)
            for entity in state.store(kind).values()
            if wanted is None or bool(entity.get("IsActive", True)) == (wanted == "true")
        ]
    return jsonify(held)


def edit(
    state: NorceState, kind: str, entity_id: int, changes: dict[str, Any], entity_changed: str
) -> dict[str, Any]:
    """A person edits a customer or company in Norce Admin: its Changed notification. KeyError if
    unknown."""
    with state.lock:
        entity = (state.customers if kind == "customers" else state.companies)[entity_id]
        entity.update({k: v for k, v in changes.items() if k != "Id"})
        entity["Updated"] = state.stamp()
        state.index(kind, entity)
        edited = dict(entity)
    state.events.emit(*changed_notification(state, kind, entity_id, entity_changed))
    return edited


def _edit_answer(state: NorceState, kind: str, entity_id: int) -> tuple[Response, int]:
    changes = request.get_json(force=True)
    if not isinstance(changes, dict):
        return jsonify({"Message": "the body must be an object of fields"}), 400
    default = "tClientCustomer" if kind == "customers" else "tClientCompany"
    try:
        edited = edit(state, kind, entity_id, changes, request.args.get("entityChanged", default))
    except KeyError:
        return jsonify({"Message": f"no such {kind[:-1]} {entity_id}"}), 404
    return jsonify(edited), 200


# -- orders placed at checkout
def place_order(state: NorceState, order_request: dict[str, Any], **buyer_ids: int | None) -> dict[str, Any]:
    """A buyer checks out: Norce holds the OrderRequest and sends OrderReceivedEvent (once per ref).

    ``buyer_ids``: ``BuyerCustomerId`` / ``BuyerCompanyId``, the Ids of the customer and company Norce holds
    for the buyer. Without a ``BuyerCustomerId`` the buyer is a guest: Norce keeps the SellTo person as a
    CustomerInfo (Query 3.0's ``buyerCustomerInfo``). The ship-to is always a CustomerInfo."""
    if order_request.get("ClientOrderRef") in (None, ""):
        raise ValueError("the OrderRequest needs a ClientOrderRef")
    return place(state, order_request, buyer_ids)[0]


def checkout(state: NorceState, order_request: dict[str, Any], guest: bool = False) -> dict[str, Any]:
    """As Norce's checkout holds a buyer: the SellTo company (B2B) by its Code, else a new one without a
    Code; the SellTo person as a customer, by its CustomerCode, else a new one (with Id, no Code), unless
    ``guest`` (then a CustomerInfo). The order is placed with their Ids (Query's BuyerCompanyId /
    BuyerCustomerId); answers what ``place_order`` does and the Ids."""
    sell_to = order_request.get("SellTo") or {}
    company, buyer = sell_to.get("Company") or {}, sell_to.get("Person") or {}
    ids: dict[str, int | None] = {"BuyerCompanyId": None, "BuyerCustomerId": None}
    if company:
        held = {"Code": company.get("Code"), "Name": company.get("Name"), "VatNo": company.get("VatNo")}
        ids["BuyerCompanyId"] = _held_by_code(state, "companies", held)
    if buyer and not guest:
        fields = {
            "Code": "CustomerCode",
            "EmailAddress": "Email",
            "FirstName": "FirstName",
            "LastName": "LastName",
            "PhoneNumber": "PrivatePhone",
            "CellPhoneNumber": "CellPhone",
        }
        ids["BuyerCustomerId"] = _held_by_code(
            state, "customers", {k: buyer.get(v) for k, v in fields.items()}
        )
    return {**place_order(state, order_request, **ids), **ids}


def _held_by_code(state: NorceState, kind: str, entity: dict[str, Any]) -> int:
    """The Id of the held entity with ``entity``'s Code, else of a new one holding ``entity``."""
    with state.lock:
        code = entity.get("Code")
        if code not in (None, ""):
            for held in state.store(kind).values():
                if held.get("Code") == code:
                    return int(held["Id"])
        return int(hold(state, kind, {k: v for k, v in entity.items() if v not in (None, "")})["Id"])


def place(
    state: NorceState, order_request: dict[str, Any], buyer_ids: dict[str, int | None] | None = None
) -> tuple[dict[str, Any], bool]:
    """``place_order``, and whether the order is new."""
    ref = str(order_request["ClientOrderRef"])
    ids = {k: v for k, v in (buyer_ids or {}).items() if k in ("BuyerCustomerId", "BuyerCompanyId")}
    with state.lock:
        known = state.placed.get(ref)
        if known is not None:
            return _placed_view(ref, known), False
        company = (order_request.get("SellTo") or {}).get("Company")
        buyer, ship_to = person(order_request), (order_request.get("ShipTo") or {}).get("Person")
        infos: dict[str, int | None] = {"BuyerCustomerInfoId": None}
        if ids.get("BuyerCustomerId") is None:
            infos["BuyerCustomerInfoId"] = customer_info(state, buyer, company)
        infos["PayerCustomerInfoId"] = infos["BuyerCustomerInfoId"]
        infos["ShipToCustomerInfoId"] = customer_info(
            state, ship_to if isinstance(ship_to, dict) else buyer, company
        )
        state.placed[ref] = {
            "OrderId": next(state.order_ids),
            "OrderRequest": order_request,
            "OrderDate": state.stamp()[:-6] + "Z",
            **ids,
            **infos,
        }
        payload = order_received(state, ref, order_request)
        placed = _placed_view(ref, state.placed[ref])
    state.events.emit("OrderReceivedEvent", payload)
    return placed, True


def _placed_view(ref: str, placed: dict[str, Any]) -> dict[str, Any]:
    names = ("BuyerCustomerId", "BuyerCompanyId", "BuyerCustomerInfoId")
    return {"OrderId": placed["OrderId"], "ClientOrderRef": ref, **{n: placed.get(n) for n in names}}
