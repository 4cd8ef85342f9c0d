"""Rendering answers to Norce in the wire format of its request."""

import json
import xml.etree.ElementTree as ET  # building only; parsing goes through lxml (xml_codec)

from norce_integration.codec.formats import WireFormat
from norce_integration.codec.json_codec import to_json_bytes
from norce_integration.codec.xml_codec import to_xml_bytes
from norce_integration.contracts import OrderResponse


def render_order_response(
    response: OrderResponse, wire_format: WireFormat, namespace: str | None = None
) -> bytes:
    if wire_format is WireFormat.XML:
        return to_xml_bytes(response, namespace)
    return to_json_bytes(response, only_set=False)  # every field, nulls included, like Norce's examples


def render_error(message: str, wire_format: WireFormat | None) -> tuple[bytes, str]:
    """A short non-200 answer (401/413/415/400/503); JSON unless the request was XML."""
    if wire_format is WireFormat.XML:
        error = ET.Element("Error")
        ET.SubElement(error, "Message").text = message
        return ET.tostring(error, encoding="utf-8", xml_declaration=True), WireFormat.XML.media_type
    return json.dumps({"message": message}).encode(), WireFormat.JSON.media_type
