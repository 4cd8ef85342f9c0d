"""Which wire format a request uses, from its Content-Type."""

from enum import StrEnum


class WireFormat(StrEnum):
    JSON = "json"
    XML = "xml"

    @property
    def media_type(self) -> str:
        return "application/json" if self is WireFormat.JSON else "application/xml"


_MEDIA_TYPES = {
    "application/json": WireFormat.JSON,
    "text/json": WireFormat.JSON,
    "application/xml": WireFormat.XML,
    "text/xml": WireFormat.XML,
}


def format_for_content_type(content_type: str | None) -> WireFormat | None:
    """``application/json`` / ``application/xml`` / ``text/xml`` (parameters such as charset ignored,
    ``+json``/``+xml`` suffixes accepted); ``None`` when the type is missing or unsupported."""
    if not content_type:
        return None
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type in _MEDIA_TYPES:
        return _MEDIA_TYPES[media_type]
    if media_type.endswith("+json"):
        return WireFormat.JSON
    if media_type.endswith("+xml"):
        return WireFormat.XML
    return None
