"""XML (de)serialization of Norce contracts.

Norce's XML is .NET-serializer style: element names are the field names, in DataContract order,
collections wrap one element per item named by the item's type (``Payments/Payment``,
``Items/OrderItem``, ``AdditionalInfo/CodeValue``), null fields are omitted or carry
``xsi:nil="true"``. Norce's namespace is not documented, so elements are matched by local name
in any namespace (or none) and answers are written in the namespace of the request.

Every parse goes through defusedxml: DTDs, entity declarations and external references are refused.
"""

import types
import typing
import xml.etree.ElementTree as ET  # only used to *build* XML; every parse goes through defusedxml
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import fromstring as safe_fromstring
from pydantic import BaseModel

from norce_integration.codec.errors import ForbiddenXml, MalformedBody
from norce_integration.codec.lenient import validate_collecting

_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


@dataclass(frozen=True, slots=True)
class _FieldShape:
    """How a model field is laid out in XML."""

    model: type[BaseModel] | None = None  # nested element (or list item) model
    is_list: bool = False
    is_text: bool = False  # a plain ``str`` field: an empty element means ""


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[1] if tag.startswith("{") else tag


def _namespace(tag: str) -> str | None:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else None


def _unwrap(annotation: Any) -> Any:
    """``X | None`` / ``Annotated[X, ...]`` -> ``X`` (first non-None member of a union)."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _shape_of(annotation: Any) -> _FieldShape:
    annotation = _unwrap(annotation)
    if typing.get_origin(annotation) is list:
        item = _unwrap(typing.get_args(annotation)[0])
        is_model = isinstance(item, type) and issubclass(item, BaseModel)
        return _FieldShape(model=item if is_model else None, is_list=True)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _FieldShape(model=annotation)
    return _FieldShape(is_text=annotation is str)


@cache
def _shapes(model: type[BaseModel]) -> dict[str, _FieldShape]:
    return {name: _shape_of(field.annotation) for name, field in model.model_fields.items()}


def _untyped_value(element: ET.Element) -> Any:
    """An element no model field describes (kept as an extra field): text, a dict, or a list."""
    children = list(element)
    if not children:
        return element.text or ""
    names = [_local_name(child.tag) for child in children]
    if len(children) > 1 and len(set(names)) == 1:
        return [_untyped_value(child) for child in children]
    return {name: _untyped_value(child) for name, child in zip(names, children, strict=True)}


def _element_to_dict(element: ET.Element, model: type[BaseModel]) -> dict[str, Any]:
    shapes = _shapes(model)
    values: dict[str, Any] = {}
    for child in element:
        name = _local_name(child.tag)
        shape = shapes.get(name)
        if child.get(_XSI_NIL) == "true":
            values[name] = None
        elif shape is None:
            values[name] = _untyped_value(child)
        elif shape.is_list:
            item_model = shape.model
            values[name] = [
                _element_to_dict(item, item_model) if item_model else (item.text or "") for item in child
            ]
        elif shape.model is not None:
            values[name] = _element_to_dict(child, shape.model)
        elif child.text is not None and child.text != "":
            values[name] = child.text
        else:
            values[name] = "" if shape.is_text else None
    return values


def parse_xml[M: BaseModel](body: bytes, model: type[M]) -> tuple[M, list[str], str | None]:
    """Parse ``body`` into ``model``; returns the model, the wrong-typed fields (removed from it)
    and the XML namespace of the root element.

    Raises ``ForbiddenXml`` for DTDs/entities/external references and ``MalformedBody`` for XML that
    is not well-formed or whose root is not ``<{model name}>``.
    """
    try:
        root = safe_fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise ForbiddenXml(
            f"XML with a DTD, entities or external references is refused ({error!r})"
        ) from None
    except ParseError as error:
        raise MalformedBody(f"Malformed XML body: {error}") from None
    root_name = _local_name(root.tag)
    if root_name != model.__name__:
        raise MalformedBody(
            f"Malformed XML body: the root element must be <{model.__name__}>, not <{root_name}>"
        )
    parsed, problems = validate_collecting(model, _element_to_dict(root, model))
    return parsed, problems, _namespace(root.tag)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)  # Decimal keeps its exact digits


def _append_value(parent: ET.Element, tag: str, value: Any, ns: str | None) -> None:
    if value is None:
        return
    element = ET.SubElement(parent, _qualified(tag, ns))
    if isinstance(value, BaseModel):
        _fill(element, value, ns)
    elif isinstance(value, list):
        for item in value:
            item_tag = type(item).__name__ if isinstance(item, BaseModel) else "Value"
            _append_value(element, item_tag, item, ns)
    elif isinstance(value, dict):
        for key, sub_value in value.items():
            _append_value(element, key, sub_value, ns)
    else:
        element.text = _text(value)


def _qualified(tag: str, ns: str | None) -> str:
    return f"{{{ns}}}{tag}" if ns else tag


def _fill(element: ET.Element, model: BaseModel, ns: str | None) -> None:
    for name in type(model).model_fields:
        _append_value(element, name, getattr(model, name), ns)
    for name, value in (model.model_extra or {}).items():
        _append_value(element, name, value, ns)


def to_xml_bytes(model: BaseModel, namespace: str | None = None) -> bytes:
    """Serialize ``model`` as ``<{ModelName}>`` in ``namespace`` (none by default), nulls omitted."""
    root = ET.Element(_qualified(type(model).__name__, namespace))
    _fill(root, model, namespace)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True, default_namespace=namespace)
    return body
