"""Order lifecycle: documents per second through one lifecycle processor (in-memory ports: zero-latency
Norce and AWS), and the ERP push endpoint's warm answer time (handler with in-memory adapters)."""

import json

from bench.common import ROOT, Figure, quiet, summary, time_calls


def _world(orders: int) -> object:
    from tests.support.lifecycle import Lifecycle  # noqa: PLC0415
    from tests.support.processing import example_order  # noqa: PLC0415

    world = Lifecycle()
    processor = world.flow.processor(index=world.index)
    for index in range(orders):
        processor.process(world.flow.receive(example_order(f"{10_000 + index}")))
    return world


def processor_throughput(count: int = 2000) -> list[Figure]:
    """One invoice per confirmed order, each processed once (ledger, order record, Connect call)."""
    from norce_integration.lifecycle.documents import Kind  # noqa: PLC0415
    from tests.support.lifecycle import invoice  # noqa: PLC0415

    world = _world(count + 20)
    for index in range(count + 20):
        world.push(Kind.INVOICE, invoice(f"INV-{index}", ClientOrderRef=10_000 + index))  # type: ignore[attr-defined]
    documents = list(world.queue.documents)  # type: ignore[attr-defined]
    processor = world.processor()  # type: ignore[attr-defined]
    samples = time_calls(
        lambda index: processor.process(documents[index + 20 if index >= 0 else -index - 1]), count
    )
    median, p90, _ = summary(samples)
    return [
        Figure("lifecycle processor per document, in-memory ports: median", median, "ms", 2.0),
        Figure("lifecycle processor per document: p90", p90, "ms"),
        Figure(
            "lifecycle documents/s, one thread", 1000 / (sum(samples) / len(samples)), "docs/s", 500.0, True
        ),
    ]


def push_warm(count: int = 2000) -> list[Figure]:
    """``POST /erp/CreateInvoice`` through the handler: auth, validation, order lookup, queueing."""
    from norce_integration.api.api_keys import ApiKeyAuthenticator  # noqa: PLC0415
    from norce_integration.bootstrap.lifecycle import PushComponents  # noqa: PLC0415
    from norce_integration.settings import DocumentRules, ErpPushSettings  # noqa: PLC0415
    from tests.support.handlers import FakeLambdaContext, load_function  # noqa: PLC0415

    world = _world(count + 20)  # one invoice per order: a second one for the same lines is refused
    module = load_function("erp_push")
    parts = PushComponents(world.intake, ApiKeyAuthenticator(lambda: ["erp-push-local"]))  # type: ignore[attr-defined]
    module.components = lambda: parts
    configured = ErpPushSettings(
        "orders", "archive", "queue", "keys", 300, 1_048_576, DocumentRules.from_env()
    )
    module.settings = lambda: configured  # no environment here: the in-memory world is the whole stack
    module.metrics.provider.add_cold_start_metric = lambda context: None
    event = json.loads((ROOT / "events" / "erp_push" / "push-create-invoice.json").read_text())
    body = json.loads(event["body"])
    requests = {
        index: dict(
            event, body=json.dumps(body | {"InvoiceNo": f"INV-{index}", "ClientOrderRef": 10_020 + index})
        )
        for index in range(-20, count)
    }
    context = FakeLambdaContext()

    def call(index: int) -> None:
        answer = module.lambda_handler(requests.pop(index), context)
        assert answer["statusCode"] == 202, answer["body"]

    with quiet(module.logger):
        median, p90, p99 = summary(time_calls(call, count, warmup=20))
    return [
        Figure("ERP push, warm, invoice: median", median, "ms", 2.0),
        Figure("ERP push, warm, invoice: p90 / p99", p90, "ms", note=f"p99 {p99:.2f} ms"),
    ]


def run(scale: float = 1.0) -> list[Figure]:
    count = max(20, int(2000 * scale))
    return processor_throughput(count) + push_warm(count)


if __name__ == "__main__":
    import os

    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Bench")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")
    for figure in run():
        print(figure.line())
