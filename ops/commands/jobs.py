"""``jobs``: the recent Norce import jobs as a table (also the table ``import`` ends with)."""

from typing import Annotated, Any

import typer
from rich.text import Text

from ops.commands.common import JsonOption, LocalOption, ProfileOption, RegionOption, StackOption, target_of
from ops.output import emit_json, iso, short, stdout, steps, style_of, table_of, when
from ops.records import FINISHED_JOBS, SUCCEEDED, list_jobs


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

    Scheduled imports (kind customers/companies, mode full/delta) and the write-back's imports: id,
    records, status, what Norce's validation refused (the JobResponse's ValidationSummary: a warning),
    started, finished and the first error lines Norce's job log gave (Job/GetLog). Jobs of other
    integrations that Norce told of (mode "not ours") are listed, never counted as ours. A Scan of the
    orders table for JOB# items.
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
    print_jobs(rows, f"Import jobs (newest {len(rows)})")


def print_jobs(rows: list[dict[str, Any]], title: str) -> None:
    table = table_of(
        title, "job", "kind", "mode", "records", "status", "validation", "started", "finished", "errors"
    )
    for row in rows:
        status = str(row.get("status"))
        refused = row.get("validation_failures") or 0
        table.add_row(
            str(row.get("id")),
            str(row.get("kind") or "-"),
            str(row.get("mode") or "-"),
            str(row.get("records") if row.get("records") is not None else "-"),
            Text(
                status,
                style=style_of(
                    True if status == SUCCEEDED else (None if status not in FINISHED_JOBS else False)
                ),
            ),
            Text(
                f"{refused} refused: " + short("; ".join(row.get("validation_messages") or []), 40)
                if refused
                else ("-" if row.get("foreign") else "ok"),
                style="yellow" if refused else ("dim" if row.get("foreign") else "green"),
            ),
            when(row.get("started_at")),
            when(row.get("finished_at")),
            short("; ".join(row.get("errors") or []), 60)
            + (f" (+{row['error_count'] - 3})" if row.get("error_count", 0) > 3 else ""),
        )
    stdout().print(table)
