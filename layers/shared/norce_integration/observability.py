"""Powertools Logger, Metrics and Tracer for the handlers, cheap to import.

Powertools' ``Tracer()`` imports the X-Ray SDK, whose recorder builds two boto3 clients while being
imported (about 200 ms on this machine, more than ``import boto3`` itself). ``LazyTracer`` has the same
decorators but creates the Powertools Tracer on the first invocation, so the module import that Lambda's
init phase measures stays small. See docs/performance.md for both figures: import, and first request.
"""

import functools
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.tracing import Tracer


class LazyTracer:
    """``Tracer`` with its creation deferred to the first decorated call."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._tracer: Tracer | None = None

    @property
    def tracer(self) -> Tracer:
        if self._tracer is None:
            self._tracer = Tracer(**self._options)
        return self._tracer

    def capture_lambda_handler(self, handler: Callable[..., Any] | None = None, **options: Any) -> Any:
        if handler is None:
            return functools.partial(self.capture_lambda_handler, **options)
        return self._deferred(handler, lambda tracer: tracer.capture_lambda_handler(handler, **options))

    def capture_method(self, method: Callable[..., Any] | None = None, **options: Any) -> Any:
        if method is None:
            return functools.partial(self.capture_method, **options)
        return self._deferred(method, lambda tracer: tracer.capture_method(method, **options))

    def _deferred(
        self, function: Callable[..., Any], decorate: Callable[[Tracer], Callable[..., Any]]
    ) -> Any:
        decorated: list[Callable[..., Any]] = []

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not decorated:
                decorated.append(decorate(self.tracer))
            return decorated[0](*args, **kwargs)

        return wrapper
