"""LazyTracer: Powertools Tracer semantics, created on the first call instead of at import; a pass-through
when tracing is disabled or the X-Ray SDK is not installed (the Lambda layer does not ship it)."""

import sys

import pytest

from norce_integration import observability
from norce_integration.observability import LazyTracer


def decorated(lazy: LazyTracer):
    @lazy.capture_lambda_handler(capture_response=False)
    def handler(event, context):
        return {"echo": event}

    @lazy.capture_method
    def method(value):
        return value * 2

    return handler, method


def test_tracer_is_created_on_first_call_and_results_pass_through(monkeypatch):
    monkeypatch.delenv("POWERTOOLS_TRACE_DISABLED", raising=False)
    lazy = LazyTracer()
    handler, method = decorated(lazy)

    assert lazy._tracer is None, "decorating must not import the X-Ray SDK"
    assert handler({"a": 1}, None) == {"echo": {"a": 1}}
    assert method(21) == 42
    assert lazy._tracer is not None
    assert handler.__name__ == "handler"


@pytest.mark.parametrize("value", ["1", "true", "True", " yes "])
def test_disabled_tracing_is_a_pass_through(monkeypatch, value):
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", value)
    lazy = LazyTracer()
    handler, method = decorated(lazy)

    assert handler({"a": 1}, None) == {"echo": {"a": 1}}
    assert method(21) == 42
    assert lazy._tracer is None, "no Tracer (and no X-Ray SDK) when tracing is disabled"
    assert handler.__name__ == "handler" and method.__name__ == "method"


@pytest.mark.parametrize("value", ["", "0", "false"])
def test_falsy_disable_values_keep_tracing(monkeypatch, value):
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", value)
    assert not observability.tracing_disabled()
    assert LazyTracer().active


def test_without_the_xray_sdk_the_decorators_are_a_pass_through(monkeypatch):
    monkeypatch.delenv("POWERTOOLS_TRACE_DISABLED", raising=False)
    monkeypatch.setitem(sys.modules, "aws_xray_sdk", None)  # as if not installed: the import fails
    assert not observability.xray_sdk_available()
    lazy = LazyTracer()
    handler, method = decorated(lazy)

    assert handler({"a": 1}, None) == {"echo": {"a": 1}}
    assert method(21) == 42
    assert lazy._tracer is None


@pytest.mark.parametrize("tracing", [True, False])
def test_errors_propagate_unchanged(monkeypatch, tracing):
    if tracing:
        monkeypatch.delenv("POWERTOOLS_TRACE_DISABLED", raising=False)
    else:
        monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    lazy = LazyTracer()

    @lazy.capture_method
    def failing():
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        failing()
