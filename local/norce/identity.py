"""Norce Identity 1.0: the OAuth2 token endpoint ``POST /identity/1.0/connect/token``, and who may call
Connect.

Client credentials only; the endpoint's rate limit is Norce's (3 a minute per IP, burst 20: 429 with
``Retry-After``). A token lives 3600 s on ``state.clock``. Connect also takes the legacy Basic
``applicationId:secretKey``.
"""

import secrets

from flask import Flask, Response, jsonify, request

from local.norce.state import NorceState, TokenBucket

TOKEN_PATH = "/identity/1.0/connect/token"


def register(app: Flask, state: NorceState) -> None:
    @app.post(TOKEN_PATH)
    def token() -> tuple[Response, int]:
        state.stats["token requests"] += 1
        with state.lock:
            bucket = state.buckets.setdefault(request.remote_addr or "?", TokenBucket(updated=state.clock()))
            if not bucket.take(state.clock()):
                state.stats["token 429"] += 1
                response = jsonify({"error": "rate limit exceeded"})
                response.headers["Retry-After"] = "20"
                return response, 429
        form = request.form
        if form.get("grant_type") != "client_credentials" or (
            form.get("client_id"),
            form.get("client_secret"),
        ) != (state.client_id, state.client_secret):
            return jsonify({"error": "invalid_client"}), 401
        issued = secrets.token_urlsafe(24)
        with state.lock:
            state.tokens[issued] = state.clock() + 3600
        return jsonify(
            {
                "access_token": issued,
                "expires_in": 3600,
                "token_type": "Bearer",
                "scope": form.get("scope"),
            }
        ), 200


def authorized(state: NorceState, header: str) -> bool:
    """Under the lock: whether an ``Authorization`` header may call Connect."""
    if header == state.basic:
        return True
    if header.startswith("Bearer "):
        expires = state.tokens.get(header[len("Bearer ") :])
        return expires is not None and expires > state.clock()
    return False
