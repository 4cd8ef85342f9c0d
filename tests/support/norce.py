"""Our Norce HTTP client pointed at the strict local Norce, as the functions build it."""

from local.norce import NorceConnectSimulator
from norce_integration.adapters.http.norce_connect import NorceHttp
from norce_integration.bootstrap.norce import query_url_for


def query_http(norce: NorceConnectSimulator, version: str = "2.0") -> NorceHttp:
    """Norce Query at OData ``version`` (2.0 or 3.0), with the local Norce's application credentials."""
    url = query_url_for(norce.query_url, version)
    return NorceHttp(url, basic=("1001", "connect-local-secret"), application_id="1001")
