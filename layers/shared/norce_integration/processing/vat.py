"""VAT numbers as Norce sends them, and the organisation numbers an ERP may key companies by.

A company's first order carries only ``Name`` and ``VatNo`` (Norce's OrderRequest has no
OrganizationNo). The VAT number is the company's natural key: normalised here (case, spaces,
punctuation) so ``se 556677-8899 01`` and ``SE556677889901`` are the same company. An ERP that keys
companies by organisation number gets one derived by the per-country rules below, which a user can
override or extend in the processing configuration (``vat_rules``).
"""

import re
from functools import cache

from pydantic import BaseModel, ConfigDict, field_validator


class VatRule(BaseModel):
    """``pattern`` matches a normalised VAT number; ``organization_no`` is its expansion (``\\1``...)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pattern: str
    organization_no: str

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        try:
            re.compile(pattern)  # a typo fails when the processor starts, not on an order
        except re.error as error:
            raise ValueError(f"not a regular expression: {error}") from None
        return pattern


DEFAULT_VAT_RULES: dict[str, VatRule] = {
    # Sweden: SE + 10-digit organisation number + 01; written NNNNNN-NNNN.
    "SE": VatRule(pattern=r"^SE(\d{6})(\d{4})01$", organization_no=r"\1-\2"),
    # Norway: NO + 9-digit organisation number + MVA.
    "NO": VatRule(pattern=r"^NO(\d{9})MVA$", organization_no=r"\1"),
    # Denmark: DK + 8-digit CVR number.
    "DK": VatRule(pattern=r"^DK(\d{8})$", organization_no=r"\1"),
    # Finland: FI + 8 digits; the business id (Y-tunnus) is written NNNNNNN-N.
    "FI": VatRule(pattern=r"^FI(\d{7})(\d)$", organization_no=r"\1-\2"),
}

_NOT_ALPHANUMERIC = re.compile(r"[^0-9A-Z]")


def normalise_vat_no(value: str | None) -> str | None:
    """Upper case, without spaces or punctuation; ``None`` when nothing is left."""
    if value is None:
        return None
    return _NOT_ALPHANUMERIC.sub("", value.upper()) or None


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def organization_no_from_vat(vat_no: str | None, rules: dict[str, VatRule] | None = None) -> str | None:
    """The organisation number inside a VAT number, by the rule of its country prefix; ``None`` when
    the number is not one a rule knows (another country, or malformed)."""
    normalised = normalise_vat_no(vat_no)
    if normalised is None:
        return None
    rule = (DEFAULT_VAT_RULES if rules is None else rules).get(normalised[:2])
    if rule is None:
        return None
    match = _compiled(rule.pattern).match(normalised)
    return match.expand(rule.organization_no) if match else None
