"""Norce Commerce Connect 4.0's front door: what every call under ``/commerce/connect/4.0/`` goes through.

The body is read whole first (also a chunked one), the call is recorded (``GET /_calls``) without its
``Authorization``, then: 400 when the body was cut short, the injected latency, 401 without a valid Bearer
token or the legacy Basic ``applicationId:secretKey``, the injected ``count`` faults; after the handler, the
``dropResponses`` fault. The Connect services (``connect_orders``, ``connect_customers``) answer the rest.
"""

import json
import time
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import BadRequest

from local.norce.identity import authorized
from local.norce.state import NorceState

CONNECT = "/commerce/connect/4.0"
IMPORT_PATHS = frozenset(["Customer/ImportCustomers", "Customer/ImportCompanies"])
CALL_BODY_LIMIT = 1000  # an import's records kept in ``calls`` (the rest is counted in ``records``)


def register(app: Flask, state: NorceState) -> None:
    """The guard before every Connect call and the lost answer after it."""

    @app.before_request
    def connect_guard() -> Any:
        if not request.path.startswith(CONNECT):
            return None
        path = request.path[len(CONNECT) + 1 :]
        # the whole body first (also a chunked one), even when the answer is a fault: a client still
        # sending would otherwise never see the status
        complete = _read_body()
        body = _parsed_body() if complete else None
        headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        call = {
            "at": datetime.now(UTC).isoformat(),
            "method": request.method,
            "path": path,
            "query": dict(request.args),
            "headers": headers,
            "body": body,
        }
        if isinstance(body, list) and len(body) > CALL_BODY_LIMIT:
            call["body"], call["records"] = body[:CALL_BODY_LIMIT], len(body)
        g.connect_body = body
        with state.lock:
            state.calls.append(call)
            if not complete:  # the client stopped sending: nothing to act on
                call["status"] = 400
                state.stats["aborted imports" if path in IMPORT_PATHS else "aborted requests"] += 1
                return jsonify({"Message": "the request body is incomplete"}), 400
            latency_ms = state.faults.latency_ms
        if latency_ms:  # a slow Norce is slow for this call, not a lock on every other caller
            time.sleep(latency_ms / 1000)
        with state.lock:
            if authorized(state, request.headers.get("Authorization", "")) is False:
                call["status"] = 401
                return jsonify({"Message": "Authorization has been denied for this request."}), 401
            faults = state.faults
            if faults.count > 0 and (not faults.paths or path in faults.paths):
                faults.count -= 1
                call["status"] = faults.status
                response = jsonify({"Message": "injected fault"})
                response.headers["Retry-After"] = str(faults.retry_after_seconds)
                return response, faults.status
        g.connect_call = call  # the request reaches its handler
        return None

    @app.after_request
    def drop_response(response: Response) -> Response:
        """``drop_responses``: the handler did everything, then the answer is lost on the way back."""
        call = g.get("connect_call")
        if call is None:
            return response
        with state.lock:
            faults = state.faults
            if faults.drop_responses > 0 and (not faults.paths or call["path"] in faults.paths):
                faults.drop_responses -= 1
                call["processed_status"] = response.status_code
                call["status"] = 504
                state.stats["dropped responses"] += 1
                dropped = jsonify({"Message": "injected: the response was lost"})
                dropped.status_code = 504
                return dropped
        return response


def answer(result: tuple[dict[str, Any], int]) -> tuple[Response, int]:
    """A handler's body and status as the response, the status also in the recorded call."""
    body, status = result
    call = g.get("connect_call")
    if call is not None:
        call["status"] = status
    return jsonify(body), status


def _read_body() -> bool:
    """Read the request's whole body (a chunked one too); False when the client stopped sending."""
    try:
        request.get_data(cache=True)
    except (OSError, BadRequest):
        return False
    return True


def _parsed_body() -> Any:
    """The body read by ``_read_body`` as JSON, None when empty or not JSON."""
    data = request.get_data(cache=True)
    if not data:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None
