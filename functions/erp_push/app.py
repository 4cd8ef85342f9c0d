"""erp_push: the ERP's way back to Norce, ``POST /erp/{SendOrderStatus|CreateDeliveryNote|CreateInvoice|
CreditPayment}`` with Norce's own Connect message shapes and an ``X-Api-Key``.

An ERP that already calls Connect only changes its base URL and gets queueing, ordering, retries and
exactly-once. Answers: 202 ``{"DocumentId", "ClientOrderRef"}`` once the document is durably queued;
400 naming every problem (nothing queued); 401; 413 for a body over ``MAX_PUSH_BYTES`` (``MaxPushBytes``,
1 MB: a document is a few KB); 503 when our own dependency failed (try again). The work
happens in ``norce_integration.lifecycle.intake.DocumentIntake``; the lifecycle processor sends it on.
"""

import json
import os
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from norce_integration.api_events import json_response, raw_body
from norce_integration.failures import DependencyUnavailable
from norce_integration.lifecycle.documents import Kind
from norce_integration.lifecycle.intake import Accepted
from norce_integration.observability import LazyTracer
from norce_integration.settings import ErpPushSettings
from norce_integration.snapstart import (
    REHEARSAL,
    fresh_connections_for,
    prime,
    rehearsal_queue_url,
    rehearse_calls,
)

if TYPE_CHECKING:
    from norce_integration.adapters.aws.wiring_lifecycle import PushComponents

logger = Logger()
metrics = Metrics()
tracer = LazyTracer()
app = APIGatewayRestResolver()
DEFAULT_MAX_PUSH_BYTES = 1_048_576


@cache
def settings() -> ErpPushSettings:
    return ErpPushSettings.from_env()


@cache
def components() -> "PushComponents":
    from norce_integration.adapters.aws.wiring_lifecycle import build_push  # noqa: PLC0415 - cold start

    return build_push(settings())


@cache
def max_body_bytes() -> int:
    """The largest body accepted (``MAX_PUSH_BYTES``); API Gateway's own limit is 10 MB, Lambda's 6 MB."""
    return int(os.environ.get("MAX_PUSH_BYTES") or DEFAULT_MAX_PUSH_BYTES)


def _push(kind: Kind) -> Response:
    event = app.current_event
    if not components().authenticator.is_authorized(
        event.headers.get("x-api-key") or event.headers.get("X-Api-Key")
    ):
        metrics.add_metric(name="PushAuthenticationFailures", unit=MetricUnit.Count, value=1)
        logger.warning("ERP push refused: missing or wrong API key", extra={"document": kind.value})
        return json_response(401, {"Message": "A valid X-Api-Key header is required"})
    raw = raw_body(event)
    if len(raw) > max_body_bytes():
        metrics.add_metric(name="PushTooLarge", unit=MetricUnit.Count, value=1)
        logger.warning("ERP push refused: body too large", extra={"document": kind.value})
        problem = f"the body is larger than {max_body_bytes()} bytes"
        return json_response(413, {"Message": problem.capitalize(), "Problems": [problem]})
    try:
        body = json.loads(raw)
    except ValueError:
        return json_response(400, {"Message": "The body is not JSON", "Problems": ["the body is not JSON"]})
    outcome = components().intake.accept(kind, body, source="push")
    if not isinstance(outcome, Accepted):
        metrics.add_metric(name="DocumentsRefused", unit=MetricUnit.Count, value=1)
        logger.warning("ERP document refused", extra={"document": kind.value, "problems": outcome.problems})
        return json_response(400, {"Message": "; ".join(outcome.problems), "Problems": outcome.problems})
    logger.set_correlation_id(outcome.client_order_ref)
    metrics.add_metric(name="DocumentsAccepted", unit=MetricUnit.Count, value=1)
    logger.info("ERP document queued", extra={"document": kind.value, "document_id": outcome.document_id})
    return json_response(202, {"DocumentId": outcome.document_id, "ClientOrderRef": outcome.client_order_ref})


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
# rehearses each document kind without the network, so that the first request after a restore only makes
# its own AWS calls (find the order, queue the document, note it on the order's record). Nothing is stored
# or sent: the rehearsals use in-memory ports, and the AWS calls are answered in-process and name no real
# resource. The builders above stay the fallback.
_REHEARSAL_REF = "SNAPSTART-REHEARSAL"
_REHEARSAL_ITEM = {"LineNo": 1, "PartNo": "REHEARSAL", "Quantity": 1, "UnitPrice": 100.0, "UnitVat": 25.0}
_REHEARSAL_INVOICE = {
    "ClientOrderRef": _REHEARSAL_REF,
    "InvoiceDate": "2026-01-01T00:00:00Z",
    "CurrencyCode": "SEK",
    "Items": [{**_REHEARSAL_ITEM, "VatRate": 25.0, "LineAmount": 100.0}],
    "Vat": 25.0,
    "TotalAmount": 125.0,
}
_REHEARSALS: dict[Kind, dict[str, Any]] = {
    Kind.STATUS: {"ClientOrderRef": _REHEARSAL_REF, "OrderStatus": "Confirmed"},
    Kind.DELIVERY_NOTE: {
        "ClientOrderRef": _REHEARSAL_REF,
        "NoteNo": "DN-REHEARSAL",
        "DeliveryDate": "2026-01-01T00:00:00Z",
        "DeliverynoteItems": [{"RowNumber": 1, "ItemNo": "REHEARSAL", "Qty": 1}],
    },
    Kind.INVOICE: {**_REHEARSAL_INVOICE, "InvoiceNo": "INV-REHEARSAL"},
    Kind.CREDIT: {**_REHEARSAL_INVOICE, "InvoiceNo": "CN-REHEARSAL", "CreditedInvoiceNo": "INV-REHEARSAL"},
}


