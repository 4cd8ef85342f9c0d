"""Norce Event webhooks: the receiver's warm acknowledgement (the real handler and boto3 SQS client against
moto on loopback), and events per second through one event processor (in-memory ports, real templates: a
proxy for our own overhead, not for Query, SES or an ERP).

The receiver's cold start (import + init + first request of the built artifact) is in
``bench.cold_start_artifact``; Norce gives every POST 5 seconds.
"""

import contextlib
import json
import os
from decimal import Decimal
from typing import Any

from bench.common import ROOT, Figure, quiet, summary, time_calls

EVENTS = ROOT / "events"
KEY = "norce-events-local"


@contextlib.contextmanager
def _moto_env() -> Any:
    from local.aws import LOCAL_CREDENTIALS, LocalAws, free_port  # noqa: PLC0415

    aws = LocalAws(free_port())
    aws.start()
    saved = dict(os.environ)
    try:
        sqs = aws.client("sqs")
        dlq = sqs.create_queue(QueueName="events-dlq")["QueueUrl"]
        queue = sqs.create_queue(QueueName="events")["QueueUrl"]
        secret = aws.client("secretsmanager").create_secret(
            Name="norce-events-keys", SecretString=json.dumps({"apiKey": KEY})
        )["ARN"]
        os.environ.update(
            LOCAL_CREDENTIALS
            | {
                "AWS_ENDPOINT_URL": aws.endpoint,
                "EVENTS_QUEUE_URL": queue,
                "EVENTS_DLQ_URL": dlq,
                "NORCE_EVENTS_KEYS_SECRET_ARN": secret,
                "POWERTOOLS_SERVICE_NAME": "event-receiver",
            }
        )
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        aws.stop()


def receiver_warm(count: int = 1000) -> list[Figure]:
    """``POST /norce/events/OrderConfirmedEvent``: key check, validation, one SQS SendMessage (moto, HTTP)."""
    from tests.support.handlers import FakeLambdaContext, load_function  # noqa: PLC0415

    with _moto_env():
        module = load_function("event_receiver")
        module.metrics.provider.add_cold_start_metric = lambda context: None
        event = json.loads((EVENTS / "event_receiver" / "post-OrderConfirmedEvent.json").read_text())
        body = json.loads(event["body"])
        context = FakeLambdaContext()

        def call(index: int) -> None:
            request = dict(event, body=json.dumps(body | {"OrderId": 800_000_000 + index}))
            answer = module.lambda_handler(request, context)
            assert answer["statusCode"] == 200, answer["body"]

        with quiet(module.logger):
            median, p90, p99 = summary(time_calls(call, count, warmup=20))
    return [
        Figure("event receiver, warm ack (SQS on moto over HTTP): p50", median, "ms", 100.0),
        Figure("event receiver, warm ack: p99", p99, "ms", 100.0, note=f"p90 {p90:.2f} ms"),
    ]


def _processor() -> tuple[Any, list[Any]]:
    from norce_integration.adapters.memory.events import (  # noqa: PLC0415
        CapturingNotifier,
        InMemoryEventQuery,
        InMemoryNotificationLedger,
        InMemorySyncStates,
    )
    from norce_integration.adapters.memory.jobs import InMemoryJobLog, InMemoryJobRecords  # noqa: PLC0415
    from norce_integration.adapters.memory.lifecycle import InMemoryOrderIndex  # noqa: PLC0415
    from norce_integration.adapters.memory.processing import InMemoryErp, InMemoryOrderRecords  # noqa: PLC0415
    from norce_integration.erp.model import ErpCustomer  # noqa: PLC0415
    from norce_integration.events.captures import CaptureResults  # noqa: PLC0415
    from norce_integration.events.envelope import QueuedEvent, event_key  # noqa: PLC0415
    from norce_integration.events.notifications import NotificationService  # noqa: PLC0415
    from norce_integration.events.rendering import TemplateRenderer  # noqa: PLC0415
    from norce_integration.events.service import EventProcessor  # noqa: PLC0415
    from norce_integration.events.sync import ChangeSync  # noqa: PLC0415
    from norce_integration.events.types import notification_types  # noqa: PLC0415
    from norce_integration.events.views import CustomerView, OrderLineView, OrderView  # noqa: PLC0415
    from norce_integration.jobs.completion import JobCompletion  # noqa: PLC0415

    orders = [
        OrderView(
            order_id=700_000_000 + n,
            order_no=f"SO-{n:06d}",
            client_order_ref=f"R{n}",
            culture="sv-SE",
            currency="SEK",
            email="john.doe@example.com",
            total=Decimal("750.00"),
            lines=[OrderLineView("ITEM001", "Widget", Decimal(2), Decimal("750.00"))],
        )
        for n in range(5000)
    ]
    query = InMemoryEventQuery(
        customers={n: CustomerView(n, f"C{n}", f"c{n}@example.com", "Anna") for n in range(5000)},
        orders=orders,
    )
    query.order = lambda order_id: orders[order_id - 700_000_000]  # type: ignore[method-assign]
    erp = InMemoryErp(customers={f"C{n}": ErpCustomer(code=f"C{n}") for n in range(5000)})
    processor = EventProcessor(
        notify=notification_types(""),
        notifications=NotificationService(
            query, TemplateRenderer("en"), CapturingNotifier(), InMemoryNotificationLedger()
        ),
        changes=ChangeSync(query, erp, InMemorySyncStates()),
        jobs=JobCompletion(InMemoryJobRecords(), InMemoryJobLog()),
        captures=CaptureResults(query, InMemoryOrderIndex(), InMemoryOrderRecords()),
    )
    events = []
    for n in range(5000):
        kind = n % 3
        if kind == 0:
            body = {"ClientId": 1, "OrderId": 700_000_000 + n, "ClientOrderRef": f"R{n}"}
            name = "OrderConfirmedEvent"
        elif kind == 1:
            body, name = (
                {"ClientId": 1, "CustomerId": n, "EntityChanged": "tClientCustomer"},
                "CustomerChangedNotification",
            )
        else:
            body, name = {"ClientId": 1, "JobId": n, "StatusId": 2}, "JobCompletedEvent"
        events.append(QueuedEvent(name, body, 0.0, event_key(name, body)))
    return processor, events


def processor_throughput(count: int = 3000) -> list[Figure]:
    """A third each: an order confirmation e-mail (Jinja2 render), a customer change to the ERP, a job end."""
    processor, events = _processor()
    samples = time_calls(lambda index: processor.process(events[index + 30 if index >= 0 else -index]), count)
    median, p90, _ = summary(samples)
    return [
        Figure("event processor per event, in-memory ports: median", median, "ms", 5.0),
        Figure("event processor per event: p90", p90, "ms"),
        Figure(
            "events/s through one processor, one thread", 1000 / (sum(samples) / len(samples)), "events/s"
        ),
    ]


def run(scale: float = 1.0) -> list[Figure]:
    return receiver_warm(max(20, int(1000 * scale))) + processor_throughput(max(30, int(3000 * scale)))


if __name__ == "__main__":
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Bench")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "1")
    for figure in run():
        print(figure.line())
