"""The API functions' authenticators, with their credentials read from Secrets Manager (cached)."""

from norce_integration.api.api_keys import ApiKeyAuthenticator, keys_from_secret
from norce_integration.api.basic_auth import BasicAuthenticator, Credential, credentials_from_secret
from norce_integration.bootstrap.aws import read_secret, secrets_provider
from norce_integration.failures import DependencyUnavailable


def basic_authenticator(secret_arn: str, max_age: int) -> BasicAuthenticator:
    """HTTP Basic against the pairs in the receiver's credentials secret (two during a rotation)."""
    secrets = secrets_provider()

    def load() -> list[Credential]:
        return credentials_from_secret(read_secret(secret_arn, max_age, "receiver credentials", secrets))

    return BasicAuthenticator(load)


def api_key_authenticator(secret_arn: str, max_age: int, what: str) -> ApiKeyAuthenticator:
    """``X-Api-Key`` checked against the keys in a Secrets Manager secret (two during a rotation)."""
    secrets = secrets_provider()

    def load_keys() -> list[str]:
        try:
            return keys_from_secret(read_secret(secret_arn, max_age, what, secrets))
        except ValueError as error:
            raise DependencyUnavailable(str(error)) from error

    return ApiKeyAuthenticator(load_keys)
