"""How anything can fail, in the kinds every flow's queue handling and API answer need.

One vocabulary for every flow: a handler knows what to do from the kind alone (retry later, park with the
reason, answer 503), whichever flow raised it.
"""


class DependencyUnavailable(Exception):
    """A store we need (queue, table, bucket, secret) failed: the caller must retry later (HTTP 503)."""


class TransientFailure(Exception):
    """Try the same message again later (the ERP or Norce is down, slow or throttling)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class PermanentFailure(Exception):
    """Retrying the same message cannot help (invalid order, no mapping rule, unreadable archive).

    The message is recorded as failed with ``reason``, parked in the dead-letter queue and alarmed;
    after the cause is fixed it is replayed by redriving the DLQ.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MappingError(PermanentFailure):
    """The configuration has no rule for a code in the order."""
