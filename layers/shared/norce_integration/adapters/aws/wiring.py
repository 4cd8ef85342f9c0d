"""Building the order intake from AWS adapters (once per cold start, on first use)."""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from norce_integration.adapters.aws.dynamodb_ledger import DynamoDbLedger
from norce_integration.adapters.aws.s3_archive import S3Archive
from norce_integration.adapters.aws.sqs_queue import SqsOrderQueue
from norce_integration.failures import DependencyUnavailable
from norce_integration.intake.auth import BasicAuthenticator, Credential, credentials_from_secret
from norce_integration.intake.service import IntakeSettings, OrderIntake
from norce_integration.settings import ErpTarget, NorceConnectSettings, ProcessorSettings, ReceiverSettings

if TYPE_CHECKING:
    from norce_integration.adapters.aws.sqs_processing import SqsDeadLetters
    from norce_integration.erp.ports import Erp
    from norce_integration.intake.api_keys import ApiKeyAuthenticator
    from norce_integration.norce.ports import NorceConnect, NorceQuery
    from norce_integration.processing.service import OrderProcessor
    from norce_integration.processing.writeback import WritebackService

# Fail fast: Norce waits for our answer and API Gateway cuts off at 29 s; a 503 makes Norce retry.
_AWS_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 3, "mode": "standard"})


_SESSION_LOCK = threading.Lock()


@cache
def aws_session() -> boto3.session.Session:
    """One botocore session for every client of the process: its loader reads each JSON model (endpoints,
    partitions, a service's shapes) once instead of once per client, which a cold start pays for."""
    return boto3.session.Session()


def aws_client(service: str, config: Config = _AWS_CONFIG) -> Any:
    with _SESSION_LOCK:  # creating clients from one session is not thread-safe (the local stack's threads)
        return aws_session().client(service, config=config)  # type: ignore[call-overload]


def secrets_provider() -> Any:
    """Powertools' ``SecretsProvider`` on a client of the shared session (not a session of its own)."""
    from aws_lambda_powertools.utilities import parameters  # noqa: PLC0415 - keeps cold start lean

    return parameters.SecretsProvider(boto3_client=aws_client("secretsmanager"))


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

    secrets = secrets_provider()

    def load() -> list[Credential]:
        secret = read_json_secret(
            secrets,
            settings.credentials_secret_arn,
            settings.credentials_cache_seconds,
            "receiver credentials",
        )
        return credentials_from_secret(secret)

    return BasicAuthenticator(load)


def api_key_authenticator(secret_arn: str, cache_seconds: int, what: str) -> "ApiKeyAuthenticator":
    """``X-Api-Key`` checked against the keys in a Secrets Manager secret (two during a rotation)."""
    from norce_integration.intake.api_keys import ApiKeyAuthenticator, keys_from_secret  # noqa: PLC0415

    secrets = secrets_provider()

    def load_keys() -> list[str]:
        secret = read_json_secret(secrets, secret_arn, cache_seconds, what)
        try:
            return keys_from_secret(secret)
        except ValueError as error:
            raise DependencyUnavailable(str(error)) from error

    return ApiKeyAuthenticator(load_keys)


def read_json_secret(secrets: Any, arn: str, max_age: int, what: str) -> dict[str, Any]:
    """``what`` from Secrets Manager through a Powertools ``SecretsProvider`` (cached ``max_age`` s): a JSON
    object, else ``DependencyUnavailable`` (the caller answers 503 and is retried)."""
    from aws_lambda_powertools.utilities import parameters  # noqa: PLC0415 - keeps cold start lean

    try:
        secret = secrets.get(arn, transform="json", max_age=max_age)
    except parameters.exceptions.GetParameterError as error:
        raise DependencyUnavailable(f"Reading the {what} failed") from error
    except parameters.exceptions.TransformParameterError as error:
        raise DependencyUnavailable(f"The {what} secret is not valid JSON") from error
    if not isinstance(secret, dict):
        raise DependencyUnavailable(f"The {what} secret is not a JSON object")
    return secret


@dataclass
class ProcessingComponents:
    """What the processor and write-back handlers use, built once per Lambda instance."""

    processor: "OrderProcessor"
    writeback: "WritebackService"
    dead_letters: "SqsDeadLetters"
    sqs: Any
    settings: ProcessorSettings


def processing_from_env() -> ProcessingComponents:
    """Processing components from the environment; each handler module caches its own (one per instance)."""
    return build_processing(ProcessorSettings.from_env())


