"""A fast check of an XML order's ``Items``, in C: an XML Schema (XSD 1.0, libxml2 through lxml) that
accepts only item lists the full path surely accepts with no problem.

A 3,000-line XML order spends most of its time in Python: walking ~100,000 elements into dicts, then
validating them with pydantic. The receiver needs none of that for a valid order: it archives the raw
body, and the processor parses it later. So for the lines it asks libxml2 one question, "are these
items certainly valid?", and reads only the rest of the order (a few dozen elements) the usual way.

The schema is **generated from the contracts** (``OrderItem`` and the models under it) and is a strict
*subset* of what the full path (``model_from_root`` + ``business_problems``) accepts:

* every value is an ``xs:string`` restricted by a pattern that pydantic's lax parsing certainly
  accepts: canonical integers, plain decimals, ``true``/``false`` (XSD's own numeric and boolean types
  collapse whitespace and take forms pydantic refuses);
* the per-line business rules: ``PartNo`` present and not blank, ``Quantity`` a whole number > 0,
  ``Quantity2``, ``UnitPrice`` and ``UnitVat`` >= 0, every amount below the full path's bounds
  (``intake.validation.MAX_AMOUNT``, ``MAX_QUANTITY``), at least one item, ``LineNo`` unique
  (``xs:unique`` over canonical integers, so text equality is integer equality);
* no wildcard: an element the models do not name (even in another namespace, which the full path
  would read by its local name) is not accepted here; ``xsi:type`` substitution is blocked; fields
  may come in any order (``xs:all``); a nil is allowed only where the full path reads it as null.

What the schema does not accept simply takes the full path, which answers exactly as it always did
(the precise problems, or OK for a valid order written differently). A model feature the generator
does not understand (a validator, an alias, a new type) raises ``Unsupported`` instead of producing
a schema that might accept too much; the tests compile it and run every rule both ways.
"""

import types
import typing
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import quoteattr

from pydantic import BaseModel
from pydantic.functional_serializers import PlainSerializer

from norce_integration.codec.xml_codec import local_name, namespace_of
from norce_integration.contracts import OrderItem

XS = "http://www.w3.org/2001/XMLSchema"
ITEMS = "Items"  # OrderRequest's field with the lines

# Python's str.isspace() characters XML 1.0 can carry: a PartNo made of them is blank to the full path.
_PY_SPACE = "\\s\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"

# Simple types: name -> pattern over xs:string (whiteSpace preserve: the pattern sees the raw text).
# An empty element is allowed for every optional non-str value: the full path reads it as null.
# Integer parts are bounded below the full path's MAX_AMOUNT (10**12) and MAX_QUANTITY (10**9).
SIMPLE_TYPES: dict[str, tuple[str, int | None]] = {
    "T_str": ("", None),
    "T_int": (r"(0|-?[1-9][0-9]{0,17})?", None),
    "T_dec": (r"(-?(0|[1-9][0-9]{0,11})(\.[0-9]+)?)?", 40),
    "T_bool": ("(true|false)?", None),
    "T_nonblank": (f"[^{_PY_SPACE}](.|\\n|\\r)*", None),
    "T_qty": (r"[1-9][0-9]{0,8}(\.0+)?", 40),
    "T_qty2": (r"((0|[1-9][0-9]{0,8})(\.[0-9]+)?)?", 40),
    "T_price": (r"((0|[1-9][0-9]{0,11})(\.[0-9]+)?)?", 40),
}


@dataclass(frozen=True, slots=True)
class Rule:
    """A per-line business rule (``intake.validation._item_problems``) on one field."""

    required: bool
    type: str


ITEM_RULES: dict[str, Rule] = {
    "PartNo": Rule(True, "T_nonblank"),
    "Quantity": Rule(True, "T_qty"),
    "Quantity2": Rule(False, "T_qty2"),
    "UnitPrice": Rule(False, "T_price"),
    "UnitVat": Rule(False, "T_price"),
}
UNIQUE_FIELD = "LineNo"


class Unsupported(TypeError):
    """The contracts do something the generator cannot mirror safely."""


def _unwrapped(annotation: Any) -> tuple[Any, list[Any]]:
    """``X | None`` and ``Annotated[X, ...]`` -> (X, metadata)."""
    metadata: list[Any] = []
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            args = typing.get_args(annotation)
            annotation, metadata = args[0], [*metadata, *args[1:]]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation, metadata
            annotation = members[0]
        else:
            return annotation, metadata


def _simple_type(annotation: Any, metadata: list[Any], where: str) -> str:
    if any(not isinstance(item, PlainSerializer) for item in metadata):  # serializers only shape output
        raise Unsupported(f"{where}: {metadata!r}")
    simple = {str: "T_str", int: "T_int", Decimal: "T_dec", bool: "T_bool"}.get(annotation)
    if simple is not None:
        return simple
    union = set(typing.get_args(annotation)) if typing.get_origin(annotation) is types.UnionType else set()
    if union - {type(None)} == {int, str}:
        return "T_str"  # a smart union keeps a str input a str
    raise Unsupported(f"{where}: {annotation!r}")


def _check(model: type[BaseModel]) -> None:
    decorators = model.__pydantic_decorators__
    if decorators.validators or decorators.field_validators or decorators.model_validators:
        raise Unsupported(f"{model.__name__} has validators")
    if model.model_config.get("strict") or model.model_config.get("extra") != "allow":
        raise Unsupported(f"{model.__name__}: {model.model_config}")
    for name, info in model.model_fields.items():
        if info.alias not in (None, name) or info.validation_alias not in (None, name) or info.metadata:
            raise Unsupported(f"{model.__name__}.{name}: alias or constraint")


