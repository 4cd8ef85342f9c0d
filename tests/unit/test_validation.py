"""Business validation: what a retry cannot fix is named precisely, all at once."""

import json
from pathlib import Path

from norce_integration.codec.json_codec import parse_json
from norce_integration.contracts import OrderRequest
from norce_integration.intake.validation import MAX_DESCRIPTION_CHARS, business_problems, failure_description

EXAMPLE = json.loads((Path(__file__).resolve().parents[2] / "events/payloads/order-request.json").read_text())


def problems_of(**changes) -> list[str]:
    data = json.loads(json.dumps(EXAMPLE))
    data.update(changes)
    order, type_problems = parse_json(json.dumps(data).encode(), OrderRequest)
    return type_problems + business_problems(order)


def test_the_example_order_is_valid():
    assert problems_of() == []


def test_missing_client_order_ref_and_currency():
    assert problems_of(ClientOrderRef=None, CurrencyCode=" ") == [
        "ClientOrderRef is missing",
        "CurrencyCode is missing",
    ]


def test_currency_must_look_like_iso_4217():
    assert problems_of(CurrencyCode="kronor") == ["CurrencyCode must be a three-letter ISO 4217 code"]


def test_currency_outside_the_configured_list():
    order, _ = parse_json(json.dumps(EXAMPLE).encode(), OrderRequest)
    assert business_problems(order, frozenset({"EUR", "NOK"})) == ["CurrencyCode SEK is not one of EUR, NOK"]


def test_no_items():
    assert problems_of(Items=[]) == ["Items is empty: an order needs at least one item"]
    assert problems_of(Items=None) == ["Items is empty: an order needs at least one item"]


def test_item_rules_name_the_line():
    items = [
        {"LineNo": 1, "PartNo": "A", "Quantity": 0},
        {"LineNo": 2, "PartNo": "", "Quantity": -1, "UnitPrice": -5},
        {"LineNo": 2, "PartNo": "C", "Quantity": 1},
    ]
    assert problems_of(Items=items) == [
        "Items[0] (LineNo 1).Quantity must be greater than 0 (got 0)",
        "Items[1] (LineNo 2).PartNo is missing",
        "Items[1] (LineNo 2).Quantity must be greater than 0 (got -1)",
        "Items[1] (LineNo 2).UnitPrice must not be negative (got -5)",
        "Items[2] (LineNo 2).LineNo 2 is used by more than one item",
    ]


def test_sell_to_needs_a_person_or_company():
    assert problems_of(SellTo={"Person": None, "Company": None}) == ["SellTo must name a Person or a Company"]


def test_problems_never_quote_personal_data():
    data = json.loads(json.dumps(EXAMPLE))
    data["SellTo"]["Person"]["IsActive"] = "john.doe@example.com"
    _, problems = parse_json(json.dumps(data).encode(), OrderRequest)
    assert problems == ["SellTo.Person.IsActive: Input should be a valid boolean, unable to interpret input"]
    assert "john.doe" not in failure_description(problems)


def test_description_is_bounded_and_says_how_many_more():
    problems = [f"Items[{i}] (LineNo {i}).PartNo is missing" for i in range(500)]

    description = failure_description(problems)

    assert len(description) <= MAX_DESCRIPTION_CHARS
    assert description.startswith("Order rejected: Items[0] (LineNo 0).PartNo is missing; ")
    assert description.endswith("more problems.")
