"""``HttpNorceConnect``: the ``NorceConnect`` port over Norce Commerce Connect 4.0.

Auth: OAuth2 client credentials (the default; token shared through ``TokenCache``) or legacy Basic
``applicationId:secretKey``. Retries: SendOrderStatus and Job/Get are idempotent and retried on any
transient failure; ImportCustomers/ImportCompanies (a job per call), CreateDeliveryNote, CreateInvoice
(a capture) and CreditPayment (a payout) are retried only when Norce surely did not take the request
(connection refused, 429, 503).

An import is answered with a JobResponse (``JobId`` a string, ``ValidationSummary``). The full-import flag
is sent only where it is switched on (``full_file_in``): Norce's customer header documents none.
"""

import base64
import json
from collections.abc import Callable, Iterable
from typing import Any, Literal

import requests

from norce_integration.adapters.http.caller import HttpCaller, Retry, error_text, retry_after_seconds
from norce_integration.adapters.http.token_cache import TokenCache
from norce_integration.contracts.base import NorceModel
from norce_integration.contracts.connect import (
    ImportHeader,
    Job,
    JobResponse,
    NorceCompany,
    NorceCustomer,
    OrderStatusUpdate,
)
from norce_integration.contracts.lifecycle import DeliveryNote, Invoice
from norce_integration.imports.config import Entity
from norce_integration.norce.ports import NorceRejected, NorceUnavailable


def _unavailable(reason: str, retry_after: float | None) -> Exception:
    return NorceUnavailable(f"Norce Connect: {reason}", retry_after)


def _rejected(reason: str) -> Exception:
    return NorceRejected(f"Norce Connect: {reason}")


def oauth_token_fetcher(
    identity_url: str, client_id: str, client_secret: str, scope: str, session: requests.Session | None = None
) -> Callable[[], tuple[str, float]]:
    """``fetch`` for ``TokenCache``: client credentials in the form body, as Norce's identity server wants."""
    http = session or requests.Session()

    def fetch() -> tuple[str, float]:
        data = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
            "scope": scope,
        }
        try:
            response = http.post(identity_url, data=data, timeout=(3, 10))
        except requests.RequestException as error:
            raise NorceUnavailable(f"Norce token endpoint: {type(error).__name__}") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise NorceUnavailable(
                f"Norce token endpoint answered {response.status_code}", retry_after_seconds(response)
            )
        if response.status_code >= 400:
            raise NorceRejected(
                f"Norce token endpoint answered {response.status_code}: {error_text(response)}"
            )
        body = response.json()
        return str(body["access_token"]), float(body.get("expires_in", 3600))

    return fetch


FullFileIn = Literal["off", "stormconnect-header", "http-header"]


def _job_response(response: requests.Response) -> JobResponse:
    """The import's JobResponse; ``NorceRejected`` when the answer is not one (Norce's job cannot be
    followed: the caller reports it, and a write-back is sent again later)."""
    try:
        answer = JobResponse.model_validate(response.json())
        answer.job_id  # noqa: B018 - a JobResponse without a usable JobId is no answer
    except (ValueError, TypeError) as error:
        raise NorceRejected(
            f"Norce Connect: the import was not answered with a JobResponse: {error}"
        ) from None
    return answer


class NorceHttp:
    """Calls to one Norce API (Connect or Query) with the integration's auth: a Bearer token from the
    shared ``TokenCache`` (renewed once on a 401) or legacy Basic, and the ``applicationId`` header."""

    def __init__(
        self,
        base_url: str,
        *,
        tokens: TokenCache | None = None,
        basic: tuple[str, str] | None = None,
        application_id: str | None = None,
        caller: HttpCaller | None = None,
    ) -> None:
        if (tokens is None) == (basic is None):
            raise ValueError("give either tokens (OAuth2) or basic=(application_id, secret_key)")
        self.base = base_url.rstrip("/") + "/"
        self._tokens = tokens
        self._basic = (
            "Basic " + base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode() if basic else None
        )
        self._application_id = application_id
        self._caller = caller or HttpCaller(_unavailable, _rejected)

    def call(
        self, method: str, path: str, retry: Retry, replayable: bool = True, **kwargs: Any
    ) -> requests.Response:
        """``replayable=False`` for a streamed body: it cannot be sent twice, so an expired token is renewed
        and reported as unavailable (the caller makes the body again) instead of retried here."""
        extra_headers = kwargs.pop("headers", {})
        for attempt in (1, 2):
            token = self._tokens.get() if self._tokens else None
            headers = {**extra_headers, "Accept": "application/json"}
            headers["Authorization"] = f"Bearer {token}" if token else (self._basic or "")
            if self._application_id:
                headers["applicationId"] = self._application_id
            response = self._caller.request(
                method, self.base + path, retry=retry, accept=frozenset({401}), headers=headers, **kwargs
            )
            if response.status_code != 401:
                return response
            if token and self._tokens and attempt == 1:  # expired or revoked early: get a new one, once
                self._tokens.invalidate(token)
                if not replayable:
                    raise NorceUnavailable(f"Norce: {method} {path} answered 401: token renewed, send again")
                continue
            raise NorceRejected(f"Norce: {method} {path} answered 401: check the Norce credentials")
        raise AssertionError("unreachable")  # pragma: no cover


