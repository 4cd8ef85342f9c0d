"""``norce-ops``: what the person on call needs, against a deployed stack (``--stack NAME``) or the running
local stack (``--local``).  ``python -m ops.cli --help`` (or ``make ops ARGS="--help"``)."""

import json
import sys
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, NoReturn

import typer
from botocore.exceptions import BotoCoreError, ClientError
from rich import box
from rich.table import Table
from rich.text import Text

from ops import health as health_checks
from ops import imports as import_runs
from ops.output import age, emit_json, iso, short, stderr, stdout, steps, when
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
    scan,
    start_move_task,
)
from ops.records import (
    FINISHED_JOBS,
    find_related,
    get_item,
    job_status,
    list_jobs,
    queued_order,
    split_order_key,
)
from ops.target import (
    DLQ_SOURCES,
    LOCAL_API,
    LOCAL_ENDPOINT,
    LOCAL_ERP,
    LOCAL_NORCE,
    Target,
    TargetError,
    from_local,
    from_stack,
    resolve_dlq,
)
from ops.trail import CONFIRMED, order_report, parked_only_report

app = typer.Typer(
    name="norce-ops",
    help=(
        "Operations CLI of the Norce <-> ERP integration: follow one order, replay it, redrive a DLQ, run an "
        "import, list jobs and DLQs, check health.\n\n"
        "Pick the system with **--stack NAME** (CloudFormation: outputs and physical resource ids; "
        "AWS credentials and region as for the AWS CLI, or --region/--profile) or **--local** (the "
        "running `make local`: moto on 127.0.0.1:5000, the API on 127.0.0.1:3000). Both may come before or "
        "after the command. Exit codes: 0 fine, 1 something is wrong (unknown order, unhealthy, refused), "
        "2 bad usage or the target cannot be reached."
    ),
    no_args_is_help=True,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

TARGET = "Target"
StackOption = Annotated[
    str | None,
    typer.Option(
        "--stack", envvar="NORCE_OPS_STACK", help="CloudFormation stack name.", rich_help_panel=TARGET
    ),
]
LocalOption = Annotated[
    bool, typer.Option("--local", help="The running local stack (`make local`).", rich_help_panel=TARGET)
]
RegionOption = Annotated[
    str | None, typer.Option("--region", help="AWS region of the stack.", rich_help_panel=TARGET)
]
ProfileOption = Annotated[
    str | None, typer.Option("--profile", help="AWS profile (~/.aws/config).", rich_help_panel=TARGET)
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts) instead of tables.")]


@dataclass
class Options:
    """The root options; a command's own --stack/--local/--region/--profile win over them."""

    stack: str | None = None
    local: bool = False
    region: str | None = None
    profile: str | None = None
    endpoint_url: str = LOCAL_ENDPOINT
    api_url: str = LOCAL_API
    erp_url: str = LOCAL_ERP
    norce_url: str = LOCAL_NORCE
    target: Target | None = None


@app.callback()
def root(
    ctx: typer.Context,
    *,
    stack: StackOption = None,
    local: LocalOption = False,
    region: RegionOption = None,
    profile: ProfileOption = None,
    endpoint_url: Annotated[
        str,
        typer.Option(
            envvar="NORCE_OPS_AWS_ENDPOINT", help="--local: moto's endpoint.", rich_help_panel=TARGET
        ),
    ] = LOCAL_ENDPOINT,
    api_url: Annotated[
        str, typer.Option(envvar="NORCE_OPS_API_URL", help="--local: the API.", rich_help_panel=TARGET)
    ] = LOCAL_API,
    erp_url: Annotated[
        str,
        typer.Option(envvar="NORCE_OPS_ERP_URL", help="--local: the ERP simulator.", rich_help_panel=TARGET),
    ] = LOCAL_ERP,
    norce_url: Annotated[
        str,
        typer.Option(
            envvar="NORCE_OPS_NORCE_URL", help="--local: the Norce simulator.", rich_help_panel=TARGET
        ),
    ] = LOCAL_NORCE,
) -> None:
    injected = ctx.obj if isinstance(ctx.obj, Target) else None  # tests hand in a Target (CliRunner obj=)
    ctx.obj = Options(stack, local, region, profile, endpoint_url, api_url, erp_url, norce_url, injected)


def _options(ctx: typer.Context) -> Options:
    root_context = ctx.find_root()
    if not isinstance(root_context.obj, Options):
        root_context.obj = Options(target=root_context.obj if isinstance(root_context.obj, Target) else None)
    return root_context.obj


def target_of(
    ctx: typer.Context, stack: str | None, local: bool, region: str | None, profile: str | None
) -> Target:
    options = _options(ctx)
    stack, local = stack or options.stack, local or options.local
    if options.target is not None and not stack and not local:
        return options.target
    if stack and local:
        fail("give --stack NAME or --local, not both", code=2)
    try:
        if local:
            target = from_local(options.endpoint_url, options.api_url, options.erp_url, options.norce_url)
        elif stack:
            target = from_stack(stack, region or options.region, profile or options.profile)
        else:
            fail("which system? give --stack NAME (a deployed stack) or --local (make local)", code=2)
    except TargetError as error:
        fail(str(error), code=2)
    options.target = target
    return target


def fail(message: str, code: int = 1) -> NoReturn:
    stderr().print(Text(message, style="bold red"))
    raise typer.Exit(code)


FREE_TEXT = frozenset({"details", "reason", "errors", "detail", "oldest's reason", "where", "document"})
NUMBERS = frozenset({"job", "records", "depth", "in flight", "messages", "attempts", "receives"})


def _table(title: str, *columns: str) -> Table:
    """Light borders; on a narrow terminal cells fold onto more lines rather than lose text to an ellipsis."""
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for column in columns:
        table.add_column(
            column,
            overflow="fold",
            min_width=16 if column in FREE_TEXT else None,
            justify="right" if column in NUMBERS else "left",
        )
    return table


def _style(ok: bool | None) -> str:
    return "green" if ok else ("dim" if ok is None else "bold red")


# -- trail ------------------------------------------------------------------------------------------------
def _matching(target: Target, ref: str, max_messages: int, progress: Any) -> list[Message]:
    """Messages naming ``ref`` on the orders queue (visible ones) and on every DLQ, left where they are."""
    sqs = target.client("sqs")
    found: list[Message] = []
    queues = {name: url for name, url in target.queues.items() if name == "OrdersQueue"} | target.dlqs
    for name, url in queues.items():
        progress.task(name, f"reading {name}")
        messages = scan(
            sqs,
            url,
            name,
            limit=max_messages if name in DLQ_SOURCES else min(max_messages, 100),
            hide_seconds=30 if name in DLQ_SOURCES else 3,
            wait_seconds=target.wait_seconds,
            progress=progress.counter(name),
        )
        progress.done(name)
        found += [m for m in messages if ref in m.client_order_refs()]
    return found


def _archive(target: Target, key: str | None) -> dict[str, Any]:
    if not key:
        return {"key": None, "exists": False}
    info: dict[str, Any] = {"bucket": target.bucket, "key": key, "uri": f"s3://{target.bucket}/{key}"}
    try:
        head = target.client("s3").head_object(Bucket=target.bucket, Key=key)
    except ClientError as error:
        info["exists"] = False
        info["error"] = str(error.response.get("Error", {}).get("Code", error))
        return info
    info.update(exists=True, size=head.get("ContentLength"), content_type=head.get("ContentType"))
    return info


@app.command()
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
    document (DOC#); the e-mails sent (MAIL#); the errors; and a one-line verdict.

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
        messages = _matching(target, ref, max_messages, progress) if queues else []
    orders = [
        o
        for o in related.orders
        if application is None or split_order_key(str(o["pk"]))[0] == _app(application)
    ]
    if orders:
        reports = [
            order_report(o, related, messages, _archive(target, o.get("archive_key")), now) for o in orders
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


def _app(application: str) -> str | None:
    return None if application in ("-", "") else application


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
        table = _table("Trail", "time", "event", "details")
        for entry in report["trail"]:
            details = {k: v for k, v in entry.items() if k not in ("at", "event")}
            table.add_row(
                when(entry.get("at")),
                str(entry.get("event")),
                short(", ".join(f"{k}={v}" for k, v in details.items()), 90),
            )
        console.print(table)
    if report["documents"]:
        table = _table("Lifecycle documents", "document", "state", "attempts", "reason")
        for document in report["documents"]:
            table.add_row(
                short(document["key"], 60),
                Text(str(document["state"]), style=_style(document["state"] in ("SENT", "SKIPPED"))),
                str(document.get("attempts") or "-"),
                short(document.get("reason") or "", 60),
            )
        console.print(table)
    if report["mails"]:
        table = _table("E-mails", "event type", "state", "sent")
        for mail in report["mails"]:
            table.add_row(str(mail["type"]), str(mail["state"]), when(mail.get("sent_at")))
        console.print(table)
    if report["messages"]:
        table = _table("On a queue now", "queue", "since", "receives", "reason")
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
    console.print()


# -- replay -----------------------------------------------------------------------------------------------
@app.command()
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
    dynamodb, sqs = target.client("dynamodb"), target.client("sqs")
    with steps(json_output) as progress:
        progress.task("scan", "scanning the orders table")
        related = find_related(dynamodb, target.table, ref, progress=progress.counter("scan"))
        progress.done("scan")
    orders = [
        o
        for o in related.orders
        if application is None or split_order_key(str(o["pk"]))[0] == _app(application)
    ]
    if not orders:
        fail(
            f"Unknown order {ref!r}: no ledger record ORDER#…#{ref} in {target.table}. A message parked on "
            "the orders DLQ without a record can only be redriven (`redrive orders`)."
        )
    if len(orders) > 1:
        keys = ", ".join(str(o["pk"]) for o in orders)
        fail(f"Several orders have ClientOrderRef {ref!r} ({keys}): pick one with --application.")
    order = orders[0]
    key = str(order["pk"])
    if order.get("processing_state") == CONFIRMED and not force:
        fail(
            f"{ref} is already confirmed in Norce (ERP order {order.get('erp_order_no')}): nothing to "
            "replay. --force queues it anyway (the processor recognises it as confirmed and does nothing)."
        )
    if (
        order.get("state") == "IN_PROGRESS"
        and float(order.get("lease_until") or 0) > time.time()
        and not force
    ):
        fail(f"{ref}'s intake is still in progress (the receiver holds it): try again in a minute.")
    if not order.get("token") or not order.get("archive_key"):
        fail(f"{key} has no token or archive key: it cannot be replayed from the archive.")
    archive = _archive(target, str(order["archive_key"]))
    if not archive.get("exists"):
        fail(
            f"The archived body {archive.get('uri')} is gone ({archive.get('error')}): "
            "nothing to replay from."
        )
    message = queued_order(order, time.time())
    body = json.dumps(message, separators=(",", ":"))
    sent = sqs.send_message(
        QueueUrl=target.queue_url("OrdersQueue"),
        MessageBody=body,
        MessageAttributes={
            "ClientOrderRef": {"DataType": "String", "StringValue": message["client_order_ref"]}
        },
    )
    removed = scan(
        sqs,
        target.queue_url("OrdersDeadLetterQueue"),
        "OrdersDeadLetterQueue",
        limit=10000,
        wait_seconds=target.wait_seconds,
        take=lambda m: m.order_key() == key,
    )
    removed_count = sum(1 for m in removed if m.order_key() == key)
    result: dict[str, Any] = {
        "client_order_ref": ref,
        "key": key,
        "queued": True,
        "message_id": sent.get("MessageId"),
        "archive": archive,
        "removed_from_dlq": removed_count,
        "was": {"processing_state": order.get("processing_state"), "last_error": order.get("last_error")},
    }
    if wait and order.get("processing_state") == CONFIRMED:  # --force: the processor skips it silently
        result["outcome"] = {
            "processing_state": CONFIRMED,
            "erp_order_no": order.get("erp_order_no"),
            "summary": "already confirmed: the processor recognises it and does nothing",
        }
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
            outcome = result["outcome"]
            style = "green" if outcome["processing_state"] == CONFIRMED else "bold red"
            console.print(Text(f"Outcome: {outcome['summary']}", style=style))
    if wait and result["outcome"]["processing_state"] != CONFIRMED:
        raise typer.Exit(1)


def _wait_for_outcome(target: Target, key: str, known: int, timeout: float, quiet: bool) -> dict[str, Any]:
    """Poll the order record until the processor adds ``confirmed`` or ``failed`` after the first ``known``
    trail entries (those it had when the replay was queued)."""
    dynamodb = target.client("dynamodb")
    deadline = time.monotonic() + timeout
    record: dict[str, Any] = {}
    with steps(quiet) as progress:
        progress.task("wait", "waiting for the processor")
        while time.monotonic() < deadline:
            record = get_item(dynamodb, target.table, key) or {}
            events = [e.get("event") for e in (record.get("trail") or [])[known:] if isinstance(e, dict)]
            if CONFIRMED in events or "failed" in events:
                break
            time.sleep(0.5)
    state = record.get("processing_state")
    if state == CONFIRMED:
        summary = f"confirmed in Norce (ERP order {record.get('erp_order_no')})"
    elif time.monotonic() >= deadline:
        summary = f"not finished after {timeout:.0f} s (last error: {record.get('last_error') or '-'})"
    else:
        summary = f"failed again: {record.get('last_error')}"
    return {"processing_state": state, "erp_order_no": record.get("erp_order_no"), "summary": summary}


# -- redrive ----------------------------------------------------------------------------------------------
class Method(StrEnum):
    auto = "auto"
    task = "task"
    manual = "manual"


@app.command()
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
    summary = reasons(messages)
    result: dict[str, Any] = {
        "queue": dlq,
        "source": source,
        "count": len(messages),
        "approximate_count": counts["visible"] + counts["in_flight"],
        "reasons": summary,
        "dry_run": dry_run,
        "method": None,
        "moved": 0,
        "failed": 0,
    }
    if not json_output:
        _print_reasons(dlq, source, len(messages), summary)
    if dry_run or not messages:
        if not json_output:
            stdout().print("Nothing moved (dry run)." if dry_run else f"{dlq} is empty: nothing to redrive.")
        else:
            emit_json(result)
        return
    if not yes and sys.stdin.isatty() and not typer.confirm(f"Move them back to {source}?"):
        raise typer.Exit(1)
    moved, failed, used = _move(
        target, dlq_url, source_url, method=method, expected=len(messages), timeout=timeout, quiet=json_output
    )
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


def _print_reasons(dlq: str, source: str, count: int, summary: dict[str, int]) -> None:
    table = _table(f"{dlq} -> {source}: {count} message(s)", "messages", "reason")
    for reason, number in summary.items():
        table.add_row(str(number), short(reason, 110))
    stdout().print(table)


def _move(
    target: Target,
    dlq_url: str,
    source_url: str,
    *,
    method: Method,
    expected: int,
    timeout: float,
    quiet: bool,
) -> tuple[int, int, str]:
    sqs = target.client("sqs")
    with steps(quiet) as progress:
        if method in (Method.auto, Method.task):
            once = target.client("sqs", config=NO_RETRIES, variant="once")
            dlq_arn = queue_arn(sqs, dlq_url)
            try:
                start_move_task(once, dlq_arn, queue_arn(sqs, source_url))
            except (ClientError, BotoCoreError, NotImplementedError) as error:
                if method is Method.task or not is_missing_api(error):
                    fail(f"StartMessageMoveTask failed: {error}")
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
                    fail(f"the move task failed after {moved} message(s): {status.get('FailureReason')}")
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


# -- import -----------------------------------------------------------------------------------------------
class Entity(StrEnum):
    customers = "customers"
    companies = "companies"


class Mode(StrEnum):
    full = "full"
    delta = "delta"


@app.command("import")
def import_(
    ctx: typer.Context,
    *,
    entity: Annotated[Entity, typer.Argument(help="What to import.", show_default=False)],
    mode: Annotated[
        Mode, typer.Argument(help="delta (changes since the watermark) or full.", show_default=False)
    ],
    force: Annotated[bool, typer.Option(help="Send a full import past the shrink guard.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to follow its jobs.")] = 600.0,
    poll: Annotated[float, typer.Option(help="Seconds between two looks at the jobs.")] = 2.0,
    json_output: JsonOption = False,
    stack: StackOption = None,
    local: LocalOption = False,
    region: RegionOption = None,
    profile: ProfileOption = None,
) -> None:
    """Run a customer or company import now and follow its Norce jobs to their end.

    Locally through the local API (POST /_local/schedules/{Schedule}, like `make import`); on a stack by
    invoking the import function with its schedules' input. Then the job follower
    ({"action": "follow-jobs"}) runs and the JOB# records are read until every job has ended. Exit code 1
    when the run failed, was refused (shrink guard, lock), a job failed or did not end in time.
    """
    target = target_of(ctx, stack, local, region, profile)
    with steps(json_output) as progress:
        progress.task("run", f"running the {entity} {mode} import")
        try:
            summary = import_runs.run(target, entity.value, mode.value, force)
        except (import_runs.ImportFailed, TargetError, ClientError, BotoCoreError) as error:
            fail(f"The import could not run: {error}")
        progress.done("run")
        job_ids = [int(job) for job in summary.get("jobIds") or []]
        jobs: dict[int, dict[str, Any] | None] = dict.fromkeys(job_ids)
        timed_out = False
        if job_ids and summary.get("outcome") in import_runs.GOOD_OUTCOMES:
            progress.task("follow", f"following {len(job_ids)} job(s)", total=len(job_ids))
            deadline = time.monotonic() + timeout
            while True:
                try:
                    import_runs.follow(target)
                except (import_runs.ImportFailed, ClientError, BotoCoreError) as error:
                    stderr().print(f"following the jobs failed this time: {error}")
                jobs = {job: job_status(target.client("dynamodb"), target.table, job) for job in job_ids}
                ended = [job for job, row in jobs.items() if row and row["status"] in FINISHED_JOBS]
                progress.update("follow", completed=len(ended))
                if len(ended) == len(job_ids):
                    break
                if time.monotonic() >= deadline:
                    timed_out = True
                    break
                time.sleep(poll)
    failed_jobs = [job for job, row in jobs.items() if row and row["status"] != "Succeeded"]
    good = summary.get("outcome") in import_runs.GOOD_OUTCOMES and not failed_jobs
    result = {"summary": summary, "jobs": list(jobs.values()), "timed_out": timed_out, "ok": good}
    if json_output:
        emit_json(result)
    else:
        _print_import(summary, jobs, timed_out)
    if not good:
        raise typer.Exit(1)


def _print_import(summary: dict[str, Any], jobs: dict[int, dict[str, Any] | None], timed_out: bool) -> None:
    console = stdout()
    outcome = str(summary.get("outcome"))
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    grid.add_row("Import", f"{summary.get('entity')} {summary.get('mode')}")
    grid.add_row("Outcome", Text(outcome, style=_style(outcome in import_runs.GOOD_OUTCOMES)))
    grid.add_row("Sent", str(summary.get("sent", 0)))
    skipped = summary.get("skipped") or {}
    if skipped:
        grid.add_row("Skipped", ", ".join(f"{reason}: {n}" for reason, n in skipped.items()))
    if summary.get("reason"):
        grid.add_row("Reason", str(summary["reason"]))
    grid.add_row(
        "Window", f"since {summary.get('since') or 'the beginning'} -> {summary.get('watermark') or '-'}"
    )
    console.print(grid)
    if jobs:
        _print_jobs([row or {"id": job, "status": "unknown"} for job, row in jobs.items()], "Jobs")
    if timed_out:
        console.print(Text("Some jobs had not ended when following stopped (see `jobs`).", style="yellow"))


# -- jobs -------------------------------------------------------------------------------------------------
@app.command()
def jobs(
    ctx: typer.Context,
    *,
    limit: Annotated[int, typer.Option(help="How many, newest first (0: all).")] = 20,
    json_output: JsonOption = False,
    stack: StackOption = None,
    local: LocalOption = False,
    region: RegionOption = None,
    profile: ProfileOption = None,
) -> None:
    """Recent Norce import jobs (JOB# records), newest first.

    Scheduled imports (kind customers/companies, mode full/delta) and the write-back's imports (kind
    company/customer): id, records, status, started, finished and the first error lines Norce's job log
    gave (Job/GetLog). A Scan of the orders table for JOB# items.
    """
    target = target_of(ctx, stack, local, region, profile)
    with steps(json_output) as progress:
        progress.task("scan", "scanning the orders table")
        rows = list_jobs(
            target.client("dynamodb"),
            target.table,
            limit,
            progress=progress.counter("scan"),
        )
    if json_output:
        emit_json(
            [row | {"started": iso(row["started_at"]), "finished": iso(row["finished_at"])} for row in rows]
        )
        return
    if not rows:
        stdout().print("No import jobs recorded.")
        return
    _print_jobs(rows, f"Import jobs (newest {len(rows)})")


def _print_jobs(rows: list[dict[str, Any]], title: str) -> None:
    table = _table(title, "job", "kind", "mode", "records", "status", "started", "finished", "errors")
    for row in rows:
        status = str(row.get("status"))
        table.add_row(
            str(row.get("id")),
            str(row.get("kind") or "-"),
            str(row.get("mode") or "-"),
            str(row.get("records") if row.get("records") is not None else "-"),
            Text(
                status,
                style=_style(
                    True if status == "Succeeded" else (None if status not in FINISHED_JOBS else False)
                ),
            ),
            when(row.get("started_at")),
            when(row.get("finished_at")),
            short("; ".join(row.get("errors") or []), 60)
            + (f" (+{row['error_count'] - 3})" if row.get("error_count", 0) > 3 else ""),
        )
    stdout().print(table)


# -- dlq --------------------------------------------------------------------------------------------------
@app.command()
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
    sqs = target.client("sqs")
    now = time.time()
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
    if json_output:
        emit_json(rows)
        return
    table = _table("Dead-letter queues", "queue", "source", "depth", "in flight", "oldest", "oldest's reason")
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


# -- health -----------------------------------------------------------------------------------------------
@app.command()
def health(
    ctx: typer.Context,
    *,
    max_depth: Annotated[
        int, typer.Option(help="A consumed queue with more waiting messages is unhealthy.")
    ] = 1000,
    max_age: Annotated[float, typer.Option(help="Seconds: an older waiting message is unhealthy.")] = 900.0,
    json_output: JsonOption = False,
    stack: StackOption = None,
    local: LocalOption = False,
    region: RegionOption = None,
    profile: ProfileOption = None,
) -> None:
    """Is everything working? Exit code 1 when something is wrong.

    The ERP with its API key (GET /orders?externalRef=… on every ERP target) and Norce with the Connect
    credentials (a token request to the identity URL, or a Connect call with legacy Basic auth), read from
    the secrets and the processor's configuration (locally: the simulators); every consumed queue drains
    (waiting messages and the oldest one's age against --max-depth/--max-age: on a stack CloudWatch's
    ApproximateAgeOfOldestMessage, never a receive; locally a peek); every DLQ is empty; no alarm of the
    stack is in ALARM (locally skipped).
    """
    target = target_of(ctx, stack, local, region, profile)
    try:
        checks = health_checks.run_checks(target, max_depth, max_age)
    except (ClientError, BotoCoreError) as error:
        fail(f"cannot read the target: {error}", code=2)
    healthy = all(check.ok is not False for check in checks)
    if json_output:
        emit_json({"healthy": healthy, "checks": [check.as_dict() for check in checks]})
    else:
        table = _table(f"Health of {target.name}", "check", "", "detail")
        for check in checks:
            mark = "ok" if check.ok else ("skipped" if check.ok is None else "FAIL")
            table.add_row(check.name, Text(mark, style=_style(check.ok)), check.detail)
        stdout().print(table)
        stdout().print(Text("healthy" if healthy else "NOT healthy", style=_style(healthy)))
    if not healthy:
        raise typer.Exit(1)


# -- resources --------------------------------------------------------------------------------------------
@app.command()
def resources(
    ctx: typer.Context,
    *,
    json_output: JsonOption = False,
    stack: StackOption = None,
    local: LocalOption = False,
    region: RegionOption = None,
    profile: ProfileOption = None,
) -> None:
    """What the target resolved to: table, bucket, queues, functions (a quick check of --stack/--local)."""
    target = target_of(ctx, stack, local, region, profile)
    described = target.describe()
    if json_output:
        emit_json(described)
        return
    table = _table(f"Resources of {target.name}", "resource", "where")
    table.add_row("OrdersTable", target.table)
    table.add_row("OrderArchiveBucket", target.bucket)
    for name, url in sorted(target.queues.items()):
        table.add_row(name, url)
    for name, function in sorted(target.functions.items()):
        table.add_row(name, function)
    if target.api_url:
        table.add_row("API", target.api_url)
    stdout().print(table)


def main() -> None:
    """The ``norce-ops`` console script."""
    app(prog_name="norce-ops")


if __name__ == "__main__":
    main()
