"""The SES notifier against moto's SES v2, and its error mapping against stubbed SES answers."""

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError
from botocore.stub import Stubber
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from norce_integration.adapters.aws.ses_notifier import SesNotifier
from norce_integration.events.ports import Email, NotifierInDoubt, NotifierRejected, NotifierUnavailable

SENDER = "orders@shop.example"
REGION = "eu-north-1"


def email(**changes: Any) -> Email:
    values: dict[str, Any] = {
        "to": "anna@example.com",
        "subject": "Din order CO-1 är bekräftad",
        "html": "<p>Tack för din beställning!</p>",
        "text": "Tack för din beställning!",
        "event_type": "OrderConfirmedEvent",
        "client_order_ref": "CO-1",
        "language": "sv",
    }
    return Email(**(values | changes))


@pytest.fixture
def sesv2() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("sesv2", region_name=REGION)


def sent_messages() -> list[Any]:
    return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


def test_send_hands_the_email_to_ses_and_returns_its_message_id(sesv2: Any) -> None:
    sesv2.create_email_identity(EmailIdentity=SENDER)
    notifier = SesNotifier(sesv2, SENDER, reply_to=["service@shop.example"], configuration_set="orders")

    message_id = notifier.send(email(headers={"X-Order-Ref": "CO-1"}))

    assert message_id
    [message] = sent_messages()
    assert message.id == message_id
    assert message.source == SENDER
    assert message.subject == "Din order CO-1 är bekräftad"
    assert message.destinations == {"ToAddresses": ["anna@example.com"]}
    assert message.body == "<p>Tack för din beställning!</p>"  # moto keeps the HTML part


def test_a_sender_verified_through_ses_v1_works_too(sesv2: Any) -> None:
    boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER)
    assert SesNotifier(sesv2, SENDER).send(email())
    assert len(sent_messages()) == 1


def test_an_unverified_sender_is_rejected_without_personal_data(sesv2: Any) -> None:
    with pytest.raises(NotifierRejected) as raised:
        SesNotifier(sesv2, SENDER).send(email())

    message = str(raised.value)
    assert "MessageRejected" in message
    assert "anna@example.com" not in message and SENDER not in message
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    assert sent_messages() == []


# --- error mapping, with SES's answers stubbed -----------------------------------------------------------


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("sesv2", region_name=REGION)
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_the_request_carries_text_html_tags_reply_to_headers_and_configuration_set(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    stubber.add_response(
        "send_email",
        {"MessageId": "ses-1"},
        {
            "FromEmailAddress": SENDER,
            "Destination": {"ToAddresses": ["anna@example.com"]},
            "ReplyToAddresses": ["service@shop.example"],
            "Content": {
                "Simple": {
                    "Subject": {"Data": "Din order CO-1 är bekräftad", "Charset": "UTF-8"},
                    "Body": {
                        "Text": {"Data": "Tack för din beställning!", "Charset": "UTF-8"},
                        "Html": {"Data": "<p>Tack för din beställning!</p>", "Charset": "UTF-8"},
                    },
                    "Headers": [{"Name": "X-Order-Ref", "Value": "CO-1"}],
                }
            },
            "EmailTags": [{"Name": "event_type", "Value": "OrderConfirmedEvent"}],
            "ConfigurationSetName": "orders",
        },
    )
    notifier = SesNotifier(client, SENDER, reply_to=["service@shop.example"], configuration_set="orders")
    assert notifier.send(email(headers={"X-Order-Ref": "CO-1"})) == "ses-1"


def test_optional_parts_are_left_out_when_not_given(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_response(
        "send_email",
        {"MessageId": "ses-2"},
        {
            "FromEmailAddress": SENDER,
            "Destination": {"ToAddresses": ["anna@example.com"]},
            "Content": {
                "Simple": {
                    "Subject": {"Data": "Din order CO-1 är bekräftad", "Charset": "UTF-8"},
                    "Body": {
                        "Text": {"Data": "Tack för din beställning!", "Charset": "UTF-8"},
                        "Html": {"Data": "<p>Tack för din beställning!</p>", "Charset": "UTF-8"},
                    },
                }
            },
            "EmailTags": [{"Name": "event_type", "Value": "OrderConfirmedEvent"}],
        },
    )
    assert SesNotifier(client, SENDER).send(email()) == "ses-2"


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("TooManyRequestsException", 429),
        ("Throttling", 400),
        ("LimitExceededException", 400),
        ("InternalFailure", 500),
        ("ServiceUnavailable", 503),
    ],
)
def test_throttling_and_server_errors_are_worth_a_retry(
    stubbed: tuple[Any, Stubber], code: str, status: int
) -> None:
    client, stubber = stubbed
    stubber.add_client_error(
        "send_email",
        service_error_code=code,
        service_message="Sending to anna@example.com failed",
        http_status_code=status,
    )
    with pytest.raises(NotifierUnavailable) as raised:
        SesNotifier(client, SENDER).send(email())
    assert code in str(raised.value)
    assert "anna@example.com" not in str(raised.value)


@pytest.mark.parametrize(
    "code",
    [
        "MessageRejected",
        "MailFromDomainNotVerifiedException",
        "NotFoundException",
        "BadRequestException",
        "AccountSuspendedException",
        "SendingPausedException",
        "AccessDeniedException",
    ],
)
def test_refusals_cannot_be_retried(stubbed: tuple[Any, Stubber], code: str) -> None:
    client, stubber = stubbed
    stubber.add_client_error(
        "send_email",
        service_error_code=code,
        service_message="Email address is not verified: anna@example.com",
        http_status_code=400 if code != "AccessDeniedException" else 403,
    )
    with pytest.raises(NotifierRejected) as raised:
        SesNotifier(client, SENDER).send(email())
    assert code in str(raised.value)
    assert "anna@example.com" not in str(raised.value)


@pytest.mark.parametrize(
    "error",
    [
        EndpointConnectionError(endpoint_url="https://email.eu-north-1.amazonaws.com"),
        ConnectTimeoutError(endpoint_url="https://email.eu-north-1.amazonaws.com"),
    ],
)
def test_an_unreachable_ses_is_worth_a_retry(error: Exception) -> None:
    class Unreachable:
        def send_email(self, **_: Any) -> dict[str, Any]:
            raise error

    with pytest.raises(NotifierUnavailable, match=type(error).__name__):
        SesNotifier(Unreachable(), SENDER).send(email())


def test_a_lost_answer_is_in_doubt_because_ses_may_have_sent_it() -> None:
    class LostAnswer:
        def send_email(self, **_: Any) -> dict[str, Any]:
            raise ReadTimeoutError(endpoint_url="https://email.eu-north-1.amazonaws.com")

    with pytest.raises(NotifierInDoubt, match="may have sent"):
        SesNotifier(LostAnswer(), SENDER).send(email())


def test_an_invalid_request_is_rejected_without_its_values(sesv2: Any) -> None:
    sesv2.create_email_identity(EmailIdentity=SENDER)
    with pytest.raises(NotifierRejected) as raised:
        SesNotifier(sesv2, SENDER).send(email(headers={"X-Bad": 5}))  # type: ignore[dict-item]
    assert "ParamValidationError" in str(raised.value)
    assert "anna@example.com" not in str(raised.value)
