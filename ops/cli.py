"""``norce-ops``: what the person on call needs, against a deployed stack (``--stack NAME``) or the running
local stack (``--local``).  ``python -m ops.cli --help`` (or ``make ops ARGS="--help"``).

The app, its root options and the commands registered in the order ``--help`` lists them; each command
lives in ``ops/commands/``, what it decides beside ``ops/records.py``."""

from typing import Annotated

import typer

from ops.commands import dlq, health, imports, jobs, redrive, replay, resources, trail
from ops.commands.common import (
    TARGET,
    LocalOption,
    Options,
    ProfileOption,
    RegionOption,
    StackOption,
    fail,
    target_of,
)
from ops.target import LOCAL_API, LOCAL_ENDPOINT, LOCAL_ERP, LOCAL_NORCE, Target

__all__ = ["Options", "app", "fail", "main", "target_of"]

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


app.command()(trail.trail)
app.command()(replay.replay)
app.command()(redrive.redrive)
app.command("import")(imports.import_)
app.command()(jobs.jobs)
app.command()(dlq.dlq)
app.command()(health.health)
app.command()(resources.resources)


def main() -> None:
    """The ``norce-ops`` console script."""
    app(prog_name="norce-ops")


if __name__ == "__main__":
    main()
