"""XML bodies are parsed with lxml, and refused as defusedxml refused them.

A DTD, an entity declaration, a reference to an undeclared or external entity and an external
reference all end in ``ForbiddenXml`` (HTTP 400) without anything being expanded, read or fetched;
XML that is not well-formed ends in ``MalformedBody``. (tests/unit/test_contracts.py has the simple
internal-entity, external-DTD and entity-expansion cases.)
"""

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from norce_integration.codec import ForbiddenXml, MalformedBody, xml_codec
from norce_integration.codec.json_codec import parse_json
from norce_integration.codec.xml_codec import parse_xml, to_xml_bytes
from norce_integration.contracts import OrderRequest

PAYLOADS = Path(__file__).resolve().parents[2] / "events" / "payloads"
SAMPLE_XMLS = sorted(PAYLOADS.glob("*.xml"))

_LOL = b"".join(b'<!ENTITY lol%d "%s">' % (level, b"&lol%d;" % (level - 1) * 10) for level in range(1, 10))
BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE OrderRequest [<!ENTITY lol0 "lol">'
    + _LOL
    + b"]><OrderRequest><ClientOrderRef>&lol9;</ClientOrderRef></OrderRequest>"
)
QUADRATIC_BLOWUP = (
    b'<?xml version="1.0"?><!DOCTYPE OrderRequest [<!ENTITY a "'
    + b"a" * 50_000
    + b'">]><OrderRequest><ClientOrderRef>'
    + b"&a;" * 50_000
    + b"</ClientOrderRef></OrderRequest>"
)


def _doctype(entities: str, reference: str = "&x;") -> str:
    return (
        f'<?xml version="1.0"?><!DOCTYPE OrderRequest [{entities}]>'
        f"<OrderRequest><ClientOrderRef>{reference}</ClientOrderRef></OrderRequest>"
    )


REFUSED = {
    "billion-laughs": BILLION_LAUGHS,
    "quadratic-blowup": QUADRATIC_BLOWUP,
    "xxe-file": _doctype('<!ENTITY x SYSTEM "file:///etc/passwd">').encode(),
    "xxe-http": _doctype('<!ENTITY x SYSTEM "http://127.0.0.1:9/">').encode(),
    "xxe-public": _doctype('<!ENTITY x PUBLIC "-//X//EN" "http://127.0.0.1:9/x">').encode(),
    "external-dtd": b'<!DOCTYPE x SYSTEM "http://127.0.0.1:9/x.dtd"><OrderRequest/>',
    "external-dtd-file": b'<!DOCTYPE OrderRequest SYSTEM "file:///etc/passwd"><OrderRequest/>',
    "doctype-without-subset": b"<!DOCTYPE OrderRequest><OrderRequest/>",
    "parameter-entity-external": _doctype(
        '<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;', reference="R1"
    ).encode(),
    "parameter-entity-internal": _doctype(
        "<!ENTITY % p \"<!ENTITY x 'y'>\"> %p;",
    ).encode(),
    "parameter-entity-exfiltration": _doctype(
        '<!ENTITY % file SYSTEM "file:///etc/passwd">'
        "<!ENTITY % eval \"<!ENTITY &#x25; leak SYSTEM 'http://127.0.0.1:9/?%file;'>\"> %eval; %leak;",
        reference="R1",
    ).encode(),
    "doctype-after-comment": (
        b'<?xml version="1.0"?><!-- an order --><?norce x?>\n<!-- more -->'
        b'<!DOCTYPE OrderRequest [<!ENTITY x "y">]><OrderRequest/>'
    ),
    "doctype-in-lower-case": b'<!doctype OrderRequest [<!entity x "y">]><OrderRequest/>',
    "doctype-with-whitespace": b'<!  DOCTYPE OrderRequest [<!ENTITY x "y">]><OrderRequest/>',
    "utf-16-le-with-bom": _doctype('<!ENTITY x SYSTEM "file:///etc/passwd">')
    .replace('"1.0"?>', '"1.0" encoding="UTF-16"?>')
    .encode("utf-16"),
    "utf-16-be-without-bom": _doctype('<!ENTITY x "y">')
    .replace('"1.0"?>', '"1.0" encoding="UTF-16BE"?>')
    .encode("utf-16-be"),
    "utf-32": ('<!DOCTYPE OrderRequest [<!ENTITY x "y">]><OrderRequest>&x;</OrderRequest>').encode("utf-32"),
    "undeclared-entity": b"<OrderRequest><ClientOrderRef>&x;</ClientOrderRef></OrderRequest>",
    "undeclared-entity-in-attribute": b'<OrderRequest a="&x;"/>',
}


@pytest.mark.parametrize("body", REFUSED.values(), ids=REFUSED.keys())
def test_dtds_entities_and_external_references_are_refused(body):
    with pytest.raises(ForbiddenXml):
        parse_xml(body, OrderRequest)


def test_a_doctype_in_an_encoding_the_byte_scan_cannot_read_is_refused_after_parsing():
    """UTF-7 hides ``<!DOCTYPE`` from a scan of the bytes; libxml2 reports it, and it is refused."""
    try:
        etree.fromstring(b'<?xml version="1.0" encoding="UTF-7"?><a/>', xml_codec._lxml().parser)
    except etree.XMLSyntaxError:
        pytest.skip("this libxml2 cannot read UTF-7")
    doctype = '<!DOCTYPE OrderRequest SYSTEM "http://127.0.0.1:9/x.dtd">'.encode("utf-7")
    declaration = b'<?xml version="1.0" encoding="UTF-7"?>'
    body = declaration + doctype.replace(b"<", b"+ADw-") + b"<OrderRequest/>"
    assert b"<!DOCTYPE" not in body.upper()

    with pytest.raises(ForbiddenXml):
        parse_xml(body, OrderRequest)


