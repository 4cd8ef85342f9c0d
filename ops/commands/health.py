"""``health``: the checks of ``ops/health.py`` as a table and a verdict; exit code 1 when unhealthy."""

from typing import Annotated

import typer
from botocore.exceptions import BotoCoreError, ClientError
from rich.text import Text

from ops import health as health_checks
from ops.commands.common import (
    JsonOption,
    LocalOption,
    ProfileOption,
    RegionOption,
    StackOption,
    fail,
    target_of,
)
from ops.output import emit_json, stdout, style_of, table_of


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
        table = table_of(f"Health of {target.name}", "check", "", "detail")
        for check in checks:
            mark = "ok" if check.ok else ("skipped" if check.ok is None else "FAIL")
            table.add_row(check.name, Text(mark, style=style_of(check.ok)), check.detail)
        stdout().print(table)
        stdout().print(Text("healthy" if healthy else "NOT healthy", style=style_of(healthy)))
    if not healthy:
        raise typer.Exit(1)
