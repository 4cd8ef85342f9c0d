"""Customer e-mails through Amazon SES (v2 ``SendEmail``, simple content: SES builds the MIME).

Errors become ``NotifierUnavailable`` (a retry may help) or ``NotifierRejected`` (it cannot). Their
messages carry the error code and request id only: SES's own messages can name the recipient, so the
cause is not chained either (no personal data in messages or logs).
"""

import re
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ParamValidationError,
    ReadTimeoutError,
)

from norce_integration.events.ports import Email, NotifierInDoubt, NotifierRejected, NotifierUnavailable

_THROTTLED = frozenset(
    {"TooManyRequestsException", "Throttling", "ThrottlingException", "LimitExceededException"}
)
_REJECTED = frozenset(
    {
        "MessageRejected",
        "MailFromDomainNotVerifiedException",
        "NotFoundException",
        "BadRequestException",
        "AccountSuspendedException",
        "SendingPausedException",
    }
)
_UNREACHABLE = (EndpointConnectionError, ConnectTimeoutError)
_LOST_ANSWER = (ReadTimeoutError, ConnectionClosedError)  # SES may have taken the e-mail
_CHARSET = "UTF-8"


def _tag_value(value: str) -> str:
    """SES tag values allow letters, digits, ``_`` and ``-`` only (256 at most)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", value)[:256] or "unknown"


class SesNotifier:
    def __init__(
        self,
        client: Any,
        sender: str,
        reply_to: list[str] | None = None,
        configuration_set: str | None = None,
    ) -> None:
        self._client = client
        self._sender = sender
        self._reply_to = list(reply_to or [])
        self._configuration_set = configuration_set

    def send(self, email: Email) -> str:
        """Hand the e-mail to SES; returns SES's message id."""
        try:
            response = self._client.send_email(**self._request(email))
        except ClientError as error:
            raise _client_failure(error) from None
        except BotoCoreError as error:
            raise _transport_failure(error) from None
        return str(response["MessageId"])

    def _request(self, email: Email) -> dict[str, Any]:
        message: dict[str, Any] = {
            "Subject": {"Data": email.subject, "Charset": _CHARSET},
            "Body": {
                "Text": {"Data": email.text, "Charset": _CHARSET},
                "Html": {"Data": email.html, "Charset": _CHARSET},
            },
        }
        if email.headers:
            message["Headers"] = [{"Name": name, "Value": value} for name, value in email.headers.items()]
        request: dict[str, Any] = {
            "FromEmailAddress": self._sender,
            "Destination": {"ToAddresses": [email.to]},
            "Content": {"Simple": message},
            "EmailTags": [{"Name": "event_type", "Value": _tag_value(email.event_type)}],
        }
        if self._reply_to:
            request["ReplyToAddresses"] = self._reply_to
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        return request


def _client_failure(error: ClientError) -> Exception:
    """Throttling and SES's own failures (5xx) pass; a refusal, or any other 4xx, is for a person to fix."""
    code = str(error.response.get("Error", {}).get("Code") or "Unknown")
    metadata = error.response.get("ResponseMetadata", {})
    status = int(metadata.get("HTTPStatusCode") or 0)
    detail = f"SES {code} (HTTP {status or '?'}, request {metadata.get('RequestId') or '?'})"
    if code in _THROTTLED or status == 429 or status >= 500:
        return NotifierUnavailable(f"{detail}: try again later")
    if code in _REJECTED:
        return NotifierRejected(f"{detail}: SES refused the e-mail")
    return NotifierRejected(f"{detail}: the request was refused")


def _transport_failure(error: BotoCoreError) -> Exception:
    """SES out of reach may be back on the next attempt; an invalid request never will be."""
    if isinstance(error, ParamValidationError):
        return NotifierRejected("the SES request is invalid (ParamValidationError)")
    if isinstance(error, _UNREACHABLE):
        return NotifierUnavailable(f"SES could not be reached ({type(error).__name__})")
    if isinstance(error, _LOST_ANSWER):
        return NotifierInDoubt(f"SES's answer was lost ({type(error).__name__}): it may have sent the e-mail")
    return NotifierUnavailable(f"sending through SES failed ({type(error).__name__})")
