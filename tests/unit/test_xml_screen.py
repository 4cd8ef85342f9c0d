"""The XML fast path (``codec.xml_screen``): libxml2 checks a large order's lines against a schema
generated from the contracts, and the receiver reads only the rest in Python.

What must hold: the receiver answers *exactly* as the full path would (the same outcome, the same
OrderResponse, the same namespace) for every sample and every way of breaking a line rule; the fast
path is taken for every valid sample (else it buys nothing); nothing the schema could name is fetched.
"""

import base64
import json
import re
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import field_validator

from norce_integration.adapters.memory.intake import InMemoryArchive, InMemoryLedger, InMemoryQueue
from norce_integration.codec import WireFormat, xml_screen
from norce_integration.codec.json_codec import parse_json
from norce_integration.codec.xml_codec import parse_root, to_xml_bytes
from norce_integration.contracts import OrderRequest
from norce_integration.contracts.base import NorceModel
from norce_integration.intake import service
from norce_integration.intake.service import IntakeSettings, OrderIntake
from tests.unit.test_xml_safety import local_server  # noqa: F401 - a fixture

ROOT = Path(__file__).resolve().parents[2]
NORCE_NS = "http://schemas.datacontract.org/2004/07/Enferno.Services.StormConnect.Contracts.Order"
BASE = (ROOT / "events" / "payloads" / "order-request.xml").read_text()
XSI = 'xmlns:i="http://www.w3.org/2001/XMLSchema-instance"'
ITEM = re.search(r"    <OrderItem>.*?</OrderItem>\n", BASE, re.S).group(0)  # type: ignore[union-attr]
Q, P, LN, UP = (
    "<Quantity>2</Quantity>",
    "<PartNo>ITEM001</PartNo>",
    "<LineNo>1</LineNo>",
    "<UnitPrice>300</UnitPrice>",
)


def sample_orders() -> dict[str, bytes]:
    """Every valid XML order the project ships, and every JSON one as XML (with and without Norce's
    namespace)."""
    out: dict[str, bytes] = {}
    for path in sorted((ROOT / "events" / "payloads").glob("order-request*")):
        if path.suffix == ".xml":
            out[path.name] = path.read_bytes()
        else:
            order = parse_json(path.read_bytes(), OrderRequest)[0]
            out[f"{path.name} as XML"] = to_xml_bytes(order)
            out[f"{path.name} as XML in Norce's namespace"] = to_xml_bytes(order, NORCE_NS)
    for path in sorted((ROOT / "events" / "order_receiver").glob("post-order-xml*.json")):
        event = json.loads(path.read_text())
        body = event["body"]
        out[path.name] = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
    return {name: body for name, body in out.items() if b"<!DOCTYPE" not in body}


def mutated(old: str, new: str, base: str = BASE) -> bytes:
    assert old in base, old
    return base.replace(old, new, 1).encode()


def with_xsi(old: str, new: str) -> bytes:
    return mutated(old, new, BASE.replace("<OrderRequest>", f"<OrderRequest {XSI}>"))


def lines(*line_nos: str) -> bytes:
    return mutated(ITEM, "".join(ITEM.replace(LN, line) for line in line_nos))


