"""Wire formats of Norce messages: JSON and XML parse into the same pydantic models and back."""

from norce_integration.codec.errors import ForbiddenXml, MalformedBody
from norce_integration.codec.formats import WireFormat, format_for_content_type

__all__ = ["ForbiddenXml", "MalformedBody", "WireFormat", "format_for_content_type"]
