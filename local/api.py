"""The template's API routes on 127.0.0.1:3000, like ``sam local start-api``: each HTTP request becomes an
API Gateway REST proxy event for the function (in one of its worker processes, ``local.workers``), and its
answer becomes the HTTP response. Requests are served concurrently, as API Gateway and Lambda do."""

import base64
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

from local.workers import HandlerFailed, IntegrationTimedOut, WorkerDied

log = logging.getLogger("local.api")
Handler = Callable[[dict[str, Any]], Any]  # the proxy event -> the proxy result
# What API Gateway answers when the Lambda integration fails: the function errored, died or timed out
# (502), or took longer than the integration's 29 s (504).
BAD_GATEWAY = (502, {"message": "Internal server error"})
GATEWAY_TIMEOUT = (504, {"message": "Endpoint request timed out"})


def proxy_event(
    request: Request, resource: str, stage: str, path_parameters: dict[str, str] | None = None
) -> dict[str, Any]:
    raw = request.get_data()
    try:
        body, encoded = raw.decode("utf-8"), False
    except UnicodeDecodeError:
        body, encoded = base64.b64encode(raw).decode(), True
    headers = dict(request.headers.items())
    multi = {name: request.headers.getlist(name) for name in headers}
    query = {name: request.args.get(name, "") for name in request.args} or None
    return {
        "resource": resource,
        "path": request.path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {n: request.args.getlist(n) for n in request.args} or None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": request.method,
            "path": f"/{stage}{request.path}",
            "stage": stage,
            "requestId": str(uuid.uuid4()),
            "accountId": "123456789012",
            "apiId": "local",
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": request.remote_addr, "userAgent": request.user_agent.string},
        },
        "body": body or None,
        "isBase64Encoded": encoded,
    }


def _pattern(path: str) -> re.Pattern[str]:
    """API Gateway's ``/norce/events/{EventType}`` as a regular expression with named groups."""
    parts = re.split(r"\{(\w+)\}", path)
    regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts))
    return re.compile(f"^{regex}$")


class LocalApi:
    """A WSGI app routing (METHOD, path) to handlers, each request in its own thread.

    A function's handler runs in the function's worker processes (one request per process, as in Lambda),
    so requests to one function run side by side up to its pool's size. Paths may have API Gateway
    parameters (``{EventType}``); a literal path wins over a parameterised one."""

    def __init__(self, routes: dict[tuple[str, str], tuple[str, Handler]], stage: str = "local") -> None:
        self._routes = routes
        self._stage = stage
        self._templates = [(route, _pattern(route[1])) for route in routes if "{" in route[1]]

    def _match(self, method: str, path: str) -> tuple[tuple[str, str], dict[str, str]] | None:
        if (method, path) in self._routes:
            return (method, path), {}
        for route, pattern in self._templates:
            found = pattern.match(path)
            if route[0] == method and found:
                return route, found.groupdict()
        return None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        matched = self._match(request.method, request.path)
        if matched is None:
            known = any(
                path == request.path or _pattern(path).match(request.path) for _, path in self._routes
            )
            status = 405 if known else 404
            message = (
                b'{"message": "Method Not Allowed"}'
                if known
                else b'{"message": "Missing Authentication Token"}'
            )
            return Response(message, status=status, content_type="application/json")(environ, start_response)
        route, parameters = matched
        function_name, handler = self._routes[route]
        event = proxy_event(request, route[1], self._stage, parameters)
        try:
            result = handler(event)
        except (WorkerDied, HandlerFailed) as error:  # the error's type only: its text may quote the request
            failure = error.error_type if isinstance(error, HandlerFailed) else type(error).__name__
            log.warning("%s %s: %s %s -> 502", request.method, request.path, function_name, failure)
            return _gateway_error(*BAD_GATEWAY)(environ, start_response)
        except IntegrationTimedOut:
            return _gateway_error(*GATEWAY_TIMEOUT)(environ, start_response)
        if not isinstance(result, dict):
            log.warning("%s %s: %s gave no proxy result -> 502", request.method, request.path, function_name)
            return _gateway_error(*BAD_GATEWAY)(environ, start_response)
        body = result.get("body") or ""
        payload = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
        headers = Headers()
        for name, values in (result.get("multiValueHeaders") or {}).items():
            for value in values:
                headers.add(name, value)
        for name, value in (result.get("headers") or {}).items():
            if name not in headers:
                headers[name] = value
        response = Response(payload, status=int(result.get("statusCode", 200)), headers=headers)
        return response(environ, start_response)


def _gateway_error(status: int, body: dict[str, str]) -> Response:
    response = Response(json.dumps(body), status=status, content_type="application/json")
    kind = "InternalServerErrorException" if status == 502 else "TimeoutException"
    response.headers["x-amzn-ErrorType"] = kind
    return response