ITEMS_BLOCK = re.search(r"  <Items>.*</Items>\n", BASE, re.S).group(0)  # type: ignore[union-attr]
MUTATIONS: dict[str, bytes] = {
    "Quantity 0": mutated(Q, "<Quantity>0</Quantity>"),
    "Quantity -1": mutated(Q, "<Quantity>-1</Quantity>"),
    "Quantity 0.0": mutated(Q, "<Quantity>0.0</Quantity>"),
    "Quantity 0.5": mutated(Q, "<Quantity>0.5</Quantity>"),
    "Quantity abc": mutated(Q, "<Quantity>abc</Quantity>"),
    "Quantity 1e5": mutated(Q, "<Quantity>1e5</Quantity>"),
    "Quantity ' 2 '": mutated(Q, "<Quantity> 2 </Quantity>"),
    "Quantity Arabic-Indic digit": mutated(Q, "<Quantity>\u0663</Quantity>"),
    "Quantity in CDATA": mutated(Q, "<Quantity><![CDATA[2]]></Quantity>"),
    "Quantity with an attribute": mutated(Q, '<Quantity unit="pcs">2</Quantity>'),
    "Quantity xsi:type string abc": with_xsi(
        Q, '<Quantity xmlns:xs="http://www.w3.org/2001/XMLSchema" i:type="xs:string">abc</Quantity>'
    ),
    "Quantity missing": mutated(Q, ""),
    "Quantity nil": with_xsi(Q, '<Quantity i:nil="true"/>'),
    "Quantity twice, the last bad": mutated(Q, Q + "<Quantity>abc</Quantity>"),
    "PartNo empty": mutated(P, "<PartNo></PartNo>"),
    "PartNo blank": mutated(P, "<PartNo>   </PartNo>"),
    "PartNo no-break space": mutated(P, "<PartNo>\u00a0</PartNo>"),
    "PartNo ideographic space": mutated(P, "<PartNo>\u3000</PartNo>"),
    "PartNo with a leading space": mutated(P, "<PartNo> X</PartNo>"),
    "PartNo missing": mutated(P, ""),
    "PartNo nil": with_xsi(P, '<PartNo i:nil="true"/>'),
    "LineNo 1, 2": lines(LN, "<LineNo>2</LineNo>"),
    "LineNo 1, 1": lines(LN, LN),
    "LineNo 01, 1": lines("<LineNo>01</LineNo>", LN),
    "LineNo absent twice": lines("", ""),
    "LineNo nil twice": with_xsi(ITEM, 2 * ITEM.replace(LN, '<LineNo i:nil="true"/>')),
    "LineNo empty twice": lines("<LineNo/>", "<LineNo/>"),
    "LineNo 1.0": mutated(LN, "<LineNo>1.0</LineNo>"),
    "LineNo +1": mutated(LN, "<LineNo>+1</LineNo>"),
    "LineNo of 30 digits": mutated(LN, f"<LineNo>{'1' * 30}</LineNo>"),
    "UnitPrice abc": mutated(UP, "<UnitPrice>abc</UnitPrice>"),
    "UnitPrice -1": mutated(UP, "<UnitPrice>-1</UnitPrice>"),
    "UnitPrice -0": mutated(UP, "<UnitPrice>-0</UnitPrice>"),
    "UnitPrice of 45 digits": mutated(UP, f"<UnitPrice>{'9' * 45}</UnitPrice>"),
    "UnitPrice nil": with_xsi(UP, '<UnitPrice i:nil="true"/>'),
    "UnitPrice of 13 integer digits": mutated(UP, f"<UnitPrice>{'9' * 13}</UnitPrice>"),
    "UnitPrice of 12 integer digits": mutated(UP, f"<UnitPrice>{'9' * 12}.5</UnitPrice>"),
    "Quantity 1.5": mutated(Q, "<Quantity>1.5</Quantity>"),
    "Quantity 2.0": mutated(Q, "<Quantity>2.0</Quantity>"),
    "Quantity of 10 digits": mutated(Q, f"<Quantity>{'1' * 10}</Quantity>"),
    "Quantity2 2.5": mutated(Q, Q + "<Quantity2>2.5</Quantity2>"),
    "Quantity2 -2.5": mutated(Q, Q + "<Quantity2>-2.5</Quantity2>"),
    "Quantity 0 with Quantity2 2.5": mutated(Q, "<Quantity>0</Quantity><Quantity2>2.5</Quantity2>"),
    "UnitVat -1": mutated(UP, UP + "<UnitVat>-1</UnitVat>"),
    "Discount of 13 integer digits": mutated(UP, UP + f"<Discount>{'9' * 13}</Discount>"),
    "UnitPrice nil with content": with_xsi(UP, '<UnitPrice i:nil="true">300</UnitPrice>'),
    "Comment nil='1'": with_xsi("<Comment>Urgent delivery</Comment>", '<Comment i:nil="1"/>'),
    "Items empty": mutated(ITEMS_BLOCK, "  <Items/>\n"),
    "Items missing": mutated(ITEMS_BLOCK, ""),
    "Items nil": with_xsi(ITEMS_BLOCK, '  <Items i:nil="true"/>\n'),
    "Items twice, the last empty": mutated(ITEMS_BLOCK, ITEMS_BLOCK + "  <Items/>\n"),
    "Items item not named OrderItem": mutated(ITEM, ITEM.replace("OrderItem>", "Item>")),
    "Items in another namespace": mutated("<Items>", '<Items xmlns="urn:other">'),
    "an unknown element in a line": mutated(Q, Q + "<Colour>red</Colour>"),
    "x:Quantity abc in another namespace": mutated(Q, Q + '<x:Quantity xmlns:x="urn:x">abc</x:Quantity>'),
    "Quantity before PartNo": mutated(P, Q + P, BASE.replace(Q, "")),
    "a bad header, good lines": mutated(
        "<CurrencyCode>SEK</CurrencyCode>", "<CurrencyCode>sek</CurrencyCode>"
    ),
    "a header field too long, good lines": mutated(
        "<FirstName>John</FirstName>", f"<FirstName>{'x' * 51}</FirstName>"
    ),
    "bad header and bad lines": mutated(
        Q, "<Quantity>0</Quantity>", BASE.replace("<CurrencyCode>SEK</CurrencyCode>", "")
    ),
}


