"""order_receiver: Norce's order endpoint (``POST /orders``, JSON or XML, HTTP Basic).

Answers at once: ``OK`` once the order is archived and queued (Norce sets it Allocated),
``Failed`` for what a retry cannot fix, 401/413/415/400 for bad requests, 503 when Norce
should retry. The work happens in ``norce_integration.intake.service.OrderIntake``.
"""

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from norce_integration.api.basic_auth import CHALLENGE, BasicAuthenticator
from norce_integration.api.http import raw_body
from norce_integration.bootstrap.intake import build_authenticator, build_order_intake, priming
from norce_integration.codec import WireFormat, format_for_content_type
from norce_integration.codec.responses import render_error, render_order_response
from norce_integration.failures import DependencyUnavailable
from norce_integration.intake.service import IntakeResult, OrderIntake, Outcome
from norce_integration.observability import LazyTracer
from norce_integration.settings import ReceiverSettings
from norce_integration.snapstart import fresh_connections_for, prime

logger = Logger()
metrics = Metrics()
tracer = LazyTracer()
app = APIGatewayRestResolver()
METRICS = {
    Outcome.ACCEPTED: "OrdersAccepted",
    Outcome.DUPLICATE: "OrdersDuplicate",
    Outcome.REJECTED: "OrdersRejected",
    Outcome.CONFLICT: "OrdersConflict",
    Outcome.FORBIDDEN: "OrdersForbidden",
    Outcome.BUSY: "OrdersBusy",
    Outcome.UNAVAILABLE: "OrdersUnavailable",
}


@cache
def settings() -> ReceiverSettings:
    return ReceiverSettings.from_env()


@cache
def intake() -> OrderIntake:
    return build_order_intake(settings())


@cache
def authenticator() -> BasicAuthenticator:
    return build_authenticator(settings())


def _error(
    status: int, message: str, wire_format: WireFormat | None, headers: dict[str, str] | None = None
) -> Response:
    body, media_type = render_error(message, wire_format)
    return Response(status_code=status, content_type=media_type, body=body.decode(), headers=headers)


@app.post("/orders")
@tracer.capture_method(capture_response=False)
def receive_order() -> Response:
    event = app.current_event
    wire_format = format_for_content_type(
        event.headers.get("content-type") or event.headers.get("Content-Type")
    )
    authorization = event.headers.get("authorization") or event.headers.get("Authorization")
    if not authenticator().is_authorized(authorization):
        metrics.add_metric(name="AuthenticationFailures", unit=MetricUnit.Count, value=1)
        logger.warning("Order request refused: missing or wrong credentials")
        return _error(401, "Authentication required", wire_format, {"WWW-Authenticate": CHALLENGE})
    if wire_format is None:
        metrics.add_metric(name="OrdersUnsupportedMediaType", unit=MetricUnit.Count, value=1)
        return _error(415, "Content-Type must be application/json, application/xml or text/xml", None)
    body = raw_body(app.current_event)
    if len(body) > settings().max_order_bytes:
        metrics.add_metric(name="OrdersTooLarge", unit=MetricUnit.Count, value=1)
        return _error(413, f"The order is larger than {settings().max_order_bytes} bytes", wire_format)

    result = intake().receive(body, wire_format)
    return _answer(result, wire_format, len(body))


def _answer(result: IntakeResult, wire_format: WireFormat, size: int) -> Response:
    if result.client_order_ref:
        logger.set_correlation_id(result.client_order_ref)
    metrics.add_metric(name=METRICS[result.outcome], unit=MetricUnit.Count, value=1)
    log = (
        logger.warning
        if result.http_status != 200 or result.outcome.value in ("rejected", "conflict")
        else logger.info
    )
    log(
        "Order request answered",
        extra={
            "outcome": result.outcome.value,
            "http_status": result.http_status,
            "wire_format": wire_format.value,
            "body_bytes": size,
            "description": result.response.Description
            if result.response
            else (result.reason or result.message),
        },
    )
    if result.response is None:
        headers = {"Retry-After": "60"} if result.http_status == 503 else None
        return _error(result.http_status, result.message or "Try again later", wire_format, headers)
    body = render_order_response(result.response, wire_format, result.namespace)
    return Response(status_code=200, content_type=wire_format.media_type, body=body.decode())


@app.exception_handler(DependencyUnavailable)
def dependency_unavailable(error: DependencyUnavailable) -> Response:
    logger.warning("A dependency is unavailable; Norce will retry", extra={"reason": str(error)})
    metrics.add_metric(name="OrdersUnavailable", unit=MetricUnit.Count, value=1)
    return _error(503, "Temporarily unavailable, retry later", None, {"Retry-After": "60"})


@app.exception_handler(Exception)
def unexpected_error(error: Exception) -> Response:
    # Never a 500 and never a stack trace to Norce: nothing was stored, so ask for a retry.
    logger.exception("Unexpected error while receiving an order")
    metrics.add_metric(name="OrdersUnexpectedErrors", unit=MetricUnit.Count, value=1)
    return _error(503, "Temporarily unavailable, retry later", None, {"Retry-After": "60"})


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


# ---------------------------------------------------------------- SnapStart (norce_integration.snapstart)
# In a SnapStart init (or with PRIME_ON_INIT) the init phase builds the clients, reads the credentials secret
# and rehearses the request path without the network (bootstrap.intake.priming): nothing is stored or sent.
_close_connections = fresh_connections_for(intake, authenticator)
PRIMING = priming(settings, intake, authenticator)
prime(*PRIMING)