def _read_keys() -> None:
    components().authenticator.is_authorized(None)  # reads the API keys secret into its cache; answers False


def _rehearse_request() -> None:
    """Read, check and queue one document of each kind through a ``DocumentIntake`` with in-memory ports."""
    from norce_integration.adapters.memory_lifecycle import (  # noqa: PLC0415
        InMemoryDocumentQueue,
        InMemoryOrderIndex,
    )
    from norce_integration.adapters.memory_processing import InMemoryOrderRecords  # noqa: PLC0415
    from norce_integration.lifecycle.intake import DocumentIntake  # noqa: PLC0415
    from norce_integration.orders.records import IndexedOrder  # noqa: PLC0415

    index = InMemoryOrderIndex()
    index.remember(IndexedOrder(f"ORDER#-#{_REHEARSAL_REF}", _REHEARSAL_REF, "ERP-REHEARSAL"))
    rehearsal = DocumentIntake(index, InMemoryDocumentQueue(), InMemoryOrderRecords())
    for kind, body in _REHEARSALS.items():
        outcome = rehearsal.accept(kind, json.loads(json.dumps(body)), source="push")
        if isinstance(outcome, Accepted):
            json_response(
                202, {"DocumentId": outcome.document_id, "ClientOrderRef": outcome.client_order_ref}
            )
        else:
            json_response(400, {"Message": "; ".join(outcome.problems), "Problems": outcome.problems})


def _rehearse_aws_calls() -> None:
    """The intake's AWS calls, answered in-process (``snapstart.rehearse``): botocore's first-call work."""
    key = {"pk": {"S": "SNAPSTART#REHEARSAL"}}
    rehearse_calls(
        {
            "dynamodb": [
                ("get_item", {"TableName": REHEARSAL, "Key": key}),
                (
                    "update_item",
                    {
                        "TableName": REHEARSAL,
                        "Key": key,
                        "UpdateExpression": "SET #f0 = :f0",
                        "ExpressionAttributeNames": {"#f0": "rehearsal"},
                        "ExpressionAttributeValues": {":f0": {"S": "rehearsal"}},
                    },
                ),
            ],
            "sqs": [
                (
                    "send_message",
                    {
                        "QueueUrl": rehearsal_queue_url(settings().lifecycle_queue_url),
                        "MessageBody": "{}",
                        "MessageGroupId": "rehearsal",
                        "MessageDeduplicationId": "rehearsal",
                        "MessageAttributes": {"Document": {"DataType": "String", "StringValue": "R"}},
                    },
                )
            ],
        },
        components(),
    )


_close_connections = fresh_connections_for(components)


PRIMING = (settings, components, _read_keys, _rehearse_request, _rehearse_aws_calls)
prime(*PRIMING)
