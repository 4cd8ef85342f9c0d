"""Printing: Rich tables and colour on a terminal (plain text when piped), JSON for scripts (``--json``),
progress on stderr so that stdout stays clean."""

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

# Columns whose cells may fold onto more lines (free text) and columns aligned right (numbers).
FREE_TEXT = frozenset({"details", "reason", "errors", "detail", "oldest's reason", "where", "document"})
NUMBERS = frozenset({"job", "records", "depth", "in flight", "messages", "attempts", "receives"})


def stdout() -> Console:
    """Stdout; piped into a file or another program, tables get 200 columns instead of Rich's 80."""
    console = Console(highlight=False)
    return console if console.is_terminal else Console(highlight=False, width=max(console.width, 200))


def stderr() -> Console:
    return Console(stderr=True, highlight=False)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def when(timestamp: Any) -> str:
    """An epoch time as ``2026-11-25 11:58:13Z``; ``-`` for none."""
    if not isinstance(timestamp, int | float) or isinstance(timestamp, bool):
        return "-"
    return datetime.fromtimestamp(float(timestamp), UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def iso(timestamp: Any) -> str | None:
    if not isinstance(timestamp, int | float) or isinstance(timestamp, bool):
        return None
    return datetime.fromtimestamp(float(timestamp), UTC).isoformat(timespec="seconds")


def age(seconds: float | None) -> str:
    """``42 s``, ``7 min 3 s``, ``5 h 12 min``, ``3 d 4 h``; ``-`` for none."""
    if seconds is None:
        return "-"
    whole = max(0, int(seconds))
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    if whole < 86400:
        return f"{whole // 3600} h {whole % 3600 // 60} min"
    return f"{whole // 86400} d {whole % 86400 // 3600} h"


def short(text: Any, width: int = 100) -> str:
    value = "" if text is None else str(text)
    return value if len(value) <= width else value[: width - 1] + "…"


def table_of(title: str, *columns: str) -> Table:
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


def style_of(ok: bool | None) -> str:
    """Green for fine, dim for not checked, bold red for wrong."""
    return "green" if ok else ("dim" if ok is None else "bold red")


class Steps:
    """A progress display on stderr (hidden when stderr is not a terminal, or for ``--json``)."""

    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}

    def task(self, name: str, description: str, total: float | None = None) -> None:
        if self._progress is not None:
            self._tasks[name] = self._progress.add_task(description, total=total)

    def update(
        self,
        name: str,
        completed: float | None = None,
        total: float | None = None,
        description: str | None = None,
    ) -> None:
        if self._progress is not None and name in self._tasks:
            self._progress.update(
                self._tasks[name], completed=completed, total=total, description=description
            )

    def counter(self, name: str) -> Callable[[int], None]:
        """A callback setting the task's count (for the helpers that report progress as a number)."""
        return lambda completed: self.update(name, completed=completed)

    def done(self, name: str) -> None:
        if self._progress is not None and name in self._tasks:
            task = self._progress.tasks[self._tasks[name]]
            self._progress.update(self._tasks[name], completed=task.total or task.completed, visible=False)


@contextmanager
def steps(quiet: bool = False) -> Iterator[Steps]:
    console = stderr()
    if quiet or not console.is_terminal:
        yield Steps(None)
        return
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    with progress:
        yield Steps(progress)