@dataclass
class _Schema:
    """The XSD text for ``<Items>`` in one namespace (``None``: no namespace)."""

    namespace: str | None
    types: dict[str, str] = field(default_factory=dict)

    def ref(self, name: str) -> str:
        return f"tns:{name}" if self.namespace else name

    def text(self) -> str:
        simple = "".join(
            f'<xs:simpleType name="{name}"><xs:restriction base="xs:string">'
            + (f"<xs:pattern value={quoteattr(pattern)}/>" if pattern else "")
            + (f'<xs:maxLength value="{limit}"/>' if limit else "")
            + "</xs:restriction></xs:simpleType>"
            for name, (pattern, limit) in SIMPLE_TYPES.items()
        )
        items = self._list(OrderItem, minimum=1)
        prefix = "tns:" if self.namespace else ""
        unique = (
            f'<xs:unique name="UniqueLineNo"><xs:selector xpath="{prefix}{OrderItem.__name__}"/>'
            f'<xs:field xpath="{prefix}{UNIQUE_FIELD}"/></xs:unique>'
        )
        target = (
            f" xmlns:tns={quoteattr(self.namespace)} targetNamespace={quoteattr(self.namespace)}"
            if self.namespace
            else ""
        )
        return (
            f'<xs:schema xmlns:xs="{XS}"{target} elementFormDefault="qualified" blockDefault="#all">'
            f"{simple}{''.join(self.types.values())}"
            f'<xs:element name="{ITEMS}" type="{self.ref(items)}">{unique}</xs:element></xs:schema>'
        )

    def _list(self, item: type[BaseModel], minimum: int = 0) -> str:
        name = f"L_{item.__name__}_{minimum}"
        if name not in self.types:
            item_type = self._model(item)
            self.types[name] = (
                f'<xs:complexType name="{name}"><xs:sequence><xs:element name="{item.__name__}" '
                f'type="{self.ref(item_type)}" minOccurs="{minimum}" maxOccurs="unbounded"/></xs:sequence>'
                '<xs:anyAttribute processContents="skip"/></xs:complexType>'
            )
        return name

    def _model(self, model: type[BaseModel]) -> str:
        name = f"M_{model.__name__}"
        if name in self.types:
            return name
        self.types[name] = ""  # a model under itself: the definition below fills it in
        _check(model)
        rules = ITEM_RULES if model is OrderItem else {}
        elements = "".join(
            self._element(model, field_name, info.annotation, rules.get(field_name))
            for field_name, info in model.model_fields.items()
        )
        self.types[name] = (
            f'<xs:complexType name="{name}"><xs:all>{elements}</xs:all>'
            '<xs:anyAttribute processContents="skip"/></xs:complexType>'
        )
        return name

    def _element(self, model: type[BaseModel], name: str, annotation: Any, rule: Rule | None) -> str:
        where = f"{model.__name__}.{name}"
        inner, metadata = _unwrapped(annotation)
        if typing.get_origin(inner) is list:
            (item,) = typing.get_args(inner)
            if metadata or not (isinstance(item, type) and issubclass(item, BaseModel)):
                raise Unsupported(f"{where}: a list of {item!r}")
            type_name = self._list(item)
        elif isinstance(inner, type) and issubclass(inner, BaseModel):
            if metadata:
                raise Unsupported(f"{where}: {metadata!r}")
            type_name = self._model(inner)
        else:
            type_name = self._with_attributes(rule.type if rule else _simple_type(inner, metadata, where))
        required = rule is not None and rule.required
        occurs = "" if required else ' minOccurs="0" nillable="true"'
        return f'<xs:element name="{name}" type="{self.ref(type_name)}"{occurs}/>'

    def _with_attributes(self, simple: str) -> str:
        """``simple`` as an element's content; attributes are allowed and ignored, as the full path does."""
        name = f"A_{simple}"
        if name not in self.types:
            self.types[name] = (
                f'<xs:complexType name="{name}"><xs:simpleContent><xs:extension base="{self.ref(simple)}">'
                '<xs:anyAttribute processContents="skip"/></xs:extension></xs:simpleContent></xs:complexType>'
            )
        return name


def schema_text(namespace: str | None) -> str:
    """The XSD of ``<Items>`` in ``namespace``."""
    return _Schema(namespace).text()


_SCHEMAS_MAX = 8  # the namespace is the sender's choice: a bounded number of compiled schemas
_schemas: dict[str | None, Any] = {}


def _schema(namespace: str | None) -> Any | None:
    schema = _schemas.get(namespace)
    if schema is None and len(_schemas) < _SCHEMAS_MAX:
        from lxml import etree  # noqa: PLC0415 - loaded with the XML parser, not by JSON-only starts

        schema = _schemas[namespace] = etree.XMLSchema(etree.fromstring(schema_text(namespace).encode()))
    return schema


def items_certainly_valid(root: Any) -> bool:
    """True only when the order's one ``<Items>`` holds items the full path accepts with no problem.

    ``root``: the ``<OrderRequest>`` element ``xml_codec.parse_root`` gave. Several ``<Items>`` (the full
    path reads the last), none, or one in another namespace than the schema can have: False.
    """
    found = [child for child in root if isinstance(child.tag, str) and local_name(child.tag) == ITEMS]
    if len(found) != 1:
        return False
    items = found[0]
    schema = _schema(namespace_of(items.tag))
    return schema is not None and bool(schema.validate(items))
