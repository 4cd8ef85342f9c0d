"""A local Microsoft Dynamics 365 Business Central (API v2.0) and its Microsoft Entra ID token endpoint.

``BusinessCentralSimulator(port=5300).start()`` serves on 127.0.0.1: the API at ``{url}/v2.0/{tenant}/
{environment}/api/v2.0`` (``api.py``), the token at ``{url}/{tenant}/oauth2/v2.0/token``, and control routes
under ``/_`` (``control.py``). Limits as Business Central's (learn.microsoft.com ``operational-limits-
online``): 5 requests of one client processed at once, more wait; past 100 in flight, and past ``rate``
requests in its window (``set_faults(rate=(6000, 300))``: 6,000 in 5 minutes), 429 with ``Retry-After``.
Every API call is logged (``calls``; ``Authorization`` left out). docs/simulators.md describes it all.
"""

import json
import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, request

from local.business_central.api import BcApi, split_query
from local.business_central.control import Control, register_control
from local.business_central.odata import ODataError
from local.business_central.state import BcState
from local.business_central.webhooks import Notifier
from local.simulator_http import BackgroundServer, Simulator

SCOPE = "https://api.businesscentral.dynamics.com/.default"
MAX_CONCURRENT = 5
MAX_IN_FLIGHT = 100


@dataclass
class BcFaults:
    down_until: float = 0.0
    status: int | None = None  # the next ``count`` API calls (matching ``paths``) answer it
    count: int = 0
    paths: tuple[str, ...] = ()
    retry_after_seconds: int = 1
    drop_responses: int = 0  # the next N writes are done, then answered 504 (a lost answer)
    latency_ms: int = 0
    rate: tuple[int, float] | None = None  # (requests, seconds): more in the window answer 429
    reject_orders: int = 0  # the next N sales orders are refused with a business error


