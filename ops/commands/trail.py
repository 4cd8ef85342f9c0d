"""``trail``: the whole journey of one order, printed as a header, the trail and what is open."""

import time
from typing import Annotated, Any

import typer
from rich.table import Table
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
from ops.output import age, emit_json, short, stdout, steps, style_of, table_of, when
from ops.records import find_related, of_application
from ops.trail import CONFIRMED, archived, matching, order_report, parked_only_report


def trail(
    ctx: typer.Context,
    *,
    ref: Annotated[str, typer.Argument(help="The order's ClientOrderRef.", show_default=False)],
    application: Annotated[
        str | None,
        typer.Option(
            help="Only the order of this application key (`-` for none), when several share the ref."
        ),
    ] = None,
    max_messages: Annotated[int, typer.Option(help="At most this many messages read per DLQ.")] = 1000,
    queues: Annotated[
        bool, typer.Option(help="Look for its message on the orders queue and the DLQs.")
    ] = True,
    json_output: JsonOption = False,
    stack: StackOption = None,
    local: LocalOption = False,
    region: RegionOption = None,
    profile: ProfileOption = None,
) -> None:
    """The whole journey of one order, and where it is stuck.

    The intake's answer and when; the archived body; its message if it is on the orders queue or a DLQ
    (with the DLQ's FailureReason); the ERP order number; the confirmation in Norce; every lifecycle
    document (DOC#); the import jobs that carried its ERP codes to Norce (JOB#, with what Norce's
    validation refused); the e-mails sent (MAIL#); the errors and warnings; and a one-line verdict.

    Finding it: the ledger key ORDER#{ApplicationKey}#{ClientOrderRef} has an application key the caller
    does not know, so this is one **Scan** of the orders table with a filter (ORDER#, DOC#, MAIL#
    and REF# items naming the ref): it reads the whole table, which is fine for a person on call. The
    queues are read without consuming anything: messages are received with a short visibility timeout
    and made visible again at once (a receive counts as a delivery on the orders queue, so only its
    visible messages are looked at, briefly). Exit code 1 when nothing knows the ref.
    """
    target = target_of(ctx, stack, local, region, profile)
    now = time.time()
    with steps(json_output) as progress:
        progress.task("scan", "scanning the orders table")
        related = find_related(
            target.client("dynamodb"),
            target.table,
            ref,
            progress=progress.counter("scan"),
        )
        progress.done("scan")
        messages = matching(target, ref, max_messages, progress) if queues else []
    orders = of_application(related.orders, application)
    if orders:
        reports = [
            order_report(o, related, messages, archived(target, o.get("archive_key")), now) for o in orders
        ]
    elif messages:
        reports = [parked_only_report(ref, messages, related, now)]
    else:
        if json_output:
            emit_json({"client_order_ref": ref, "found": False, "orders": [], "verdict": "unknown order"})
        fail(
            f"No order {ref!r}: no ledger record (ORDER#…#{ref}) in {target.table}"
            + (", and no message naming it on the orders queue or a DLQ" if queues else "")
            + "."
        )
    summary = (
        reports[0]["verdict"]
        if len(reports) == 1
        else "; ".join(f"{r['application_key'] or '-'}: {r['verdict']}" for r in reports)
    )
    if json_output:
        emit_json({"client_order_ref": ref, "found": True, "verdict": summary, "orders": reports})
        return
    for report in reports:
        _print_trail(report)


def _print_trail(report: dict[str, Any]) -> None:
    console = stdout()
    intake = report["intake"] or {}
    answer = intake.get("answer") or {}
    archive = report["archive"] or {}
    colour = (
        "bold red" if report["stuck"] else ("green" if report["processing_state"] == CONFIRMED else "yellow")
    )
    header = Table.grid(padding=(0, 2))
    header.add_column(style="bold")
    header.add_column(overflow="fold")
    header.add_row("Order", f"{report['client_order_ref']}  ({report['key'] or 'no ledger record'})")
    header.add_row("Verdict", Text(report["verdict"], style=colour))
    if report["intake"] is not None:
        header.add_row(
            "Intake",
            f"{intake.get('state') or '-'}, answered {answer.get('StatusCode', '-')}"
            + (f" ({short(answer.get('Description'), 60)})" if answer.get("Description") else "")
            + f", received {when(intake.get('received_at'))}"
            + (f" as {intake['wire_format']}" if intake.get("wire_format") else ""),
        )
        exists = archive.get("exists")
        header.add_row(
            "Archive",
            f"{archive.get('uri') or archive.get('key') or '-'}"
            + (
                f" ({archive.get('size')} bytes)" if exists else (" (missing!)" if archive.get("key") else "")
            ),
        )
        header.add_row(
            "ERP order",
            f"{report['erp_order_no'] or '-'}"
            + (f" (target {report['target']})" if report["target"] else ""),
        )
        header.add_row("Confirmed", when(report["confirmed_at"]) if report["confirmed_at"] else "not yet")
    console.print(header)
    if report["trail"]:
        table = table_of("Trail", "time", "event", "details")
        for entry in report["trail"]:
            details = {k: v for k, v in entry.items() if k not in ("at", "event")}
            table.add_row(
                when(entry.get("at")),
                str(entry.get("event")),
                short(", ".join(f"{k}={v}" for k, v in details.items()), 90),
            )
        console.print(table)
    if report["documents"]:
        table = table_of("Lifecycle documents", "document", "state", "attempts", "reason")
        for document in report["documents"]:
            table.add_row(
                short(document["key"], 60),
                Text(str(document["state"]), style=style_of(document["state"] in ("SENT", "SKIPPED"))),
                str(document.get("attempts") or "-"),
                short(document.get("reason") or "", 60),
            )
        console.print(table)
    if report.get("jobs"):
        table = table_of("Codes to Norce (import jobs)", "job", "kind", "records", "status", "validation")
        for job in report["jobs"]:
            refused = job.get("validation_failures") or 0
            table.add_row(
                str(job["id"]),
                str(job.get("kind") or "-"),
                str(job.get("records") if job.get("records") is not None else "-"),
                Text(str(job.get("status")), style=_job_style(job.get("status"))),
                Text(f"{refused} rows refused" if refused else "ok", style="yellow" if refused else "green"),
            )
        console.print(table)
    if report["mails"]:
        table = table_of("E-mails", "event type", "state", "sent")
        for mail in report["mails"]:
            table.add_row(str(mail["type"]), str(mail["state"]), when(mail.get("sent_at")))
        console.print(table)
    if report["messages"]:
        table = table_of("On a queue now", "queue", "since", "receives", "reason")
        for message in report["messages"]:
            table.add_row(
                message["queue"],
                f"{when(message['sent_at'])} ({age(message['age_seconds'])})",
                str(message["receive_count"]),
                short(message["reason"] if message["queue"].endswith("DeadLetterQueue") else "", 70),
            )
        console.print(table)
    for error in report["errors"]:
        console.print(Text(f"error: {error}", style="red"))
    for warning in report.get("warnings") or []:
        console.print(Text(f"warning: {warning}", style="yellow"))
    console.print()


def _job_style(status: Any) -> str:
    if status == "Succeeded":
        return style_of(True)
    return style_of(False if status in ("Failed", "ValidationFailed") else None)
