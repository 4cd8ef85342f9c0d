"""HTTP Basic authentication with rotation-friendly credential pairs."""

import base64

import pytest

from norce_integration.api.basic_auth import BasicAuthenticator, Credential, credentials_from_secret


def header(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def authenticator() -> BasicAuthenticator:
    pairs = credentials_from_secret(
        {
            "username": "norce",
            "password": "current",
            "credentials": [{"username": "norce", "password": "next"}],
        }
    )
    return BasicAuthenticator(lambda: pairs)


@pytest.mark.parametrize("password", ["current", "next"])
def test_both_pairs_are_valid_during_rotation(authenticator, password):
    assert authenticator.is_authorized(header("norce", password))


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer abc",
        "Basic not-base64!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        header("norce", "wrong"),
        header("other", "current"),
        header("norce", "current-but-longer"),
        header("norce", ""),
    ],
)
def test_anything_else_is_refused(authenticator, authorization):
    assert not authenticator.is_authorized(authorization)


def test_passwords_may_contain_colons():
    authenticator = BasicAuthenticator(lambda: [Credential("norce", "a:b:c")])
    assert authenticator.is_authorized(header("norce", "a:b:c"))


def test_a_secret_without_any_pair_is_an_error():
    with pytest.raises(ValueError, match="no username/password pair"):
        credentials_from_secret({"credentials": []})


def test_credentials_never_show_their_password():
    assert "s3cret" not in repr(Credential("norce", "s3cret"))
