"""HTTP Basic authentication of Norce's order sender.

Up to several credential pairs are valid at once so they can be rotated without downtime: add the
new pair next to the old one, switch Norce, then remove the old pair. Comparisons take the same
time whatever matches, and nothing about the presented credentials is ever logged.
"""

import base64
import binascii
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

CHALLENGE = 'Basic realm="norce-order-receiver", charset="UTF-8"'


@dataclass(frozen=True, slots=True)
class Credential:
    username: str
    password: str

    def __repr__(self) -> str:  # never let a password reach a log line through repr()
        return f"Credential(username={self.username!r}, password=***)"


def credentials_from_secret(secret: Mapping[str, Any]) -> list[Credential]:
    """Read ``{"username", "password"}`` and/or ``{"credentials": [{"username", "password"}, ...]}``."""
    pairs: list[Mapping[str, Any]] = []
    if "username" in secret or "password" in secret:
        pairs.append(secret)
    pairs.extend(secret.get("credentials") or [])
    credentials = [
        Credential(str(pair["username"]), str(pair["password"]))
        for pair in pairs
        if pair.get("username") and pair.get("password")
    ]
    if not credentials:
        raise ValueError("the credentials secret holds no username/password pair")
    return credentials


def _decode(authorization: str | None) -> tuple[bytes, bytes] | None:
    if not authorization:
        return None
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    username, separator, password = decoded.partition(b":")
    return (username, password) if separator else None


class BasicAuthenticator:
    def __init__(self, load_credentials: Callable[[], list[Credential]]) -> None:
        self._load_credentials = load_credentials

    def is_authorized(self, authorization: str | None) -> bool:
        """True if the ``Authorization`` header names any valid pair (constant-time per pair)."""
        presented = _decode(authorization)
        credentials = self._load_credentials()  # loaded even for a bad header: same work either way
        if presented is None:
            return False
        username, password = presented
        matched = False
        for credential in credentials:
            same_user = hmac.compare_digest(username, credential.username.encode())
            same_password = hmac.compare_digest(password, credential.password.encode())
            matched |= same_user & same_password
        return matched
