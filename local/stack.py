"""The whole system on loopback, no AWS account and no Docker: ``python -m local.stack``.

moto (subprocess) plays AWS with the template's queues, table, bucket and secrets; the ERP and Norce
Connect simulators play the outside world; the API routes of template.yaml are served on
127.0.0.1:3000 like ``sam local start-api``; SQS event sources are polled into the same handlers.
"""

import argparse
import base64
import json
import logging
import os
import signal
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from local.api import LocalApi
from local.aws import LOCAL_CREDENTIALS, LocalAws, free_port
from local.business_central import BusinessCentralSimulator
from local.erp_simulator import ErpSimulator
from local.functions import FakeContext, load_handler
from local.norce import NorceConnectSimulator
from local.norce.codes import COUNTRY_IDS, CURRENCY_IDS, as_setting
from local.queues import QueuePoller
from local.simulator_http import BackgroundServer
from local.template import ROOT, load_template, resolve

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


def schedule_input(properties: dict[str, Any]) -> dict[str, Any]:
    """What EventBridge Scheduler passes the function: the schedule's ``Input`` (JSON text), else ``{}``."""
    text = properties.get("Input")
    return dict(json.loads(text)) if isinstance(text, str) and text.strip() else dict(SCHEDULER_EVENT)


def _schedule_route(handler: Any, default_input: dict[str, Any]) -> Any:
    """``POST /_local/schedules/{ScheduleName}``: run the schedule's function now with the schedule's input,
    or with the request's JSON body instead when there is one; the function's result as JSON."""

    def route(event: dict[str, Any], context: Any) -> dict[str, Any]:
        body = (event.get("body") or "").strip()
        try:
            given = json.loads(body) if body else default_input
        except ValueError:
            return {"statusCode": 400, "body": json.dumps({"message": "the body must be JSON"})}
        result = handler(given, context)
        return {
            "statusCode": 200,
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps(result, default=str),
        }

    return route


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
    processors: int = 2  # concurrent order/lifecycle processor instances (MaximumConcurrency locally)
    retry_base_seconds: float = 1.0  # processor backoff, compressed for the local stack
    retry_max_seconds: float = 4.0
    change_settle_seconds: int = 1  # a burst of Norce change notifications waits this long (10 s deployed)
    subscribe_events: bool = True  # the Norce simulator posts its events to our webhook, like Norce Admin
    log_to_files: bool = True
    erp_kind: str = field(default_factory=lambda: os.environ.get("ERP", "rest"))  # ``make local ERP=...``

    aws: LocalAws = field(init=False)
    erp: Any = field(init=False)  # ErpSimulator, or BusinessCentralSimulator (business-central)
    norce: NorceConnectSimulator = field(init=False)
    modules: dict[str, list[ModuleType]] = field(init=False, default_factory=dict)
    pollers: list[QueuePoller] = field(init=False, default_factory=list)
    scheduled: dict[str, Any] = field(init=False, default_factory=dict)  # logical id -> handler
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
        self.outbox.unlink(missing_ok=True)
        template = load_template()
        if self.erp_kind not in ERP_KINDS:
            raise ValueError(f"ERP must be one of {', '.join(ERP_KINDS)}, not {self.erp_kind!r}")
        self.aws = LocalAws(self.aws_port)
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
        environment = self._environment(template)
        self._saved_environment = dict(os.environ)  # restored on stop: a stack may run inside another (tests)
        os.environ.update(environment)
        routes = {}
        for function in template.functions:
            service = resolve(
                function.environment.get("POWERTOOLS_SERVICE_NAME"), self.aws.refs, self.aws.attributes
            )
            for method, path in function.api_routes:
                _, handler = self._load(function, service)
                routes[(method, path)] = (function.logical_id, handler)
            for source in function.sqs_sources:
                arn = resolve(source["Queue"], self.aws.refs, self.aws.attributes)
                for _ in range(self.processors if function.logical_id in _SCALED else 1):
                    _, handler = self._load(function, service)
                    poller = QueuePoller(
                        self.aws.client("sqs"),
                        self.aws.queue_url_for_arn(arn),
                        arn,
                        function.logical_id,
                        handler,
                        int(source.get("BatchSize", 10)),
                    )
                    self.pollers.append(poller)
            if function.schedules:
                _, handler = self._load(function, service)
                self.scheduled[function.logical_id] = handler
                first = schedule_input(function.schedules[0])
                routes[("POST", f"/_local/schedules/{function.logical_id}")] = (
                    function.logical_id,
                    _schedule_route(handler, first),
                )
                for name, properties in zip(function.schedule_names, function.schedules, strict=True):
                    self.schedule_inputs[name] = (function.logical_id, schedule_input(properties))
                    routes[("POST", f"/_local/schedules/{name}")] = (
                        function.logical_id,
                        _schedule_route(handler, schedule_input(properties)),
                    )
        routes[("GET", "/_local/mail")] = ("LocalMail", self._mail_route)
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

    def _mail_route(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        fields = ("to", "subject", "event_type", "client_order_ref", "language", "text", "sent_at")
        mail = [{name: message.get(name) for name in fields} for message in self.mail()]
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(mail)}

    def stop(self) -> None:
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
        return dict(
            self.scheduled[logical_id](payload if payload is not None else given, FakeContext(logical_id))
        )

    def resource(self, logical_id: str) -> str:
        return self.aws.refs[logical_id]

    def _environment(self, template: Any) -> dict[str, str]:
        environment = dict(LOCAL_CREDENTIALS)
        for function in template.functions:
            for name, value in function.environment.items():
                if name == "BC_NOTIFICATION_URL":  # the API's own URL: here, the local API's
                    environment[name] = f"{self.api_url}{BC_NOTIFICATIONS}"
                elif name != "POWERTOOLS_SERVICE_NAME":
                    environment[name] = resolve(value, self.aws.refs, self.aws.attributes)
        return environment | {
            "AWS_ENDPOINT_URL": self.aws.endpoint,
            "POWERTOOLS_TRACE_DISABLED": "1",
            "POWERTOOLS_METRICS_DISABLED": "1",
            "POWERTOOLS_METRICS_NAMESPACE": "NorceErpIntegrationLocal",
            "RETRY_BASE_SECONDS": str(self.retry_base_seconds),
            "RETRY_MAX_SECONDS": str(self.retry_max_seconds),
            "NOTIFIER": "outbox",
            "LOCAL_OUTBOX": str(self.outbox),
            "CHANGE_SETTLE_SECONDS": str(self.change_settle_seconds),
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

    def _load(self, function: Any, service: str) -> tuple[ModuleType, Any]:
        module, handler = load_handler(function, service)
        self.modules.setdefault(function.logical_id, []).append(module)
        if hasattr(module, "metrics"):  # Powertools prints the cold-start EMF line even with metrics disabled
            module.metrics.provider.add_cold_start_metric = lambda context: None
        if self.log_to_files and hasattr(module, "logger"):
            logs = self.state_dir / "logs"
            logs.mkdir(parents=True, exist_ok=True)
            stream = (logs / f"{service}.log").open("a", encoding="utf-8")
            module.logger.registered_handler.setStream(stream)
        return module, handler

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
