"""Our own writes to the ERP, told apart from the ERP's changes, so a delta import does not echo them.

A Norce edit written to the ERP (events/sync.py) stamps the ERP's record changed. The next delta import
would carry that record back to Norce; when the person has edited it again meanwhile, the echo overwrites
the newer edit, whose notification then reads the older data back (the soak lost a customer edit so).

The sync therefore remembers, per ERP code (``ECHO#{kind}#{code}``), the ERP's ``changed_at`` right after
its write and the ERP's own last change before it (carried over consecutive writes of ours). A delta import
leaves a record out when its ``changed_at`` is exactly ours *and* the ERP's own change before it was read by
an earlier run (at or before this run's ``since``): then the record holds nothing Norce lacks. Otherwise it
goes, as before. A full import never leaves anything out (Norce deactivates what it does not name).
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, Protocol

Kind = Literal["customer", "company"]


@dataclass(frozen=True, slots=True)
class OwnWrite:
    changed_at: str  # the ERP's changed_at right after our write, as the ERP port gave it (ISO 8601)
    erp_before: str | None  # the ERP's own last change before our write(s); None: not known


class OwnWrites(Protocol):
    def remember(self, kind: Kind, code: str, write: OwnWrite) -> None:
        """Record our latest write of this code (replaces the one before)."""
        ...

    def find(self, kind: Kind, codes: Collection[str]) -> dict[str, OwnWrite]:
        """Our latest writes of these codes (at most 100 per call); codes we never wrote are absent.
        ``DependencyUnavailable``-style failures are the adapter's; a code it could not read is absent."""
        ...


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def is_echo(write: OwnWrite | None, changed_at: datetime | None, since: datetime | None) -> bool:
    """Whether a delta may leave out the ERP record with ``changed_at``: it is our write, unchanged since,
    and nothing the ERP changed itself before it is still unread (``since``: where this run reads from)."""
    if write is None or changed_at is None or since is None or write.erp_before is None:
        return False
    if changed_at.isoformat() != write.changed_at:
        return False
    return _aware(datetime.fromisoformat(write.erp_before)) <= _aware(since)
