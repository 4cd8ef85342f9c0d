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