class HttpNorceConnect:
    def __init__(
        self,
        connect_url: str,
        *,
        tokens: TokenCache | None = None,
        basic: tuple[str, str] | None = None,
        application_id: str | None = None,
        full_file_key: str = "FullFile",
        full_file_in: FullFileIn = "off",
        caller: HttpCaller | None = None,
    ) -> None:
        self._http = NorceHttp(
            connect_url, tokens=tokens, basic=basic, application_id=application_id, caller=caller
        )
        self._full_file_key = full_file_key
        self._full_file_in = full_file_in

    def send_order_status(self, update: OrderStatusUpdate) -> None:
        self._http.call("POST", "Order/SendOrderStatus", Retry.ALWAYS, json=_body(update))

    def import_customers(
        self, customers: list[NorceCustomer], header: ImportHeader, full_file: bool = False
    ) -> JobResponse:
        return self._import("Customer/ImportCustomers", [_body(c) for c in customers], header, full_file)

    def import_companies(
        self, companies: list[NorceCompany], header: ImportHeader, full_file: bool = False
    ) -> JobResponse:
        return self._import("Customer/ImportCompanies", [_body(c) for c in companies], header, full_file)

    def get_job(self, job_id: int) -> Job:
        return Job.model_validate(
            self._http.call("GET", "Job/Get", Retry.ALWAYS, params={"id": job_id}).json()
        )

    def job_log(self, job_id: int) -> list[dict[str, Any]]:
        """``Job/GetLog``: ``{SeverityId, Message, TimeStamp, ImportedRow}`` lines (idempotent, retried).
        Norce renders the answer as one such object without saying whether it is a list: both are read."""
        lines = self._http.call("GET", "Job/GetLog", Retry.ALWAYS, params={"id": job_id}).json()
        if isinstance(lines, dict):
            lines = [lines]
        return [line for line in lines or [] if isinstance(line, dict)] if isinstance(lines, list) else []

    def create_delivery_note(self, note: DeliveryNote) -> None:
        self._http.call("POST", "Order/CreateDeliveryNote", Retry.IF_REFUSED, json=_body(note))

    def create_invoice(self, invoice: Invoice) -> None:
        self._http.call("POST", "Order/CreateInvoice", Retry.IF_REFUSED, json=_body(invoice))

    def credit_payment(self, credit: Invoice) -> None:
        self._http.call("POST", "Order/CreditPayment", Retry.IF_REFUSED, json=_body(credit))

    def import_stream(
        self, entity: Entity, body: Iterable[bytes], header: ImportHeader, full_file: bool
    ) -> JobResponse:
        """A scheduled import: the body (a JSON array) is sent chunked while it is made; never retried here
        (it cannot be replayed): the import run makes it again."""
        path = "Customer/ImportCustomers" if entity is Entity.CUSTOMERS else "Customer/ImportCompanies"
        headers = self._import_headers(header, full_file) | {"Content-Type": "application/json"}
        response = self._http.call("POST", path, Retry.NEVER, replayable=False, data=body, headers=headers)
        return _job_response(response)

    def _import_headers(self, header: ImportHeader, full_file: bool) -> dict[str, str]:
        """``X-StormConnect-Header`` (and the full-import flag where it is switched on: "off" sends no
        flag at all, so Norce upserts what it is given and deactivates nothing)."""
        stormconnect = _body(header)
        headers = {}
        if self._full_file_in == "stormconnect-header":
            stormconnect[self._full_file_key] = full_file
        elif self._full_file_in == "http-header":
            headers[self._full_file_key] = "true" if full_file else "false"
        headers["X-StormConnect-Header"] = json.dumps(stormconnect, separators=(",", ":"))
        return headers

    def _import(
        self, path: str, entities: list[dict[str, Any]], header: ImportHeader, full_file: bool
    ) -> JobResponse:
        headers = self._import_headers(header, full_file)
        response = self._http.call("POST", path, Retry.IF_REFUSED, json=entities, headers=headers)
        return _job_response(response)


def _body(model: NorceModel) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_none=True)
