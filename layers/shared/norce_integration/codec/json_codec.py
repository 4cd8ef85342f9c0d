"""JSON (de)serialization of Norce contracts, exact to the fields Norce sent."""

import json
from typing import Any

from pydantic import BaseModel, ValidationError

from norce_integration.codec.errors import MalformedBody
from norce_integration.codec.lenient import validate_collecting

_UTF8_BOM = b"\xef\xbb\xbf"


def parse_json[M: BaseModel](body: bytes, model: type[M]) -> tuple[M, list[str]]:
    """Parse ``body`` into ``model``; returns the model and the wrong-typed fields (removed from it).

    Raises ``MalformedBody`` when the body is not a JSON object.
    """
    if body.startswith(_UTF8_BOM):  # .NET clients may send a byte-order mark
        body = body[len(_UTF8_BOM) :]
    try:
        return model.model_validate_json(body), []  # the fast path: one pass in pydantic-core
    except ValidationError as error:
        first = error.errors()[0]
        if first["type"] == "json_invalid":
            raise MalformedBody(f"Malformed JSON body: {first['msg']}") from None
    data = json.loads(body)
    if not isinstance(data, dict):
        raise MalformedBody("Malformed JSON body: the body must be a JSON object")
    return validate_collecting(model, data)


def to_json_dict(model: BaseModel, *, only_set: bool = True) -> dict[str, Any]:
    """As JSON values. ``only_set``: just the fields that were set, so a parsed message serializes
    back exactly as it came (nulls Norce sent included, defaults it did not send left out)."""
    return model.model_dump(mode="json", exclude_unset=only_set)


def to_json_bytes(model: BaseModel, *, only_set: bool = True) -> bytes:
    return json.dumps(
        to_json_dict(model, only_set=only_set), ensure_ascii=False, separators=(",", ":")
    ).encode()
