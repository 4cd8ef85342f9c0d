"""The parties (SellTo, BillTo, ShipTo) against Norce's published schema limits, and a SellTo the ERP can
find or create: refused at intake with a Failed OrderResponse that names the field, never its value."""

import json
from pathlib import Path
from typing import Any

import pytest

from norce_integration.adapters.memory.intake import InMemoryArchive, InMemoryLedger, InMemoryQueue
from norce_integration.codec import WireFormat
from norce_integration.codec.json_codec import parse_json
from norce_integration.contracts import OrderRequest
from norce_integration.contracts.order_request import MAX_LENGTHS
from norce_integration.intake.service import IntakeResult, OrderIntake, Outcome
from norce_integration.intake.validation import business_problems

PAYLOADS = Path(__file__).resolve().parents[2] / "events/payloads"
EXAMPLE: dict[str, Any] = json.loads((PAYLOADS / "order-request.json").read_text())
B2B: dict[str, Any] = json.loads((PAYLOADS / "order-request-b2b-new-company.json").read_text())
SAMPLE_ORDER_REQUESTS = sorted(PAYLOADS.glob("order-request*.*"))

NO_COMPANY = "SellTo.Company has no Code, Name or VatNo: nothing to find or create the ERP company by"
NO_PERSON = (
    "SellTo.Person has no CustomerCode, Email, FirstName or LastName: "
    "nothing to find or create the ERP customer by"
)


def order(base: dict[str, Any] = B2B, **values: Any) -> dict[str, Any]:
    """A copy of ``base`` with ``values`` set by path: ``order(**{"SellTo.Company.Name": "X"})``."""
    data = json.loads(json.dumps(base))
    for path, value in values.items():
        *parents, name = path.split(".")
        node = data
        for parent in parents:
            if node.get(parent) is None:
                node[parent] = {}
            node = node[parent]
        node[name] = value
    return data


def problems(data: dict[str, Any]) -> list[str]:
    """As the receiver does it: wrong-typed fields first, then the business rules."""
    parsed, type_problems = parse_json(json.dumps(data).encode(), OrderRequest)
    reported = frozenset(problem.split(":", 1)[0] for problem in type_problems)
    return type_problems + business_problems(parsed, already_reported=reported)


def receive(body: bytes, wire_format: WireFormat = WireFormat.JSON) -> IntakeResult:
    intake = OrderIntake(ledger=InMemoryLedger(), archive=InMemoryArchive(), queue=InMemoryQueue())
    return intake.receive(body, wire_format)


def receive_order(data: dict[str, Any]) -> IntakeResult:
    return receive(json.dumps(data).encode())


def accepted(result: IntakeResult) -> bool:
    return (
        result.outcome is Outcome.ACCEPTED
        and result.response is not None
        and result.response.StatusCode == "OK"
    )


def failed_with(result: IntakeResult) -> str:
    assert result.outcome is Outcome.REJECTED and result.response is not None
    assert result.response.StatusCode == "Failed"
    return result.response.Description or ""


@pytest.mark.parametrize(
    ("path", "limit"),
    [
        ("SellTo.Company.Code", 50),
        ("SellTo.Company.Name", 100),
        ("SellTo.Company.VatNo", 50),
        ("SellTo.Person.CustomerCode", 50),
        ("SellTo.Person.FirstName", 50),
        ("SellTo.Person.LastName", 50),
        ("SellTo.Person.Email", 255),
        ("SellTo.Person.CellPhone", 50),
        ("SellTo.Person.SSN", 50),
        ("SellTo.Person.JobTitle", 10),
        ("SellTo.Person.Address.Line1", 100),
        ("SellTo.Person.Address.CareOf", 100),
        ("SellTo.Person.Address.ZipCode", 50),
        ("SellTo.Person.Address.City", 50),
    ],
)
def test_a_field_at_its_limit_passes_and_one_character_more_fails(path, limit):
    # "Å" is two bytes in UTF-8: the limit is in characters
    assert problems(order(**{path: "Å" * limit})) == []
    assert problems(order(**{path: "Å" * (limit + 1)})) == [
        f"{path} is longer than {limit} characters ({limit + 1})"
    ]


@pytest.mark.parametrize("role", ["SellTo", "BillTo", "ShipTo"])
@pytest.mark.parametrize(
    ("kind", "name", "limit"),
    [(kind, name, limit) for kind, fields in MAX_LENGTHS.items() for name, limit in fields.items()],
)
def test_every_limit_in_the_table_is_checked_on_every_party(role, kind, name, limit):
    path = f"{role}.{'Person.Address' if kind == 'Address' else kind}.{name}"

    assert problems(order(**{path: "x" * limit})) == []
    assert problems(order(**{path: "x" * (limit + 1)})) == [
        f"{path} is longer than {limit} characters ({limit + 1})"
    ]


def test_the_table_holds_norces_published_limits():
    assert MAX_LENGTHS["Company"] == {"Code": 50, "Name": 100, "VatNo": 50}
    assert MAX_LENGTHS["Person"] == {
        "CustomerCode": 50,
        "FirstName": 50,
        "LastName": 50,
        "JobTitle": 10,
        "PrivatePhone": 50,
        "CellPhone": 50,
        "WorkPhone": 50,
        "Email": 255,
        "SSN": 50,
    }
    assert MAX_LENGTHS["Address"] == {
        "Line1": 100,
        "Line2": 100,
        "Box": 100,
        "ZipCode": 50,
        "City": 50,
        "Region": 50,
        "CareOf": 100,
    }


