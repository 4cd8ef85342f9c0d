"""Configuration from the environment (set by template.yaml, or by the local stack).

One module on purpose, though long: every environment variable any function reads is read here and
nowhere else, one frozen class per function, in the order of docs/configuration.md, so a variable is found
with one grep and a default is never spelt twice."""

import os
from dataclasses import dataclass


def secrets_cache_seconds() -> int:
    """``SECRETS_CACHE_SECONDS``: how long every function caches a secret (a rotation applies within it)."""
    return int(os.environ.get("SECRETS_CACHE_SECONDS", "300"))


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"environment variable {name} is not set (see docs/configuration.md)")
    return value


@dataclass(frozen=True, slots=True)
class ReceiverSettings:
    orders_queue_url: str
    orders_table: str
    archive_bucket: str
    credentials_secret_arn: str
    max_order_bytes: int
    secrets_cache_seconds: int
    record_ttl_days: int
    busy_wait_seconds: float
    allowed_currencies: frozenset[str] | None
    lease_seconds: float = 60.0  # an order's intake claim: longer than the receiver's timeout

    @classmethod
    def from_env(cls) -> "ReceiverSettings":
        currencies = os.environ.get("ALLOWED_CURRENCIES", "").replace(",", " ").split()
        return cls(
            orders_queue_url=_env("ORDERS_QUEUE_URL"),
            orders_table=_env("ORDERS_TABLE"),
            archive_bucket=_env("ARCHIVE_BUCKET"),
            credentials_secret_arn=_env("CREDENTIALS_SECRET_ARN"),
            max_order_bytes=int(os.environ.get("MAX_ORDER_BYTES") or 5_242_880),
            secrets_cache_seconds=secrets_cache_seconds(),
            record_ttl_days=int(os.environ.get("ORDER_RECORD_TTL_DAYS", "90")),
            busy_wait_seconds=float(os.environ.get("BUSY_WAIT_SECONDS", "5")),
            allowed_currencies=frozenset(c.upper() for c in currencies) or None,
            lease_seconds=float(os.environ.get("INTAKE_LEASE_SECONDS", "60")),
        )


ERP_KINDS = ("rest", "business-central")  # ``ErpKind``: which adapter ``bootstrap.erp.erp_for`` builds
BC_API_URL = "https://api.businesscentral.dynamics.com"
BC_LOGIN_URL = "https://login.microsoftonline.com"  # Microsoft Entra ID


@dataclass(frozen=True, slots=True)
class BusinessCentralTarget:
    """One Business Central company (API v2.0): where it is, who we are (an Entra ID app), and how we page."""

    tenant_id: str
    environment: str
    company_id: str
    client_id: str
    client_secret_arn: str  # Secrets Manager: ``{"clientSecret": "..."}``
    api_url: str = BC_API_URL
    login_url: str = BC_LOGIN_URL
    fee_account: str | None = None  # the G/L account a Norce fee (shipping, handling) is booked on
    page_size: int = 1000  # ``Prefer: odata.maxpagesize``; Business Central allows at most 20,000

    @classmethod
    def from_env(cls, **given: str) -> "BusinessCentralTarget":
        """``BC_*`` variables, each overridable by ``given`` (an ``ERP_TARGETS`` entry)."""

        def value(name: str, key: str) -> str:
            found = given.get(key) or os.environ.get(name)
            if not found:
                raise RuntimeError(f"environment variable {name} is not set (see docs/configuration.md)")
            return found

        page_size = int(given.get("page_size") or os.environ.get("BC_PAGE_SIZE") or 1000)
        if not 1 <= page_size <= 20_000:
            raise RuntimeError("BC_PAGE_SIZE must be 1 to 20000 (Business Central's largest page)")
        return cls(
            tenant_id=value("BC_TENANT_ID", "tenant_id"),
            environment=value("BC_ENVIRONMENT", "environment"),
            company_id=value("BC_COMPANY_ID", "company_id"),
            client_id=value("BC_CLIENT_ID", "client_id"),
            client_secret_arn=value("BC_CLIENT_SECRET_ARN", "client_secret_arn"),
            api_url=(given.get("api_url") or os.environ.get("BC_API_URL") or BC_API_URL).rstrip("/"),
            login_url=(given.get("login_url") or os.environ.get("BC_LOGIN_URL") or BC_LOGIN_URL).rstrip("/"),
            fee_account=given.get("fee_account") or os.environ.get("BC_FEE_ACCOUNT") or None,
            page_size=page_size,
        )


