"""Test-wide environment: no real AWS, no X-Ray, no EMF output, a fixed region."""

import os

import pytest

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
