"""``erp_for``: the one place that chooses and builds the ERP adapter, for every flow (order processing, the
lifecycle poll, changes from Norce, the scheduled imports). A new ERP is one adapter module and one line
here (docs/erp-adapter.md)."""

from typing import TYPE_CHECKING

from norce_integration.bootstrap.aws import read_secret
from norce_integration.settings import ErpTarget

if TYPE_CHECKING:
    from norce_integration.erp.ports import Erp


def erp_for(target: ErpTarget, max_age: int) -> "Erp":
    """The ERP adapter of one target (a routing target of the processor, or the ERP of the other flows)."""
    from norce_integration.adapters.http.erp_client import HttpErp  # noqa: PLC0415

    secret = read_secret(target.api_key_secret_arn, max_age, "ERP API key")
    return HttpErp(target.base_url, str(secret["apiKey"]))
