"""Validation that reports every wrong-typed field instead of stopping at the first.

A wrong-typed value is reported and removed, and validation runs again, so the business rules
can still look at the rest of the order and name all of its problems in one answer.
"""

from typing import Any

from pydantic import BaseModel, ValidationError

_MAX_PASSES = 5


def _valid_prefix(data: Any, loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """The part of an error location that addresses real data.

    Pydantic appends union member names such as ``int`` or ``function-before[...]``: not keys.
    """
    prefix: list[int | str] = []
    node = data
    for part in loc:
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if not (in_list or (isinstance(node, dict) and part in node)):
            break
        node = node[part]
        prefix.append(part)
    return tuple(prefix)


def _remove(data: Any, path: tuple[int | str, ...]) -> None:
    node = data
    for part in path[:-1]:
        node = node[part]
    if isinstance(node, dict):
        node[path[-1]] = None
    else:
        node[path[-1]] = {}  # a list item: keep positions so later indexes stay right


def path_text(path: tuple[int | str, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"


def validate_collecting[M: BaseModel](model: type[M], data: dict[str, Any]) -> tuple[M, list[str]]:
    """Validate ``data`` (mutated: wrong values are removed); returns the model and one problem per
    wrong-typed field, e.g. ``Items[1].Quantity: Input should be a valid decimal``."""
    problems: dict[str, str] = {}
    for _ in range(_MAX_PASSES):
        try:
            return model.model_validate(data), list(problems.values())
        except ValidationError as error:
            paths = []
            for detail in error.errors(include_url=False, include_input=False):
                path = _valid_prefix(data, tuple(detail["loc"]))
                if not path:
                    raise
                problems.setdefault(path_text(path), f"{path_text(path)}: {detail['msg']}")
                paths.append(path)
            for path in sorted(set(paths), key=len, reverse=True):
                _remove(data, path)
    return model.model_validate(data), list(problems.values())
