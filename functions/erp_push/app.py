"""erp_push: the ERP's way back to Norce, ``POST /erp/{SendOrderStatus|CreateDeliveryNote|CreateInvoice|
CreditPayment}`` with Norce's own Connect message shapes and an ``X-Api-Key``.

An ERP that already calls Connect only changes its base URL and gets queueing, ordering, retries and
exactly-once. Answers: 202 ``{"DocumentId", "ClientOrderRef"}`` once the document is durably queued;
400 naming every problem (nothing queued: a broken or hostile body, an unknown order, more than the order
allows); 401; 409 when the document's number was accepted before with other content; 413 for a body over
``MAX_PUSH_BYTES`` (``MaxPushBytes``, 1 MB: a document is a few KB) or a document too large for the queue;
503 only when our own AWS failed (try again). Bad input is never a 5xx. The work happens in
``norce_integration.lifecycle.intake.DocumentIntake``; the lifecycle processor sends it on.
"""

import binascii
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from norce_integration.api.http import json_response, raw_body
from norce_integration.bootstrap.lifecycle import PushComponents, build_push, push_priming
from norce_integration.failures import DependencyUnavailable
from norce_integration.lifecycle.documents import Kind
from norce_integration.lifecycle.intake import Accepted, Refusal, Refused
from norce_integration.lifecycle.screen import UnreadableJson, read_json
from norce_integration.observability import LazyTracer
from norce_integration.settings import ErpPushSettings
from norce_integration.snapstart import fresh_connections_for, prime

logger = Logger()
metrics = Metrics()
tracer = LazyTracer()
app = APIGatewayRestResolver()


@cache
def settings() -> ErpPushSettings:
    return ErpPushSettings.from_env()


@cache
def components() -> PushComponents:
    return build_push(settings())


def _push(kind: Kind) -> Response:
    event = app.current_event
    if not components().authenticator.is_authorized(
        event.headers.get("x-api-key") or event.headers.get("X-Api-Key")
    ):
        metrics.add_metric(name="PushAuthenticationFailures", unit=MetricUnit.Count, value=1)
        logger.warning("ERP push refused: missing or wrong API key", extra={"document": kind.value})
        return json_response(401, {"Message": "A valid X-Api-Key header is required"})
    try:
        raw = raw_body(event)
    except (binascii.Error, ValueError):
        return _answer(Refused(["the body is marked base64 but is not base64"]))
    outcome: Accepted | Refused
    if len(raw) > settings().max_body_bytes:
        outcome = Refused([f"the body is larger than {settings().max_body_bytes} bytes"], Refusal.TOO_LARGE)
    else:
        try:
            outcome = components().intake.accept(kind, read_json(raw), source="push")
        except UnreadableJson as error:
            outcome = Refused([str(error)])
    if isinstance(outcome, Accepted):
        logger.set_correlation_id(outcome.client_order_ref)
        metrics.add_metric(name="DocumentsAccepted", unit=MetricUnit.Count, value=1)
        logger.info("ERP document queued", extra={"document": kind.value, "document_id": outcome.document_id})
    else:
        metrics.add_metric(name=REFUSAL_METRICS[outcome.refusal], unit=MetricUnit.Count, value=1)
        logger.warning(
            "ERP document refused",
            extra={
                "document": kind.value,
                "refusal": outcome.refusal.value,
                "problems": outcome.problems[:20],
            },
        )
    return _answer(outcome)


STATUS_OF = {Refusal.CONFLICT: 409, Refusal.TOO_LARGE: 413}  # every other refusal is a 400
REFUSAL_METRICS = {
    Refusal.INVALID: "DocumentsRefused",
    Refusal.UNKNOWN_ORDER: "DocumentsRefused",
    Refusal.BREAKS_RULES: "DocumentsOverOrder",
    Refusal.CONFLICT: "DocumentsConflicting",
    Refusal.TOO_LARGE: "PushTooLarge",
}


def _answer(outcome: Accepted | Refused) -> Response:
    if isinstance(outcome, Accepted):
        body = {"DocumentId": outcome.document_id, "ClientOrderRef": outcome.client_order_ref}
        return json_response(202, body)
    status = STATUS_OF.get(outcome.refusal, 400)
    message = "; ".join(outcome.problems)
    return json_response(status, {"Message": message[:1].upper() + message[1:], "Problems": outcome.problems})


@app.post("/erp/SendOrderStatus")
def send_order_status() -> Response:
    return _push(Kind.STATUS)


@app.post("/erp/CreateDeliveryNote")
def create_delivery_note() -> Response:
    return _push(Kind.DELIVERY_NOTE)


@app.post("/erp/CreateInvoice")
def create_invoice() -> Response:
    return _push(Kind.INVOICE)


@app.post("/erp/CreditPayment")
def credit_payment() -> Response:
    return _push(Kind.CREDIT)


@app.exception_handler(DependencyUnavailable)
def dependency_unavailable(error: DependencyUnavailable) -> Response:
    logger.warning("A dependency is unavailable; the ERP should retry", extra={"reason": str(error)})
    metrics.add_metric(name="PushUnavailable", unit=MetricUnit.Count, value=1)
    return json_response(503, {"Message": "Temporarily unavailable, retry later"}, {"Retry-After": "30"})


@app.exception_handler(Exception)
def unexpected_error(error: Exception) -> Response:
    # Never a 500 with a stack trace: nothing was queued, so the ERP should try again.
    logger.exception("Unexpected error while accepting an ERP document")
    metrics.add_metric(name="PushUnexpectedErrors", unit=MetricUnit.Count, value=1)
    return json_response(503, {"Message": "Temporarily unavailable, retry later"}, {"Retry-After": "30"})


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


# ---------------------------------------------------------------- SnapStart (norce_integration.snapstart)
# In a SnapStart init (or with PRIME_ON_INIT) the init phase builds the clients, reads the API keys and
# rehearses each document kind without the network (bootstrap.lifecycle.push_priming): nothing is queued.
_close_connections = fresh_connections_for(components)
PRIMING = push_priming(settings, components, _answer)
prime(*PRIMING)
