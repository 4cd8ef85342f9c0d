"""``import``: run a customer or company import now, follow its Norce jobs and print how it went."""

from enum import StrEnum
from typing import Annotated, Any

import typer
from botocore.exceptions import BotoCoreError, ClientError
from rich.table import Table
from rich.text import Text

from ops import imports as import_runs
from ops.commands.common import (
    JsonOption,
    LocalOption,
    ProfileOption,
    RegionOption,
    StackOption,
    fail,
    target_of,
)
from ops.commands.jobs import print_jobs
from ops.output import emit_json, stderr, stdout, steps, style_of
from ops.target import TargetError


class Entity(StrEnum):
    customers = "customers"
    companies = "companies"


class Mode(StrEnum):
    full = "full"
    delta = "delta"


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
            jobs, timed_out = import_runs.follow_jobs(
                target,
                job_ids,
                timeout=timeout,
                poll=poll,
                ended=lambda count: progress.update("follow", completed=count),
                trouble=lambda error: stderr().print(f"following the jobs failed this time: {error}"),
            )
    good = import_runs.succeeded(summary, jobs)
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
    grid.add_row("Outcome", Text(outcome, style=style_of(outcome in import_runs.GOOD_OUTCOMES)))
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
        print_jobs([row or {"id": job, "status": "unknown"} for job, row in jobs.items()], "Jobs")
    if timed_out:
        console.print(Text("Some jobs had not ended when following stopped (see `jobs`).", style="yellow"))
