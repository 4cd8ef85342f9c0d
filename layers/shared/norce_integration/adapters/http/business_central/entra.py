"""Business Central's token: OAuth2 client credentials against Microsoft Entra ID.

``POST {login}/{tenant}/oauth2/v2.0/token`` with ``grant_type=client_credentials``, ``client_id``,
``client_secret`` and ``scope=https://api.businesscentral.dynamics.com/.default`` (form encoded) answers
``{"token_type": "Bearer", "expires_in": 3599, "access_token": "..."}``; an error is
``{"error": "invalid_client", "error_description": "AADSTS7000215: ...", ...}`` with 400 or 401
(learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow). The token is shared by
every instance through ``TokenCache`` (``bootstrap.erp``), as Norce's is.
"""

from collections.abc import Callable

import requests

from norce_integration.adapters.http.caller import retry_after_seconds
from norce_integration.erp.ports import ErpRejected, ErpUnavailable

BC_SCOPE = "https://api.businesscentral.dynamics.com/.default"


def token_url(login_url: str, tenant_id: str) -> str:
    return f"{login_url.rstrip('/')}/{tenant_id}/oauth2/v2.0/token"


def _entra_error(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return (response.text or response.reason or "")[:200]
    if not isinstance(body, dict):
        return ""
    description = str(body.get("error_description") or "").splitlines()[0:1]
    return ": ".join([str(body.get("error") or "error"), *description])[:300]


def entra_token_fetcher(  # noqa: PLR0917 - the token request's own parameters
    login_url: str,
    tenant_id: str,
    client_id: str,
    client_secret: str,
    scope: str = BC_SCOPE,
    session: requests.Session | None = None,
) -> Callable[[], tuple[str, float]]:
    """``fetch`` for ``TokenCache``. Entra ID throttling or failing is ``ErpUnavailable`` (try later); refused
    credentials are ``ErpRejected``: a person must fix the app registration or the secret."""
    http = session or requests.Session()
    url = token_url(login_url, tenant_id)

    def fetch() -> tuple[str, float]:
        data = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
            "scope": scope,
        }
        try:
            response = http.post(url, data=data, timeout=(3.05, 10))
        except requests.RequestException as error:
            raise ErpUnavailable(
                f"Microsoft Entra ID: token request failed ({type(error).__name__})", 30
            ) from None
        if response.status_code == 429 or response.status_code >= 500:
            raise ErpUnavailable(
                f"Microsoft Entra ID answered {response.status_code}", retry_after_seconds(response) or 30
            )
        if response.status_code >= 400:
            raise ErpRejected(
                f"Microsoft Entra ID refused the Business Central app's credentials "
                f"({response.status_code} {_entra_error(response)})"
            )
        body = response.json()
        return str(body["access_token"]), float(body.get("expires_in", 3599))

    return fetch