@dataclass
class BusinessCentralSimulator(Control, Simulator):
    port: int = 5300
    tenant_id: str = "contoso.onmicrosoft.com"
    environment: str = "production"
    client_id: str = "bc-local-client"
    client_secret: str = "bc-local-secret"
    state: BcState = field(default_factory=BcState)
    faults: BcFaults = field(default_factory=BcFaults)
    calls: list[dict[str, Any]] = field(default_factory=list)
    stats: Counter[str] = field(default_factory=Counter)
    tokens: set[str] = field(default_factory=set)
    token_requests: int = 0
    peak_in_flight: int = 0  # the most API calls one client had open at once
    token_calls: list[dict[str, str]] = field(default_factory=list)  # the forms, client_secret masked

    def __post_init__(self) -> None:
        self.notifier = Notifier(self.state.company_id)
        self.state.on_change = self.notifier.changed
        self.api = BcApi(self.state, self.notifier, lambda: self.api_root)
        self._slots = threading.BoundedSemaphore(MAX_CONCURRENT)
        self._in_flight = 0
        self._window: deque[float] = deque()
        self._lock = threading.Lock()
        self.server = BackgroundServer(self._build_app(), self.port)

    # -- where it is
    @property
    def company_id(self) -> str:
        return self.state.company_id

    @property
    def api_url(self) -> str:
        """What ``BcApiUrl`` points at."""
        return self.url

    @property
    def login_url(self) -> str:
        """What ``BcLoginUrl`` points at."""
        return self.url

    @property
    def api_root(self) -> str:
        return f"{self.url}/v2.0/{self.tenant_id}/{self.environment}/api/v2.0"

    def reset(self) -> None:
        self.state.reset()
        self.notifier.subscriptions.clear()
        self.notifier.deliveries.clear()
        self.faults = BcFaults()
        self.calls.clear()
        self.stats.clear()

    def reset_faults(self) -> dict[str, Any]:
        self.faults = BcFaults()
        return {}

    def set_faults(self, **changes: Any) -> None:
        """``down_for_seconds``, ``status``/``count``/``paths``/``retry_after_seconds``, ``drop_responses``,
        ``latency_ms``, ``rate`` (requests, seconds) or ``None``, ``reject_orders``."""
        down = changes.pop("down_for_seconds", None)
        if down is not None:
            self.faults.down_until = time.monotonic() + float(down)
        for name, value in changes.items():
            if not hasattr(self.faults, name):
                raise TypeError(f"unknown fault {name}")
            setattr(self.faults, name, tuple(value) if name in ("paths", "rate") and value else value)

    # -- the HTTP side
    def _build_app(self) -> Flask:
        app = Flask("business_central_simulator")
        sim = self

        @app.post("/<tenant>/oauth2/v2.0/token")
        def token(tenant: str) -> Response:
            return sim._token(tenant)

        @app.route(
            "/v2.0/<tenant>/<environment>/api/v2.0/<path:rest>", methods=["GET", "POST", "PATCH", "DELETE"]
        )
        def api(tenant: str, environment: str, rest: str) -> Response:
            return sim._api_call(tenant, environment, rest)

        register_control(app, self)
        return app

    def _token(self, tenant: str) -> Response:
        self.token_requests += 1
        form = request.form
        self.token_calls.append({k: ("***" if k == "client_secret" else v) for k, v in form.items()})
        if tenant != self.tenant_id:
            return _entra_error(400, "invalid_request", f"AADSTS90002: Tenant '{tenant}' not found.")
        if form.get("grant_type") != "client_credentials":
            return _entra_error(
                400, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type."
            )
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return _entra_error(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
        if form.get("scope") != SCOPE:
            return _entra_error(
                400, "invalid_scope", "AADSTS70011: The provided value for scope is not valid."
            )
        issued = uuid.uuid4().hex
        self.tokens.add(issued)
        body = {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": issued}
        return Response(json.dumps(body), status=200, content_type="application/json")

    def _api_call(self, tenant: str, environment: str, rest: str) -> Response:
        headers = {
            "Prefer": request.headers.get("Prefer", ""),
            "If-Match": request.headers.get("If-Match", ""),
        }
        body = request.get_json(silent=True) if request.data else None
        record = {
            "method": request.method,
            "path": rest,
            "query": dict(request.args),
            "headers": {k: v for k, v in headers.items() if v},
            "body": body,
        }
        self.calls.append(record)
        status, extra, answer = self._guarded(tenant, environment, rest, headers, body)
        record["status"] = status
        self.stats[
            f"{request.method} {rest.split('(', maxsplit=1)[0].rsplit('/', maxsplit=1)[-1]} {status}"
        ] += 1
        text = "" if answer is None else json.dumps(answer)
        return Response(
            text, status=status, headers=extra, content_type="application/json; odata.metadata=minimal"
        )

    def _guarded(
        self, tenant: str, environment: str, rest: str, headers: dict[str, str], body: Any
    ) -> tuple[int, dict[str, str], Any]:
        auth = request.headers.get("Authorization", "")
        if tenant != self.tenant_id or environment != self.environment:
            return _odata(ODataError(404, "BadRequest_ResourceNotFound", "The environment does not exist."))
        if not auth.startswith("Bearer ") or auth.removeprefix("Bearer ") not in self.tokens:
            return _odata(
                ODataError(
                    401,
                    "Authentication_InvalidCredentials",
                    "The server has rejected the client credentials.",
                )
            )
        refused = self._refused(rest)
        if refused is not None:
            return refused
        with self._lock:
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
        try:
            with self._slots:  # 5 at once; the others wait, as in Business Central's queue
                if self.faults.latency_ms:
                    time.sleep(self.faults.latency_ms / 1000)
                answer = self._run(request.method, rest, dict(request.args), headers, body)
        finally:
            with self._lock:
                self._in_flight -= 1
        writes = request.method != "GET" and rest != "$batch"
        if self.faults.drop_responses and writes and answer[0] < 400:
            self.faults.drop_responses -= 1  # done, but the answer is lost on its way
            return 504, {}, {"error": {"code": "GatewayTimeout", "message": "The operation has timed out."}}
        return answer

    def _refused(self, rest: str) -> tuple[int, dict[str, str], Any] | None:
        faults, now = self.faults, time.monotonic()
        retry = {"Retry-After": str(faults.retry_after_seconds)}
        if now < faults.down_until:
            return (
                503,
                retry,
                {"error": {"code": "Unknown", "message": "The service is temporarily unavailable."}},
            )
        with self._lock:
            if faults.rate is not None:
                limit, seconds = faults.rate
                while self._window and self._window[0] < now - seconds:
                    self._window.popleft()
                if len(self._window) >= limit:
                    wait = max(1, int(self._window[0] + seconds - now + 1))
                    return (
                        429,
                        {"Retry-After": str(wait)},
                        _too_many(f"Actual ({len(self._window) + 1}). Maximum ({limit})."),
                    )
                self._window.append(now)
            if self._in_flight >= MAX_IN_FLIGHT:
                return 429, retry, _too_many(f"Actual ({self._in_flight + 1}). Maximum ({MAX_IN_FLIGHT}).")
            if faults.status and faults.count and (not faults.paths or any(p in rest for p in faults.paths)):
                faults.count -= 1
                body = (
                    _too_many("injected")
                    if faults.status == 429
                    else {"error": {"code": "Unknown", "message": "injected"}}
                )
                return faults.status, retry, body
        return None

    def _run(
        self, method: str, rest: str, query: dict[str, str], headers: dict[str, str], body: Any
    ) -> tuple[int, dict[str, str], Any]:
        try:
            if rest == "$batch" and method == "POST":
                return self.api.batch(body, lambda m, url, h, b: self._run(m, *split_query(url), h, b))
            if method == "POST" and rest.endswith("/salesOrders") and self.faults.reject_orders:
                self.faults.reject_orders -= 1
                raise ODataError(
                    400, "Application_DialogException", "Sales orders are blocked for posting (injected)."
                )
            return self.api.dispatch(method, rest, query, headers, body)
        except ODataError as error:
            return _odata(error)


def _odata(error: ODataError) -> tuple[int, dict[str, str], Any]:
    return error.status, {}, {"error": {"code": error.code, "message": error.message}}


def _too_many(detail: str) -> dict[str, Any]:
    return {
        "error": {"code": "Application_TooManyRequests", "message": f"Too many requests reached. {detail}"}
    }


def _entra_error(status: int, code: str, description: str) -> Response:
    body = {
        "error": code,
        "error_description": description,
        "error_codes": [int(description[6:].split(":", maxsplit=1)[0])],
    }
    return Response(json.dumps(body), status=status, content_type="application/json")
