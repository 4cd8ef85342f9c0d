"""What handling one event came to (each is a metric ``Events{Outcome}`` and a log line)."""

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    SENT = "sent"  # the e-mail went out
    ALREADY_SENT = "already_sent"  # Norce redelivered, or a retry after the e-mail went out
    IN_DOUBT = "in_doubt"  # an attempt died while sending: not sent again (at most once)
    NO_RECIPIENT = "no_recipient"
    INVALID_RECIPIENT = "invalid_recipient"  # not one plain address (a header, a list, a typo): not sent
    FILTERED = "filtered"  # an EntityChanged value we do not sync
    COALESCED = "coalesced"  # a later read of Norce already covered this notification
    UNCHANGED = "unchanged"  # Norce holds what we last wrote
    UPDATED = "updated"  # the ERP was updated
    NO_CODE = "no_code"  # not in the ERP (no Code in Norce): nothing to update
    NOT_IN_NORCE = "not_in_norce"
    ERP_NEWER = "erp_newer"  # the ERP changed after Norce did: never overwritten
    JOB_SUCCEEDED = "job_succeeded"
    JOB_FAILED = "job_failed"  # one of ours: alarmed
    JOB_FOREIGN = "job_foreign"  # a job this integration did not start: acknowledged, never alarmed
    JOB_RUNNING = "job_running"  # a status that is not an end (5 Validating, 6 Queued): followed on
    IGNORED = "ignored"
    CAPTURED = "captured"  # the payment provider captured an invoice: noted on the order's trail
    CAPTURE_FAILED = "capture_failed"  # it did not: money not collected, on the trail and alarmed
    REPEATED = "repeated"  # Norce delivered it again: already on the trail, not counted twice


@dataclass(frozen=True, slots=True)
class Handled:
    outcome: Outcome
    detail: str = ""  # why, for the log (no personal data)
