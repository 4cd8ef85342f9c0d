"""Norce Commerce on 127.0.0.1:5100, for the local stack and tests: Identity, Connect 4.0, Query 2.0 and
Norce Event, one Flask app around one shared state (``python -m local.norce --port 5100``).

Follows Norce's documented behaviour where known (each service's module says how, and what is our choice):
``identity`` (OAuth2 client credentials with the token endpoint's rate limit, 3/min per IP, burst 20),
``connect`` (what every Connect call goes through: legacy Basic auth too, the calls log, the faults),
``connect_orders`` (SendOrderStatus with the documented statuses, CreateDeliveryNote, CreateInvoice,
CreditPayment), ``connect_customers`` (ImportCustomers / ImportCompanies checked against Connect's schema
(``customer_schema``), applied as Norce matches and links (``customer_rows``), answered with a JobResponse;
Job/Get, Job/GetLog; ``full_file_key``: the full-import flag this Norce honours, none by default: Norce
documents none for customers), ``query`` (the OData entity sets), ``events`` (Norce Event's
subscriptions and payloads); ``control`` is the simulator's own side (``/_...`` routes: placing orders,
editing customers, faults, reset, inspection). The state they share is ``state.NorceState``.

Faults (``POST /_faults``): ``count`` answers ``status`` without processing; ``dropResponses`` processes
the request completely and then answers 504, as when Norce took a call but the answer was lost;
``queryDownForSeconds`` makes Query answer 503 for that long (an outage).
"""

import argparse
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, Self, cast, overload

from flask import Flask

from local.norce import connect, connect_customers, connect_orders, control, events, identity, query
from local.norce.connect import CONNECT
from local.norce.identity import TOKEN_PATH
from local.norce.query import QUERY
from local.norce.state import ConnectFaults, NorceState, TokenBucket
from local.norce_event_sender import NorceEventSender
from local.simulator_http import BackgroundServer, Simulator


def build_app(state: NorceState) -> Flask:
    """The Flask app of every simulated Norce service, on ``state``."""
    app = Flask("norce-connect-simulator")
    for service in (identity, connect, connect_orders, connect_customers, query, events, control):
        service.register(app, state)
    return app