def receive(body: bytes, *, screen: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, ...]:
    """The receiver's answer, with the fast path on or (``screen=False``) the whole order read."""
    with monkeypatch.context() as patch:
        if not screen:
            patch.setattr(xml_screen, "items_certainly_valid", lambda root: False)
        intake = OrderIntake(
            InMemoryLedger(),
            InMemoryArchive(),
            InMemoryQueue(),
            settings=IntakeSettings(allowed_currencies=frozenset({"SEK"})),
        )
        result = intake.receive(body, WireFormat.XML)
    response = result.response.model_dump() if result.response else None
    return result.outcome, result.http_status, response, result.namespace, result.client_order_ref


@pytest.mark.parametrize(
    "body",
    list(sample_orders().values()) + list(MUTATIONS.values()),
    ids=list(sample_orders()) + list(MUTATIONS),
)
def test_the_receiver_answers_exactly_as_when_it_reads_every_line(body, monkeypatch):
    assert receive(body, screen=True, monkeypatch=monkeypatch) == receive(
        body, screen=False, monkeypatch=monkeypatch
    )


@pytest.mark.parametrize("name", list(sample_orders()))
def test_every_valid_sample_takes_the_fast_path(name):
    assert xml_screen.items_certainly_valid(parse_root(sample_orders()[name]))


@pytest.mark.parametrize(
    "name",
    [
        "Quantity 0",
        "Quantity abc",
        "PartNo blank",
        "PartNo no-break space",
        "LineNo 1, 1",
        "LineNo 01, 1",
        "UnitPrice -1",
        "Items empty",
        "Items twice, the last empty",
        "x:Quantity abc in another namespace",
        "Quantity xsi:type string abc",
        "Quantity twice, the last bad",
    ],
)
def test_a_line_that_breaks_a_rule_is_never_screened_valid(name):
    assert not xml_screen.items_certainly_valid(parse_root(MUTATIONS[name]))


def test_a_large_order_is_screened_valid_and_its_lines_are_not_read_into_python(monkeypatch):
    from bench.common import order_json  # noqa: PLC0415

    order = parse_json(order_json("R-LARGE", 3000), OrderRequest)[0]
    body = to_xml_bytes(order, NORCE_NS)
    read: list[frozenset[str]] = []
    original = service.model_from_root
    monkeypatch.setattr(
        service,
        "model_from_root",
        lambda root, model, skip=frozenset(): read.append(skip) or original(root, model, skip),
    )

    result = OrderIntake(InMemoryLedger(), InMemoryArchive(), InMemoryQueue()).receive(body, WireFormat.XML)

    assert result.response is not None and result.response.StatusCode == "OK"
    assert read == [frozenset({"Items"})]