@pytest.mark.parametrize("country", ["SE", "NO", "se", "", None])
def test_a_two_letter_country_or_none_passes(country):
    assert problems(order(**{"ShipTo.Person.Address.Country": country})) == []


@pytest.mark.parametrize("country", ["Sweden", "S1", "S", "SWE", "SE ", "Å1", "ÅÄ"])
def test_a_country_that_is_not_two_letters_fails(country):
    assert problems(order(**{"ShipTo.Person.Address.Country": country})) == [
        "ShipTo.Person.Address.Country must be an ISO 3166-1 alpha-2 code (two letters)"
    ]


def test_the_receiver_answers_failed_naming_the_path_and_the_limit_but_not_the_value():
    name = "Bartholomew-Maximilian " * 3  # 69 characters

    result = receive_order(order(EXAMPLE, **{"SellTo.Person.FirstName": name}))

    description = failed_with(result)
    assert description == "Order rejected: SellTo.Person.FirstName is longer than 50 characters (69)."
    assert "Bartholomew" not in description


def test_bill_to_and_ship_to_are_checked_too_and_every_problem_is_named_at_once():
    data = order(
        **{
            "BillTo.Company.VatNo": "SE" + "1" * 49,
            "BillTo.Person.Email": "a" * 250 + "@example.com",
            "ShipTo.Person.Address.ZipCode": "1" * 51,
            "ShipTo.Person.Address.Country": "Sverige",
        }
    )

    assert failed_with(receive_order(data)) == (
        "Order rejected: BillTo.Company.VatNo is longer than 50 characters (51); "
        "BillTo.Person.Email is longer than 255 characters (262); "
        "ShipTo.Person.Address.ZipCode is longer than 50 characters (51); "
        "ShipTo.Person.Address.Country must be an ISO 3166-1 alpha-2 code (two letters)."
    )


def test_a_wrong_typed_field_is_reported_once_as_wrong_typed():
    data = order(**{"SellTo.Person.Address.Country": 46, "SellTo.Company": {"Code": None, "Name": 7}})

    assert problems(data) == [
        "SellTo.Company.Name: Input should be a valid string",
        "SellTo.Person.Address.Country: Input should be a valid string",
    ]


@pytest.mark.parametrize(
    "company",
    [
        {"Code": None, "Name": None, "VatNo": None},
        {"Code": "", "Name": " ", "VatNo": ""},
        {"Code": " ", "Name": "", "VatNo": " - "},  # a VatNo without a letter or digit is no VatNo
        {},
    ],
)
def test_a_sell_to_company_with_nothing_to_find_or_create_it_by_is_failed(company):
    result = receive_order(order(**{"SellTo.Company": company}))

    assert failed_with(result) == f"Order rejected: {NO_COMPANY}."


@pytest.mark.parametrize(
    "company",
    [
        {"Code": None, "Name": None, "VatNo": "SE556677889901"},
        {"Code": None, "Name": "Nya Bygg AB", "VatNo": None},
        {"Code": "B100", "Name": None, "VatNo": None},
    ],
)
def test_a_sell_to_company_with_a_code_a_name_or_a_vat_no_is_accepted(company):
    assert accepted(receive_order(order(**{"SellTo.Company": company})))


@pytest.mark.parametrize(
    "person",
    [
        {"CustomerCode": None, "Email": None, "FirstName": None, "LastName": None},
        {"CustomerCode": "", "Email": " ", "FirstName": "", "LastName": "\t"},
    ],
)
def test_a_sell_to_person_with_nothing_to_find_or_create_it_by_is_failed(person):
    data = order(EXAMPLE, **{f"SellTo.Person.{name}": value for name, value in person.items()})

    assert failed_with(receive_order(data)) == f"Order rejected: {NO_PERSON}."


@pytest.mark.parametrize("kept", ["CustomerCode", "Email", "FirstName", "LastName"])
def test_a_sell_to_person_with_one_of_them_is_accepted(kept):
    blanks = {f"SellTo.Person.{name}": None for name in ("CustomerCode", "Email", "FirstName", "LastName")}
    data = order(EXAMPLE, **{**blanks, f"SellTo.Person.{kept}": "X1"})

    assert accepted(receive_order(data))


def test_both_sell_to_parties_missing_are_named_together():
    data = order(
        **{
            "SellTo.Company": {"Code": None, "Name": None, "VatNo": None},
            "SellTo.Person": {"FirstName": None, "Email": None},
        }
    )

    assert problems(data) == [NO_COMPANY, NO_PERSON]


def test_only_sell_to_must_be_identifiable():
    """BillTo and ShipTo are not looked up in the ERP: an empty company there is no reason to refuse."""
    data = order(
        **{
            "BillTo.Company": {"Code": None, "Name": None, "VatNo": None},
            "ShipTo.Person": {"Address": {"Line1": "Bygge 7", "Country": "SE"}},
        }
    )

    assert accepted(receive_order(data))


def test_the_sample_payloads_are_order_requests():
    assert {path.name for path in SAMPLE_ORDER_REQUESTS} >= {
        "order-request.json",
        "order-request-b2b-new-company.json",
    }


@pytest.mark.parametrize("path", SAMPLE_ORDER_REQUESTS, ids=lambda path: path.name)
def test_every_sample_order_request_is_still_accepted(path):
    result = receive(path.read_bytes(), WireFormat(path.suffix.lstrip(".")))

    assert accepted(result), result
