"""Norce OrderRequest -> ERP order: every field of the example lands where it belongs; routing rules."""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from norce_integration.codec.json_codec import parse_json
from norce_integration.contracts import OrderRequest
from norce_integration.failures import MappingError
from norce_integration.processing.config import ProcessingConfig, Route, RouteCondition
from norce_integration.processing.mapping import map_order
from norce_integration.processing.routing import route

EXAMPLE = json.loads((Path(__file__).resolve().parents[2] / "events/payloads/order-request.json").read_text())
CONFIG = ProcessingConfig(
    payment_methods={"credit_card": "CARD"},
    delivery_methods={"PostNord": "PN"},
)


def order_from(data: dict) -> OrderRequest:
    order, problems = parse_json(json.dumps(data).encode(), OrderRequest)
    assert problems == []
    return order


def mapped(data: dict | None = None, config: ProcessingConfig = CONFIG):
    return map_order(
        order_from(data or EXAMPLE), config, target="default", customer_code="CUST0001", company_code=None
    )


def test_order_header_fields():
    erp = mapped()

    assert erp.external_ref == "REF12345"
    assert (erp.customer_code, erp.company_code, erp.currency) == ("CUST0001", None, "SEK")
    assert erp.submitted_at.isoformat() == "2024-12-18T12:00:00+01:00"
    assert (erp.customer_order_ref, erp.comment) == ("ORDER123", "Please handle with care.")
    assert (erp.sales_contact_code, erp.on_hold, erp.source) == ("SALES001", False, "Online")
    assert erp.application_key == "123e4567-e89b-12d3-a456-426614174000"
    assert erp.passthrough == {
        "SalesContactDivision": "Division A",
        "OrderType": 1,
        "CustomerInvoiceRef": "INV12345",
        "DiscountCode": "DISCOUNT2024",
    }


def test_item_fields():
    [line] = mapped().lines

    assert (line.line_no, line.part_no, line.description) == (1, "ITEM001", "Example Product 1")
    assert (line.quantity, line.unit_of_measure, line.unit_price, line.unit_price_original) == (
        Decimal(2),
        "pcs",
        Decimal(300),
        Decimal(300),
    )
    assert (line.discount, line.unit_vat, line.vat_rate) == (Decimal(0), Decimal(75), Decimal(25))
    assert (line.line_amount, line.line_vat) == (Decimal(600), Decimal(150))
    assert (line.price_list_no, line.comment, line.kind) == (1, "Urgent delivery", "ErpStandard/Physical")
    assert line.manufacturer_code == "example_manufacturer"
    assert line.additional_info == {"Warranty": "2 years"}
    assert line.passthrough["InternalProductId"] == "10001"
    assert line.passthrough["PriceLists"] == [
        {
            "PriceListName": "Standard List",
            "QtyBreak": 1,
            "UnitPrice": 300,
            "IsStandardPriceList": True,
            "IsActive": True,
        }
    ]
    assert line.passthrough["Quantity2"] == "2"


def test_payment_delivery_and_addresses():
    erp = mapped()

    [payment] = erp.payments
    assert (payment.method, payment.provider_code, payment.reference) == ("CARD", "10001", "PAYREF123")
    assert (payment.amount, payment.currency, payment.name) == (Decimal(1500), "SEK", "Credit Card Payment")
    assert payment.additional_info == {"CardType": "Visa", "CardHolder": "John Doe"}
    delivery = erp.delivery
    assert (delivery.method, delivery.pickup_store_code, delivery.pickup_store_name) == (
        "PN",
        "STORE001",
        "Central Warehouse",
    )
    assert (
        delivery.is_drop_point,
        delivery.sms_notify,
        delivery.complete_delivery,
        delivery.fee_charged_once,
    ) == (True, True, True, True)
    assert (delivery.address.name, delivery.address.line1, delivery.address.city) == (
        "Alice Johnson",
        "789 Shipping Blvd",
        "Shipville",
    )
    assert delivery.address.phone == "0705555555"
    assert (erp.bill_to.name, erp.bill_to.zip_code) == ("Jane Smith", "54321")
    assert (erp.total_amount, erp.total_vat) == (Decimal(600), Decimal(150))