@dataclass(frozen=True, slots=True)
class ErpTarget:
    """What a flow knows of its ERP: the generic REST ERP (``base_url`` + API key), or Business Central."""

    base_url: str
    api_key_secret_arn: str
    kind: str = "rest"  # ``ErpKind``: ``rest`` or ``business-central``
    business_central: BusinessCentralTarget | None = None
    token_table: str | None = None  # where an OAuth token is shared by every instance (the orders table)

    @classmethod
    def from_env(cls, entry: dict[str, str] | None = None) -> "ErpTarget":
        """The target ``default`` (``ERP_KIND`` with ``ERP_*`` or ``BC_*``), or one ``ERP_TARGETS`` entry."""
        entry = entry or {}
        kind = (entry.get("kind") or "rest") if entry else (os.environ.get("ERP_KIND") or "rest")
        if kind not in ERP_KINDS:
            raise RuntimeError(f"ERP_KIND must be one of {', '.join(ERP_KINDS)}, not {kind!r}")
        if kind == "rest":
            if entry:
                return cls(entry["base_url"], entry["api_key_secret_arn"])
            return cls(_env("ERP_BASE_URL"), _env("ERP_API_KEY_SECRET_ARN"))
        return cls(
            "",
            "",
            kind=kind,
            business_central=BusinessCentralTarget.from_env(
                **{k: v for k, v in entry.items() if k != "kind"}
            ),
            token_table=_env("ORDERS_TABLE"),
        )


def query_url_for(connect_url: str) -> str:
    """Query 2.0 next to Connect 4.0: ``.../commerce/connect/4.0/`` -> ``.../commerce/query/2.0/``."""
    return connect_url.replace("/connect/4.0", "/query/2.0")


@dataclass(frozen=True, slots=True)
class NorceConnectSettings:
    connect_url: str
    identity_url: str
    scope: str
    auth_mode: str  # "oauth" (client credentials, the default) or "basic" (legacy applicationId:secretKey)
    credentials_secret_arn: str
    account_id: int
    application_id: str | None
    query_url: str = ""

    @classmethod
    def from_env(cls) -> "NorceConnectSettings":
        connect_url = _env("NORCE_CONNECT_URL")
        return cls(
            connect_url=connect_url,
            query_url=os.environ.get("NORCE_QUERY_URL") or query_url_for(connect_url),
            identity_url=_env("NORCE_IDENTITY_URL"),
            scope=os.environ.get("NORCE_SCOPE", "playground"),
            auth_mode=os.environ.get("NORCE_AUTH_MODE", "oauth"),
            credentials_secret_arn=_env("NORCE_CREDENTIALS_SECRET_ARN"),
            account_id=int(_env("NORCE_ACCOUNT_ID")),
            application_id=os.environ.get("NORCE_APPLICATION_ID") or None,
        )


