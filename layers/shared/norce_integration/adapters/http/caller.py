"""One HTTP call with bounded retries, turning failures into a port's two error kinds.

Lambda time is precious: a call retries a few times within a small sleep budget, then raises the
"unavailable" error with the server's Retry-After so the *message* is retried later instead.
"""

import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

import requests

RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
REFUSED_STATUS = frozenset({429, 503})  # the server did not process the request


class Retry(Enum):
    ALWAYS = "always"  # idempotent calls: any timeout, connection error or retryable status
    IF_REFUSED = "if-refused"  # non-idempotent: only when the request surely was not processed
    NEVER = "never"


def retry_after_seconds(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def error_text(response: requests.Response, limit: int = 300) -> str:
    """The server's own error message (never our request body, which may hold personal data)."""
    try:
        body = response.json()
        if isinstance(body, dict) and isinstance(
            body.get("error"), dict
        ):  # OData: {"error": {code, message}}
            error = body["error"]
            coded = ": ".join(str(part) for part in (error.get("code"), error.get("message")) if part)
            if coded:
                return coded[:limit]
        if isinstance(body, dict):
            text = (
                body.get("error")
                or body.get("message")
                or body.get("Message")
                or body.get("error_description")
            )
            if text:
                return str(text)[:limit]
    except ValueError:
        pass
    return (response.text or response.reason or "")[:limit]


@dataclass
class HttpCaller:
    unavailable: Callable[[str, float | None], Exception]
    rejected: Callable[[str], Exception]
    session: requests.Session = field(default_factory=requests.Session)
    timeout: tuple[float, float] = (3.0, 10.0)
    attempts: int = 3
    max_total_sleep: float = 10.0
    base_sleep: float = 0.5
    sleep: Callable[[float], None] = time.sleep
    # When set: what is raised instead of ``unavailable`` when the server surely did not process the request
    # (it refused it with 429/503, or the connection was never made), so a caller can tell it from a request
    # whose outcome is unknown (a timeout, a 5xx after the body was sent).
    refused: Callable[[str, float | None], Exception] | None = None

    def request(
        self, method: str, url: str, *, retry: Retry, accept: frozenset[int] = frozenset(), **kwargs: Any
    ) -> requests.Response:
        """The response (2xx or a status in ``accept``), or ``unavailable``/``rejected`` raised."""
        what = f"{method} {'/'.join(urlsplit(url).path.rstrip('/').split('/')[-2:])}"
        slept = 0.0
        for attempt in range(1, self.attempts + 1):
            retry_after: float | None = None
            try:
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except requests.ConnectionError as error:  # includes ConnectTimeout: nothing was sent
                reason = f"{what} failed: {type(error).__name__}"
                surely_refused = isinstance(error, requests.ConnectTimeout)
                may_retry = retry is Retry.ALWAYS or (retry is Retry.IF_REFUSED and surely_refused)
            except requests.Timeout as error:  # read timeout: the server may have processed it
                reason, may_retry = f"{what} timed out ({type(error).__name__})", retry is Retry.ALWAYS
                surely_refused = False
            else:
                status = response.status_code
                if status < 400 or status in accept:
                    return response
                if status not in RETRYABLE_STATUS:
                    raise self.rejected(f"{what} answered {status}: {error_text(response)}")
                retry_after = retry_after_seconds(response)
                reason = f"{what} answered {status}"
                surely_refused = status in REFUSED_STATUS
                may_retry = retry is Retry.ALWAYS or (retry is Retry.IF_REFUSED and surely_refused)
            wait = max(retry_after or 0.0, self.base_sleep * 2 ** (attempt - 1) * random.uniform(0.8, 1.2))  # noqa: S311
            if not may_retry or attempt == self.attempts or slept + wait > self.max_total_sleep:
                if surely_refused and self.refused is not None:
                    raise self.refused(reason, retry_after)
                raise self.unavailable(reason, retry_after)
            self.sleep(wait)
            slept += wait
        raise AssertionError("unreachable")  # pragma: no cover
