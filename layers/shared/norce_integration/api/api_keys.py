"""``X-Api-Key`` authentication for callers we give a static key (the ERP's push, Norce Event).

Several keys are valid at once so a key can be rotated without downtime: add the new one, switch the
caller, remove the old one. Every comparison takes the same time whatever matches (hmac.compare_digest
over every key), and no key, presented or stored, is ever logged.
"""

import hmac
from collections.abc import Callable, Mapping
from typing import Any


def keys_from_secret(secret: Mapping[str, Any]) -> list[str]:
    """``{"apiKey": "..."}`` and/or ``{"keys": ["old", "new"]}``."""
    keys = [str(secret["apiKey"])] if secret.get("apiKey") else []
    keys += [str(key) for key in secret.get("keys") or [] if key]
    if not keys:
        raise ValueError("the API key secret holds no key")
    return keys


class ApiKeyAuthenticator:
    def __init__(self, load_keys: Callable[[], list[str]]) -> None:
        self._load_keys = load_keys

    def is_authorized(self, presented: str | None) -> bool:
        keys = self._load_keys()  # loaded even without a header: the same work either way
        candidate = (presented or "").encode()
        matched = False
        for key in keys:
            matched |= hmac.compare_digest(candidate, key.encode())
        return matched and bool(presented)