@dataclass(frozen=True, slots=True)
class ProcessorSettings:
    orders_queue_url: str
    orders_dlq_url: str
    orders_table: str
    archive_bucket: str
    writeback_queue_url: str
    erp_targets: dict[str, ErpTarget]
    processing_config: str
    norce: NorceConnectSettings
    retry_base_seconds: float
    retry_max_seconds: float
    secrets_cache_seconds: int
    writeback_max_receives: int = 20  # the write-back queue's maxReceiveCount: a code's last attempt
    lock_seconds: float = 120.0  # the order's processing lock: longer than the processor's timeout

    @classmethod
    def from_env(cls) -> "ProcessorSettings":
        """``ERP_KIND`` with ``ERP_BASE_URL``/``ERP_API_KEY_SECRET_ARN`` (or the ``BC_*`` variables)
        configure target ``default``; ``ERP_TARGETS`` (JSON ``{"name": {"base_url": ...,
        "api_key_secret_arn": ...}}``, or ``{"name": {"kind": "business-central", "company_id": ...}}``)
        adds or overrides routed targets."""
        import json  # noqa: PLC0415 - only the processor needs it here

        targets = {"default": ErpTarget.from_env()}
        for name, target in json.loads(os.environ.get("ERP_TARGETS") or "{}").items():
            targets[name] = ErpTarget.from_env({str(k): str(v) for k, v in target.items()})
        return cls(
            orders_queue_url=_env("ORDERS_QUEUE_URL"),
            orders_dlq_url=_env("ORDERS_DLQ_URL"),
            orders_table=_env("ORDERS_TABLE"),
            archive_bucket=_env("ARCHIVE_BUCKET"),
            writeback_queue_url=_env("WRITEBACK_QUEUE_URL"),
            erp_targets=targets,
            processing_config=os.environ.get("PROCESSING_CONFIG", ""),
            norce=NorceConnectSettings.from_env(),
            retry_base_seconds=float(os.environ.get("RETRY_BASE_SECONDS", "30")),
            retry_max_seconds=float(os.environ.get("RETRY_MAX_SECONDS", "900")),
            secrets_cache_seconds=secrets_cache_seconds(),
            writeback_max_receives=int(os.environ.get("WRITEBACK_MAX_RECEIVE_COUNT", "20")),
            lock_seconds=float(os.environ.get("PROCESSING_LOCK_SECONDS", "120")),
        )


@dataclass(frozen=True, slots=True)
class DocumentRules:
    """What the three lifecycle functions hold every document against, as configured (read as text here;
    ``bootstrap.lifecycle.document_rules`` checks the values and names a wrong one at cold start)."""

    invoice_quantity_basis: str  # ``INVOICE_QUANTITY_BASIS``: ``ordered`` or ``delivered``
    invoice_freight_tolerance: str  # ``INVOICE_FREIGHT_TOLERANCE``, in the order's currency
    invoice_rounding_tolerance: str  # ``INVOICE_ROUNDING_TOLERANCE``
    extra_order_statuses: tuple[str, ...]  # ``EXTRA_ORDER_STATUSES``: Norce's older, unconfirmed statuses

    @classmethod
    def from_env(cls) -> "DocumentRules":
        extra = os.environ.get("EXTRA_ORDER_STATUSES", "").replace(",", " ").split()
        return cls(
            invoice_quantity_basis=os.environ.get("INVOICE_QUANTITY_BASIS") or "ordered",
            invoice_freight_tolerance=os.environ.get("INVOICE_FREIGHT_TOLERANCE") or "0",
            invoice_rounding_tolerance=os.environ.get("INVOICE_ROUNDING_TOLERANCE") or "1",
            extra_order_statuses=tuple(extra),
        )


@dataclass(frozen=True, slots=True)
class ErpPushSettings:
    """The ERP's push API (``erp_push``): where documents go, the orders they are held against, and the
    secret with the valid API keys."""

    orders_table: str
    archive_bucket: str
    lifecycle_queue_url: str
    api_keys_secret_arn: str
    secrets_cache_seconds: int
    max_body_bytes: int  # ``MAX_PUSH_BYTES`` (``MaxPushBytes``): a document is a few KB
    rules: DocumentRules

    @classmethod
    def from_env(cls) -> "ErpPushSettings":
        return cls(
            orders_table=_env("ORDERS_TABLE"),
            archive_bucket=_env("ARCHIVE_BUCKET"),
            lifecycle_queue_url=_env("LIFECYCLE_QUEUE_URL"),
            api_keys_secret_arn=_env("ERP_PUSH_KEYS_SECRET_ARN"),
            secrets_cache_seconds=secrets_cache_seconds(),
            max_body_bytes=int(os.environ.get("MAX_PUSH_BYTES") or 1_048_576),
            rules=DocumentRules.from_env(),
        )


