"""OrderRequest/OrderResponse contracts: every field of Norce's example, JSON and XML, unknown fields kept."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from defusedxml.ElementTree import fromstring

from norce_integration.codec import ForbiddenXml, MalformedBody
from norce_integration.codec.formats import WireFormat, format_for_content_type
from norce_integration.codec.json_codec import parse_json, to_json_dict
from norce_integration.codec.responses import render_order_response
from norce_integration.codec.xml_codec import parse_xml, to_xml_bytes
from norce_integration.contracts import OrderRequest, OrderResponse

PAYLOADS = Path(__file__).resolve().parents[2] / "events" / "payloads"
EXAMPLE_JSON = (PAYLOADS / "order-request.json").read_bytes()
EXAMPLE_XML = (PAYLOADS / "order-request.xml").read_bytes()
NAMESPACED_XML = (PAYLOADS / "order-request-namespaced.xml").read_bytes()


def example() -> OrderRequest:
    order, problems = parse_json(EXAMPLE_JSON, OrderRequest)
    assert problems == []
    return order


def test_every_field_of_the_example_order_is_read_into_the_model():
    order = example()

    person = order.SellTo.Person
    assert (person.CustomerCode, person.FirstName, person.Email) == (
        "CUST0001",
        "John",
        "john.doe@example.com",
    )
    assert person.Address.Line1 == "123 Example Street" and person.Address.Box == ""
    assert order.BillTo.Person.CustomerCode == "BILL0002"
    assert order.ShipTo.Person.Address.City == "Shipville"
    assert (order.ClientOrderRef, order.CurrencyCode, order.DoHold) == ("REF12345", "SEK", False)
    assert order.SubmitDate.isoformat() == "2024-12-18T12:00:00+01:00"
    payment = order.Payments[0]
    assert (payment.PaymentCode, payment.PaymentRef, payment.Amount) == (
        10001,
        "PAYREF123",
        Decimal("1500.00"),
    )
    assert [(info.Code, info.Value) for info in payment.AdditionalInfo] == [
        ("CardType", "Visa"),
        ("CardHolder", "John Doe"),
    ]
    advice = order.ShippingAdvice
    assert (advice.DeliveryMethodCode, advice.PickupStore.Code, advice.PickupStore.IsDropPoint) == (
        "PostNord",
        "STORE001",
        True,
    )
    item = order.Items[0]
    assert (item.PartNo, item.Quantity, item.UnitPrice, item.UnitVat, item.VatRate) == (
        "ITEM001",
        Decimal(2),
        Decimal(300),
        Decimal(75),
        Decimal(25),
    )
    assert item.PriceLists[0].PriceListName == "Standard List"
    assert item.AdditionalInfo[0].Value == "2 years"
    assert (item.ManufacturerCode, item.Quantity2) == ("example_manufacturer", Decimal(2))
    assert order.application_key == "123e4567-e89b-12d3-a456-426614174000"
    assert (order.OrderType, order.Source, order.CustomerInvoiceRef, order.DiscountCode) == (
        1,
        "Online",
        "INV12345",
        "DISCOUNT2024",
    )


def test_example_order_round_trips_through_json_exactly():
    assert to_json_dict(example()) == json.loads(EXAMPLE_JSON)


@pytest.mark.parametrize("body", [EXAMPLE_XML, NAMESPACED_XML], ids=["plain", "namespaced"])
def test_example_order_in_xml_reads_as_the_same_order_as_json(body):
    order, problems, _ = parse_xml(body, OrderRequest)

    assert problems == []
    assert order.model_dump(exclude_none=True) == example().model_dump(exclude_none=True)


def test_example_order_round_trips_through_xml_in_its_namespace():
    order, _, namespace = parse_xml(NAMESPACED_XML, OrderRequest)
    assert namespace == "Enferno.Services.StormConnect.Contracts.Order"

    written = to_xml_bytes(order, namespace)
    again, _, again_namespace = parse_xml(written, OrderRequest)

    assert again == order and again_namespace == namespace


def test_xml_collections_wrap_items_named_by_their_type():
    root = fromstring(to_xml_bytes(example()))

    assert [child.tag for child in root.find("Payments")] == ["Payment"]
    assert [child.tag for child in root.find("Items")] == ["OrderItem"]
    assert [child.tag for child in root.find("Items/OrderItem/PriceLists")] == ["PriceListItem"]
    assert [child.tag for child in root.find("Payments/Payment/AdditionalInfo")] == ["CodeValue", "CodeValue"]
    assert root.find("ReferId") is None, "null fields are omitted, as Norce's XML does"


def test_xml_element_order_follows_norces_contract():
    tags = [child.tag for child in fromstring(to_xml_bytes(example()))]

    assert tags[:7] == [
        "SellTo",
        "BillTo",
        "ShipTo",
        "SalesContactCode",
        "SalesContactDivision",
        "DoHold",
        "ClientOrderRef",
    ]
    assert (
        tags.index("CustomerOrderRef")
        < tags.index("SubmitDate")
        < tags.index("Payments")
        < tags.index("Items")
    )


def test_unknown_fields_are_kept_in_json_and_xml():
    data = json.loads(EXAMPLE_JSON)
    data["LoyaltyNumber"] = "L-42"
    data["Items"][0]["GiftWrap"] = {"Paper": "Gold", "Message": "Congrats"}
    order, _ = parse_json(json.dumps(data).encode(), OrderRequest)

    assert to_json_dict(order)["Items"][0]["GiftWrap"] == {"Paper": "Gold", "Message": "Congrats"}
    from_xml, _, _ = parse_xml(to_xml_bytes(order), OrderRequest)
    assert from_xml.model_extra == {"LoyaltyNumber": "L-42"}
    assert from_xml.Items[0].model_extra == {"GiftWrap": {"Paper": "Gold", "Message": "Congrats"}}


def test_xsi_nil_reads_as_null():
    body = (
        b'<OrderRequest xmlns:i="http://www.w3.org/2001/XMLSchema-instance">'
        b'<ClientOrderRef>R1</ClientOrderRef><ReferId i:nil="true"/><CustomerOrderComment/></OrderRequest>'
    )
    order, problems, _ = parse_xml(body, OrderRequest)

    assert problems == []
    assert order.ReferId is None and order.CustomerOrderComment == ""


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE OrderRequest [<!ENTITY x "y">]><OrderRequest>&x;</OrderRequest>',
        b'<?xml version="1.0"?><!DOCTYPE OrderRequest SYSTEM "http://127.0.0.1/x.dtd"><OrderRequest/>',
        b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        b"<OrderRequest>&b;</OrderRequest>",
    ],
    ids=["internal-entity", "external-dtd", "entity-expansion"],
)
def test_xml_with_dtd_or_entities_is_refused(body):
    with pytest.raises(ForbiddenXml):
        parse_xml(body, OrderRequest)


@pytest.mark.parametrize(
    ("body", "parse", "expected"),
    [
        (b"<OrderRequest><Items>", parse_xml, "Malformed XML body"),
        (b"<Order/>", parse_xml, "the root element must be <OrderRequest>, not <Order>"),
        (b'{"ClientOrderRef": ', parse_json, "Malformed JSON body"),
        (b"[1, 2]", parse_json, "the body must be a JSON object"),
        (b"", parse_json, "Malformed JSON body"),
    ],
)
def test_malformed_bodies_are_reported_as_such(body, parse, expected):
    with pytest.raises(MalformedBody, match=expected):
        parse(body, OrderRequest)


def test_json_with_a_byte_order_mark_is_read():
    order, _ = parse_json(b"\xef\xbb\xbf" + EXAMPLE_JSON, OrderRequest)
    assert order.ClientOrderRef == "REF12345"


def test_numeric_client_order_ref_is_kept_as_text():
    order, _ = parse_json(b'{"ClientOrderRef": 1234567}', OrderRequest)
    assert order.ClientOrderRef == "1234567"


def test_wrong_types_are_all_reported_with_their_path_and_the_rest_is_kept():
    data = json.loads(EXAMPLE_JSON)
    data["Items"][0]["Quantity"] = "two"
    data["Payments"][0]["Amount"] = {"value": 1}
    data["DoHold"] = "perhaps"

    order, problems = parse_json(json.dumps(data).encode(), OrderRequest)

    assert sorted(problems) == [
        "DoHold: Input should be a valid boolean, unable to interpret input",
        "Items[0].Quantity: Input should be a valid decimal",
        "Payments[0].Amount: Decimal input should be an integer, float, string or Decimal object",
    ]
    assert order.Items[0].Quantity is None and order.Items[0].PartNo == "ITEM001"


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("application/json", WireFormat.JSON),
        ("application/json; charset=utf-8", WireFormat.JSON),
        ("Application/XML", WireFormat.XML),
        ("text/xml; charset=utf-8", WireFormat.XML),
        ("application/problem+xml", WireFormat.XML),
        ("text/plain", None),
        (None, None),
    ],
)
def test_content_types(content_type, expected):
    assert format_for_content_type(content_type) is expected


def test_order_responses_render_like_norces_examples():
    assert json.loads(render_order_response(OrderResponse.allocated(), WireFormat.JSON)) == {
        "StatusCode": "OK",
        "Description": "No error, order status is set to allocated.",
        "HasErpOrderNo": False,
        "ErpOrderNo": None,
    }
    xml = render_order_response(OrderResponse.confirmed("ErpNo_5670588"), WireFormat.XML, "urn:x")
    root = fromstring(xml)
    assert root.tag == "{urn:x}OrderResponse"
    assert [(child.tag, child.text) for child in root] == [
        ("{urn:x}StatusCode", "OK"),
        ("{urn:x}Description", "No error, order status is set to confirmed."),
        ("{urn:x}HasErpOrderNo", "true"),
        ("{urn:x}ErpOrderNo", "ErpNo_5670588"),
    ]
