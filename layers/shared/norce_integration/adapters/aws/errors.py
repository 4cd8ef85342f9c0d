"""Turning AWS failures into the domain's ``DependencyUnavailable``."""

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError

from norce_integration.failures import DependencyUnavailable


@contextmanager
def unavailable_on_aws_error(what: str) -> Iterator[None]:
    """Any AWS error inside becomes ``DependencyUnavailable(what)``; the cause is chained for logs."""
    try:
        yield
    except (BotoCoreError, ClientError) as error:
        raise DependencyUnavailable(f"{what} failed ({type(error).__name__})") from error


def condition_failed(error: ClientError) -> bool:
    """A DynamoDB conditional write that lost: another writer got there first."""
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"
