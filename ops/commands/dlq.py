"""``dlq``: every dead-letter queue with its depth and its oldest message, as a table."""

import time

import typer
from rich.text import Text

from ops.commands.common import JsonOption, LocalOption, ProfileOption, RegionOption, StackOption, target_of
from ops.output import age, emit_json, short, stdout, table_of, when
from ops.redrive import overview


def dlq(
    ctx: typer.Context,
    *,
    json_output: JsonOption = False,
    stack: StackOption = None,
    local: LocalOption = False,
    region: RegionOption = None,
    profile: ProfileOption = None,
) -> None:
    """Every dead-letter queue with its depth and the age of its oldest message.

    Depth is SQS's ApproximateNumberOfMessages (and those in flight); the oldest message is found by a
    peek: up to ten messages received with a 1 s visibility timeout, their SentTimestamp read, and made
    visible again at once (change_message_visibility 0). Nothing is consumed.
    """
    target = target_of(ctx, stack, local, region, profile)
    rows = overview(target, time.time())
    if json_output:
        emit_json(rows)
        return
    table = table_of(
        "Dead-letter queues", "queue", "source", "depth", "in flight", "oldest", "oldest's reason"
    )
    for row in rows:
        table.add_row(
            row["queue"],
            row["source"],
            Text(str(row["depth"]), style="bold red" if row["depth"] else "green"),
            str(row["in_flight"]),
            f"{age(row['oldest_age_seconds'])} ({when(row['oldest_sent_at'])})"
            if row["oldest_sent_at"]
            else "-",
            short(row["oldest_reason"] or "", 60),
        )
    stdout().print(table)
