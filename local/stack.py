"""The whole system on loopback, no AWS account and no Docker: ``python -m local.stack``.

moto (subprocess) plays AWS with the template's queues, table, bucket and secrets; the ERP and Norce
Connect simulators play the outside world; the API routes of template.yaml are served on
127.0.0.1:3000 like ``sam local start-api``; SQS event sources are polled into the functions. Every function
runs in worker processes of its own (``local.workers``), like Lambda's execution environments: one can be
killed (``GET /_local/workers`` lists them) while moto and the simulators, in this process, keep their state.
"""

import argparse
import base64
import json
import logging
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local.api import LocalApi
from local.aws import LOCAL_CREDENTIALS, LocalAws, free_port
from local.business_central import BusinessCentralSimulator
from local.erp_simulator import ErpSimulator
from local.norce import NorceConnectSimulator
from local.norce.codes import COUNTRY_IDS, CURRENCY_IDS, as_setting
from local.queues import QueuePoller
from local.simulator_http import BackgroundServer
from local.template import ROOT, Function, load_template, resolve
from local.worker import metrics_file
from local.workers import FunctionSpec, WorkerPool, Workers

LOCAL_PROCESSING_CONFIG = {
    "payment_methods": {"credit_card": "CARD", "invoice": "INVOICE", "*": "OTHER"},
    "delivery_methods": {"PostNord": "PN", "*": "STANDARD"},
    "routes": [{"target": "default"}],
}

LOCAL_FULL_FILE_FLAG = "FullFile"
LOCAL_APPLICATION_KEY = "123e4567-e89b-12d3-a456-426614174000"  # the sample orders' Header.ApplicationKey

_SCALED = ("OrderProcessorFunction", "LifecycleProcessorFunction", "EventProcessorFunction")
ERP_KINDS = ("rest", "business-central")  # ``ErpKind``: the generic REST ERP simulator, or Business Central's
BC_NOTIFICATIONS = "/erp/business-central/notifications"
SCHEDULER_EVENT: dict[str, Any] = {}  # EventBridge Scheduler's default input for a Lambda target
API_GATEWAY_TIMEOUT_SECONDS = 29.0  # API Gateway's integration timeout: then 504, the function goes on
# The variables that shorten the leases a dead attempt leaves behind (recovery_seconds)
LEASE_VARIABLES = (
    "INTAKE_LEASE_SECONDS",
    "PROCESSING_LOCK_SECONDS",
    "DOCUMENT_LEASE_SECONDS",
    "EMAIL_LEASE_SECONDS",
    "SYNC_CLAIM_SECONDS",
)


def schedule_input(properties: dict[str, Any]) -> dict[str, Any]:
    """What EventBridge Scheduler passes the function: the schedule's ``Input`` (JSON text), else ``{}``."""
    text = properties.get("Input")
    return dict(json.loads(text)) if isinstance(text, str) and text.strip() else dict(SCHEDULER_EVENT)


def _schedule_route(pool: WorkerPool, default_input: dict[str, Any]) -> Callable[[dict[str, Any]], Any]:
    """``POST /_local/schedules/{ScheduleName}``: run the schedule's function now with the schedule's input,
    or with the request's JSON body instead when there is one; the function's result as JSON."""

    def route(event: dict[str, Any]) -> dict[str, Any]:
        body = (event.get("body") or "").strip()
        try:
            given = json.loads(body) if body else default_input
        except ValueError:
            return {"statusCode": 400, "body": json.dumps({"message": "the body must be JSON"})}
        result = pool.invoke(given)
        return _json_answer(result)

    return route


def _json_answer(result: Any) -> dict[str, Any]:
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(result, default=str),
    }