@dataclass(frozen=True, slots=True)
class ErpPollSettings:
    """The scheduled poll of the ERP's change feed (``erp_poll``)."""

    orders_table: str
    archive_bucket: str
    lifecycle_queue_url: str
    erp: ErpTarget
    secrets_cache_seconds: int
    max_documents: int
    workers: int
    unknown_order_grace_seconds: float
    rules: DocumentRules

    @classmethod
    def from_env(cls) -> "ErpPollSettings":
        return cls(
            orders_table=_env("ORDERS_TABLE"),
            archive_bucket=_env("ARCHIVE_BUCKET"),
            lifecycle_queue_url=_env("LIFECYCLE_QUEUE_URL"),
            erp=ErpTarget.from_env(),
            secrets_cache_seconds=secrets_cache_seconds(),
            max_documents=int(os.environ.get("POLL_MAX_DOCUMENTS", "500")),
            workers=max(1, int(os.environ.get("POLL_WORKERS", "8"))),
            unknown_order_grace_seconds=float(os.environ.get("POLL_UNKNOWN_ORDER_GRACE_SECONDS", "900")),
            rules=DocumentRules.from_env(),
        )


@dataclass(frozen=True, slots=True)
class ErpWebhookSettings:
    """Business Central's webhooks (``erp_webhook``): its notifications read into the lifecycle queue, and the
    subscriptions that make them, renewed on a schedule."""

    orders_table: str
    archive_bucket: str
    lifecycle_queue_url: str
    erp: ErpTarget
    notification_url: str  # ``BC_NOTIFICATION_URL``: this API's own notification route, as BC calls it
    secrets_cache_seconds: int
    max_body_bytes: int  # ``MAX_PUSH_BYTES``: the ERP's posts to ``/erp/...`` share one limit
    renew_within_hours: (
        float  # a subscription expiring sooner than this is renewed (BC's expire after 3 days)
    )
    read_budget_seconds: float  # time spent reading notified documents; the rest is left to the poll
    rules: DocumentRules

    @classmethod
    def from_env(cls) -> "ErpWebhookSettings":
        kind = os.environ.get("ERP_KIND") or "rest"  # another ERP: the function answers that it is off
        return cls(
            orders_table=_env("ORDERS_TABLE"),
            archive_bucket=_env("ARCHIVE_BUCKET"),
            lifecycle_queue_url=_env("LIFECYCLE_QUEUE_URL"),
            erp=ErpTarget.from_env() if kind == "business-central" else ErpTarget("", "", kind=kind),
            notification_url=os.environ.get("BC_NOTIFICATION_URL", ""),
            secrets_cache_seconds=secrets_cache_seconds(),
            max_body_bytes=int(os.environ.get("MAX_PUSH_BYTES") or 1_048_576),
            renew_within_hours=float(os.environ.get("BC_WEBHOOK_RENEW_WITHIN_HOURS") or 36),
            read_budget_seconds=float(os.environ.get("BC_WEBHOOK_READ_BUDGET_SECONDS") or 20),
            rules=DocumentRules.from_env(),
        )


@dataclass(frozen=True, slots=True)
class LifecycleSettings:
    """The lifecycle processor (``lifecycle_processor``): queued documents -> Norce Connect."""

    orders_table: str
    archive_bucket: str
    lifecycle_queue_url: str
    lifecycle_dlq_url: str
    norce: NorceConnectSettings
    wait_seconds: float
    retry_base_seconds: float
    retry_max_seconds: float
    secrets_cache_seconds: int
    rules: DocumentRules
    lease_seconds: float = 120.0  # a document's sending lease: longer than the processor's timeout

    @classmethod
    def from_env(cls) -> "LifecycleSettings":
        return cls(
            orders_table=_env("ORDERS_TABLE"),
            archive_bucket=_env("ARCHIVE_BUCKET"),
            lifecycle_queue_url=_env("LIFECYCLE_QUEUE_URL"),
            lifecycle_dlq_url=_env("LIFECYCLE_DLQ_URL"),
            norce=NorceConnectSettings.from_env(),
            wait_seconds=float(os.environ.get("DOCUMENT_WAIT_SECONDS", "3600")),
            retry_base_seconds=float(os.environ.get("RETRY_BASE_SECONDS", "30")),
            retry_max_seconds=float(os.environ.get("RETRY_MAX_SECONDS", "900")),
            secrets_cache_seconds=secrets_cache_seconds(),
            rules=DocumentRules.from_env(),
            lease_seconds=float(os.environ.get("DOCUMENT_LEASE_SECONDS", "120")),
        )


