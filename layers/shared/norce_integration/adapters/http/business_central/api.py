"""``BcApi``: one Business Central company's API v2.0 over HTTP, a good citizen of Business Central's limits.

- The URL is ``{api}/v2.0/{tenant}/{environment}/api/v2.0/companies({companyId})/...``; every call carries the
  shared Entra ID token (renewed once when Business Central answers 401).
- Per user, Business Central processes 5 requests at once (more wait in its queue, 503 after 8 minutes;
  past 100 it answers 429) and takes 6,000 in 5 minutes (then 429): a process sends at most 5 at a time, and
  a 429 or 503 is retried after its ``Retry-After`` within a small sleep budget (``HttpCaller``), then the
  message is retried later, never sooner than ``Retry-After``.
- A request running 10 minutes is cut with 504 (408 at 8 minutes in the OData layer): for a write, an outcome
  nobody knows, which ``BusinessCentralErp`` resolves by looking the entity up before writing again.
- Pages: ``Prefer: odata.maxpagesize`` (Business Central's ceiling is 20,000 entities), followed by
  ``@odata.nextLink``. ``$batch`` (JSON, at most 100 requests) reads many entities in one call.
- Errors are OData's ``{"error": {"code", "message"}}``; a 4xx other than 408/429 is ``ErpRejected`` with
  Business Central's message (an unknown item, a blocked customer), never retried as is.
Sources: learn.microsoft.com ``administration/operational-limits-online``, ``api-reference/v2.0/
dynamics-rate-limits``, ``webservices/use-odata-batch``, ``webservices/Server-Driven-Paging-in-OData-Web-
Services``, ``webservices/dynamics-error-codes``.
"""

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import requests

from norce_integration.adapters.http.caller import HttpCaller, Retry, error_text
from norce_integration.adapters.http.token_cache import TokenCache
from norce_integration.erp.ports import ErpRejected, ErpUnavailable

MAX_CONCURRENT = 5  # per user (operational limits, "OData request limits (per user)")
MAX_PAGE_SIZE = 20_000
MAX_BATCH = 100  # "Max batch size: the maximum number of operations in an OData V4 $batch request"


class ErpRefused(ErpUnavailable):
    """Business Central surely did not process the request (429, 503, no connection): safe to send again."""


def _unavailable(reason: str, retry_after: float | None) -> Exception:
    return ErpUnavailable(f"Business Central: {reason}", retry_after)


def _refused(reason: str, retry_after: float | None) -> Exception:
    return ErpRefused(f"Business Central: {reason}", retry_after)


def _rejected(reason: str) -> Exception:
    return ErpRejected(f"Business Central: {reason}")


class _AtMostFive(requests.Session):
    """A session that has at most ``MAX_CONCURRENT`` requests in flight, whatever the number of threads."""

    def __init__(self) -> None:
        super().__init__()
        self._slots = threading.BoundedSemaphore(MAX_CONCURRENT)

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        with self._slots:
            return super().request(*args, **kwargs)


def with_query(path: str, params: dict[str, Any]) -> str:
    """``path?`` and the OData query options, encoded (``$``, quotes and parentheses kept readable)."""
    return f"{path}?{urlencode(params, quote_via=quote, safe="$,()'")}" if params else path


def api_root(api_url: str, tenant_id: str, environment: str) -> str:
    return f"{api_url.rstrip('/')}/v2.0/{tenant_id}/{environment}/api/v2.0"