@dataclass
class LocalStack:
    api_port: int = 3000
    aws_port: int = 5000
    erp_port: int = 5200
    norce_port: int = 5100
    username: str = field(default_factory=lambda: os.environ.get("NORCE_LOCAL_USER", "norce"))
    password: str = field(default_factory=lambda: os.environ.get("NORCE_LOCAL_PASSWORD", "norce-local"))
    erp_push_key: str = field(default_factory=lambda: os.environ.get("ERP_PUSH_LOCAL_KEY", "erp-push-local"))
    events_key: str = field(
        default_factory=lambda: os.environ.get("NORCE_EVENTS_LOCAL_KEY", "norce-events-local")
    )
    state_dir: Path = ROOT / ".local-state"
    erp_db: str | None = None  # None: a fresh in-memory ERP; a path keeps the ERP's data across runs
    processors: int = 2  # concurrent order/lifecycle/event processor instances (MaximumConcurrency locally)
    api_concurrency: int = 10  # environments per API or scheduled function at most (Lambda scales out)
    retry_base_seconds: float = 1.0  # processor backoff, compressed for the local stack
    retry_max_seconds: float = 4.0
    change_settle_seconds: int = 1  # a burst of Norce change notifications waits this long (10 s deployed)
    # None: the template's timeouts and visibility timeouts and the code's leases, as deployed. R seconds:
    # what a killed worker leaves behind runs out fast (tests, the soak): the API and queue functions'
    # timeouts at most R, every lease a dead attempt leaves (LEASE_VARIABLES) 1.5 R, visibility timeouts 2 R.
    recovery_seconds: float | None = None
    subscribe_events: bool = True  # the Norce simulator posts its events to our webhook, like Norce Admin
    log_to_files: bool = True
    erp_kind: str = field(default_factory=lambda: os.environ.get("ERP", "rest"))  # ``make local ERP=...``

    aws: LocalAws = field(init=False)
    erp: Any = field(init=False)  # ErpSimulator, or BusinessCentralSimulator (business-central)
    norce: NorceConnectSimulator = field(init=False)
    workers: Workers = field(init=False, default_factory=Workers)
    pollers: list[QueuePoller] = field(init=False, default_factory=list)
    schedule_inputs: dict[str, tuple[str, dict[str, Any]]] = field(init=False, default_factory=dict)
    _api: BackgroundServer | None = field(init=False, default=None)
    _api_app: LocalApi | None = field(init=False, default=None)
    _saved_environment: dict[str, str] | None = field(init=False, default=None)

    @classmethod
    def on_free_ports(cls, **options: Any) -> "LocalStack":
        return cls(
            api_port=free_port(),
            aws_port=free_port(),
            erp_port=free_port(),
            norce_port=free_port(),
            **options,
        )

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def authorization(self) -> str:
        return "Basic " + base64.b64encode(f"{self.username}:{self.password}".encode()).decode()

    def start(self) -> "LocalStack":
        self.state_dir.mkdir(parents=True, exist_ok=True)
        for stale in (self.outbox, self._mail_file("faults"), self._mail_file("throttled")):
            stale.unlink(missing_ok=True)
        template = load_template()
        if self.erp_kind not in ERP_KINDS:
            raise ValueError(f"ERP must be one of {', '.join(ERP_KINDS)}, not {self.erp_kind!r}")
        visibility = None if self.recovery_seconds is None else max(1, round(2 * self.recovery_seconds))
        self.aws = LocalAws(self.aws_port, visibility_timeout=visibility)
        (self.state_dir / "logs").mkdir(parents=True, exist_ok=True)
        zygote_environment = {**os.environ, **LOCAL_CREDENTIALS, **self._local_environment()}
        self.workers.prepare(zygote_environment, errors=self.state_dir / "logs" / "workers.txt")
        self.aws.start()
        if self.business_central:
            self.erp = BusinessCentralSimulator(port=self.erp_port).start()
        else:
            self.erp = ErpSimulator(self.erp_db or ":memory:", port=self.erp_port).start()
        # The local Norce honours a full-import flag, and the imports send it (Norce documents none for
        # customers, so a deployed stack sends none unless NorceFullFileIn says so: docs/imports.md)
        self.norce = NorceConnectSimulator(port=self.norce_port, full_file_key=LOCAL_FULL_FILE_FLAG).start()
        parameters = {
            **template.parameters,
            **self._erp_parameters(),
            "Stage": "local",
            "NorceConnectUrl": self.norce.connect_url,
            "NorceIdentityUrl": self.norce.identity_url,
            "NorceQueryUrl": self.norce.query_url,
            "NorceApplicationId": self.norce.application_id,
            "NorceCountryCodes": as_setting(COUNTRY_IDS),  # the local Norce's CountryIds / CurrencyIds
            "NorceCurrencyCodes": as_setting(CURRENCY_IDS),
            "ProcessingConfig": json.dumps(LOCAL_PROCESSING_CONFIG),
            "NorceFullFileFlag": LOCAL_FULL_FILE_FLAG,
            "NorceFullFileIn": "stormconnect-header",
            "ImportApplicationKey": LOCAL_APPLICATION_KEY,
        }
        self.aws.create(
            template,
            "local",
            parameters,
            {
                "ReceiverCredentialsSecret": {"username": self.username, "password": self.password},
                "ErpApiKeySecret": {"apiKey": getattr(self.erp, "api_key", "unused")},
                "BusinessCentralSecret": {"clientSecret": getattr(self.erp, "client_secret", "REPLACE_ME")},
                "ErpPushKeysSecret": {"apiKey": self.erp_push_key},
                "NorceEventsKeysSecret": {"apiKey": self.events_key},
                "NorceConnectSecret": {
                    "client_id": self.norce.client_id,
                    "client_secret": self.norce.client_secret,
                },
            },
        )
        self._saved_environment = dict(os.environ)  # restored on stop: a stack may run inside another (tests)
        os.environ.update(self._environment(template))  # tools in this process (ops CLI, tests) read it
        routes: dict[tuple[str, str], tuple[str, Callable[[dict[str, Any]], Any]]] = {}
        for function in template.functions:
            pool = self.workers.add(self._pool(function))
            for method, path in function.api_routes:
                routes[(method, path)] = (function.logical_id, self._api_invoker(pool))
            for source in function.sqs_sources:
                arn = resolve(source["Queue"], self.aws.refs, self.aws.attributes)
                for _ in range(self._pollers_of(function)):
                    self.pollers.append(
                        QueuePoller(
                            self.aws.client("sqs"),
                            self.aws.queue_url_for_arn(arn),
                            arn,
                            function.logical_id,
                            pool.invoke,
                            int(source.get("BatchSize", 10)),
                        )
                    )
            if function.schedules:
                first = schedule_input(function.schedules[0])
                routes[("POST", f"/_local/schedules/{function.logical_id}")] = (
                    function.logical_id,
                    _schedule_route(pool, first),
                )
                for name, properties in zip(function.schedule_names, function.schedules, strict=True):
                    self.schedule_inputs[name] = (function.logical_id, schedule_input(properties))
                    routes[("POST", f"/_local/schedules/{name}")] = (
                        function.logical_id,
                        _schedule_route(pool, schedule_input(properties)),
                    )
        routes[("GET", "/_local/mail")] = ("LocalMail", self._mail_route)
        for method in ("GET", "POST", "DELETE"):
            routes[(method, "/_local/mail/faults")] = ("LocalMail", self._mail_faults_route)
        routes[("GET", "/_local/workers")] = ("LocalWorkers", lambda _: _json_answer(self.workers.describe()))
        self.workers.start()
        self._api_app = LocalApi(routes)
        self._api = BackgroundServer(self._api_app, self.api_port).start()
        for poller in self.pollers:
            poller.start()
        if self.subscribe_events:
            self.norce.events.subscribe(
                "*", f"{self.api_url}/norce/events/{{EventType}}", {"X-Api-Key": self.events_key}
            )
        if self.business_central:  # as the schedule would, at once: BC calls our webhook back (the handshake)
            self.run_schedule("RenewSubscriptions")
        return self

    def _pollers_of(self, function: Function) -> int:
        return self.processors if function.logical_id in _SCALED else 1

    def _pool(self, function: Function) -> WorkerPool:
        """The function's execution environments: as many as its API may use or its pollers need."""
        name = function.environment.get("POWERTOOLS_SERVICE_NAME")
        service = resolve(name, self.aws.refs, self.aws.attributes)
        timeout = function.timeout_seconds
        if (function.sqs_sources or function.api_routes) and self.recovery_seconds is not None:
            timeout = min(timeout, self.recovery_seconds)  # scheduled functions (imports) keep theirs
        logs = self.state_dir / "logs"
        spec = FunctionSpec(
            logical_id=function.logical_id,
            module_file=function.code_uri / f"{function.handler.rsplit('.', 1)[0]}.py",
            handler=function.handler.rsplit(".", 1)[1],
            timeout_seconds=timeout,
            environment=self._function_environment(function, service),
            log_file=logs / f"{service}.log" if self.log_to_files else None,
            snap_start=function.snap_start,
        )
        logs.mkdir(parents=True, exist_ok=True)
        if function.sqs_sources:
            size = warm = self._pollers_of(function) * len(function.sqs_sources)
        else:  # API functions keep one environment warm; scheduled ones start one when first fired
            size, warm = self.api_concurrency, 1 if function.api_routes else 0
        if function.reserved_concurrency is not None:
            size = min(size, function.reserved_concurrency)
        return WorkerPool(spec, size, min(warm, size))

    @staticmethod
    def _api_invoker(pool: WorkerPool) -> Callable[[dict[str, Any]], Any]:
        return lambda event: pool.invoke(event, wait=API_GATEWAY_TIMEOUT_SECONDS)

    @property
    def business_central(self) -> bool:
        return self.erp_kind == "business-central"

    def _erp_parameters(self) -> dict[str, str]:
        if not self.business_central:
            return {"ErpKind": "rest", "ErpBaseUrl": self.erp.url}
        bc = self.erp
        return {
            "ErpKind": "business-central",
            "BcTenantId": bc.tenant_id,
            "BcEnvironment": bc.environment,
            "BcCompanyId": bc.company_id,
            "BcClientId": bc.client_id,
            "BcApiUrl": bc.api_url,
            "BcLoginUrl": bc.login_url,
            "BcFeeAccount": "3010",
        }

    @property
    def outbox(self) -> Path:
        """Where the event processor captures the e-mails it would send (none is sent locally)."""
        return self.state_dir / f"mail-{self.api_port}.jsonl"

    def mail(self) -> list[dict[str, Any]]:
        """The captured e-mails: to, subject, event type, ClientOrderRef, language, text (and html)."""
        from norce_integration.adapters.outbox_notifier import read_outbox  # noqa: PLC0415 - the layer's

        return read_outbox(self.outbox)

    def _mail_route(self, event: dict[str, Any]) -> dict[str, Any]:
        fields = ("to", "subject", "event_type", "client_order_ref", "language", "text", "sent_at")
        return _json_answer([{name: message.get(name) for name in fields} for message in self.mail()])

    def metrics_added(self, logical_id: str) -> list[str]:
        """The names of the metrics a function's workers added so far, in order (none is published
        locally)."""
        log_file = self.workers[logical_id].spec.log_file
        notes = metrics_file(log_file) if log_file is not None else None
        return notes.read_text(encoding="utf-8").split() if notes and notes.exists() else []

    def _mail_file(self, kind: str) -> Path:
        """The outbox's throttling knob (``faults``) or its count of refused e-mails (``throttled``)."""
        return self.outbox.with_name(f"{self.outbox.name}.{kind}")

    def set_mail_faults(self, throttle_rate: float = 0.0) -> None:
        """Throttle the mail service like SES: each e-mail refused with chance ``throttle_rate`` (429,
        nothing sent; the event processor retries it)."""
        if not 0 <= throttle_rate <= 1:
            raise ValueError("throttle_rate must be between 0 and 1")
        path = self._mail_file("faults")
        if throttle_rate:
            path.write_text(json.dumps({"throttleRate": throttle_rate}))
        else:
            path.unlink(missing_ok=True)

    def mail_faults(self) -> dict[str, Any]:
        """The mail service's knob, and how many e-mails it refused so far."""
        try:
            knob = json.loads(self._mail_file("faults").read_text())
        except (OSError, ValueError):
            knob = {}
        try:
            throttled = len(self._mail_file("throttled").read_bytes().splitlines())
        except OSError:
            throttled = 0
        return {"throttleRate": float(knob.get("throttleRate") or 0), "throttled": throttled}

    def _mail_faults_route(self, event: dict[str, Any]) -> dict[str, Any]:
        """``POST /_local/mail/faults`` ``{"throttleRate": 0.2}``; ``DELETE`` ends it; ``GET`` shows it."""
        if event["httpMethod"] == "POST":
            try:
                given = json.loads(event.get("body") or "{}")
                self.set_mail_faults(float(given.get("throttleRate") or 0))
            except (ValueError, TypeError, AttributeError) as error:
                return {"statusCode": 400, "body": json.dumps({"message": f"throttleRate: {error}"})}
        elif event["httpMethod"] == "DELETE":
            self.set_mail_faults(0.0)
        return _json_answer(self.mail_faults())

    def stop(self) -> None:
        for poller in self.pollers:
            poller.stopping()
        self.workers.stop()  # an invocation in flight fails at once, its batch comes back as in Lambda
        for poller in self.pollers:
            poller.stop()
        if self._api:
            self._api.stop()
        self.norce.stop()
        self.erp.stop()
        self.aws.stop()
        if self._saved_environment is not None:
            os.environ.clear()
            os.environ.update(self._saved_environment)

    def __enter__(self) -> "LocalStack":
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def pause_api(self) -> None:
        """Stop answering on the API port (connections are refused), as during an outage."""
        if self._api:
            self._api.stop()

    def resume_api(self) -> None:
        self._api = BackgroundServer(self._api_app, self.api_port).start()

    def run_schedule(
        self, name: str = "ErpPollFunction", payload: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Run a schedule (by its event name, or a scheduled function by its logical id) once now, as
        EventBridge Scheduler would, with its own input or ``payload`` instead; the function's result."""
        if name in self.schedule_inputs:
            logical_id, given = self.schedule_inputs[name]
        else:
            logical_id, given = name, dict(SCHEDULER_EVENT)
        return dict(self.workers[logical_id].invoke(payload if payload is not None else given))

    def resource(self, logical_id: str) -> str:
        return self.aws.refs[logical_id]

    def _local_environment(self) -> dict[str, str]:
        """What the local stack sets for every function, over the template's own variables."""
        leases = {}
        if self.recovery_seconds is not None:
            leases = {name: str(1.5 * self.recovery_seconds) for name in LEASE_VARIABLES}
        return {
            "AWS_ENDPOINT_URL": self.aws.endpoint,
            "POWERTOOLS_TRACE_DISABLED": "1",
            "POWERTOOLS_METRICS_DISABLED": "1",
            "POWERTOOLS_METRICS_NAMESPACE": "NorceErpIntegrationLocal",
            "RETRY_BASE_SECONDS": str(self.retry_base_seconds),
            "RETRY_MAX_SECONDS": str(self.retry_max_seconds),
            "NOTIFIER": "outbox",
            "LOCAL_OUTBOX": str(self.outbox),
            "CHANGE_SETTLE_SECONDS": str(self.change_settle_seconds),
            **leases,
        }

    def _resolved(self, function: Function) -> dict[str, str]:
        resolved = {}
        for name, value in function.environment.items():
            if name == "BC_NOTIFICATION_URL":  # the API's own URL: here, the local API's
                resolved[name] = f"{self.api_url}{BC_NOTIFICATIONS}"
            elif name != "POWERTOOLS_SERVICE_NAME":
                resolved[name] = resolve(value, self.aws.refs, self.aws.attributes)
        return resolved

    def _environment(self, template: Any) -> dict[str, str]:
        """Every function's variables together (for tools running in this process)."""
        environment = dict(LOCAL_CREDENTIALS)
        for function in template.functions:
            environment.update(self._resolved(function))
        return environment | self._local_environment()

    def _function_environment(self, function: Function, service: str) -> dict[str, str]:
        """One function's environment, as Lambda sets it: its own variables (not the other functions')."""
        inherited = dict(self._saved_environment or os.environ)
        return {
            **inherited,
            **LOCAL_CREDENTIALS,
            **self._resolved(function),
            **self._local_environment(),
            "POWERTOOLS_SERVICE_NAME": service,
        }

    def _describe_erp(self) -> str:
        if not self.business_central:
            erp = self.erp
            return f"ERP simulator    {erp.url}   (X-Api-Key {erp.api_key}; GET /orders, /documents)"
        bc = self.erp
        return (
            f"Business Central {bc.api_root}/companies({bc.company_id})\n"
            f"                 (token: POST {bc.login_url}/{bc.tenant_id}/oauth2/v2.0/token, client "
            f"{bc.client_id} / {bc.client_secret}; GET {bc.url}/_orders, /_calls, /_deliveries)\n"
            f"BC webhooks      POST {self.api_url}{BC_NOTIFICATIONS}   (BC's notifications and handshake)"
        )

    def describe(self) -> str:
        return "\n".join(
            [
                f"Order endpoint   POST {self.api_url}/orders   (Basic {self.username} / {self.password})",
                f"AWS (moto)       {self.aws.endpoint}",
                f"ERP push         POST {self.api_url}/erp/CreateInvoice (and /SendOrderStatus, "
                f"/CreateDeliveryNote, /CreditPayment)   (X-Api-Key {self.erp_push_key})",
                f"ERP poll         POST {self.api_url}/_local/schedules/ErpPollFunction   (runs it once now)",
                f"Norce events     POST {self.api_url}/norce/events/{{EventType}}   "
                f"(X-Api-Key {self.events_key}; the Norce simulator posts its events here)",
                f"Customer e-mail  GET  {self.api_url}/_local/mail   (captured, never sent)",
                f"Workers          GET  {self.api_url}/_local/workers   (each function's processes)",
                self._describe_erp(),
                f"Norce Connect    {self.norce.connect_url}   (GET {self.norce.url}/_calls)",
                f"Orders queue     {self.resource('OrdersQueue')}",
                f"Lifecycle queue  {self.resource('LifecycleQueue')}",
                f"Events queue     {self.resource('EventsQueue')}",
                f"Ledger table     {self.resource('OrdersTable')}",
                f"Archive bucket   {self.resource('OrderArchiveBucket')}",
                f"Handler logs     {self.state_dir / 'logs'}",
            ]
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--api-port", type=int, default=3000)
    parser.add_argument("--aws-port", type=int, default=5000)
    parser.add_argument("--erp-port", type=int, default=5200)
    parser.add_argument("--norce-port", type=int, default=5100)
    parser.add_argument("--erp-db", default=str(ROOT / ".local-state" / "erp.sqlite3"))
    parser.add_argument("--erp", choices=ERP_KINDS, default=os.environ.get("ERP") or "rest", help="ErpKind")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    stack = LocalStack(
        args.api_port, args.aws_port, args.erp_port, args.norce_port, erp_db=args.erp_db, erp_kind=args.erp
    ).start()
    print(stack.describe())
    print(
        "\nTry:  curl -u norce:norce-local -H 'Content-Type: application/json' "
        f"--data-binary @events/payloads/order-request.json {stack.api_url}/orders\nCtrl-C to stop.",
        flush=True,
    )
    stopped = threading.Event()
    for signal_number in (
        signal.SIGINT,
        signal.SIGTERM,
    ):  # also when started with SIGINT ignored (a background job)
        signal.signal(signal_number, lambda *_: stopped.set())
    try:
        while not stopped.wait(0.5):
            pass
    finally:
        stack.stop()
        print("Local stack stopped.", flush=True)


if __name__ == "__main__":
    main()
