"""erp_push: the ERP's way back to Norce, ``POST /erp/{SendOrderStatus|CreateDeliveryNote|CreateInvoice|
CreditPayment}`` with Norce's own Connect message shapes and an ``X-Api-Key``.

An ERP that already calls Connect only changes its base URL and gets queueing, ordering, retries and
exactly-once. Answers: 202 ``{"DocumentId", "ClientOrderRef"}`` once the document is durably queued;
400 naming every problem (nothing queued); 401; 503 when our own dependency failed (try again). The work
happens in ``norce_integration.lifecycle.intake.DocumentIntake``; the lifecycle processor sends it on.
"""

import json
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from norce_integration.intake.ports import DependencyUnavailable
from norce_integration.lifecycle.documents import Kind
from norce_integration.lifecycle.intake import Accepted
from norce_integration.observability import LazyTracer
from norce_integration.settings import ErpPushSettings

if TYPE_CHECKING:
    from norce_integration.adapters.aws.wiring_lifecycle import PushComponents

logger = Logger()
metrics = Metrics()
tracer = LazyTracer()
app = APIGatewayRestResolver()
JSON = "application/json"


@cache
def components() -> "PushComponents":
    from norce_integration.adapters.aws.wiring_lifecycle import build_push  # noqa: PLC0415 - cold start

    return build_push(ErpPushSettings.from_env())


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(status_code=status, content_type=JSON, body=json.dumps(body), headers=headers)


def _push(kind: Kind) -> Response:
    event = app.current_event
    if not components().authenticator.is_authorized(
        event.headers.get("x-api-key") or event.headers.get("X-Api-Key")
    ):
        metrics.add_metric(name="PushAuthenticationFailures", unit=MetricUnit.Count, value=1)
        logger.warning("ERP push refused: missing or wrong API key", extra={"document": kind.value})
        return _json(401, {"Message": "A valid X-Api-Key header is required"})
    try:
        body = json.loads(event.decoded_body or "")
    except ValueError:
        return _json(400, {"Message": "The body is not JSON", "Problems": ["the body is not JSON"]})
    outcome = components().intake.accept(kind, body, source="push")
    if not isinstance(outcome, Accepted):
        metrics.add_metric(name="DocumentsRefused", unit=MetricUnit.Count, value=1)
        logger.warning("ERP document refused", extra={"document": kind.value, "problems": outcome.problems})
        return _json(400, {"Message": "; ".join(outcome.problems), "Problems": outcome.problems})
    logger.set_correlation_id(outcome.client_order_ref)
    metrics.add_metric(name="DocumentsAccepted", unit=MetricUnit.Count, value=1)
    logger.info("ERP document queued", extra={"document": kind.value, "document_id": outcome.document_id})
    return _json(202, {"DocumentId": outcome.document_id, "ClientOrderRef": outcome.client_order_ref})


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
    return _json(503, {"Message": "Temporarily unavailable, retry later"}, {"Retry-After": "30"})


@app.exception_handler(Exception)
def unexpected_error(error: Exception) -> Response:
    # Never a 500 with a stack trace: nothing was queued, so the ERP should try again.
    logger.exception("Unexpected error while accepting an ERP document")
    metrics.add_metric(name="PushUnexpectedErrors", unit=MetricUnit.Count, value=1)
    return _json(503, {"Message": "Temporarily unavailable, retry later"}, {"Retry-After": "30"})


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
