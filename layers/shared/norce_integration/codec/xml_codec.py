"""XML (de)serialization of Norce contracts.

Norce's XML is .NET-serializer style: element names are the field names, in DataContract order,
collections wrap one element per item named by the item's type (``Payments/Payment``,
``Items/OrderItem``, ``AdditionalInfo/CodeValue``), null fields are omitted or carry
``xsi:nil="true"``. Norce's namespace is not documented, so elements are matched by local name
in any namespace (or none) and answers are written in the namespace of the request.

Parsing uses lxml (libxml2, in C: several times faster than defusedxml's pure-Python expat handlers)
with a parser that cannot fetch or expand anything, and refuses what defusedxml refuses:

* A DTD (``<!DOCTYPE``) or entity declaration (``<!ENTITY``) is refused before parsing by a scan of
  the bytes (case-insensitive; NUL bytes are dropped first, so UTF-16 and UTF-32 bodies are scanned
  too), and again after parsing whatever the encoding (a UTF-7 or EBCDIC body slips past a byte scan):
  any document libxml2 reports a DOCTYPE for is refused.
* While parsing, entities are never substituted (``resolve_entities=False``: no billion laughs, no
  quadratic blowup, no XXE), no DTD is loaded (``load_dtd=False``, ``dtd_validation=False``), nothing
  is fetched over the network (``no_network=True``) and libxml2's size and depth limits stay on
  (``huge_tree=False``): no file is read and no URL fetched, even for a DTD that got past the scan
  (tests/unit/test_xml_safety.py checks this). XInclude is never run.
* A reference to an undeclared entity, or an entity error libxml2 reports (amplification, loop), is
  refused too; an unresolved entity node found in the tree is refused as a last guard.

``ForbiddenXml`` (HTTP 400) is raised for all of these; XML that is not well-formed raises
``MalformedBody``. Comments and processing instructions are dropped by the parser (and skipped).
"""

import re
import types
import typing
import xml.etree.ElementTree as ET  # only used to *build* XML; every parse goes through lxml (_lxml)
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from pydantic import BaseModel

from norce_integration.codec.errors import ForbiddenXml, MalformedBody
from norce_integration.codec.lenient import validate_collecting

# Markup declarations can only appear in a DTD: ``<!DOCTYPE`` opens one, ``<!ENTITY`` declares an entity.
_DTD_MARKUP = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Lxml:
    """lxml's parser and what goes with it, built on the first XML body (~16 ms of import a JSON-only
    cold start does not pay)."""

    etree: Any
    parser: Any
    entity_errors: frozenset[int]
    with_nil_attribute: Any


@cache
def _lxml() -> _Lxml:
    from lxml import etree  # noqa: PLC0415 - lazily: JSON-only cold starts skip it

    # Safe by construction: no entity substitution, no DTD loading or validation, no network, libxml2's
    # limits on. Comments and processing instructions are not kept. One parser for the process (lxml
    # locks a parser's context while it is in use, so sharing it between threads is safe).
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    # libxml2 errors about entities: an undeclared one, a loop, a parameter entity out of place (the
    # entity amplification limit is ERR_RESOURCE_LIMIT, told apart from the depth limit by its message).
    codes = etree.ErrorTypes
    entity_errors = frozenset(
        {
            codes.ERR_UNDECLARED_ENTITY,
            codes.WAR_UNDECLARED_ENTITY,
            codes.ERR_ENTITY_LOOP,
            codes.ERR_ENTITY_BOUNDARY,
            codes.ERR_ENTITY_PE_INTERNAL,
            codes.ERR_EXT_ENTITY_STANDALONE,
            codes.ERR_UNPARSED_ENTITY,
            codes.ERR_ENTITY_IS_EXTERNAL,
            codes.ERR_ENTITY_IS_PARAMETER,
            codes.ERR_PEREF_AT_EOF,
            codes.ERR_PEREF_IN_PROLOG,
            codes.ERR_PEREF_IN_EPILOG,
            codes.ERR_PEREF_IN_INT_SUBSET,
            codes.ERR_PEREF_NO_NAME,
            codes.ERR_PEREF_SEMICOL_MISSING,
        }
    )
    # The elements with an xsi:nil attribute. (Quicker in libxml2 than ``//*[@xsi:nil='true']``.)
    with_nil = etree.XPath("//@xsi:nil/..", namespaces={"xsi": "http://www.w3.org/2001/XMLSchema-instance"})
    return _Lxml(etree, parser, entity_errors, with_nil)


_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


@dataclass(frozen=True, slots=True)
class _FieldShape:
    """How a model field is laid out in XML."""

    model: type[BaseModel] | None = None  # nested element (or list item) model
    is_list: bool = False
    is_text: bool = False  # a plain ``str`` field: an empty element means ""


def local_name(tag: str) -> str:
    """``{namespace}Name`` or ``Name`` -> ``Name``."""
    return tag.rsplit("}", 1)[1] if tag.startswith("{") else tag


def namespace_of(tag: str) -> str | None:
    """``{namespace}Name`` -> ``namespace``; ``Name`` -> None."""
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


_LOCAL_NAMES: dict[str, str] = {}  # tag -> local name: a few distinct tags, each seen many times
_LOCAL_NAMES_MAX = 10_000  # tags come from the sender: the cache is bounded


def _local_name_of(tag: Any) -> str:
    """The local name of a child's ``tag``; a child that is not an element is refused.

    The parser drops comments and processing instructions, and an entity reference cannot get here
    (the DTD that could declare one is refused, an undeclared one is a parse error), but if any other
    node did it is refused rather than read as an element.
    """
    name = _LOCAL_NAMES.get(tag)
    if name is None:
        if tag.__class__ is not str:
            raise ForbiddenXml("XML with entity references or other non-element content is refused")
        name = local_name(tag)
        if len(_LOCAL_NAMES) < _LOCAL_NAMES_MAX:
            _LOCAL_NAMES[tag] = name
    return name


