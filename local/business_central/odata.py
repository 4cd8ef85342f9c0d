"""The OData query options the Business Central simulator understands, held to Business Central's rules.

``$filter``: ``eq ne gt ge lt le``, ``and``, ``or``, parentheses, ``tolower()``/``toupper()`` (they make a
comparison case-insensitive, as in Business Central), ``contains``/``startswith``/``endswith``; literals:
``'text'`` (``''`` is a quote), numbers, ``true``/``false``, dates, date-times and GUIDs unquoted. Refused,
as Business Central refuses them: an unknown property (names are case-sensitive), ``or`` across two
different fields ("The 'OR' operator is not supported on distinct fields on an OData filter."). A field
bound to a page variable cannot be filtered or sorted on: refused too (our strict choice; BC documents no
message). ``$orderby`` (fields, ``asc``/``desc``), ``$select``, ``$top``; paging: at most
``Prefer: odata.maxpagesize`` entities a page (20,000 when none is asked; more than 20,000 is refused), the
next page by ``@odata.nextLink`` with a ``$skiptoken`` naming the last row's sort key.
Sources: learn.microsoft.com ``webservices/use-filter-expressions-in-odata-uris``,
``webservices/odata-known-limitations``, ``webservices/Server-Driven-Paging-in-OData-Web-Services``.
"""

import base64
import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from local.business_central.schema import Entity

MAX_PAGE_SIZE = 20_000


class ODataError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def not_found_property(name: str, entity: Entity) -> ODataError:
    return ODataError(
        400, "BadRequest_NotFound", f"Could not find a property named '{name}' on type '{entity.type_name}'."
    )


_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<punct>[(),])|"
    r"(?P<word>[A-Za-z_][A-Za-z0-9_./]*)|(?P<lit>[-+]?[0-9][0-9A-Fa-f:.TZ+-]*))"
)
_COMPARE = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a is not None and b is not None and a > b,
    "ge": lambda a, b: a is not None and b is not None and a >= b,
    "lt": lambda a, b: a is not None and b is not None and a < b,
    "le": lambda a, b: a is not None and b is not None and a <= b,
}
Predicate = Callable[[dict[str, Any]], bool]


def _tokens(text: str) -> list[str]:
    found, at = [], 0
    while at < len(text):
        if text[at:].strip() == "":
            break
        match = _TOKEN.match(text, at)
        if not match or match.end() == at:
            raise ODataError(400, "BadRequest_NotFound", f"Syntax error at position {at} in '{text}'.")
        found.append(match.group().strip())
        at = match.end()
    return found


def comparable(value: Any, kind: str) -> Any:
    """A stored value as the filter compares it."""
    if value is None:
        return None
    if kind == "datetime":
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if kind in ("decimal", "integer"):
        return float(value)
    if kind == "guid":
        return str(value).lower()
    return value


def _literal(token: str, kind: str) -> Any:
    if token.startswith("'"):
        text = token[1:-1].replace("''", "'")
        return text.upper() if kind == "code" else text
    if token in ("true", "false"):
        return token == "true"
    if token == "null":
        return None
    try:
        if kind == "datetime":
            return datetime.fromisoformat(token.replace("Z", "+00:00"))
        if kind in ("decimal", "integer"):
            return float(token)
        if kind in ("guid", "date"):
            return token.lower()
    except ValueError:
        pass
    raise ODataError(400, "BadRequest", f"The literal {token} cannot be compared with a {kind} property.")


