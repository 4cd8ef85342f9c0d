"""The OData v4 a Norce Query entity set answers with, for the local Norce: ``$filter``, ``$select``,
``$expand`` (with a nested ``$select``), ``$orderby``, ``$top``, ``$skip``, ``$count``, and the list shape
``{"@odata.context", "value", "@odata.nextLink"?}`` (500 rows a page, Norce's documented ``$skip=500``).

Strict like Microsoft's OData (which Norce's type names suggest): a property the entity type does not have,
in any option, is a 400 with OData's own message ("Could not find a property named 'X' on type 'Y'."), a
literal of the wrong type too ("A binary operator with incompatible types was detected..."), so are a bad
``$top``, an unknown ``$`` option and anything the parser does not take (functions such as ``contains``,
arithmetic, lambda operators: the local Norce does not play them; our client does not send them). Bad input
is always a 400, never a 500. Navigation properties appear only with ``$expand``.
"""

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

PAGE_SIZE = 500
NOT_VALID = "The query specified in the URI is not valid."
OPTIONS = frozenset(["$filter", "$select", "$expand", "$orderby", "$top", "$skip", "$count", "$format"])
STRING, INT32, INT64, DECIMAL, BOOLEAN, MOMENT, GUID = (
    "Edm.String",
    "Edm.Int32",
    "Edm.Int64",
    "Edm.Decimal",
    "Edm.Boolean",
    "Edm.DateTimeOffset",
    "Edm.Guid",
)
NUMBERS = frozenset([INT32, INT64, DECIMAL])
OPERATORS = {"eq": "Equal", "ne": "NotEqual", "gt": "GreaterThan", "ge": "GreaterThanOrEqual"}
OPERATORS |= {"lt": "LessThan", "le": "LessThanOrEqual"}


