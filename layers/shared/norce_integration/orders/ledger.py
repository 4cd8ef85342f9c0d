"""The intake ledger: one entry per ClientOrderRef, and the claim-check message its owner queues.

The receiver claims and completes entries; the processor admits the queued message through the same
ledger (its token fences stale copies). Both flows use these, so they live beside the order records.
"""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class LedgerState(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"  # claimed by one receiver attempt, not yet known to be queued
    ACCEPTED = "ACCEPTED"  # durably queued; ``response`` is the answer every copy gets


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """The intake record of one ClientOrderRef (scoped by application key)."""

    key: str
    state: LedgerState
    fingerprint: str
    token: str
    lease_until: float
    response: dict[str, Any] | None = None
    archive_key: str | None = None  # where the body of the attempt that owns the entry is archived


@dataclass(frozen=True, slots=True)
class QueuedOrder:
    """The message put on the orders queue: a claim check, never the order itself.

    ``token`` fences the message: only the message whose token the ledger accepted is processed,
    so a copy queued by an attempt that crashed before recording success is recognised as stale.
    """

    key: str
    client_order_ref: str
    application_key: str | None
    token: str
    archive_key: str
    wire_format: str
    fingerprint: str
    received_at: float
    attributes: dict[str, str] = field(default_factory=dict)


class IntakeLedger(Protocol):
    """Conditional-write store behind duplicate detection (DynamoDB in AWS)."""

    def claim(self, entry: LedgerEntry, expires_at: int) -> LedgerEntry | None:
        """Create ``entry`` if the key is new (returns None); otherwise return the existing entry."""
        ...

    def get(self, key: str) -> LedgerEntry | None: ...

    def take_over(self, expired_token: str, claim: LedgerEntry, now: float) -> bool:
        """Replace an IN_PROGRESS entry whose lease ended before ``now`` (held by ``expired_token``) with
        ``claim`` (new token, fingerprint, archive key and lease); False if anything changed meanwhile."""
        ...

    def complete(self, key: str, token: str, response: dict[str, Any]) -> bool:
        """Mark ACCEPTED with ``response`` if ``token`` still owns the entry."""
        ...

    def release(self, key: str, token: str) -> None:
        """Forget an IN_PROGRESS claim of ``token`` (after a failure), so a retry starts afresh."""
        ...

    def admit(self, key: str, token: str, response: dict[str, Any]) -> bool:
        """Consumer side: True if a queued message with ``token`` is the one to process.

        Also marks the entry ACCEPTED when the receiver crashed after queueing: the message's
        arrival proves the order is durably queued, and the token can no longer be taken over.
        """
        ...