@pytest.fixture
def local_server() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on localhost that records every request and answers with an entity declaration."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"<!ENTITY leak 'LEAKED'>")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_the_parser_itself_expands_loads_and_fetches_nothing(local_server, tmp_path):
    """Even without the byte scan in front of it (a DTD in an exotic encoding), the parser neither
    substitutes entities, nor reads files, nor fetches DTDs or entities over the network."""
    url, requests = local_server
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-CONTENT")
    bodies = [
        f'<!DOCTYPE a [<!ENTITY x SYSTEM "{secret.as_uri()}">]><a>&x;</a>',
        f'<!DOCTYPE a [<!ENTITY x SYSTEM "{url}/entity">]><a>&x;</a>',
        f'<!DOCTYPE a SYSTEM "{url}/a.dtd"><a>&leak;</a>',
        f'<!DOCTYPE a [<!ENTITY % p SYSTEM "{url}/p.dtd"> %p;]><a>&leak;</a>',
        '<!DOCTYPE a [<!ENTITY x "expanded">]><a>&x;</a>',
    ]
    for body in bodies:
        try:
            root = etree.fromstring(body.encode(), xml_codec._lxml().parser)
        except etree.XMLSyntaxError:
            continue
        text = repr([(node.text, node.tail) for node in root.iter()])  # an entity node reads "&x;"
        assert "SECRET" not in text and "LEAKED" not in text and "expanded" not in text, body
        assert root.getroottree().docinfo.internalDTD is not None, "parse_xml refuses this document"
    assert requests == []


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        b"not xml at all",
        b"<OrderRequest>",
        b"<OrderRequest><ClientOrderRef>R1</OrderRequest>",
        b"<OrderRequest></OrderRequest><OrderRequest/>",
        b"<OrderRequest><ClientOrderRef>a & b</ClientOrderRef></OrderRequest>",
        b"<OrderRequest><ClientOrderRef>&#0;</ClientOrderRef></OrderRequest>",
        b"<OrderRequest>" + b"<x>" * 300 + b"</x>" * 300 + b"</OrderRequest>",
        b"\xff\xfe\x00garbage",
    ],
    ids=[
        "empty",
        "blank",
        "text",
        "unclosed",
        "mismatched-tags",
        "two-roots",
        "bare-ampersand",
        "invalid-char-ref",
        "too-deep",
        "bad-encoding",
    ],
)
def test_malformed_xml_is_reported_as_malformed(body):
    with pytest.raises(MalformedBody, match="Malformed XML body"):
        parse_xml(body, OrderRequest)


def test_predefined_entities_character_references_and_cdata_are_read():
    body = (
        b"<OrderRequest><ClientOrderRef>A&amp;B&#65;&#x42;&lt;&gt;&quot;&apos;</ClientOrderRef>"
        b"<CustomerOrderComment><![CDATA[<b>fragile</b> & heavy]]></CustomerOrderComment></OrderRequest>"
    )
    order, problems, _ = parse_xml(body, OrderRequest)

    assert problems == []
    assert order.ClientOrderRef == "A&BAB<>\"'"
    assert order.CustomerOrderComment == "<b>fragile</b> & heavy"


def test_comments_and_processing_instructions_are_not_read_as_fields():
    body = (
        b'<?xml version="1.0"?><!-- before --><?norce before?>'
        b"<OrderRequest><!-- a comment --><?norce pi?>"
        b"<ClientOrderRef>R<!-- inside -->1</ClientOrderRef>"
        b"<Items><!-- no item here --><OrderItem><PartNo>P1</PartNo><?x y?></OrderItem></Items>"
        b"</OrderRequest><!-- after -->"
    )
    order, problems, _ = parse_xml(body, OrderRequest)

    assert problems == []
    assert order.ClientOrderRef == "R1"
    assert [item.PartNo for item in order.Items] == ["P1"]
    assert order.model_extra == {} and order.Items[0].model_extra == {}


def test_an_utf_16_order_without_a_dtd_is_read():
    body = (
        '<?xml version="1.0" encoding="UTF-16"?>'
        "<OrderRequest><ClientOrderRef>Å1</ClientOrderRef></OrderRequest>"
    )
    order, _, _ = parse_xml(body.encode("utf-16"), OrderRequest)
    assert order.ClientOrderRef == "Å1"


def _json_twin(xml_path: Path) -> Path:
    """The JSON sample an XML sample is the same order as: same name, or without ``-namespaced``."""
    for stem in (xml_path.stem, xml_path.stem.removesuffix("-namespaced")):
        if (PAYLOADS / f"{stem}.json").exists():
            return PAYLOADS / f"{stem}.json"
    return PAYLOADS / "order-request.json"


@pytest.mark.parametrize("xml_path", SAMPLE_XMLS, ids=[path.name for path in SAMPLE_XMLS])
def test_every_sample_xml_reads_as_the_same_order_as_its_json(xml_path):
    from_json, json_problems = parse_json(_json_twin(xml_path).read_bytes(), OrderRequest)
    from_xml, xml_problems, _ = parse_xml(xml_path.read_bytes(), OrderRequest)

    assert xml_problems == json_problems == []
    assert from_xml.model_dump() == from_json.model_dump()


@pytest.mark.parametrize("xml_path", SAMPLE_XMLS, ids=[path.name for path in SAMPLE_XMLS])
def test_every_sample_xml_round_trips_in_its_namespace(xml_path):
    order, _, namespace = parse_xml(xml_path.read_bytes(), OrderRequest)

    again, problems, again_namespace = parse_xml(to_xml_bytes(order, namespace), OrderRequest)

    assert problems == [] and again_namespace == namespace
    assert again.model_dump() == order.model_dump()
