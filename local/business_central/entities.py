"""Reading and writing entities as the Business Central simulator's API pages do: the JSON of a row, and
the checks on a body before anything is written.

A body may name only the entity's properties (else 400, OData's "does not exist on type" message), no
read-only one (400 ``BadRequest_InvalidOperation``, "Control 'x' is read-only"), values of the property's
type (an enum only its options, BC's "is not an option" message), and no text longer than its field (400
``Application_StringExceededLength`` with BC's message). Code fields are stored upper-cased and trimmed.
"""

import re
from typing import Any

from local.business_central.odata import ODataError
from local.business_central.schema import Entity

_GUID = re.compile(r"^[0-9A-Fa-f]{8}-([0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def render(row: dict[str, Any], entity: Entity, etag: str) -> dict[str, Any]:
    """The entity's JSON: its etag, then its properties in the page's order."""
    return {"@odata.etag": etag} | {f.name: row.get(f.name) for f in entity.fields}


def checked(body: Any, entity: Entity, *, creating: bool, nested: tuple[str, ...] = ()) -> dict[str, Any]:
    """``body`` as it may be written to ``entity`` (``nested``: the navigations a deep insert may carry)."""
    if not isinstance(body, dict):
        raise ODataError(400, "BadRequest", "Invalid Request Body")
    values: dict[str, Any] = {}
    for name, value in body.items():
        if name in nested:
            continue
        spec = entity.by_name.get(name)
        if spec is None:
            raise ODataError(
                400,
                "BadRequest",
                f"The property '{name}' does not exist on type '{entity.type_name}'. Make sure to only use "
                "property names that are defined by the type.",
            )
        if spec.read_only and not (creating and name == "id"):
            raise ODataError(400, "BadRequest_InvalidOperation", f"Control '{name}' is read-only")
        values[name] = _value(spec, value, entity)
    return values


def _value(spec: Any, value: Any, entity: Entity) -> Any:
    kind = spec.kind
    if value is None:
        raise ODataError(
            400, "BadRequest_RequiredParamNotProvided", f"Field '{spec.name}' must not be blank or empty."
        )
    wrong = ODataError(
        400, "BadRequest", f"Cannot convert the literal '{value}' to the expected type '{kind}'."
    )
    if kind in ("text", "code"):
        if not isinstance(value, str):
            raise wrong
        text = value.strip().upper() if kind == "code" else value
        if spec.length is not None and len(text) > spec.length:
            raise ODataError(
                400,
                "Application_StringExceededLength",
                f"The length of the string is {len(text)}, but it must be less than or equal to "
                f"{spec.length} "
                f"characters. Value: {text}",
            )
        return text
    if kind == "decimal" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if kind == "integer" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind == "guid" and isinstance(value, str) and _GUID.match(value):
        return value.lower()
    if kind == "date" and isinstance(value, str) and _DATE.match(value):
        return value
    if kind == "enum" and isinstance(value, str):
        if value not in spec.values:
            raise ODataError(
                400,
                "Unknown",
                f"'{value}' is not an option. The existing options are: {','.join(spec.values)}",
            )
        return value
    raise wrong
