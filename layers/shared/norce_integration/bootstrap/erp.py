"""``erp_for``: the one place that chooses and builds the ERP adapter, for every flow (order processing, the
lifecycle poll, changes from Norce, the scheduled imports, Business Central's webhooks). ``ErpKind`` names
the adapter; a new ERP is one adapter module and one line in ``ADAPTERS`` (docs/erp-adapter.md)."""

from collections.abc import Callable
from typing import TYPE_CHECKING

from norce_integration.bootstrap.aws import aws_client, read_secret
from norce_integration.settings import BusinessCentralTarget, ErpTarget

if TYPE_CHECKING:
    from norce_integration.adapters.http.business_central.api import BcApi
    from norce_integration.adapters.http.business_central.fence import WriteFence
    from norce_integration.erp.ports import Erp


def _rest(target: ErpTarget, max_age: int) -> "Erp":
    from norce_integration.adapters.http.erp_client import HttpErp  # noqa: PLC0415

    secret = read_secret(target.api_key_secret_arn, max_age, "ERP API key")
    return HttpErp(target.base_url, str(secret["apiKey"]))


def _business_central(target: ErpTarget, max_age: int) -> "Erp":
    from norce_integration.adapters.http.business_central.erp import BusinessCentralErp  # noqa: PLC0415
    from norce_integration.adapters.http.business_central.fence import InMemoryWriteFence  # noqa: PLC0415

    bc = _bc(target)
    fence: WriteFence = InMemoryWriteFence()
    if target.token_table:
        from norce_integration.adapters.aws.dynamodb_write_fence import DynamoDbWriteFence  # noqa: PLC0415

        fence = DynamoDbWriteFence(aws_client("dynamodb"), target.token_table)
    return BusinessCentralErp(bc_api_for(target, max_age), fence, fee_account=bc.fee_account)


ADAPTERS: dict[str, Callable[[ErpTarget, int], "Erp"]] = {
    "rest": _rest,
    "business-central": _business_central,
}


def erp_for(target: ErpTarget, max_age: int) -> "Erp":
    """The ERP adapter of one target (a routing target of the processor, or the ERP of the other flows)."""
    return ADAPTERS[target.kind](target, max_age)


def _bc(target: ErpTarget) -> BusinessCentralTarget:
    if target.business_central is None:
        raise RuntimeError("ERP_KIND is business-central but the BC_* settings are missing")
    return target.business_central


def bc_client_secret(target: ErpTarget, max_age: int) -> str:
    secret = read_secret(_bc(target).client_secret_arn, max_age, "Business Central client secret")
    return str(secret["clientSecret"])


def bc_api_for(target: ErpTarget, max_age: int) -> "BcApi":
    """Business Central's API client: the Entra ID token shared through the orders table, as Norce's is."""
    from norce_integration.adapters.aws.dynamodb_token_store import DynamoDbTokenStore  # noqa: PLC0415
    from norce_integration.adapters.http.business_central.api import BcApi, api_root  # noqa: PLC0415
    from norce_integration.adapters.http.business_central.entra import entra_token_fetcher  # noqa: PLC0415
    from norce_integration.adapters.http.token_cache import TokenCache  # noqa: PLC0415
    from norce_integration.erp.ports import ErpUnavailable  # noqa: PLC0415

    bc = _bc(target)
    fetch = entra_token_fetcher(bc.login_url, bc.tenant_id, bc.client_id, bc_client_secret(target, max_age))
    store = (
        DynamoDbTokenStore(
            aws_client("dynamodb"),
            target.token_table,
            f"bc#{bc.tenant_id}#{bc.client_id}",
            what="Business Central token",
        )
        if target.token_table
        else None
    )
    tokens = TokenCache(fetch, store, unavailable=ErpUnavailable, what="the Business Central token")
    root = api_root(bc.api_url, bc.tenant_id, bc.environment)
    return BcApi.build(root, bc.company_id, tokens, page_size=bc.page_size)