class _Shared[T]:
    """An attribute of the simulator that is the shared state's: read and written through."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, simulator: None, owner: type) -> Self: ...
    @overload
    def __get__(self, simulator: "NorceConnectSimulator", owner: type) -> T: ...
    def __get__(self, simulator: "NorceConnectSimulator | None", owner: type) -> "T | Self":
        if simulator is None:
            return self
        return cast(T, getattr(simulator.state, self.name))

    def __set__(self, simulator: "NorceConnectSimulator", value: T) -> None:
        setattr(simulator.state, self.name, value)


class NorceConnectSimulator(Simulator):
    # the shared state's, as attributes of the simulator (tests and the local stack read and set them)
    client_id: _Shared[str] = _Shared()
    client_secret: _Shared[str] = _Shared()
    application_id: _Shared[str] = _Shared()
    basic: _Shared[str] = _Shared()
    clock: _Shared[Callable[[], float]] = _Shared()
    job_seconds: _Shared[float] = _Shared()
    full_file_key: _Shared[str | None] = _Shared()
    client_number: _Shared[int] = _Shared()
    faults: _Shared[ConnectFaults] = _Shared()
    calls: _Shared[list[dict[str, Any]]] = _Shared()
    tokens: _Shared[dict[str, float]] = _Shared()
    buckets: _Shared[dict[str, TokenBucket]] = _Shared()
    orders: _Shared[dict[str, list[dict[str, Any]]]] = _Shared()
    documents: _Shared[dict[str, dict[str, list[dict[str, Any]]]]] = _Shared()
    erp_order_refs: _Shared[dict[str, str]] = _Shared()
    extra_statuses: _Shared[frozenset[str]] = _Shared()
    customers: _Shared[dict[int, dict[str, Any]]] = _Shared()
    companies: _Shared[dict[int, dict[str, Any]]] = _Shared()
    jobs: _Shared[dict[int, dict[str, Any]]] = _Shared()
    stats: _Shared[Counter[str]] = _Shared()
    events: _Shared[NorceEventSender] = _Shared()
    placed: _Shared[dict[str, dict[str, Any]]] = _Shared()
    customer_infos: _Shared[dict[int, dict[str, Any]]] = _Shared()
    order_events: _Shared[set[tuple[str, str]]] = _Shared()

    def __init__(
        self,
        port: int = 5100,
        client_id: str = "norce-local-client",
        client_secret: str = "norce-local-secret",
        application_id: str = "1001",
        secret_key: str = "connect-local-secret",
        clock: Callable[[], float] = time.monotonic,
        job_seconds: float = 0.0,
        full_file_key: str | None = None,
        event_time_scale: float = 0.001,
        client_number: int = 1,
    ) -> None:
        self.state = NorceState(
            client_id=client_id,
            client_secret=client_secret,
            application_id=application_id,
            secret_key=secret_key,
            clock=clock,
            job_seconds=job_seconds,
            full_file_key=full_file_key,
            event_time_scale=event_time_scale,
            client_number=client_number,
        )
        self.app = build_app(self.state)
        self.server = BackgroundServer(self.app, port)

    @property
    def connect_url(self) -> str:
        return f"{self.url}{CONNECT}/"

    @property
    def query_url(self) -> str:
        return f"{self.url}{QUERY}/"

    @property
    def identity_url(self) -> str:
        return f"{self.url}{TOKEN_PATH}"

    @property
    def application_number(self) -> int:
        return self.state.application_number

    def set_faults(self, **changes: Any) -> None:
        control.set_faults(self.state, **changes)

    def reset(self) -> None:
        self.state.reset()

    def stop(self) -> None:
        super().stop()
        with self.state.lock:
            self.state.cancel_job_timers()
        self.state.events.stop()

    def calls_to(self, path: str) -> list[dict[str, Any]]:
        return control.calls_to(self.state, path)

    # -- customers and companies as Norce holds them
    def hold(self, kind: str, entity: dict[str, Any]) -> dict[str, Any]:
        """Add a customer or company as Norce creates it at checkout (no Code yet); returns it with its Id."""
        return control.hold(self.state, kind, entity)

    def count_held(self, kind: str) -> dict[str, int]:
        """``{"active": n, "inactive": m}`` of the customers or companies held."""
        return control.count_held(self.state, kind)

    def reindex(self) -> None:
        """After changing a held entity's Code, EmailAddress or OrganizationNo directly (not by an import,
        ``hold`` or an edit), so that imports match it by the new value."""
        control.reindex(self.state)

    def edit_customer(
        self, customer_id: int, changes: dict[str, Any], entity_changed: str = "tClientCustomer"
    ) -> dict[str, Any]:
        """A person edits a customer in Norce Admin: CustomerChangedNotification. KeyError if unknown."""
        return control.edit(self.state, "customers", customer_id, changes, entity_changed)

    def edit_company(
        self, company_id: int, changes: dict[str, Any], entity_changed: str = "tClientCompany"
    ) -> dict[str, Any]:
        """A person edits a company in Norce Admin: CompanyChangedNotification. KeyError if unknown."""
        return control.edit(self.state, "companies", company_id, changes, entity_changed)

    # -- orders placed at checkout
    def place_order(self, order_request: dict[str, Any], **buyer_ids: int | None) -> dict[str, Any]:
        """A buyer checks out: Norce holds the OrderRequest and sends OrderReceivedEvent (once per ref).

        ``buyer_ids``: ``BuyerCompanyId`` / ``BuyerCustomerId``, the Ids the checkout gave the buyer; without
        a ``BuyerCustomerId`` the buyer is a guest, held as a CustomerInfo.
        """
        return control.place_order(self.state, order_request, **buyer_ids)

    def checkout(self, order_request: dict[str, Any], guest: bool = False) -> dict[str, Any]:
        """As Norce's checkout holds a buyer: the SellTo company (B2B) and person as held entities (by
        their Code, else new ones without a Code; a ``guest`` as a CustomerInfo instead of a customer), and
        the order placed with their Ids (Query's BuyerCompanyId / BuyerCustomerId)."""
        return control.checkout(self.state, order_request, guest)


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
