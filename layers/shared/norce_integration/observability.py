"""Powertools Logger, Metrics and Tracer for the handlers, cheap to import.

Powertools' ``Tracer()`` imports the X-Ray SDK, whose recorder builds two boto3 clients while being
imported (about 200 ms on this machine, more than ``import boto3`` itself). ``LazyTracer`` has the same
decorators but creates the Powertools Tracer on the first invocation, so the module import that Lambda's
init phase measures stays small. See docs/performance.md for both figures: import, and first request.

The Lambda layer does not ship the X-Ray SDK (it would bring a botocore of its own next to the runtime's
boto3). Without it, or with ``POWERTOOLS_TRACE_DISABLED`` set, the decorators are a pass-through: the
function runs unchanged and nothing is imported. Lambda's Active tracing still records every invocation.
"""

import functools
import importlib.util
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aws_lambda_powertools.tracing import Tracer

_TRUTHY = frozenset({"1", "true", "t", "yes", "y", "on"})


def tracing_disabled() -> bool:
    """True when ``POWERTOOLS_TRACE_DISABLED`` is truthy (as Powertools reads it)."""
    return os.environ.get("POWERTOOLS_TRACE_DISABLED", "").strip().lower() in _TRUTHY


def xray_sdk_available() -> bool:
    """Whether ``aws_xray_sdk`` can be imported, without importing it (that is the expensive part)."""
    try:
        return importlib.util.find_spec("aws_xray_sdk") is not None
    except (ImportError, ValueError):
        return False


class LazyTracer:
    """``Tracer`` with its creation deferred to the first decorated call; a pass-through without tracing."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._tracer: Tracer | None = None

    @property
    def tracer(self) -> "Tracer":
        if self._tracer is None:
            from aws_lambda_powertools.tracing import Tracer  # noqa: PLC0415 - lazy: cold start

            self._tracer = Tracer(**self._options)
        return self._tracer

    @property
    def active(self) -> bool:
        """Whether the decorators trace (read on each decorated function's first call)."""
        return not tracing_disabled() and xray_sdk_available()

    def capture_lambda_handler(self, handler: Callable[..., Any] | None = None, **options: Any) -> Any:
        if handler is None:
            return functools.partial(self.capture_lambda_handler, **options)
        return self._deferred(handler, lambda tracer: tracer.capture_lambda_handler(handler, **options))

    def capture_method(self, method: Callable[..., Any] | None = None, **options: Any) -> Any:
        if method is None:
            return functools.partial(self.capture_method, **options)
        return self._deferred(method, lambda tracer: tracer.capture_method(method, **options))

    def _deferred(
        self, function: Callable[..., Any], decorate: Callable[["Tracer"], Callable[..., Any]]
    ) -> Any:
        decorated: list[Callable[..., Any]] = []

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not decorated:
                decorated.append(decorate(self.tracer) if self.active else function)
            return decorated[0](*args, **kwargs)

        return wrapper
