"""Microsoft Entra ID's OAuth2 client credentials grant, as Business Central's service-to-service access
uses it.

learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow ("Get a token", "Successful
response", "Error response"); the scope is Business Central's resource with ``/.default`` (learn.microsoft.com
dynamics365/business-central/dev-itpro/administration/automation-apis-using-s2s-authentication).
"""

from typing import Any

from tests.contracts.business_central.base import described, enum

SOURCE = "learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow"
TokenRequest = described(
    "tokenRequest",
    SOURCE,
    {
        "grant_type": (enum("client_credentials"), "must be client_credentials"),
        "client_id": (str, "the application (client) ID"),
        "client_secret": (str, "the client secret"),
        "scope": (enum("https://api.businesscentral.dynamics.com/.default"), "the resource's /.default"),
    },
    required=("grant_type", "client_id", "client_secret", "scope"),
)
TOKEN: dict[str, tuple[Any, str]] = {
    "token_type": (enum("Bearer"), "always Bearer"),
    "expires_in": (int, "seconds the token is valid"),
    "ext_expires_in": (int, "extended lifetime (Entra ID adds it)"),
    "access_token": (str, "the token"),
}
TokenAnswer = described("tokenAnswer", SOURCE, TOKEN, required=("token_type", "expires_in", "access_token"))
TokenError = described(
    "tokenError",
    SOURCE,
    {
        "error": (str, "an error code string, e.g. invalid_client"),
        "error_description": (str, "a message (AADSTSnnnnn: ...)"),
        "error_codes": (list[int], "STS error codes"),
        "timestamp": (str, ""),
        "trace_id": (str, ""),
        "correlation_id": (str, ""),
    },
    required=("error", "error_description"),
)