def _names(value: str | None) -> frozenset[str] | None:
    """A comma-separated list; empty or ``*`` means every value (None)."""
    names = frozenset(n.strip() for n in (value or "").split(",") if n.strip())
    return None if not names or "*" in names else names


@dataclass(frozen=True, slots=True)
class EventReceiverSettings:
    """Norce Event's webhook (``event_receiver``): the events queue, its DLQ and the valid API keys."""

    events_queue_url: str
    events_dlq_url: str
    api_keys_secret_arn: str
    secrets_cache_seconds: int
    optional_notifications: str
    change_delay_seconds: int
    max_body_bytes: int  # ``MAX_EVENT_BYTES`` (``MaxEventBytes``): Norce's events are ids, far smaller

    @classmethod
    def from_env(cls) -> "EventReceiverSettings":
        return cls(
            events_queue_url=_env("EVENTS_QUEUE_URL"),
            events_dlq_url=_env("EVENTS_DLQ_URL"),
            api_keys_secret_arn=_env("NORCE_EVENTS_KEYS_SECRET_ARN"),
            secrets_cache_seconds=secrets_cache_seconds(),
            optional_notifications=os.environ.get("OPTIONAL_NOTIFICATIONS", ""),
            change_delay_seconds=int(os.environ.get("CHANGE_SETTLE_SECONDS", "10")),
            max_body_bytes=int(os.environ.get("MAX_EVENT_BYTES") or 262_144),
        )


@dataclass(frozen=True, slots=True)
class EventProcessorSettings:
    """The event processor (``event_processor``): Query, the ERP, the mail service and the records."""

    orders_table: str
    events_queue_url: str
    events_dlq_url: str
    norce: NorceConnectSettings
    query_version: str
    country_codes: dict[int, str]  # Query's CountryId -> ISO code (``NORCE_COUNTRY_CODES``, "752=SE,...")
    currency_codes: dict[int, str]  # Query's CurrencyId -> ISO code (``NORCE_CURRENCY_CODES``)
    erp: ErpTarget
    optional_notifications: str
    notifier: str  # "ses", or "outbox" (the local stack: captured in a file, never sent)
    sender: str
    reply_to: tuple[str, ...]
    configuration_set: str | None
    outbox_path: str
    default_language: str
    shop_name: str
    customer_entities: frozenset[str] | None
    company_entities: frozenset[str] | None
    retry_base_seconds: float
    retry_max_seconds: float
    secrets_cache_seconds: int
    email_lease_seconds: float = 180.0  # an e-mail's sending claim: longer than the processor's timeout
    sync_claim_seconds: float = 120.0  # one writer per customer/company: longer than the processor's timeout

    @classmethod
    def from_env(cls) -> "EventProcessorSettings":
        notifier = os.environ.get("NOTIFIER", "ses")
        return cls(
            orders_table=_env("ORDERS_TABLE"),
            events_queue_url=_env("EVENTS_QUEUE_URL"),
            events_dlq_url=_env("EVENTS_DLQ_URL"),
            norce=NorceConnectSettings.from_env(),
            query_version=os.environ.get("NORCE_QUERY_VERSION", "2.0"),
            country_codes=id_codes(os.environ.get("NORCE_COUNTRY_CODES")),
            currency_codes=id_codes(os.environ.get("NORCE_CURRENCY_CODES")),
            erp=ErpTarget.from_env(),
            optional_notifications=os.environ.get("OPTIONAL_NOTIFICATIONS", ""),
            notifier=notifier,
            sender=_env("NOTIFICATION_SENDER")
            if notifier == "ses"
            else os.environ.get("NOTIFICATION_SENDER", ""),
            reply_to=tuple(
                r.strip() for r in os.environ.get("NOTIFICATION_REPLY_TO", "").split(",") if r.strip()
            ),
            configuration_set=os.environ.get("SES_CONFIGURATION_SET") or None,
            outbox_path=os.environ.get("LOCAL_OUTBOX", ""),
            default_language=os.environ.get("DEFAULT_LANGUAGE", "en"),
            shop_name=os.environ.get("SHOP_NAME", ""),
            customer_entities=_names(os.environ.get("SYNC_CUSTOMER_ENTITIES")),
            company_entities=_names(os.environ.get("SYNC_COMPANY_ENTITIES")),
            retry_base_seconds=float(os.environ.get("RETRY_BASE_SECONDS", "30")),
            retry_max_seconds=float(os.environ.get("RETRY_MAX_SECONDS", "900")),
            secrets_cache_seconds=secrets_cache_seconds(),
            email_lease_seconds=float(os.environ.get("EMAIL_LEASE_SECONDS", "180")),
            sync_claim_seconds=float(os.environ.get("SYNC_CLAIM_SECONDS", "120")),
        )


