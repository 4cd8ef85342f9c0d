"""LazyTracer: Powertools Tracer semantics, created on the first call instead of at import."""

from norce_integration.observability import LazyTracer


def test_tracer_is_created_on_first_call_and_results_pass_through():
    lazy = LazyTracer()

    @lazy.capture_lambda_handler(capture_response=False)
    def handler(event, context):
        return {"echo": event}

    @lazy.capture_method
    def method(value):
        return value * 2

    assert lazy._tracer is None, "decorating must not import the X-Ray SDK"
    assert handler({"a": 1}, None) == {"echo": {"a": 1}}
    assert method(21) == 42
    assert lazy._tracer is not None
    assert handler.__name__ == "handler"


def test_errors_propagate_unchanged():
    lazy = LazyTracer()

    @lazy.capture_method
    def failing():
        raise ValueError("boom")

    try:
        failing()
    except ValueError as error:
        assert str(error) == "boom"
    else:
        raise AssertionError("the error was swallowed")
