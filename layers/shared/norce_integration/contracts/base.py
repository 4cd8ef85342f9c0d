"""Common base for Norce contracts: exact PascalCase names, unknown fields kept, money as Decimal."""

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer


def _decimal_to_json_number(value: Decimal) -> int | float:
    """Money travels as a JSON number, like Norce sends it (never as a quoted string)."""
    return (
        int(value) if value == value.to_integral_value() and value.as_tuple().exponent == 0 else float(value)
    )


def _int_if_numeric(value: object) -> object:
    """XML carries every value as text: make ``"1"`` the same code as JSON's ``1``."""
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value


IntOrCode = Annotated[int | str, BeforeValidator(_int_if_numeric)]
"""A value Norce sends as an integer in JSON and may name as text (e.g. an enum name in XML)."""

Money = Annotated[Decimal, PlainSerializer(_decimal_to_json_number, when_used="json")]
"""A decimal amount: exact in Python and in XML, a number in JSON."""


class NorceModel(BaseModel):
    """Base of every Norce contract.

    ``extra="allow"`` keeps fields this project does not know (Norce adds fields over time and
    custom data must reach the ERP); every known field is optional so that a missing value is
    reported by the business validation with a precise message instead of a generic type error.
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True, coerce_numbers_to_str=False)
