"""Configuration from the environment (set by template.yaml, or by the local stack)."""

import os
from dataclasses import dataclass


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
    credentials_cache_seconds: int
    record_ttl_days: int
    busy_wait_seconds: float
    allowed_currencies: frozenset[str] | None

    @classmethod
    def from_env(cls) -> "ReceiverSettings":
        currencies = os.environ.get("ALLOWED_CURRENCIES", "").replace(",", " ").split()
        return cls(
            orders_queue_url=_env("ORDERS_QUEUE_URL"),
            orders_table=_env("ORDERS_TABLE"),
            archive_bucket=_env("ARCHIVE_BUCKET"),
            credentials_secret_arn=_env("CREDENTIALS_SECRET_ARN"),
            max_order_bytes=int(os.environ.get("MAX_ORDER_BYTES", "5242880")),
            credentials_cache_seconds=int(os.environ.get("CREDENTIALS_CACHE_SECONDS", "300")),
            record_ttl_days=int(os.environ.get("ORDER_RECORD_TTL_DAYS", "90")),
            busy_wait_seconds=float(os.environ.get("BUSY_WAIT_SECONDS", "5")),
            allowed_currencies=frozenset(c.upper() for c in currencies) or None,
        )


@dataclass(frozen=True, slots=True)
class ErpTarget:
    base_url: str
    api_key_secret_arn: str


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

    @classmethod
    def from_env(cls) -> "ProcessorSettings":
        """``ERP_BASE_URL``/``ERP_API_KEY_SECRET_ARN`` configure target ``default``; ``ERP_TARGETS`` (JSON
        ``{"name": {"base_url": ..., "api_key_secret_arn": ...}}``) adds or overrides routed targets."""
        import json  # noqa: PLC0415 - only the processor needs it here

        targets = {"default": ErpTarget(_env("ERP_BASE_URL"), _env("ERP_API_KEY_SECRET_ARN"))}
        for name, target in json.loads(os.environ.get("ERP_TARGETS") or "{}").items():
            targets[name] = ErpTarget(target["base_url"], target["api_key_secret_arn"])
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
            secrets_cache_seconds=int(os.environ.get("SECRETS_CACHE_SECONDS", "300")),
        )


@dataclass(frozen=True, slots=True)
class ErpPushSettings:
    """The ERP's push API (``erp_push``): where documents go, and the secret with the valid API keys."""

    orders_table: str
    lifecycle_queue_url: str
    api_keys_secret_arn: str
    keys_cache_seconds: int

    @classmethod
    def from_env(cls) -> "ErpPushSettings":
        return cls(
            orders_table=_env("ORDERS_TABLE"),
            lifecycle_queue_url=_env("LIFECYCLE_QUEUE_URL"),
            api_keys_secret_arn=_env("ERP_PUSH_KEYS_SECRET_ARN"),
            keys_cache_seconds=int(os.environ.get("SECRETS_CACHE_SECONDS", "300")),
        )


@dataclass(frozen=True, slots=True)
class ErpPollSettings:
    """The scheduled poll of the ERP's change feed (``erp_poll``)."""

    orders_table: str
    lifecycle_queue_url: str
    erp: ErpTarget
    secrets_cache_seconds: int
    max_documents: int
    unknown_order_grace_seconds: float

    @classmethod
    def from_env(cls) -> "ErpPollSettings":
        return cls(
            orders_table=_env("ORDERS_TABLE"),
            lifecycle_queue_url=_env("LIFECYCLE_QUEUE_URL"),
            erp=ErpTarget(_env("ERP_BASE_URL"), _env("ERP_API_KEY_SECRET_ARN")),
            secrets_cache_seconds=int(os.environ.get("SECRETS_CACHE_SECONDS", "300")),
            max_documents=int(os.environ.get("POLL_MAX_DOCUMENTS", "500")),
            unknown_order_grace_seconds=float(os.environ.get("POLL_UNKNOWN_ORDER_GRACE_SECONDS", "900")),
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
            secrets_cache_seconds=int(os.environ.get("SECRETS_CACHE_SECONDS", "300")),
        )