def test_fees_discounts_and_unknown_fields_pass_through():
    """Norce's Fee is {Amount, Description, Type (0 Shipping, 1 Invoice), VatRate}; its Discount {Amount,
    Code, Type}; AdditionalInfo is keyed by Code2 (Norce: Code "has erroneous behaviour"), else Code."""
    data = json.loads(json.dumps(EXAMPLE))
    data["Fees"] = [
        {"Amount": 49, "Description": "Home delivery", "Type": 0, "VatRate": 25},
        {"Amount": 29, "Description": "Invoice fee", "Type": 1, "VatRate": 0},
    ]
    data["Discounts"] = [{"Code": "DISCOUNT2024", "Amount": 100, "Type": "Campaign"}]
    data["AdditionalInfo"] = [
        {"Id": 7, "Code": "legacy", "Code2": "GiftMessage", "Value": "Happy birthday"},
        {"Id": 8, "Code": "Channel", "Value": "Web"},
    ]
    data["LoyaltyNumber"] = "L-42"
    data["Items"][0]["GiftWrap"] = True

    erp = mapped(data)

    assert [(fee.code, fee.kind, fee.description, fee.amount, fee.vat) for fee in erp.fees] == [
        ("Shipping", "Shipping", "Home delivery", Decimal(49), Decimal("12.25")),
        ("Invoice", "Invoice", "Invoice fee", Decimal(29), Decimal(0)),
    ]
    assert [(d.code, d.kind, d.amount) for d in erp.discounts] == [("DISCOUNT2024", "Campaign", Decimal(100))]
    assert erp.total_amount == Decimal(600 + 49 + 29 - 100)
    assert erp.additional_info == {"GiftMessage": "Happy birthday", "Channel": "Web"}
    assert erp.passthrough["LoyaltyNumber"] == "L-42"
    assert erp.lines[0].passthrough["GiftWrap"] is True


def test_goods_sold_by_weight_take_their_quantity_and_amount_from_quantity2():
    """Norce's Quantity is a whole number of items; Quantity2 the "item quantity for non-integer values"."""
    data = json.loads(json.dumps(EXAMPLE))
    data["Items"][0].update(Quantity=1, Quantity2=2.5, UnitPrice=120, UnitVat=30)

    [line] = mapped(data).lines

    assert (line.quantity, line.line_amount, line.line_vat) == (Decimal("2.5"), Decimal(300), Decimal(75))
    assert line.passthrough["Quantity2"] == "2.5"


def test_a_whole_quantity2_beside_its_quantity_changes_nothing():
    data = json.loads(json.dumps(EXAMPLE))
    data["Items"][0].update(Quantity=2, Quantity2=2)
    assert mapped(data).lines[0].quantity == Decimal(2)


def test_erp_part_number_wins_over_norces():
    data = json.loads(json.dumps(EXAMPLE))
    data["Items"][0]["ErpPartNo"] = "ERP-001"
    assert mapped(data).lines[0].part_no == "ERP-001"


def test_a_code_without_a_rule_is_a_mapping_error():
    with pytest.raises(MappingError, match="no payment method mapping for 'credit_card'"):
        mapped(config=ProcessingConfig(payment_methods={"invoice": "INV"}, delivery_methods={"*": "STD"}))


def test_wildcard_rules_catch_the_rest():
    erp = mapped(config=ProcessingConfig(payment_methods={"*": "OTHER"}, delivery_methods={"*": "STD"}))
    assert (erp.payments[0].method, erp.delivery.method) == ("OTHER", "STD")


ROUTES = [
    Route(target="store-pickup", when=RouteCondition(warehouse=["STORE001"], country=["NO"])),
    Route(target="sweden", when=RouteCondition(country=["se"])),
    Route(target="fallback"),
]


def test_first_matching_route_wins_and_matching_ignores_case():
    assert route(order_from(EXAMPLE), ROUTES) == "sweden"


def test_route_by_country_and_warehouse():
    data = json.loads(json.dumps(EXAMPLE))
    data["ShipTo"]["Person"]["Address"]["Country"] = "NO"
    assert route(order_from(data), ROUTES) == "store-pickup"
    data["ShippingAdvice"]["PickupStore"]["Code"] = "STORE002"
    assert route(order_from(data), ROUTES) == "fallback"


def test_route_by_application():
    routes = [
        Route(target="b2b", when=RouteCondition(application_key=["123e4567-e89b-12d3-a456-426614174000"]))
    ]
    assert route(order_from(EXAMPLE), routes) == "b2b"


def test_no_matching_route_is_a_mapping_error():
    with pytest.raises(MappingError, match=r"no route matches the order \(country=SE, warehouse=STORE001"):
        route(order_from(EXAMPLE), [Route(target="norway", when=RouteCondition(country=["NO"]))])
