"""Warm receiver: time per request through the handler with in-memory adapters (each a new order)."""

import contextlib
import json
import os
from collections.abc import Iterator

from bench.common import ROOT, Figure, order_json, quiet, summary, time_calls


def receiver() -> tuple[object, dict]:
    from norce_integration.adapters.memory.intake import InMemoryArchive, InMemoryLedger, InMemoryQueue  # noqa: PLC0415
    from norce_integration.api.basic_auth import BasicAuthenticator, Credential  # noqa: PLC0415
    from norce_integration.intake.service import OrderIntake  # noqa: PLC0415
    from norce_integration.settings import ReceiverSettings  # noqa: PLC0415
    from tests.support.handlers import load_function  # noqa: PLC0415

    module = load_function("order_receiver")
    module.settings = lambda: ReceiverSettings("q", "t", "b", "s", 50 * 1024 * 1024, 300, 90, 1.0, None)
    authenticator = BasicAuthenticator(lambda: [Credential("norce", "norce-local")])
    module.authenticator = lambda: authenticator
    intake = OrderIntake(ledger=InMemoryLedger(), archive=InMemoryArchive(), queue=InMemoryQueue())
    module.intake = lambda: intake
    module.metrics.provider.add_cold_start_metric = lambda context: None
    return module, json.loads((ROOT / "events" / "order_receiver" / "post-order-json.json").read_text())


def _xml(body: bytes) -> str:
    from norce_integration.codec.json_codec import parse_json  # noqa: PLC0415
    from norce_integration.codec.xml_codec import to_xml_bytes  # noqa: PLC0415
    from norce_integration.contracts import OrderRequest  # noqa: PLC0415

    return to_xml_bytes(parse_json(body, OrderRequest)[0]).decode()


def run(scale: float = 1.0) -> list[Figure]:
    from tests.support.handlers import FakeLambdaContext  # noqa: PLC0415

    module, event = receiver()
    context = FakeLambdaContext()
    # metrics on, as in Lambda: each request pays its EMF flush; the blobs themselves are discarded
    with _metrics_enabled(), quiet(module.logger):
        return _measure(module, event, context, scale)


@contextlib.contextmanager
def _metrics_enabled() -> Iterator[None]:
    previous = os.environ.pop("POWERTOOLS_METRICS_DISABLED", None)
    try:
        yield
    finally:
        if previous is not None:
            os.environ["POWERTOOLS_METRICS_DISABLED"] = previous


def _measure(module: object, event: dict, context: object, scale: float) -> list[Figure]:
    figures = []
    cases = [
        ("example order, JSON", order_json("REFX", 1).decode(), "application/json", 1.0, 2000),
        ("example order, XML", _xml(order_json("REFX", 1)), "application/xml", 2.0, 2000),
        ("3,000-line order, JSON", order_json("REFX", 3000).decode(), "application/json", 50.0, 40),
        ("3,000-line order, XML", _xml(order_json("REFX", 3000)), "application/xml", 50.0, 15),
    ]
    for name, body, content_type, target, count in cases:
        runs = max(3, int(count * scale))
        warmup = max(2, runs // 10)
        headers = {**event["headers"], "Content-Type": content_type}
        # Each request is a new order, built before the clock starts: only the handler is timed.
        requests = {
            index: dict(event, body=body.replace("REFX", f"R{index}-{id(body)}"), headers=headers)
            for index in range(-warmup, runs)
        }

        def call(index: int, requests: dict[int, dict] = requests) -> None:
            response = module.lambda_handler(requests.pop(index), context)
            assert response["statusCode"] == 200 and "OK" in response["body"], response["body"][:200]

        median, p90, p99 = summary(time_calls(call, runs, warmup=warmup))
        figures += [
            Figure(f"{name}: median", median, "ms", target),
            Figure(f"{name}: p90 / p99", p90, "ms", note=f"p99 {p99:.2f} ms"),
        ]
    duplicate = dict(event, body=order_json("REF-DUP").decode())
    module.lambda_handler(duplicate, context)
    median, _, _ = summary(
        time_calls(lambda _: module.lambda_handler(duplicate, context), max(3, int(2000 * scale)))
    )
    figures.append(Figure("example order, JSON, duplicate (stored answer): median", median, "ms"))
    return figures
