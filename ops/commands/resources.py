"""``resources``: what ``--stack``/``--local`` resolved to, as a table (a quick check of the target)."""

import typer

from ops.commands.common import JsonOption, LocalOption, ProfileOption, RegionOption, StackOption, target_of
from ops.output import emit_json, stdout, table_of


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
    table = table_of(f"Resources of {target.name}", "resource", "where")
    table.add_row("OrdersTable", target.table)
    table.add_row("OrderArchiveBucket", target.bucket)
    for name, url in sorted(target.queues.items()):
        table.add_row(name, url)
    for name, function in sorted(target.functions.items()):
        table.add_row(name, function)
    if target.api_url:
        table.add_row("API", target.api_url)
    stdout().print(table)
