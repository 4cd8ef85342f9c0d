"""VAT numbers: normalised the same way everywhere, and organisation numbers derived by country rule."""

import pytest
from pydantic import ValidationError

from norce_integration.processing.config import ProcessingConfig
from norce_integration.processing.vat import VatRule, normalise_vat_no, organization_no_from_vat


@pytest.mark.parametrize(
    ("given", "normalised"),
    [
        ("SE556677889901", "SE556677889901"),
        ("se 556677-8899 01", "SE556677889901"),
        (" SE.556677.8899.01 ", "SE556677889901"),
        ("no 123 456 789 mva", "NO123456789MVA"),
        ("dk 12 34 56 78", "DK12345678"),
        ("FI 1234567-8", "FI12345678"),
        ("", None),
        (" - ", None),
        (None, None),
    ],
)
def test_vat_numbers_are_compared_without_case_spaces_or_punctuation(given, normalised):
    assert normalise_vat_no(given) == normalised


@pytest.mark.parametrize(
    ("vat_no", "organization_no"),
    [
        ("SE556677889901", "556677-8899"),
        ("se 556677-8899 01", "556677-8899"),
        ("NO123456789MVA", "123456789"),
        ("DK12345678", "12345678"),
        ("dk-12.34.56.78", "12345678"),
        ("FI12345678", "1234567-8"),
        ("fi 1234567-8", "1234567-8"),
        ("NO 123.456.789 mva", "123456789"),
    ],
)
def test_nordic_vat_numbers_hold_the_organisation_number(vat_no, organization_no):
    assert organization_no_from_vat(vat_no) == organization_no


@pytest.mark.parametrize(
    "vat_no",
    [
        "SE5566778899",  # no 01 suffix
        "SE55667788990",  # 11 digits
        "NO123456789",  # no MVA
        "DK1234567",  # 7 digits
        "FI123456789",  # 9 digits
        "DE123456789",  # no rule for Germany
        None,
    ],
)
def test_numbers_no_rule_knows_give_no_organisation_number(vat_no):
    assert organization_no_from_vat(vat_no) is None


def test_rules_are_configurable_and_merge_over_the_defaults():
    config = ProcessingConfig.from_json(
        '{"vat_rules": {"se": {"pattern": "^SE(\\\\d{10})01$", "organization_no": "\\\\1"},'
        ' "DE": {"pattern": "^DE(\\\\d{9})$", "organization_no": "HRB-\\\\1"}}}'
    )
    assert organization_no_from_vat("SE556677889901", config.vat_rules) == "5566778899"
    assert organization_no_from_vat("DE123456789", config.vat_rules) == "HRB-123456789"
    assert organization_no_from_vat("NO123456789MVA", config.vat_rules) == "123456789", "defaults kept"


def test_a_rule_that_does_not_compile_is_refused_at_start():
    with pytest.raises(ValidationError):
        VatRule(pattern="^SE(\\d{10}", organization_no="\\1")
