"""event_receiver: Norce Event's webhook, ``POST /norce/events/{EventType}``, or ``POST /norce/events`` with
the type in an ``x-norce-event-type`` header or a ``norceEventType`` query parameter (as Norce's event
compatibility kit reads it; names compare case-insensitively).

Norce waits at most 5 seconds and retries anything but a 2xx for 22 hours, so the answer is fast and a
200 whenever a retry could not change it: queued; a type we do not act on or do not know (counted); a body
that can never be valid (not UTF-8 or JSON, nested, control characters, the wrong shape: parked on the DLQ
as the bytes it was, with the reason, alarmed). 401 for a wrong or missing ``X-Api-Key``; 413 for a body over
``MAX_EVENT_BYTES`` (``MaxEventBytes``, 256 KB: Norce's events are ids, far smaller; such a body is not one of
Norce's); 503 only when our own queue or secret failed, so that Norce retries. An unexpected error of ours
parks the body too (200): a 5xx always means our AWS failed.
"""

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from norce_integration.api.http import json_response, raw_body
from norce_integration.bootstrap.events import ReceiverComponents, build_event_receiver, receiver_priming
from norce_integration.events.intake import Acknowledgement, Taken
from norce_integration.events.types import canonical_type
from norce_integration.failures import DependencyUnavailable
from norce_integration.observability import LazyTracer
from norce_integration.settings import EventReceiverSettings
from norce_integration.snapstart import fresh_connections_for, prime

logger = Logger()
metrics = Metrics()
tracer = LazyTracer()
app = APIGatewayRestResolver()
TYPE_HEADER, TYPE_PARAMETER = "x-norce-event-type", "norceEventType"
METRICS = {
    Acknowledgement.QUEUED: "EventsQueued",
    Acknowledgement.IGNORED: "EventsIgnored",
    Acknowledgement.UNKNOWN_TYPE: "EventsUnknownType",
    Acknowledgement.PARKED: "EventsInvalid",
}


@cache
def settings() -> EventReceiverSettings:
    return EventReceiverSettings.from_env()


@cache
def components() -> ReceiverComponents:
    return build_event_receiver(settings())


def _header(name: str) -> str | None:
    headers = app.current_event.headers or {}
    return next((value for key, value in headers.items() if key.lower() == name), None)


def _receive(named_type: str | None) -> Response:
    if not components().authenticator.is_authorized(_header("x-api-key")):
        metrics.add_metric(name="EventAuthenticationFailures", unit=MetricUnit.Count, value=1)
        logger.warning("Norce event refused: missing or wrong API key")
        return json_response(401, {"Message": "A valid X-Api-Key header is required"})
    body = _body()  # not UTF-8, not JSON, nested, huge: parked as invalid, never a 503 (Norce retries 22 h)
    if len(body) > settings().max_body_bytes:
        metrics.add_metric(name="EventsTooLarge", unit=MetricUnit.Count, value=1)
        logger.error("Norce event refused: body too large", extra={"size": len(body)})
        return json_response(413, {"Message": f"The body is larger than {settings().max_body_bytes} bytes"})
    try:
        taken = components().intake.take(named_type, body)
    except DependencyUnavailable:
        raise
    except Exception as error:  # noqa: BLE001 - a bug of ours: park the body (alarmed), Norce must not retry
        logger.error(
            "Unexpected error while taking a Norce event: parked", extra={"error": type(error).__name__}
        )
        metrics.add_metric(name="EventsUnexpectedErrors", unit=MetricUnit.Count, value=1)
        reason = f"unexpected error ({type(error).__name__}) while taking the event"
        taken = components().intake.park(canonical_type(named_type), body, reason)
    name = taken.event_type or "Unknown"
    if taken.outcome is Acknowledgement.UNKNOWN_TYPE:
        logger.warning("Norce event of an unknown type acknowledged", extra={"reason": taken.reason})
    elif taken.outcome is Acknowledgement.PARKED:
        logger.error(
            "Norce event not valid for its type: parked", extra={"event_type": name, "reason": taken.reason}
        )
    else:
        logger.info("Norce event acknowledged", extra={"event_type": name, "outcome": taken.outcome.value})
    if taken.event_key:
        logger.set_correlation_id(taken.event_key)
    return _answer(taken)


def _body() -> bytes:
    """The request body as sent; a body API Gateway could not have sent (bad base64, a lone surrogate in
    the text) is taken as its text's bytes, for the intake to refuse like any other bad body."""
    try:
        return raw_body(app.current_event)
    except (ValueError, UnicodeError):
        return (app.current_event.body or "").encode("utf-8", errors="surrogatepass")


def _answer(taken: Taken) -> Response:
    return json_response(200, {"EventType": taken.event_type or "Unknown", "Outcome": taken.outcome.value})


@app.post("/norce/events/<event_type>")
@tracer.capture_method(capture_response=False)
def receive_typed(event_type: str) -> Response:
    return _receive(event_type)


@app.post("/norce/events")
@tracer.capture_method(capture_response=False)
def receive_untyped() -> Response:
    parameters = app.current_event.query_string_parameters or {}
    return _receive(_header(TYPE_HEADER) or parameters.get(TYPE_PARAMETER))


@app.not_found
def not_found(error: Exception) -> Response:
    """A type API Gateway passes on that our route does not match (a line break, a slash, ...) is an
    unknown type like any other: 200 once the key is right, never a 4xx or 5xx Norce would retry."""
    event = app.current_event
    prefix = "/norce/events/"
    if event.http_method == "POST" and (event.path or "").startswith(prefix):
        return _receive(event.path[len(prefix) :])
    return json_response(404, {"Message": "Not found"})


@app.exception_handler(DependencyUnavailable)
def dependency_unavailable(error: DependencyUnavailable) -> Response:
    logger.warning("A dependency is unavailable; Norce will retry", extra={"reason": str(error)})
    metrics.add_metric(name="EventsUnavailable", unit=MetricUnit.Count, value=1)
    return json_response(503, {"Message": "Temporarily unavailable, retry later"}, {"Retry-After": "5"})


@app.exception_handler(Exception)
def unexpected_error(error: Exception) -> Response:
    # Nothing was queued: ask Norce to retry, and never answer with a stack trace.
    logger.exception("Unexpected error while receiving a Norce event")
    metrics.add_metric(name="EventsUnexpectedErrors", unit=MetricUnit.Count, value=1)
    return json_response(503, {"Message": "Temporarily unavailable, retry later"}, {"Retry-After": "5"})


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


# ---------------------------------------------------------------- SnapStart (norce_integration.snapstart)
# In a SnapStart init (or with PRIME_ON_INIT) the init phase builds the clients, reads the API keys and
# rehearses taking events without the network (bootstrap.events.receiver_priming): nothing is sent.
_close_connections = fresh_connections_for(components)
PRIMING = receiver_priming(settings, components, _answer)
prime(*PRIMING)