@dataclass(frozen=True, slots=True)
class ImportSettings:
    """The scheduled imports (``erp_import``): the ERP read, Norce written, and how."""

    orders_table: str
    norce: NorceConnectSettings
    erp: ErpTarget
    customer_fields: tuple[str, ...] | None
    company_fields: tuple[str, ...] | None
    application_key: str | None
    accounts: bool
    shrink_limit: float
    overlap_seconds: float
    max_records_per_job: int
    job_lead_seconds: float
    full_file_key: str
    full_file_in: str
    secrets_cache_seconds: int

    @classmethod
    def from_env(cls) -> "ImportSettings":
        def fields(name: str) -> tuple[str, ...] | None:
            chosen = tuple(f.strip() for f in os.environ.get(name, "").split(",") if f.strip())
            return chosen or None

        return cls(
            orders_table=_env("ORDERS_TABLE"),
            norce=NorceConnectSettings.from_env(),
            erp=ErpTarget.from_env(),
            customer_fields=fields("IMPORT_CUSTOMER_FIELDS"),
            company_fields=fields("IMPORT_COMPANY_FIELDS"),
            application_key=os.environ.get("IMPORT_APPLICATION_KEY") or None,
            accounts=os.environ.get("IMPORT_ACCOUNTS", "false").strip().lower() in ("1", "true", "yes"),
            shrink_limit=float(os.environ.get("SHRINK_GUARD_LIMIT", "0.10")),
            overlap_seconds=float(os.environ.get("DELTA_OVERLAP_SECONDS", "300")),
            max_records_per_job=int(os.environ.get("MAX_RECORDS_PER_JOB", "200000")),
            job_lead_seconds=float(os.environ.get("JOB_LEAD_SECONDS", "3600")),
            full_file_key=os.environ.get("NORCE_FULL_FILE_KEY", "FullFile"),
            full_file_in=os.environ.get("NORCE_FULL_FILE_IN", "off"),
            secrets_cache_seconds=secrets_cache_seconds(),
        )


def id_codes(text: str | None) -> dict[int, str]:
    """``"752=SE,578=NO"`` as ``{752: "SE", 578: "NO"}``: Norce's integer ids (each Norce client has its own,
    Query publishes no table) and the ISO codes they stand for. ``ValueError`` names a malformed entry."""
    codes: dict[int, str] = {}
    for entry in (text or "").replace(";", ",").split(","):
        if not entry.strip():
            continue
        number, _, code = entry.partition("=")
        if not number.strip().isdigit() or not code.strip():
            raise ValueError(f"{entry.strip()!r} is not id=code (for example 752=SE)")
        codes[int(number)] = code.strip()
    return codes
