"""The OData envelope of Business Central's API v2.0: a collection page, an error, a ``$batch``.

learn.microsoft.com webservices/Server-Driven-Paging-in-OData-Web-Services (``@odata.nextLink``,
``odata.maxpagesize``, 20,000), webservices/dynamics-error-codes (``{"error": {"code", "message"}}``),
webservices/use-odata-batch (JSON ``$batch``; at most 100 requests: administration/operational-limits-online).
"""

from typing import Any

from tests.contracts.business_central.base import described

SOURCE = "learn.microsoft.com/dynamics365/business-central/dev-itpro/webservices/"
Page = described(
    "page",
    SOURCE + "Server-Driven-Paging-in-OData-Web-Services",
    {
        "@odata.context": (str, "the metadata URL"),
        "value": (list[dict[str, Any]], "the entities of this page"),
        "@odata.nextLink": (str, "the next page, while there is one"),
    },
    required=("value",),
)
ErrorDetail = described(
    "errorDetail",
    SOURCE + "dynamics-error-codes",
    {
        "code": (str, "BadRequest_*, Authentication_*, Internal_*, Application_*, Request_*"),
        "message": (str, ""),
    },
    required=("code", "message"),
)
Error = described("error", SOURCE + "dynamics-error-codes", {"error": (ErrorDetail, "")}, required=("error",))
BatchRequestItem = described(
    "batchRequestItem",
    SOURCE + "use-odata-batch",
    {
        "id": (str, "correlates the answer"),
        "method": (str, "GET, POST, PATCH, DELETE"),
        "url": (str, "relative to the service root"),
        "headers": (dict[str, str], ""),
        "body": (dict[str, Any], ""),
    },
    required=("method", "url"),
)
BatchRequest = described(
    "batchRequest",
    SOURCE + "use-odata-batch",
    {"requests": (list[BatchRequestItem], "")},
    required=("requests",),  # type: ignore[valid-type]
)
BatchAnswerItem = described(
    "batchAnswerItem",
    SOURCE + "use-odata-batch",
    {"id": (str, ""), "status": (int, ""), "headers": (dict[str, str], ""), "body": (dict[str, Any], "")},
    required=("status",),
)
BatchAnswer = described(
    "batchAnswer",
    SOURCE + "use-odata-batch",
    {"responses": (list[BatchAnswerItem], "")},
    required=("responses",),  # type: ignore[valid-type]
)
MAX_BATCH = 100
MAX_PAGE_SIZE = 20_000
