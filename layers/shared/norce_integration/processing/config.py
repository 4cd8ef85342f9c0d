"""Mapping tables and routing rules, from configuration (a JSON document, see docs/configuration.md).

Example::

    {
      "payment_methods": {"credit_card": "CARD", "invoice": "INVOICE"},
      "delivery_methods": {"PostNord": "PN", "*": "STD"},
      "routes": [
        {"target": "norway", "when": {"country": ["NO"]}},
        {"target": "default"}
      ]
    }

``*`` is the fallback of a table; a code with no rule and no fallback is a permanent error.
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from norce_integration.processing.vat import DEFAULT_VAT_RULES, VatRule

WILDCARD = "*"


class RouteCondition(BaseModel):
    """Every listed field must match one of its values (case-insensitive); unlisted fields match anything."""

    model_config = ConfigDict(extra="forbid")

    application_key: list[str] | None = None
    country: list[str] | None = None  # ShipTo country, else SellTo's
    warehouse: list[str] | None = None  # pickup store code
    currency: list[str] | None = None
    source: list[str] | None = None


class Route(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: str
    when: RouteCondition = Field(default_factory=RouteCondition)


class ProcessingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payment_methods: dict[str, str] = Field(default_factory=lambda: {WILDCARD: "DEFAULT"})
    delivery_methods: dict[str, str] = Field(default_factory=lambda: {WILDCARD: "DEFAULT"})
    routes: list[Route] = Field(default_factory=lambda: [Route(target="default")])
    confirm_status: str = "Confirmed"
    # Organisation numbers derived from VAT numbers, per country prefix; merged over the Nordic defaults.
    vat_rules: dict[str, VatRule] = Field(default_factory=lambda: dict(DEFAULT_VAT_RULES))
    # How the write-back makes Norce recognise a company it holds without a code: look its Id up in
    # Norce Query by VatNo / organisation number ("query"), or send the derived OrganizationNo.
    norce_company_match: Literal["query", "organization_no"] = "query"

    @field_validator("vat_rules")
    @classmethod
    def _over_defaults(cls, rules: dict[str, VatRule]) -> dict[str, VatRule]:
        return {**DEFAULT_VAT_RULES, **{country.upper(): rule for country, rule in rules.items()}}

    @classmethod
    def from_json(cls, text: str | None) -> "ProcessingConfig":
        return cls.model_validate_json(text) if text and text.strip() else cls()

    def targets(self) -> set[str]:
        return {route.target for route in self.routes}

    def describe(self) -> dict[str, Any]:
        return self.model_dump()