def _untyped_value(element: Any) -> Any:
    """An element no model field describes (kept as an extra field): text, a dict, or a list."""
    children = list(element)
    if not children:
        return element.text or ""
    names = [_local_name_of(child.tag) for child in children]
    if len(children) > 1 and len(set(names)) == 1:
        return [_untyped_value(child) for child in children]
    return {name: _untyped_value(child) for name, child in zip(names, children, strict=True)}


def _element_to_dict(
    element: Any, model: type[BaseModel], nils: frozenset[Any], skip: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """``element`` (lxml) as the dict ``model`` validates; ``nils``: the elements with ``xsi:nil="true"``;
    ``skip``: names of ``element``'s children left out.

    The hot loop of an XML parse (once per element): names are looked up in a cache, not split.
    """
    shapes = _shapes(model)
    local_names = _LOCAL_NAMES
    values: dict[str, Any] = {}
    for child in element:
        tag = child.tag
        name = local_names.get(tag)
        if name is None:
            name = _local_name_of(tag)
        if skip and name in skip:
            continue
        if nils and child in nils:
            values[name] = None
            continue
        shape = shapes.get(name)
        if shape is None:
            values[name] = _untyped_value(child)
        elif shape.is_list:
            item_model = shape.model
            items = list(child)
            for item in items:
                if item.tag.__class__ is not str:  # an item's name is not read, but it must be an element
                    _local_name_of(item.tag)
            if item_model is None:
                values[name] = [item.text or "" for item in items]
            else:
                values[name] = [_element_to_dict(item, item_model, nils) for item in items]
        elif shape.model is not None:
            values[name] = _element_to_dict(child, shape.model, nils)
        else:
            text = child.text
            values[name] = text if text else ("" if shape.is_text else None)
    return values


def _nil_elements(root: Any, skip: frozenset[str] = frozenset()) -> frozenset[Any]:
    """The elements marked ``xsi:nil="true"``, found in one pass in C: cheaper than asking each element
    (under the root's children named in ``skip``: not looked for).

    lxml hands back the same element object for a node while a reference to it is held (this set
    holds them), so the walk finds them by identity.
    """
    if skip:  # the few elements left: walked from Python (an XPath from any element spans the document)
        subtrees = [child for child in root if _local_name_of(child.tag) not in skip]
        found = [element for child in subtrees for element in child.iter() if element.get(_XSI_NIL)]
    else:
        found = _lxml().with_nil_attribute(root)
    return frozenset(element for element in found if element.get(_XSI_NIL) == "true")


def _refuse_dtd(body: bytes) -> None:
    """Refuse a body that has a DTD or an entity declaration, before libxml2 sees it.

    NUL bytes are dropped first: in UTF-16 and UTF-32 every ASCII character carries them, so the
    scan finds ``<!DOCTYPE`` there too. (Other encodings are caught after parsing: see ``_parse``.)
    """
    scanned = body.replace(b"\x00", b"") if b"\x00" in body else body
    if b"!" in scanned and _DTD_MARKUP.search(scanned):  # "!" is rare: skips the regex, mostly
        raise ForbiddenXml("XML with a DTD or entity declarations is refused")


def parse_root(body: bytes) -> Any:
    """The root element (lxml) of ``body``, parsed safely (see the module docstring)."""
    _refuse_dtd(body)
    lxml = _lxml()
    try:
        root = lxml.etree.fromstring(body, lxml.parser)
    except lxml.etree.XMLSyntaxError as error:
        limit = lxml.etree.ErrorTypes.ERR_RESOURCE_LIMIT
        entity_limit = error.code == limit and "entit" in str(error).lower()
        if error.code in lxml.entity_errors or entity_limit:
            raise ForbiddenXml(f"XML with entity references is refused ({error})") from None
        raise MalformedBody(f"Malformed XML body: {error}") from None
    except (ValueError, TypeError) as error:  # e.g. a body lxml cannot take at all
        raise MalformedBody(f"Malformed XML body: {error}") from None
    if root is None:
        raise MalformedBody("Malformed XML body: no element found")
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype or docinfo.system_url or docinfo.public_id:
        raise ForbiddenXml("XML with a DTD is refused")  # in an encoding the byte scan cannot read
    return root


def parse_xml[M: BaseModel](body: bytes, model: type[M]) -> tuple[M, list[str], str | None]:
    """Parse ``body`` into ``model``; returns the model, the wrong-typed fields (removed from it)
    and the XML namespace of the root element.

    Raises ``ForbiddenXml`` for DTDs/entities/external references and ``MalformedBody`` for XML that
    is not well-formed or whose root is not ``<{model name}>``.
    """
    return model_from_root(parse_root(body), model)


def model_from_root[M: BaseModel](
    root: Any, model: type[M], skip: frozenset[str] = frozenset()
) -> tuple[M, list[str], str | None]:
    """``parse_xml`` of a root ``parse_root`` gave; ``skip``: top-level fields left out (unread)."""
    root_name = local_name(root.tag)
    if root_name != model.__name__:
        raise MalformedBody(
            f"Malformed XML body: the root element must be <{model.__name__}>, not <{root_name}>"
        )
    data = _element_to_dict(root, model, _nil_elements(root, skip), skip)
    parsed, problems = validate_collecting(model, data)
    return parsed, problems, namespace_of(root.tag)


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
