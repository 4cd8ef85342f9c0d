"""Reading the ERP's JSON and screening any JSON-like value before it is looked at as a document: what no
document may hold, wherever it is.

- JSON nested deeper than ``MAX_DEPTH`` (Python's parser would hit its recursion limit at ~1,000 and the
  queue's encoder after it; no Connect body is deeper than 4);
- a number that is not finite (``NaN``, ``Infinity``, ``1E+400`` read as a float) or has more than
  ``MAX_NUMBER_DIGITS`` digits;
- a string (or a key) with a control character, a lone surrogate (``\\ud800``) or a code point SQS refuses
  (``U+FFFE``, ``U+FFFF``): it could not be logged, queued or sent. Tab, line feed and carriage return are
  allowed in free text; ``validation`` refuses them in keys and numbers.

Every problem is named with its path, never with the value (the ERP's data stays out of the answer and
the logs).
"""

import json
import math
from decimal import Decimal
from typing import Any

from norce_integration.codec.lenient import path_text

MAX_DEPTH = 16
MAX_NUMBER_DIGITS = 40  # digits of a number as written; money and quantities need far fewer
_ALLOWED_CONTROLS = frozenset("\t\n\r")


class UnreadableJson(ValueError):
    """The body cannot be read as JSON at all (the message says why, without its content)."""


def _constant(name: str) -> Any:
    raise UnreadableJson(f"the body holds {name}, which is not a JSON number (JSON has no NaN or Infinity)")


def _integer(text: str) -> int | Decimal:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise UnreadableJson(f"a number in the body has more than {MAX_NUMBER_DIGITS} digits")
    return int(text)


def _decimal(text: str) -> Decimal:
    if len(text) > MAX_NUMBER_DIGITS + 8:
        raise UnreadableJson(f"a number in the body has more than {MAX_NUMBER_DIGITS} digits")
    return Decimal(text)


def read_json(raw: bytes) -> Any:
    """The body as JSON, numbers with a fraction or exponent as exact ``Decimal``s (so ``1E+400`` stays a
    number to refuse, not a float ``inf``). Raises ``UnreadableJson`` with a precise reason."""
    try:
        return json.loads(raw, parse_float=_decimal, parse_int=_integer, parse_constant=_constant)
    except UnreadableJson:
        raise
    except RecursionError:
        raise UnreadableJson(f"the body is nested deeper than {MAX_DEPTH} levels") from None
    except UnicodeDecodeError:
        raise UnreadableJson("the body is not UTF-8 (nor UTF-16/32) text") from None
    except json.JSONDecodeError as error:  # say where, not what
        raise UnreadableJson(f"the body is not JSON (line {error.lineno}, column {error.colno})") from None
    except ValueError:
        raise UnreadableJson("the body is not JSON") from None


def text_problem(text: str) -> str | None:
    """Why a string cannot travel (None when it can)."""
    for char in text:
        code = ord(char)
        if char in _ALLOWED_CONTROLS:
            continue
        if code < 0x20 or 0x7F <= code <= 0x9F:
            return f"holds the control character U+{code:04X}"
        if 0xD800 <= code <= 0xDFFF:
            return f"holds a lone surrogate U+{code:04X} (not a character)"
        if code in (0xFFFE, 0xFFFF):
            return f"holds U+{code:04X}, which is not a character"
    return None


def screen(value: Any, limit: int = 50) -> list[str]:
    """What in ``value`` (a parsed JSON body, or a body made by the poll) no document may hold; at most
    ``limit`` problems. Walks iteratively: a deep value cannot exhaust the stack here."""
    found: list[str] = []
    stack: list[tuple[Any, tuple[int | str, ...]]] = [(value, ())]
    while stack and len(found) < limit:
        node, path = stack.pop()
        where = path_text(path) if path else "the body"
        if len(path) > MAX_DEPTH:
            found.append(f"{where} is nested deeper than {MAX_DEPTH} levels")
            continue
        if isinstance(node, dict):
            for key, item in reversed(list(node.items())):
                if not isinstance(key, str):
                    found.append(f"{where} has a key that is not text")
                    continue
                problem = text_problem(key)
                if problem:
                    found.append(f"a field name in {where} {problem}")
                    continue
                stack.append((item, (*path, key)))
        elif isinstance(node, list | tuple):
            stack.extend((item, (*path, index)) for index, item in reversed(list(enumerate(node))))
        elif isinstance(node, str):
            problem = text_problem(node)
            if problem:
                found.append(f"{where} {problem}")
        elif isinstance(node, float | Decimal) and not _finite(node):
            found.append(f"{where} is not a finite number")
    return found


def _finite(number: float | Decimal) -> bool:
    return number.is_finite() if isinstance(number, Decimal) else math.isfinite(number)
