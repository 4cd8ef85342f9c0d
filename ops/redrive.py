"""Dead-letter queues: how full each is, what one holds (per reason) and moving its messages back to
their queue. Plain functions; ``ops/commands/dlq.py`` and ``ops/commands/redrive.py`` print."""

import time
from enum import StrEnum
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ops.queues import (
    NO_RETRIES,
    Message,
    depth,
    is_missing_api,
    move_manually,
    move_task_status,
    oldest,
    queue_arn,
    reasons,
    start_move_task,
)
from ops.target import DLQ_SOURCES, Target


class Method(StrEnum):
    auto = "auto"
    task = "task"
    manual = "manual"


class MoveFailed(Exception):
    """The move could not be done (the task refused or failed); exit code 1."""


def overview(target: Target, now: float) -> list[dict[str, Any]]:
    """Every DLQ with its depth and its oldest message (a peek: nothing is consumed)."""
    sqs = target.client("sqs")
    rows: list[dict[str, Any]] = []
    for name, url in target.dlqs.items():
        counts = depth(sqs, url)
        first = oldest(sqs, url, name) if counts["visible"] else None
        sent = first.sent_at if first else None
        rows.append(
            {
                "queue": name,
                "source": DLQ_SOURCES[name],
                "url": url,
                "depth": counts["visible"],
                "in_flight": counts["in_flight"],
                "oldest_sent_at": sent,
                "oldest_age_seconds": round(now - sent, 1) if sent else None,
                "oldest_reason": first.reason if first else None,
            }
        )
    return rows


def summary(dlq: str, messages: list[Message], counts: dict[str, int], *, dry_run: bool) -> dict[str, Any]:
    """What a redrive found before it moves anything: the count and how many messages per reason."""
    return {
        "queue": dlq,
        "source": DLQ_SOURCES[dlq],
        "count": len(messages),
        "approximate_count": counts["visible"] + counts["in_flight"],
        "reasons": reasons(messages),
        "dry_run": dry_run,
        "method": None,
        "moved": 0,
        "failed": 0,
    }


def move(
    target: Target,
    dlq_url: str,
    source_url: str,
    *,
    method: Method,
    expected: int,
    timeout: float,
    progress: Any,
) -> tuple[int, int, str]:
    """(moved, failed, the method used): SQS's move task, or where the endpoint lacks it (``auto``) or on
    request (``manual``) receive, send, delete. ``progress``: the command's ``ops.output.Steps``."""
    sqs = target.client("sqs")
    if method in (Method.auto, Method.task):
        once = target.client("sqs", config=NO_RETRIES, variant="once")
        dlq_arn = queue_arn(sqs, dlq_url)
        try:
            start_move_task(once, dlq_arn, queue_arn(sqs, source_url))
        except (ClientError, BotoCoreError, NotImplementedError) as error:
            if method is Method.task or not is_missing_api(error):
                raise MoveFailed(f"StartMessageMoveTask failed: {error}") from error
        else:
            progress.task("move", "moving (SQS move task)", total=expected)
            deadline = time.monotonic() + timeout
            status: dict[str, Any] = {}
            while time.monotonic() < deadline:
                status = move_task_status(sqs, dlq_arn)
                progress.update(
                    "move",
                    completed=status.get("ApproximateNumberOfMessagesMoved", 0),
                    total=status.get("ApproximateNumberOfMessagesToMove") or expected,
                )
                if status.get("Status") not in ("RUNNING", None):
                    break
                time.sleep(1)
            moved = int(status.get("ApproximateNumberOfMessagesMoved", 0))
            if status.get("Status") == "FAILED":
                raise MoveFailed(
                    f"the move task failed after {moved} message(s): {status.get('FailureReason')}"
                )
            return moved, 0, "task"
    progress.task("move", "moving (receive, send, delete)", total=expected)
    moved, failed = move_manually(
        sqs,
        dlq_url,
        source_url,
        wait_seconds=target.wait_seconds,
        progress=progress.counter("move"),
    )
    return moved, failed, "manual"
