"""The AWS clients of a process and the one secret reader (Secrets Manager through Powertools)."""

import threading
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from norce_integration.failures import DependencyUnavailable

# Fail fast: Norce waits for our answer and API Gateway cuts off at 29 s; a 503 makes Norce retry.
AWS_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 3, "mode": "standard"})
# No SDK retries: a call retried after a lost answer could act twice (an e-mail twice); the queue retries.
AT_MOST_ONCE = AWS_CONFIG.merge(Config(retries={"max_attempts": 1, "mode": "standard"}))

_SESSION_LOCK = threading.Lock()


@cache
def aws_session() -> boto3.session.Session:
    """One botocore session for every client of the process: its loader reads each JSON model (endpoints,
    partitions, a service's shapes) once instead of once per client, which a cold start pays for."""
    return boto3.session.Session()


def aws_client(service: str, config: Config = AWS_CONFIG) -> Any:
    with _SESSION_LOCK:  # creating clients from one session is not thread-safe (the local stack's threads)
        return aws_session().client(service, config=config)  # type: ignore[call-overload]


def secrets_provider() -> Any:
    """Powertools' ``SecretsProvider`` on a client of the shared session (not a session of its own)."""
    from aws_lambda_powertools.utilities import parameters  # noqa: PLC0415 - keeps cold start lean

    return parameters.SecretsProvider(boto3_client=aws_client("secretsmanager"))


def read_secret(arn: str, max_age: int, what: str, provider: Any = None) -> dict[str, Any]:
    """``what`` from Secrets Manager (cached ``max_age`` s): a JSON object, else ``DependencyUnavailable``
    (the caller answers 503, or the message is retried). A loader that keeps ``provider`` in its closure
    lets SnapStart's ``fresh_connections_for`` find (and close) its client."""
    from aws_lambda_powertools.utilities import parameters  # noqa: PLC0415 - keeps cold start lean

    try:
        secret = (provider or secrets_provider()).get(arn, transform="json", max_age=max_age)
    except parameters.exceptions.GetParameterError as error:
        raise DependencyUnavailable(f"Reading the {what} failed") from error
    except parameters.exceptions.TransformParameterError as error:
        raise DependencyUnavailable(f"The {what} secret is not valid JSON") from error
    if not isinstance(secret, dict):
        raise DependencyUnavailable(f"The {what} secret is not a JSON object")
    return secret