@dataclass
class BcApi:
    root: str  # {api}/v2.0/{tenant}/{environment}/api/v2.0
    company_id: str
    tokens: TokenCache
    caller: HttpCaller
    page_size: int = 1000

    @classmethod
    def build(
        cls,
        root: str,
        company_id: str,
        tokens: TokenCache,
        page_size: int = 1000,
        caller: HttpCaller | None = None,
    ) -> "BcApi":
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"a Business Central page holds 1 to {MAX_PAGE_SIZE} entities, not {page_size}")
        caller = caller or HttpCaller(
            _unavailable, _rejected, session=_AtMostFive(), timeout=(3.05, 30.0), refused=_refused
        )
        caller.session.headers.update({"Accept": "application/json"})
        return cls(root.rstrip("/"), company_id, tokens, caller, page_size)

    @property
    def company(self) -> str:
        return f"{self.root}/companies({self.company_id})"

    def url(self, path: str) -> str:
        """An absolute URL for ``path``: as is when absolute, else under the company (``salesOrders``)."""
        return path if path.startswith(("http://", "https://")) else f"{self.company}/{path.lstrip('/')}"

    def relative(self, url: str) -> str:
        """``url`` relative to the service root, as a ``$batch`` request names it."""
        return url.removeprefix(self.root).lstrip("/")

    def request(
        self,
        method: str,
        url: str,
        *,
        retry: Retry,
        accept: frozenset[int] = frozenset(),
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """One call with the shared token: a 401 renews it once; refused again, the app is not allowed in
        Business Central (its Entra application card or permissions): ``ErpRejected``."""
        for attempt in (1, 2):
            token = self.tokens.get()
            response = self.caller.request(
                method,
                url,
                retry=retry,
                accept=accept | {401},
                headers={"Authorization": f"Bearer {token}", **(headers or {})},
                **kwargs,
            )
            if response.status_code != 401:
                return response
            self.tokens.invalidate(token)
            if attempt == 2:
                raise ErpRejected(
                    f"Business Central refused the app's token (401: {error_text(response)}): is the app "
                    "registered on the Microsoft Entra Applications page with the permissions it needs?"
                )
        raise AssertionError("unreachable")  # pragma: no cover

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        body: dict[str, Any] = self.request("GET", self.url(path), retry=Retry.ALWAYS, params=params).json()
        return body

    @property
    def prefer(self) -> dict[str, str]:
        return {"Prefer": f"odata.maxpagesize={self.page_size}"}

    def pages(self, path: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every entity of a collection, one page (``page_size``) at a time, following ``@odata.nextLink``."""
        first = self.request("GET", self.url(path), retry=Retry.ALWAYS, params=params, headers=self.prefer)
        yield from self.follow(first.json())

    def follow(self, page: dict[str, Any] | None) -> Iterator[dict[str, Any]]:
        """The entities of ``page`` and of every page after it (``@odata.nextLink``)."""
        while page:
            yield from page.get("value") or []
            link = page.get("@odata.nextLink")
            page = self.request("GET", link, retry=Retry.ALWAYS, headers=self.prefer).json() if link else None

    def batch_get(
        self, urls: list[str], headers: dict[str, str] | None = None
    ) -> list[dict[str, Any] | None]:
        """The bodies of GET ``urls`` (absolute or company-relative, with their query), ``None`` for one not
        found, in as few ``$batch`` calls as Business Central allows (100 requests each)."""
        bodies: list[dict[str, Any] | None] = []
        for start in range(0, len(urls), MAX_BATCH):
            chunk = urls[start : start + MAX_BATCH]
            requests_ = [
                {"id": str(i), "method": "GET", "url": self.relative(self.url(url))}
                | ({"headers": headers} if headers else {})
                for i, url in enumerate(chunk)
            ]
            answer = self.request(
                "POST",
                f"{self.root}/$batch",
                retry=Retry.ALWAYS,  # GETs only: sending it again changes nothing
                json={"requests": requests_},
                headers={"Content-Type": "application/json"},
            ).json()
            by_id = {str(item.get("id")): item for item in answer.get("responses") or []}
            for i, url in enumerate(chunk):
                bodies.append(_inner(by_id.get(str(i)), url))
        return bodies


def _inner(item: dict[str, Any] | None, url: str) -> dict[str, Any] | None:
    """One ``$batch`` answer: its body, ``None`` for 404, else the error a single call would raise."""
    if item is None:
        raise ErpUnavailable(f"Business Central: $batch gave no answer for {url.split('?', maxsplit=1)[0]}")
    status = int(item.get("status") or 0)
    body = item.get("body")
    if 200 <= status < 300:
        return body if isinstance(body, dict) else {}
    if status == 404:
        return None
    message = body.get("error", {}).get("message") if isinstance(body, dict) else None
    what = url.split("?", maxsplit=1)[0].rsplit("/", 1)[-1]
    reason = f"GET {what} in $batch answered {status}: {message or ''}"
    if status in (408, 429) or status >= 500:
        raise ErpUnavailable(f"Business Central: {reason}")
    raise ErpRejected(f"Business Central: {reason}")
