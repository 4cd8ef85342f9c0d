"""The one builder of the Norce clients (Connect, Query for processing, Query for events), all on one auth:
OAuth2 with the token shared through the orders table (one token for every function), or legacy Basic."""

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

from norce_integration.bootstrap.aws import read_secret
from norce_integration.settings import NorceConnectSettings

if TYPE_CHECKING:
    from norce_integration.adapters.http.event_query import HttpEventQuery
    from norce_integration.adapters.http.norce_connect import HttpNorceConnect, NorceHttp
    from norce_integration.adapters.http.norce_query import HttpNorceQuery


@dataclass(frozen=True)
class FullFileFlag:
    """Where a full import's flag goes (``NorceFullFileIn``): "off" by default, as Norce documents none for
    customers (``NorceFullFileFlag`` names it when it is switched on)."""

    key: str = "FullFile"
    place: str = "off"


@dataclass
class NorceClients:
    connect: "HttpNorceConnect"
    query_http: "NorceHttp"
    query_auth: dict[str, Any]  # NorceHttp's arguments but the URL (the application id and the auth)

    @property
    def query(self) -> "HttpNorceQuery":
        """Query look-ups of the write-back and the lifecycle (buyers, companies, documents)."""
        from norce_integration.adapters.http.norce_query import HttpNorceQuery  # noqa: PLC0415

        return HttpNorceQuery(self.query_http)

    def event_query(
        self, version: str, countries: dict[int, str], currencies: dict[int, str]
    ) -> "HttpEventQuery":
        """Query look-ups of the event processor: orders and invoices in 2.0, the buyer and ship-to in 3.0
        (CustomerInfo is 3.0's), customers and companies in ``version``; ids to ISO codes by the maps."""
        from norce_integration.adapters.http.event_query import HttpEventQuery  # noqa: PLC0415
        from norce_integration.adapters.http.norce_connect import NorceHttp  # noqa: PLC0415

        http_3 = NorceHttp(query_url_for(self.query_http.base, "3.0"), **self.query_auth)
        return HttpEventQuery(self.query_http, http_3, version, countries, currencies)


def norce_auth(settings: NorceConnectSettings, dynamodb: Any, table: str, max_age: int) -> dict[str, Any]:
    """``NorceHttp``'s auth arguments: a shared OAuth2 token, or legacy Basic (``NorceAuthMode``)."""
    from norce_integration.adapters.aws.dynamodb_token_store import DynamoDbTokenStore  # noqa: PLC0415
    from norce_integration.adapters.http.norce_connect import oauth_token_fetcher  # noqa: PLC0415
    from norce_integration.adapters.http.token_cache import TokenCache  # noqa: PLC0415

    secret = read_secret(settings.credentials_secret_arn, max_age, "Norce credentials")
    if settings.auth_mode == "basic":
        return {"basic": (str(secret["application_id"]), str(secret["secret_key"]))}
    client_id = str(secret["client_id"])
    fetch = oauth_token_fetcher(
        settings.identity_url, client_id, str(secret["client_secret"]), settings.scope
    )
    return {"tokens": TokenCache(fetch, DynamoDbTokenStore(dynamodb, table, f"norce-connect#{client_id}"))}


class NorceSettings(Protocol):
    """What a flow's settings hold of Norce: the connection, the table the token is shared through, and
    how long a secret is cached."""

    @property
    def norce(self) -> NorceConnectSettings: ...

    @property
    def orders_table(self) -> str: ...

    @property
    def secrets_cache_seconds(self) -> int: ...


def norce_clients(flow: NorceSettings, dynamodb: Any, full_file: FullFileFlag | None = None) -> NorceClients:
    """Connect and Query over HTTP with one auth."""
    from norce_integration.adapters.http.norce_connect import HttpNorceConnect, NorceHttp  # noqa: PLC0415

    settings = flow.norce
    auth = norce_auth(settings, dynamodb, flow.orders_table, flow.secrets_cache_seconds)
    flag = full_file or FullFileFlag()
    connect = HttpNorceConnect(
        settings.connect_url,
        application_id=settings.application_id,
        full_file_key=flag.key,
        full_file_in=cast(Literal["off", "stormconnect-header", "http-header"], flag.place),
        **auth,
    )
    query_auth = {"application_id": settings.application_id, **auth}
    query_http = NorceHttp(settings.query_url, **query_auth)
    return NorceClients(connect, query_http, query_auth)


def query_url_for(url: str, version: str) -> str:
    """``NorceQueryUrl`` (``…/commerce/query/2.0/``) for another Query version: only the version differs."""
    match = re.search(r"/query/\d+\.\d+(/?)$", url)
    if match is None:
        raise ValueError(f"NorceQueryUrl must end in /commerce/query/2.0/ (it is {url!r})")
    return f"{url[: match.start()]}/query/{version}/"
