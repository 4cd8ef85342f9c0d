"""Reading an API Gateway proxy event's body and answering in JSON, the same way in every API function."""

import base64
import json
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

JSON = "application/json"


def raw_body(event: APIGatewayProxyEvent) -> bytes:
    """The request body as sent: base64 decoded when API Gateway encoded it, never decoded as text (a body
    that is not UTF-8 is the caller's business to refuse, not a crash)."""
    body = event.body or ""
    return base64.b64decode(body) if event.is_base64_encoded else body.encode()


def json_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(status_code=status, content_type=JSON, body=json.dumps(body), headers=headers)