def test_a_duplicate_in_other_bytes_is_compared_with_its_lines(monkeypatch):
    ledger, archive = InMemoryLedger(), InMemoryArchive()
    intake = OrderIntake(ledger, archive, InMemoryQueue())
    first = intake.receive(BASE.encode(), WireFormat.XML)
    same_reindented = BASE.replace("\n    ", "\n      ").encode()
    other_lines = mutated(Q, "<Quantity>3</Quantity>")

    assert first.outcome is service.Outcome.ACCEPTED
    assert intake.receive(same_reindented, WireFormat.XML).outcome is service.Outcome.DUPLICATE
    assert intake.receive(other_lines, WireFormat.XML).outcome is service.Outcome.CONFLICT


def test_schema_hints_in_the_body_are_not_followed(local_server, tmp_path):  # noqa: F811
    url, requests = local_server
    secret = tmp_path / "secret.xsd"
    secret.write_text("<not-a-schema/>")
    hints = (
        f'<Items xmlns:s="http://www.w3.org/2001/XMLSchema-instance" '
        f's:noNamespaceSchemaLocation="{url}/items.xsd" s:schemaLocation="urn:x {secret.as_uri()}">'
    )
    root = parse_root(mutated("<Items>", hints))

    assert xml_screen.items_certainly_valid(root)
    assert requests == []


def test_the_number_of_compiled_schemas_is_bounded(monkeypatch):
    monkeypatch.setattr(xml_screen, "_schemas", {})
    for n in range(xml_screen._SCHEMAS_MAX + 3):
        body = BASE.replace("<OrderRequest>", f'<OrderRequest xmlns="urn:sender:{n}">').encode()
        xml_screen.items_certainly_valid(parse_root(body))

    assert len(xml_screen._schemas) == xml_screen._SCHEMAS_MAX


def test_a_contract_the_generator_cannot_mirror_is_refused_not_guessed():
    class WithValidator(NorceModel):
        Code: str | None = None

        @field_validator("Code")
        @classmethod
        def upper(cls, value: str | None) -> str | None:
            return value.upper() if value else value

    class WithDate(NorceModel):
        When: "dict[str, int] | None" = None

    for model in (WithValidator, WithDate):
        with pytest.raises(xml_screen.Unsupported):
            xml_screen._Schema(None)._model(model)


_LINE_FIELDS = ("LineNo", "PartNo", "Quantity", "UnitPrice", "VatRate", "PriceListNo", "Discount", "Comment")
_TEXT = st.one_of(
    st.sampled_from(
        ["", "0", "1", "-1", "01", "1.0", "0.0", "0.5", "1e3", " 2", "2 ", "+3", "abc", "true", "٣"]
    ),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=6),
    st.from_regex(r"-?[0-9]{1,3}(\.[0-9]{1,2})?", fullmatch=True),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    changes=st.lists(st.tuples(st.sampled_from(_LINE_FIELDS), _TEXT), min_size=1, max_size=4),
    second_line=st.booleans(),
)
def test_any_line_values_get_the_same_answer_both_ways(changes, second_line, monkeypatch):
    """Whatever text a line's fields hold, the fast path never answers otherwise than the full path."""
    item = ITEM
    for name, text in changes:
        element = f"<{name}>{escape(text)}</{name}>"
        found = re.search(rf"<{name}>.*?</{name}>|<{name}/>", item)
        item = (
            item.replace(found.group(0), element)
            if found
            else item.replace("</OrderItem>", element + "</OrderItem>")
        )
    body = BASE.replace(ITEM, item + (ITEM if second_line else "")).encode()
    assert receive(body, screen=True, monkeypatch=monkeypatch) == receive(
        body, screen=False, monkeypatch=monkeypatch
    )
