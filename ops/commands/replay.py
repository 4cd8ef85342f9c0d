"""``replay``: run a failed order again from its archived body, and say what became of it."""

import time
from typing import Annotated, Any

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
from ops.output import emit_json, stdout, steps
from ops.records import find_related, of_application
from ops.replay import (
    Refused,
    already_confirmed,
    check_archive,
    check_replayable,
    latest_record,
    outcome,
    requeue,
    the_order,
)
from ops.target import Target
from ops.trail import CONFIRMED, archived


def replay(
    ctx: typer.Context,
    *,
    ref: Annotated[str, typer.Argument(help="The order's ClientOrderRef.", show_default=False)],
    force: Annotated[
        bool, typer.Option(help="Queue it even when it is confirmed or its intake is still in progress.")
    ] = False,
    application: Annotated[
        str | None, typer.Option(help="The application key (`-` for none) when several orders share the ref.")
    ] = None,
    wait: Annotated[bool, typer.Option(help="Wait until the processor has confirmed or failed it.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait with --wait.")] = 120.0,
    json_output: JsonOption = False,
    stack: StackOption = None,
    local: LocalOption = False,
    region: RegionOption = None,
    profile: ProfileOption = None,
) -> None:
    """Run a failed order again from its archived body.

    Puts the order's claim-check message back on the orders queue, built from its ledger record (its
    key, token, archive key, wire format, fingerprint) exactly as the receiver queues it, so the
    processor's token fence admits it; copies of it parked on the orders DLQ are removed. Idempotent: the
    processor finds an order the ERP already has by its ClientOrderRef and makes no second one, and skips
    an order already confirmed. Refused (exit code 1) for an unknown order, an order already confirmed in
    Norce or an archive that is gone; --force queues a confirmed one anyway. Finds the order with a Scan
    (see `trail --help`).
    """
    target = target_of(ctx, stack, local, region, profile)
    with steps(json_output) as progress:
        progress.task("scan", "scanning the orders table")
        related = find_related(
            target.client("dynamodb"), target.table, ref, progress=progress.counter("scan")
        )
        progress.done("scan")
    try:
        order = the_order(of_application(related.orders, application), ref, target.table)
        check_replayable(order, ref, force=force, now=time.time())
        archive = archived(target, str(order["archive_key"]))
        check_archive(archive)
    except Refused as refused:
        fail(str(refused))
    key = str(order["pk"])
    message_id, removed_count = requeue(target, order)
    result: dict[str, Any] = {
        "client_order_ref": ref,
        "key": key,
        "queued": True,
        "message_id": message_id,
        "archive": archive,
        "removed_from_dlq": removed_count,
        "was": {"processing_state": order.get("processing_state"), "last_error": order.get("last_error")},
    }
    if wait and order.get("processing_state") == CONFIRMED:  # --force: the processor skips it silently
        result["outcome"] = already_confirmed(order)
    elif wait:
        known = len(order.get("trail") or [])
        result["outcome"] = _wait_for_outcome(target, key, known, timeout, json_output)
    if json_output:
        emit_json(result)
    else:
        console = stdout()
        console.print(
            f"[green]Queued[/green] {ref} again ({key}) from {archive['uri']}"
            + (f"; removed {removed_count} copy(ies) from the orders DLQ" if removed_count else "")
            + "."
        )
        console.print(
            "The processor finds an ERP order that already exists by its ClientOrderRef: no second one."
        )
        if wait:
            ended = result["outcome"]
            style = "green" if ended["processing_state"] == CONFIRMED else "bold red"
            console.print(Text(f"Outcome: {ended['summary']}", style=style))
    if wait and result["outcome"]["processing_state"] != CONFIRMED:
        raise typer.Exit(1)


def _wait_for_outcome(target: Target, key: str, known: int, timeout: float, quiet: bool) -> dict[str, Any]:
    """Waits for the processor with a spinner (none with ``quiet``)."""
    deadline = time.monotonic() + timeout
    with steps(quiet) as progress:
        progress.task("wait", "waiting for the processor")
        record = latest_record(target, key, known, deadline)
    return outcome(record, time.monotonic() >= deadline, timeout)
