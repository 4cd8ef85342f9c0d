"""erp_webhook: Business Central's webhooks (``ErpKind`` ``business-central``).

``POST /erp/business-central/notifications`` is the subscriptions' ``notificationUrl``:
- with ``?validationToken=``: BC's handshake (creating or renewing a subscription): 200, the token as text;
- else BC's notifications ``{"value": [...]}``: those whose ``clientState`` is ours are read back from BC
  (a notification carries no data) and each shipment, posted invoice or credit memo goes to the lifecycle
  intake, as the poll would queue it (``lifecycle.notified``). 202 when done; 503 when BC could not be read
  or our queue failed: BC retries 408, 429 and 5xx for 36 hours and deletes the subscription on any other
  error, so only a request that is not BC's gets 400, 401 or 413. What the time budget leaves is read by
  the next poll, which stays the fallback for every notification lost or late.
On its schedule (``{"action": "renew-subscriptions"}``): one subscription per entity, created when missing
and renewed well before BC's 3-day expiry; a failure ends the run in error (``ErpWebhookErrorsAlarm``).
"""

import json
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from norce_integration.api.http import json_response, raw_body
from norce_integration.bootstrap.webhook import WebhookComponents, build_webhook
from norce_integration.erp.ports import ErpError
from norce_integration.failures import DependencyUnavailable
from norce_integration.observability import LazyTracer
from norce_integration.settings import ErpWebhookSettings

logger = Logger()
metrics = Metrics()
tracer = LazyTracer()
app = APIGatewayRestResolver()
BUSINESS_CENTRAL = "business-central"


@cache
def settings() -> ErpWebhookSettings:
    return ErpWebhookSettings.from_env()


@cache
def components() -> WebhookComponents:
    return build_webhook(settings())


def _retry_later(reason: str) -> Response:
    logger.warning("Business Central notification not processed; BC sends it again", extra={"reason": reason})
    metrics.add_metric(name="WebhookUnavailable", unit=MetricUnit.Count, value=1)
    return json_response(503, {"Message": "Temporarily unavailable, retry later"}, {"Retry-After": "60"})


@app.post("/erp/business-central/notifications")
def notification() -> Response:
    if settings().erp.kind != BUSINESS_CENTRAL:
        off = "Business Central webhooks are off (ErpKind is not business-central)"
        return json_response(404, {"Message": off})
    event = app.current_event
    token = (event.query_string_parameters or {}).get("validationToken")
    if token is not None:
        logger.info("Business Central subscription handshake answered")
        return Response(status_code=200, content_type="text/plain", body=token)
    raw = raw_body(event)
    if len(raw) > settings().max_body_bytes:
        return json_response(413, {"Message": f"The body is larger than {settings().max_body_bytes} bytes"})
    try:
        from norce_integration.adapters.http.business_central.webhooks import notifications  # noqa: PLC0415

        changes, foreign = notifications(json.loads(raw), components().client_state)
    except ValueError as error:
        return json_response(400, {"Message": f"Not a Business Central notification: {error}"})
    if foreign:
        metrics.add_metric(name="WebhookForeignNotifications", unit=MetricUnit.Count, value=foreign)
        logger.warning("Notifications without our clientState ignored", extra={"count": foreign})
        if not changes:
            return json_response(401, {"Message": "The clientState is not ours"})
    try:
        result = components().notified.take(changes)
    except (ErpError, DependencyUnavailable) as error:
        return _retry_later(str(error))
    metrics.add_metric(name="WebhookDocumentsQueued", unit=MetricUnit.Count, value=len(result.queued))
    for number, reason in result.refused.items():
        detail = {"document_no": number, "reason": reason}
        logger.info("Notified document not queued; the poll reads it again", extra=detail)
    if result.left_to_poll:
        logger.warning("Time budget spent: the rest of the notification is left to the poll")
    summary = {"queued": result.queued, "refused": result.refused, "leftToPoll": result.left_to_poll}
    logger.info("Business Central notification processed", extra={"changes": len(changes), **summary})
    return json_response(202, summary)


@app.exception_handler(Exception)
def unexpected_error(error: Exception) -> Response:
    # Never a 500 with a stack trace; a 503 makes BC send the notification again (and keeps the subscription).
    logger.exception("Unexpected error while handling a Business Central notification")
    return _retry_later(type(error).__name__)


def renew() -> dict[str, Any]:
    if settings().erp.kind != BUSINESS_CENTRAL:
        return {"skipped": "ErpKind is not business-central"}
    report = components().subscriptions.ensure().as_dict()
    for outcome in ("created", "renewed", "removed"):
        count = len(report[outcome])
        metrics.add_metric(name=f"Subscriptions{outcome.title()}", unit=MetricUnit.Count, value=count)
    logger.info("Business Central subscriptions ensured", extra={"subscriptions": report})
    if report["failed"]:
        raise RuntimeError(f"Business Central subscriptions failed: {sorted(report['failed'])}")
    return report


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "httpMethod" in event:
        return app.resolve(event, context)
    return renew()
