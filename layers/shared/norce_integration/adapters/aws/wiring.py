"""Building the order intake from AWS adapters (once per cold start, on first use)."""

from typing import Any

import boto3
from botocore.config import Config

from norce_integration.adapters.aws.dynamodb_ledger import DynamoDbLedger
from norce_integration.adapters.aws.s3_archive import S3Archive
from norce_integration.adapters.aws.sqs_queue import SqsOrderQueue
from norce_integration.intake.auth import BasicAuthenticator, Credential, credentials_from_secret
from norce_integration.intake.ports import DependencyUnavailable
from norce_integration.intake.service import IntakeSettings, OrderIntake
from norce_integration.settings import ReceiverSettings

# Fail fast: Norce waits for our answer and API Gateway cuts off at 29 s; a 503 makes Norce retry.
_AWS_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 3, "mode": "standard"})


def aws_client(service: str) -> Any:
    return boto3.session.Session().client(service, config=_AWS_CONFIG)  # type: ignore[call-overload]


def build_order_intake(settings: ReceiverSettings) -> OrderIntake:
    return OrderIntake(
        ledger=DynamoDbLedger(aws_client("dynamodb"), settings.orders_table),
        archive=S3Archive(aws_client("s3"), settings.archive_bucket),
        queue=SqsOrderQueue(aws_client("sqs"), settings.orders_queue_url),
        settings=IntakeSettings(
            record_ttl_days=settings.record_ttl_days,
            busy_wait_seconds=settings.busy_wait_seconds,
            allowed_currencies=settings.allowed_currencies,
        ),
    )


def build_authenticator(settings: ReceiverSettings) -> BasicAuthenticator:
    """Credentials come from Secrets Manager through Powertools Parameters, cached for a TTL."""
    from aws_lambda_powertools.utilities import parameters  # noqa: PLC0415 - keeps cold start lean

    secrets = parameters.SecretsProvider(boto_config=_AWS_CONFIG)

    def load() -> list[Credential]:
        try:
            secret = secrets.get(
                settings.credentials_secret_arn, transform="json", max_age=settings.credentials_cache_seconds
            )
        except parameters.exceptions.GetParameterError as error:
            raise DependencyUnavailable("Reading the receiver credentials failed") from error
        except parameters.exceptions.TransformParameterError as error:
            raise DependencyUnavailable("The receiver credentials secret is not valid JSON") from error
        if not isinstance(secret, dict):
            raise DependencyUnavailable("The receiver credentials secret is not a JSON object")
        return credentials_from_secret(secret)

    return BasicAuthenticator(load)
