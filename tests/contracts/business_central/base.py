"""The base of every Business Central description: exactly the published fields, each with its source.

An entity is described as a table, ``name: (type, max length, source)``: the name and type from the API page
(``microsoft/BCApps`` ``src/Apps/W1/APIV2/app/src/pages/APIV2*.Page.al``, field by field), the length from the
table field behind it (``src/Layers/W1/BaseApp``); ``described`` turns it into a strict pydantic model
(``tests.contracts.norce.base.Published``: an undocumented field or a value of another type is an error).
JSON dates are strings in a description.
"""

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, StringConstraints, create_model

from tests.contracts.norce.base import Published, violations  # the same strict base as Norce's

__all__ = ["DATE", "DATETIME", "DECIMAL", "GUID", "complete", "described", "enum", "text", "violations"]

GUID = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")]
DATE = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")]
DATETIME = Annotated[
    str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
]
DECIMAL = float  # a JSON number (strict: a number, never text)


def text(length: int | None = None) -> Any:
    """A Text[n] or Code[n] field: at most ``length`` characters."""
    return Annotated[str, StringConstraints(max_length=length)] if length else str


def enum(*values: str) -> Any:
    return Literal[values]  # type: ignore[valid-type]


class BusinessCentral(Published):
    """A Business Central payload; ``SOURCE`` names the page it is described from."""

    SOURCE: ClassVar[str] = ""


def described(
    name: str, source: str, fields: dict[str, tuple[Any, str]], required: tuple[str, ...] = ()
) -> type[BusinessCentral]:
    """A model with exactly ``fields`` (``name: (type, source)``); every field optional unless ``required``
    (a request may leave a field out; an answer carries them all, which the tests ask with ``complete``)."""
    definitions: dict[str, Any] = {}
    for field_name, (kind, field_source) in fields.items():
        alias = field_name
        python_name = field_name.replace("@odata.", "odata_").replace("@", "")
        if field_name in required:
            definitions[python_name] = (kind, Field(alias=alias, description=field_source))
        else:
            definitions[python_name] = (
                kind | None,
                Field(default=None, alias=alias, description=field_source),
            )
    model = create_model(name, __base__=BusinessCentral, **definitions)
    model.SOURCE = source  # type: ignore[misc]
    return model


def complete(model: type[BusinessCentral], payload: dict[str, Any]) -> list[str]:
    """What an answer lacks of ``model``'s fields (Business Central answers every property of an entity)."""
    wanted = {info.alias or name for name, info in model.model_fields.items()}
    return sorted(wanted - set(payload))
