"""What every command shares: the target options, the root's ``Options`` and ``target_of``/``fail``.

Here rather than in ``ops/cli.py`` so that the command modules need not import the app that registers them
(``python -m ops.cli`` runs that module as ``__main__``: a second copy would not know the root's options).
"""

from dataclasses import dataclass
from typing import Annotated, NoReturn

import typer
from rich.text import Text

from ops.output import stderr
from ops.target import (
    LOCAL_API,
    LOCAL_ENDPOINT,
    LOCAL_ERP,
    LOCAL_NORCE,
    Target,
    TargetError,
    from_local,
    from_stack,
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