class ODataError(Exception):
    """A request OData refuses: 400 with ``{"error": {"code": "", "message": ...}}``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"error": {"code": "", "message": self.message}}


@dataclass
class EntityType:
    """An entity type as Norce publishes it: its properties (name -> Edm type) and navigation properties
    (name -> the target type; ``many`` names the collection-valued ones)."""

    name: str
    properties: dict[str, str]
    navigations: dict[str, "EntityType"] = field(default_factory=dict)
    many: frozenset[str] = frozenset()

    def unknown(self, name: str) -> ODataError:
        return ODataError(f"{NOT_VALID} Could not find a property named '{name}' on type '{self.name}'.")


# -- $filter: a small recursive-descent parser into a predicate
_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[mMdDlL]?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<paren>[()])|(?P<other>\S))"
)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str


def _tokens(text: str) -> list[_Token]:
    found, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            break
        position = match.end()
        kind = match.lastgroup or "other"
        found.append(_Token(kind, match.group(kind)))
    if text[position:].strip():
        raise ODataError(f"{NOT_VALID} Syntax error at position {position} in '{text}'.")
    return found


Predicate = Callable[[dict[str, Any]], bool]


class _Filter:
    def __init__(self, text: str, entity: EntityType) -> None:
        self.text, self.entity = text, entity
        self.tokens, self.at = _tokens(text), 0

    def parse(self) -> Predicate:
        if not self.tokens:
            raise ODataError(f"{NOT_VALID} The $filter expression is empty.")
        predicate = self._or()
        if self.at < len(self.tokens):
            raise self._syntax()
        return predicate

    def _syntax(self) -> ODataError:
        near = self.tokens[self.at].text if self.at < len(self.tokens) else "the end"
        return ODataError(f"{NOT_VALID} Syntax error at '{near}' in '{self.text}'.")

    def _peek(self, *words: str) -> bool:
        return self.at < len(self.tokens) and self.tokens[self.at].text in words

    def _take(self) -> _Token:
        if self.at >= len(self.tokens):
            raise self._syntax()
        self.at += 1
        return self.tokens[self.at - 1]

    def _or(self) -> Predicate:
        parts = [self._and()]
        while self._peek("or"):
            self._take()
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else (lambda row: any(p(row) for p in parts))

    def _and(self) -> Predicate:
        parts = [self._unary()]
        while self._peek("and"):
            self._take()
            parts.append(self._unary())
        return parts[0] if len(parts) == 1 else (lambda row: all(p(row) for p in parts))

    def _unary(self) -> Predicate:
        if self._peek("not"):
            self._take()
            inner = self._unary()
            return lambda row: not inner(row)
        if self._peek("("):
            self._take()
            inner = self._or()
            if self._take().text != ")":
                raise self._syntax()
            return inner
        return self._comparison()

    def _comparison(self) -> Predicate:
        name = self._take()
        if name.kind != "name":
            raise self._syntax()
        if self._peek("("):
            raise ODataError(f"{NOT_VALID} The function '{name.text}' is not supported by the local Norce.")
        if name.text in self.entity.navigations:
            raise ODataError(f"{NOT_VALID} Navigation property '{name.text}' cannot be compared.")
        if name.text not in self.entity.properties:
            raise self.entity.unknown(name.text)
        operator = self._take()
        if operator.text not in OPERATORS:
            raise self._syntax()
        edm = self.entity.properties[name.text]
        value = self._literal(self._take(), edm, OPERATORS[operator.text])
        return _compare(name.text, operator.text, value)

    def _literal(self, token: _Token, edm: str, kind: str) -> Any:
        if token.kind == "name" and token.text == "null":
            return None
        value: Any
        if token.kind == "string":
            literal_type, value = STRING, token.text[1:-1].replace("''", "'")
        elif token.kind == "number":
            number = token.text.rstrip("mMdDlL")
            is_int = re.fullmatch(r"-?\d+", number) is not None
            literal_type = (INT32 if abs(int(number)) < 2**31 else INT64) if is_int else DECIMAL
            value = int(number) if is_int else Decimal(number)
        elif token.kind == "name" and token.text in ("true", "false"):
            literal_type, value = BOOLEAN, token.text == "true"
        else:
            raise self._syntax()
        compatible = (
            literal_type == edm
            or (literal_type in NUMBERS and edm in NUMBERS)
            or (literal_type == STRING and edm in (MOMENT, GUID))
        )
        if not compatible:
            raise ODataError(
                f"{NOT_VALID} A binary operator with incompatible types was detected. Found operand types "
                f"'{edm}' and '{literal_type}' for operator kind '{kind}'."
            )
        return value


def _compare(name: str, operator: str, value: Any) -> Predicate:
    def test(row: dict[str, Any]) -> bool:
        held = row.get(name)
        if operator in ("eq", "ne"):
            same = _comparable(held) == _comparable(value)
            return same if operator == "eq" else not same
        if held is None or value is None:
            return False
        left, right = _comparable(held), _comparable(value)
        return {"gt": left > right, "ge": left >= right, "lt": left < right, "le": left <= right}[operator]

    return test


def _comparable(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    return value


# -- $select, $expand, $orderby
def _split_top_level(text: str) -> list[str]:
    """``a,b(c,d),e`` -> ``["a", "b(c,d)", "e"]``."""
    parts, depth, current = [], 0, ""
    for character in text:
        if character == "(":
            depth += 1
        elif character == ")":
            depth -= 1
            if depth < 0:
                raise ODataError(f"{NOT_VALID} Unbalanced parentheses in '{text}'.")
        if character == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += character
    if depth != 0:
        raise ODataError(f"{NOT_VALID} Unbalanced parentheses in '{text}'.")
    parts.append(current.strip())
    if any(not part for part in parts):
        raise ODataError(f"{NOT_VALID} An empty item in '{text}'.")
    return parts


def _select(text: str | None, entity: EntityType) -> list[str] | None:
    if text is None:
        return None
    names = _split_top_level(text)
    if names == ["*"]:
        return None
    for name in names:
        if name not in entity.properties and name not in entity.navigations:
            raise entity.unknown(name)
    return [name for name in names if name in entity.properties]


@dataclass
class _Expansion:
    name: str
    target: EntityType
    select: list[str] | None


def _expand(text: str | None, entity: EntityType) -> list[_Expansion]:
    if text is None:
        return []
    expansions = []
    for item in _split_top_level(text):
        match = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)(?:\((.*)\))?", item, re.DOTALL)
        if match is None:
            raise ODataError(f"{NOT_VALID} Syntax error in $expand '{item}'.")
        name, options = match.groups()
        if name in entity.properties:
            raise ODataError(
                f"{NOT_VALID} Property '{name}' on type '{entity.name}' is not a navigation property or "
                "complex property. Only navigation properties can be expanded."
            )
        if name not in entity.navigations:
            raise entity.unknown(name)
        target, select = entity.navigations[name], None
        for option in (options or "").split(";") if options else []:
            key, _, value = option.partition("=")
            if key.strip() != "$select" or not value.strip():
                option_name = key.strip()[:100]
                raise ODataError(
                    f"{NOT_VALID} The option '{option_name}' inside $expand is not supported here."
                )
            select = _select(value.strip(), target)
        expansions.append(_Expansion(name, target, select))
    return expansions


def _order_by(text: str | None, entity: EntityType) -> list[tuple[str, bool]]:
    if text is None:
        return []
    keys = []
    for item in _split_top_level(text):
        parts = item.split()
        if len(parts) > 2 or (len(parts) == 2 and parts[1] not in ("asc", "desc")):
            raise ODataError(f"{NOT_VALID} Syntax error in $orderby '{item}'.")
        if parts[0] not in entity.properties:
            raise entity.unknown(parts[0])
        keys.append((parts[0], len(parts) == 2 and parts[1] == "desc"))
    return keys


def _count(name: str, text: str | None) -> int | None:
    if text is None:
        return None
    if not re.fullmatch(r"\d{1,9}", text):
        raise ODataError(
            f"Invalid value '{text[:100]}' for {name} query option found. "
            f"The {name} query option requires a non-negative integer value."
        )
    return int(text)


def _row_key(name: str, row: dict[str, Any]) -> tuple[int, Any]:
    return _sort_key(row.get(name))


def _sort_key(value: Any) -> tuple[int, Any]:
    """Nulls first, then values of one kind in their order (a column holds one type)."""
    return (0, "") if value is None else (1, _comparable(value))


def _project(row: dict[str, Any], entity: EntityType, select: list[str] | None) -> dict[str, Any]:
    names = select if select is not None else list(entity.properties)
    return {name: row.get(name) for name in names}


def answer(
    entity: EntityType, rows: list[dict[str, Any]], args: dict[str, str], context: str, link: str
) -> dict[str, Any]:
    """The OData answer to ``args`` over ``rows`` (every property and navigation value of each entity);
    ``context`` is the ``@odata.context`` URL, ``link`` the request URL without its query for nextLink.
    Raises ``ODataError`` for what OData refuses."""
    for option in args:
        if option.startswith("$") and option not in OPTIONS:
            raise ODataError(f"The query parameter '{option[:100]}' is not supported.")
    if args.get("$format", "json") not in ("json", "application/json"):
        raise ODataError("The requested format is not supported by the local Norce (json only).")
    predicate = _Filter(args["$filter"], entity).parse() if "$filter" in args else None
    select = _select(args.get("$select"), entity)
    expansions = _expand(args.get("$expand"), entity)
    order = _order_by(args.get("$orderby"), entity)
    top, skip = _count("$top", args.get("$top")), _count("$skip", args.get("$skip")) or 0
    if args.get("$count") not in (None, "true", "false"):
        raise ODataError(f"Invalid value '{args['$count'][:100]}' for $count query option found.")
    matching = [row for row in rows if predicate is None or predicate(row)]
    for name, descending in reversed(order):
        matching.sort(key=functools.partial(_row_key, name), reverse=descending)
    wanted = matching[skip:] if top is None else matching[skip : skip + top]
    page = wanted[:PAGE_SIZE]
    value = []
    for row in page:
        shaped = _project(row, entity, select)
        for expansion in expansions:
            held = row.get(expansion.name)
            if expansion.name in entity.many:
                shaped[expansion.name] = [
                    _project(child, expansion.target, expansion.select) for child in held or []
                ]
            else:
                shaped[expansion.name] = (
                    None if held is None else _project(held, expansion.target, expansion.select)
                )
        value.append(shaped)
    selected = f"({args['$select']})" if "$select" in args else ""
    result: dict[str, Any] = {"@odata.context": f"{context}{selected}"}
    if args.get("$count") == "true":
        result["@odata.count"] = len(matching)
    result["value"] = value
    if len(wanted) > PAGE_SIZE:
        rest = {k: v for k, v in args.items() if k not in ("$skip", "$top")}
        rest["$skip"] = str(skip + PAGE_SIZE)
        if top is not None:
            rest["$top"] = str(top - PAGE_SIZE)
        result["@odata.nextLink"] = f"{link}?{urlencode(rest, safe='$,')}"
    return result
