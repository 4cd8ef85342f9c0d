"""``redrive``: a DLQ's messages per reason, then moved back to the queue they came from."""

import sys
from typing import Annotated

import typer
from rich.text import Text

from ops.commands.common import (
    JsonOption,
    LocalOption,
    ProfileOption,
    RegionOption,
    StackOption,
    fail,
    target_of,
)
from ops.output import emit_json, short, stdout, steps, table_of
from ops.queues import depth, scan
from ops.redrive import Method, MoveFailed, move, summary
from ops.target import DLQ_SOURCES, TargetError, resolve_dlq


def redrive(
    ctx: typer.Context,
    *,
    queue: Annotated[
        str,
        typer.Argument(
            help="orders, lifecycle, events, writeback, or the DLQ's logical id (OrdersDeadLetterQueue, …).",
            show_default=False,
        ),
    ],
    dry_run: Annotated[bool, typer.Option(help="Count and summarise, move nothing.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before moving.")] = False,
    method: Annotated[
        Method,
        typer.Option(
            help="task: SQS's StartMessageMoveTask; manual: receive, send to the source, delete; "
            "auto: the task, else (an endpoint without it, such as moto) manual."
        ),
    ] = Method.auto,
    max_messages: Annotated[
        int, typer.Option(help="At most this many messages read for the summary.")
    ] = 10000,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for a move task to finish.")] = 600.0,
    json_output: JsonOption = False,
    stack: StackOption = None,
    local: LocalOption = False,
    region: RegionOption = None,
    profile: ProfileOption = None,
) -> None:
    """Move a dead-letter queue's messages back to the queue they came from.

    First a count and a summary per reason (the FailureReason attribute the consumer gave, or "exhausted
    retries" when SQS moved it after maxReceiveCount); with --dry-run nothing more. Then the move: SQS's
    StartMessageMoveTask, or, where the endpoint lacks it (moto), one batch at a time: receive, send to the
    source with the same body and attributes (FIFO: MessageGroupId and MessageDeduplicationId, a fresh
    deduplication id when the first send may still be inside SQS's 5-minute window), delete. Safe: the
    processors recognise work already done (docs/operations.md).
    """
    target = target_of(ctx, stack, local, region, profile)
    try:
        dlq = resolve_dlq(queue)
    except TargetError as error:
        fail(str(error), code=2)
    source = DLQ_SOURCES[dlq]
    sqs = target.client("sqs")
    dlq_url, source_url = target.queue_url(dlq), target.queue_url(source)
    counts = depth(sqs, dlq_url)
    with steps(json_output) as progress:
        progress.task("scan", f"reading {dlq}", total=counts["visible"] or None)
        messages = scan(
            sqs,
            dlq_url,
            dlq,
            limit=max_messages,
            wait_seconds=target.wait_seconds,
            progress=progress.counter("scan"),
        )
    result = summary(dlq, messages, counts, dry_run=dry_run)
    if not json_output:
        _print_reasons(dlq, source, len(messages), result["reasons"])
    if dry_run or not messages:
        if not json_output:
            stdout().print("Nothing moved (dry run)." if dry_run else f"{dlq} is empty: nothing to redrive.")
        else:
            emit_json(result)
        return
    if not yes and sys.stdin.isatty() and not typer.confirm(f"Move them back to {source}?"):
        raise typer.Exit(1)
    with steps(json_output) as progress:
        try:
            moved, failed, used = move(
                target,
                dlq_url,
                source_url,
                method=method,
                expected=len(messages),
                timeout=timeout,
                progress=progress,
            )
        except MoveFailed as error:
            fail(str(error))
    result.update(method=used, moved=moved, failed=failed)
    if json_output:
        emit_json(result)
    else:
        style = "green" if not failed else "bold red"
        stdout().print(
            Text(f"Moved {moved} message(s) from {dlq} to {source} ({used})", style=style)
            + Text(f"; {failed} could not be sent" if failed else "")
        )
    if failed:
        raise typer.Exit(1)


def _print_reasons(dlq: str, source: str, count: int, reasons: dict[str, int]) -> None:
    table = table_of(f"{dlq} -> {source}: {count} message(s)", "messages", "reason")
    for reason, number in reasons.items():
        table.add_row(str(number), short(reason, 110))
    stdout().print(table)
