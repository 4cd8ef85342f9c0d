"""The local Norce's country and currency ids. Norce's Query has integer ``CountryId`` / ``CurrencyId`` and
publishes no table of them (each Norce client has its own); the local Norce uses the ISO 3166-1 and ISO 4217
numeric codes, and the local stack configures the integration with the same table (``NorceCountryCodes``,
``NorceCurrencyCodes``), as a user configures it with their Norce client's ids."""

COUNTRY_IDS = {"SE": 752, "NO": 578, "DK": 208, "FI": 246, "DE": 276, "GB": 826, "US": 840, "NL": 528}
CURRENCY_IDS = {"SEK": 752, "NOK": 578, "DKK": 208, "EUR": 978, "GBP": 826, "USD": 840}


def country_id(code: object) -> int | None:
    """An ISO alpha-2 country code as the local Norce's CountryId (None when it holds no such country)."""
    return COUNTRY_IDS.get(str(code).strip().upper()) if code else None


def currency_id(code: object) -> int:
    """An ISO currency code as the local Norce's CurrencyId (0, an id no currency has, when unknown)."""
    return CURRENCY_IDS.get(str(code).strip().upper(), 0) if code else 0


def as_setting(table: dict[str, int]) -> str:
    """``"752=SE,578=NO,…"``: the table as ``NorceCountryCodes`` / ``NorceCurrencyCodes`` take it."""
    return ",".join(f"{number}={code}" for code, number in table.items())
