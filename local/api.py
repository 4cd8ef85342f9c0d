"""The template's API routes on 127.0.0.1:3000, like ``sam local start-api``: each HTTP request becomes an
API Gateway REST proxy event for the function in-process, and its answer becomes the HTTP response."""

import base64
import re
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

from local.functions import FakeContext

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


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
    """A WSGI app routing (METHOD, path) to handlers, one handler call at a time for the whole API.

    Lambda runs one request per process; here every function shares one process, and Powertools'
    resolvers keep the current event on their common base class (``BaseRouter.current_event``), so two
    functions resolving at once would read each other's request. Paths may have API Gateway parameters
    (``{EventType}``); a literal path wins over a parameterised one."""

    def __init__(self, routes: dict[tuple[str, str], tuple[str, Handler]], stage: str = "local") -> None:
        self._routes = routes
        self._stage = stage
        self._lock = threading.Lock()
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
        with self._lock:
            result = handler(event, FakeContext(function_name))
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
