"""Every sample event in events/ runs through its handler (as `sam local invoke -e` would), and the
committed events are exactly what scripts/make_events.py generates from events/payloads/."""

import importlib
import json
from pathlib import Path

import pytest
from moto import mock_aws

from scripts import make_events
from tests.support.aws import create_receiver_resources
from tests.support.handlers import EVENTS, FakeLambdaContext, load_event, load_function

EXPECTED_RECEIVER_STATUS = {
    "post-order-json.json": (200, "OK"),
    "post-order-xml.json": (200, "OK"),
    "post-order-b2b-new-company.json": (200, "OK"),
    "post-order-xml-namespaced.json": (200, "OK"),
    "post-order-xml-base64.json": (200, "OK"),
    "post-order-conflicting.json": (200, "OK"),  # alone it is simply a new order
    "post-order-invalid.json": (200, "Failed"),
    "post-order-malformed.json": (200, "Failed"),
    "post-order-xml-dtd.json": (400, None),
    "post-order-unauthenticated.json": (401, None),
    "post-order-wrong-password.json": (401, None),
    "post-order-wrong-content-type.json": (415, None),
}


def test_every_receiver_event_has_an_expected_outcome():
    assert {path.name for path in (EVENTS / "order_receiver").glob("*.json")} == set(EXPECTED_RECEIVER_STATUS)


@pytest.mark.parametrize("name", sorted(EXPECTED_RECEIVER_STATUS))
def test_receiver_sample_event(name, monkeypatch):
    status, answer = EXPECTED_RECEIVER_STATUS[name]
    with mock_aws():
        for variable, value in create_receiver_resources().env().items():
            monkeypatch.setenv(variable, value)
        response = load_function("order_receiver").lambda_handler(
            load_event(f"order_receiver/{name}"), FakeLambdaContext()
        )
    assert response["statusCode"] == status
    if answer:
        assert (
            f"<StatusCode>{answer}</StatusCode>" in response["body"]
            or json.loads(response["body"])["StatusCode"] == answer
        )


def test_committed_events_match_the_generator():
    generated = {f"order_receiver/{name}": event for name, event in make_events.events().items()}
    generated |= make_events.other_events()
    committed = {
        str(path.relative_to(EVENTS)): json.loads(path.read_text())
        for path in EVENTS.glob("*/*.json")
        if path.parent.name != "payloads"
    }
    assert committed == generated, (
        "run `make events` after changing events/payloads/ or scripts/make_events.py"
    )


def test_every_function_has_sample_events():
    functions = {path.parent.name for path in Path(EVENTS.parent / "functions").glob("*/app.py")}
    with_events = {path.name for path in EVENTS.iterdir() if path.is_dir() and any(path.glob("*.json"))}
    assert functions <= with_events


@pytest.mark.parametrize(
    ("function", "enum_path"),
    [
        ("order_receiver", "norce_integration.intake.service:Outcome"),
        ("order_processor", "norce_integration.processing.service:Processed"),
        ("lifecycle_processor", "norce_integration.lifecycle.service:Sent"),
        ("event_receiver", "norce_integration.events.intake:Acknowledgement"),
        ("event_processor", "norce_integration.events.outcomes:Outcome"),
    ],
)
def test_every_outcome_has_its_metric_spelt_out(function, enum_path):
    """A handler counts each outcome under a metric name written in full (so grep finds it): a new outcome
    without one would fail the invocation."""
    module_name, enum_name = enum_path.split(":")
    outcomes = getattr(importlib.import_module(module_name), enum_name)
    metrics = load_function(function).METRICS
    assert set(metrics) == set(outcomes)
    assert all(name.isidentifier() and name[0].isupper() for name in metrics.values())
