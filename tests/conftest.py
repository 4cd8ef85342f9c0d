"""Test-wide environment: no real AWS, no X-Ray, no EMF output, a fixed region."""

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from local.norce import NorceConnectSimulator

os.environ.setdefault("AWS_DEFAULT_REGION", "eu-north-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_SECURITY_TOKEN", "testing")
os.environ.setdefault("AWS_SESSION_TOKEN", "testing")
os.environ["POWERTOOLS_TRACE_DISABLED"] = "1"
os.environ["POWERTOOLS_METRICS_DISABLED"] = "1"
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "NorceErpIntegrationTests")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "tests")
os.environ.pop("AWS_ENDPOINT_URL", None)  # the local stack's setting must never leak into moto tests


@pytest.fixture(autouse=True)
def no_local_stack_endpoint(request: pytest.FixtureRequest) -> None:
    """Outside e2e tests, boto3 must talk to moto's in-process mock, never to a running local stack."""
    if "e2e" not in request.keywords:
        assert "AWS_ENDPOINT_URL" not in os.environ, "a local stack's environment leaked into this test"


@pytest.fixture(scope="module")
def norce_server() -> "Iterator[NorceConnectSimulator]":
    """One strict local Norce on a free loopback port per test module: starting and stopping one takes a
    while. A module that needs other settings (``full_file_key``, event timing) overrides this fixture."""
    from local.norce import NorceConnectSimulator  # noqa: PLC0415 - only the modules that use it pay for it

    with NorceConnectSimulator(port=0) as simulator:
        yield simulator


@pytest.fixture
def norce(norce_server: "NorceConnectSimulator") -> "NorceConnectSimulator":
    """The module's local Norce, emptied for this test."""
    norce_server.reset()
    return norce_server