def build_processing(
    settings: "ProcessorSettings",
    erp_factory: "Callable[[ErpTarget], Erp] | None" = None,
    norce: "NorceConnect | None" = None,
    norce_query: "NorceQuery | None" = None,
) -> ProcessingComponents:
    """AWS adapters from ``settings``; the ERP and Norce adapters are HTTP unless given (tests)."""
    from norce_integration.adapters.aws.dynamodb_documents import DynamoDbOrderIndex  # noqa: PLC0415
    from norce_integration.adapters.aws.dynamodb_jobs import DynamoDbJobRecords  # noqa: PLC0415
    from norce_integration.adapters.aws.dynamodb_records import DynamoDbOrderRecords  # noqa: PLC0415
    from norce_integration.adapters.aws.sqs_processing import SqsDeadLetters, SqsWritebackQueue  # noqa: PLC0415
    from norce_integration.processing.config import ProcessingConfig  # noqa: PLC0415
    from norce_integration.processing.service import OrderProcessor  # noqa: PLC0415
    from norce_integration.processing.writeback import WritebackService  # noqa: PLC0415

    dynamodb, sqs = aws_client("dynamodb"), aws_client("sqs")
    make_erp = erp_factory or (lambda target: http_erp(target, settings.secrets_cache_seconds))
    config = ProcessingConfig.from_json(settings.processing_config)
    query: NorceQuery | None
    if norce is None:
        connect, query = http_norce(
            settings.norce, dynamodb, settings.orders_table, settings.secrets_cache_seconds
        )
    else:
        connect, query = norce, norce_query
    processor = OrderProcessor(
        ledger=DynamoDbLedger(dynamodb, settings.orders_table),
        archive=S3Archive(aws_client("s3"), settings.archive_bucket),
        erps={name: make_erp(target) for name, target in settings.erp_targets.items()},
        norce=connect,
        writebacks=SqsWritebackQueue(sqs, settings.writeback_queue_url),
        records=DynamoDbOrderRecords(dynamodb, settings.orders_table),
        config=config,
        account_id=settings.norce.account_id,
        index=DynamoDbOrderIndex(dynamodb, settings.orders_table),
    )
    writeback = WritebackService(
        connect,
        DynamoDbJobRecords(dynamodb, settings.orders_table),
        settings.norce.account_id,
        query=query,
        company_match=config.norce_company_match,
    )
    return ProcessingComponents(
        processor, writeback, SqsDeadLetters(sqs, settings.orders_dlq_url), sqs, settings
    )


def _secret(arn: str, max_age: int) -> dict[str, Any]:
    from aws_lambda_powertools.utilities import parameters  # noqa: PLC0415

    try:
        value = secrets_provider().get(arn, transform="json", max_age=max_age)
    except parameters.exceptions.GetParameterError as error:
        raise DependencyUnavailable(f"Reading secret {arn.rsplit(':', 1)[-1]} failed") from error
    if not isinstance(value, dict):
        raise DependencyUnavailable("The secret is not a JSON object")
    return value


def http_erp(target: ErpTarget, max_age: int) -> "Erp":
    """The generic REST ERP adapter for one routing target; its API key is in Secrets Manager."""
    from norce_integration.adapters.http.erp_client import HttpErp  # noqa: PLC0415

    return HttpErp(target.base_url, str(_secret(target.api_key_secret_arn, max_age)["apiKey"]))


def norce_auth(settings: "NorceConnectSettings", dynamodb: Any, table: str, max_age: int) -> dict[str, Any]:
    """``NorceHttp``'s auth arguments: OAuth2 with the token shared through the orders table (one token
    for Connect and Query, whichever function asks), or legacy Basic."""
    from norce_integration.adapters.aws.dynamodb_token_store import DynamoDbTokenStore  # noqa: PLC0415
    from norce_integration.adapters.http.norce_connect import oauth_token_fetcher  # noqa: PLC0415
    from norce_integration.adapters.http.token_cache import TokenCache  # noqa: PLC0415

    secret = _secret(settings.credentials_secret_arn, max_age)
    if settings.auth_mode == "basic":
        return {"basic": (str(secret["application_id"]), str(secret["secret_key"]))}
    client_id = str(secret["client_id"])
    fetch = oauth_token_fetcher(
        settings.identity_url, client_id, str(secret["client_secret"]), settings.scope
    )
    return {"tokens": TokenCache(fetch, DynamoDbTokenStore(dynamodb, table, f"norce-connect#{client_id}"))}


def http_norce(
    settings: "NorceConnectSettings", dynamodb: Any, table: str, max_age: int
) -> "tuple[NorceConnect, NorceQuery]":
    """Norce Connect and Query over HTTP with one auth (``norce_auth``)."""
    from norce_integration.adapters.http.norce_connect import HttpNorceConnect, NorceHttp  # noqa: PLC0415
    from norce_integration.adapters.http.norce_query import HttpNorceQuery  # noqa: PLC0415

    auth = norce_auth(settings, dynamodb, table, max_age)
    connect = HttpNorceConnect(settings.connect_url, application_id=settings.application_id, **auth)
    query = HttpNorceQuery(NorceHttp(settings.query_url, application_id=settings.application_id, **auth))
    return connect, query
