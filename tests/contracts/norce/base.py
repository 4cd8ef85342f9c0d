"""The base of every description: exactly the documented fields, nothing else, each with its source."""

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError


class Published(BaseModel):
    """A payload as Norce publishes it: an undocumented field is an error (``extra="forbid"``), and so is a
    value of another type (``strict``: no "1" for an int). ``SOURCE`` names the page it comes from."""

    model_config = ConfigDict(extra="forbid", strict=True)
    SOURCE: ClassVar[str] = ""


def violations(model: type[Published], payload: Any) -> list[str]:
    """What in ``payload`` breaks ``model``'s published contract (empty: it keeps it)."""
    try:
        model.model_validate(payload)
    except ValidationError as error:
        return [f"{'.'.join(map(str, e['loc'])) or '(body)'}: {e['msg']}" for e in error.errors()]
    return []
