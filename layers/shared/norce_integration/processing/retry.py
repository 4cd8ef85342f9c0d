"""When to try a failed message again: growing backoff, never sooner than the server asked."""

import random

SQS_MAX_VISIBILITY_SECONDS = 43_200


def backoff_seconds(
    receive_count: int, retry_after: float | None, base: float = 30.0, cap: float = 900.0, jitter: float = 0.2
) -> int:
    """``base * 2^(n-1)``, +-``jitter`` so a backlog does not return in lockstep, capped at ``cap``,
    at least ``retry_after``; whole seconds within SQS's visibility limit."""
    spread = 1 + random.uniform(-jitter, jitter)  # noqa: S311 - spreading retries, not security
    delay = min(cap, base * 2 ** max(0, receive_count - 1) * spread)
    return int(min(SQS_MAX_VISIBILITY_SECONDS, max(delay, retry_after or 0, 1)))