class _Parser:
    def __init__(self, text: str, entity: Entity) -> None:
        self.tokens, self.at, self.entity = _tokens(text), 0, entity

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise ODataError(
                400, "BadRequest_NotFound", f"'{expected or 'an expression'}' expected in $filter."
            )
        self.at += 1
        return token

    def parse(self) -> tuple[Predicate, set[str]]:
        predicate, fields = self.disjunction()
        if self.peek() is not None:
            raise ODataError(400, "BadRequest_NotFound", f"Syntax error near '{self.peek()}' in $filter.")
        return predicate, fields

    def disjunction(self) -> tuple[Predicate, set[str]]:
        left, fields = self.conjunction()
        parts = [left]
        while self.peek() == "or":
            self.take()
            right, right_fields = self.conjunction()
            if right_fields != fields or len(fields) != 1:
                raise ODataError(
                    400,
                    "BadRequest",
                    "The 'OR' operator is not supported on distinct fields on an OData filter.",
                )
            parts.append(right)
        return (lambda row: any(p(row) for p in parts)) if len(parts) > 1 else left, fields

    def conjunction(self) -> tuple[Predicate, set[str]]:
        left, fields = self.primary()
        parts = [left]
        while self.peek() == "and":
            self.take()
            right, right_fields = self.primary()
            parts.append(right)
            fields = fields | right_fields
        return (lambda row: all(p(row) for p in parts)) if len(parts) > 1 else left, fields

    def field(self, name: str) -> Any:
        found = self.entity.by_name.get(name)
        if found is None:
            raise not_found_property(name, self.entity)
        if found.unbound:
            raise ODataError(
                400,
                "BadRequest_NotSupported",
                f"The property '{name}' is not bound to a table field: it cannot be used in $filter or "
                "$orderby.",
            )
        return found

    def primary(self) -> tuple[Predicate, set[str]]:
        token = self.take()
        if token == "(":
            inner = self.disjunction()
            self.take(")")
            return inner
        if token in ("contains", "startswith", "endswith"):
            self.take("(")
            prop = self.field(self.take())
            self.take(",")
            needle = str(_literal(self.take(), "text")).lower()
            self.take(")")
            matches: Callable[[str], bool] = {
                "contains": lambda v: needle in v,
                "startswith": lambda v: v.startswith(needle),
                "endswith": lambda v: v.endswith(needle),
            }[token]
            return (lambda row: matches(str(row.get(prop.name) or "").lower())), {prop.name}
        fold: Callable[[Any], Any] = lambda v: v  # noqa: E731
        if token in ("tolower", "toupper"):
            self.take("(")
            prop = self.field(self.take())
            self.take(")")
            fold = str.lower if token == "tolower" else str.upper  # case-insensitive, as BC approximates it
        else:
            prop = self.field(token)
        operator = self.take()
        if operator not in _COMPARE:
            raise ODataError(400, "BadRequest_NotFound", f"Unknown operator '{operator}' in $filter.")
        kind = "text" if prop.kind == "code" and token in ("tolower", "toupper") else prop.kind
        expected = _literal(self.take(), kind)
        if token in ("tolower", "toupper") and isinstance(expected, str):
            expected = fold(expected)
        compare = _COMPARE[operator]

        def test(row: dict[str, Any]) -> bool:
            value = comparable(row.get(prop.name), prop.kind)
            if isinstance(value, str) and token in ("tolower", "toupper"):
                value = fold(value)
            if prop.kind == "date" and value is not None:
                value = str(value)[:10]
            return bool(compare(value, expected))

        return test, {prop.name}


def parse_filter(text: str | None, entity: Entity) -> Predicate:
    if not text:
        return lambda row: True
    predicate, _ = _Parser(text, entity).parse()
    return predicate


def order_key(text: str | None, entity: Entity) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """The sort key of ``$orderby``, then ``id``: pages are stable however many rows share a value."""
    parts: list[tuple[str, bool]] = []
    for clause in (text or "").split(","):
        words = clause.split()
        if not words:
            continue
        prop = _Parser("", entity).field(words[0])
        parts.append((prop.name, len(words) > 1 and words[1] == "desc"))

    def key(row: dict[str, Any]) -> tuple[Any, ...]:
        values: list[Any] = []
        for name, descending in parts:
            kind = entity.by_name[name].kind
            value = comparable(row.get(name), kind)
            rank = value.timestamp() if isinstance(value, datetime) else value
            if descending and isinstance(rank, (int, float)):
                rank = -rank
            values.append((rank is None, rank if rank is not None else 0))
        return (*values, str(row.get("id") or row.get("subscriptionId")))

    return key


def select(row: dict[str, Any], text: str | None, entity: Entity) -> dict[str, Any]:
    if not text:
        return row
    names = [name.strip() for name in text.split(",") if name.strip()]
    for name in names:
        if name not in entity.by_name:
            raise not_found_property(name, entity)
    return {k: v for k, v in row.items() if k.startswith("@odata") or k in names}


def page_size(prefer: str | None) -> int:
    match = re.search(r"odata\.maxpagesize=(\d+)", prefer or "")
    if not match:
        return MAX_PAGE_SIZE
    size = int(match[1])
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ODataError(400, "BadRequest", f"odata.maxpagesize must be 1 to {MAX_PAGE_SIZE} (was {size}).")
    return size


def skiptoken(key: tuple[Any, ...]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, default=str).encode()).decode()


def after(token: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(token.encode()))
    except ValueError as error:
        raise ODataError(400, "BadRequest", "The $skiptoken is not valid.") from error
