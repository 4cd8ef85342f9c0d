"""Order processor: overhead per order, and throughput against a slow ERP as concurrency grows."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from bench.common import Figure, order_json, summary, time_calls


def _flow(erp: object | None = None) -> object:
    from tests.support.processing import Flow  # noqa: PLC0415

    flow = Flow()
    if erp is not None:
        flow.erp = erp  # type: ignore[assignment]
    return flow


def overhead(count: int = 2000) -> list[Figure]:
    """Everything the processor does for one order, with in-memory ports (zero-latency ERP/Norce/AWS)."""
    flow = _flow()
    messages = [flow.receive(order_json(f"P{index}")) for index in range(count + 50)]
    processor = flow.processor()
    samples = time_calls(
        lambda index: processor.process(messages[index + 50 if index >= 0 else -index - 1]), count, warmup=20
    )
    median, p90, _ = summary(samples)
    per_second = 1000 / (sum(samples) / len(samples))
    return [
        Figure("processor per order, in-memory ports: median", median, "ms", 5.0),
        Figure("processor per order, in-memory ports: p90", p90, "ms"),
        Figure("processor orders/s, one thread", per_second, "orders/s", 200.0, higher_is_better=True),
    ]


def overhead_over_http(count: int = 300) -> list[Figure]:
    """The same through the HTTP adapters and the ERP / Norce Connect simulators (no injected latency)."""
    from local.erp_simulator import ErpSimulator  # noqa: PLC0415
    from local.norce_connect_simulator import NorceConnectSimulator  # noqa: PLC0415
    from norce_integration.adapters.http.erp_client import HttpErp  # noqa: PLC0415
    from norce_integration.adapters.http.norce_connect import HttpNorceConnect, oauth_token_fetcher  # noqa: PLC0415
    from norce_integration.adapters.http.token_cache import TokenCache  # noqa: PLC0415

    with ErpSimulator(port=0) as erp_sim, NorceConnectSimulator(port=0) as norce_sim:
        flow = _flow(HttpErp(erp_sim.url, erp_sim.api_key))
        fetch = oauth_token_fetcher(
            norce_sim.identity_url, norce_sim.client_id, norce_sim.client_secret, "prod"
        )
        flow.norce = HttpNorceConnect(norce_sim.connect_url, tokens=TokenCache(fetch))
        messages = [flow.receive(order_json(f"H{index}")) for index in range(count + 10)]
        processor = flow.processor()
        samples = time_calls(
            lambda index: processor.process(messages[index + 10 if index >= 0 else -index - 1]),
            count,
            warmup=10,
        )
    median, _, _ = summary(samples)
    return [
        Figure(
            "processor per order, HTTP ERP + Norce simulators: median",
            median,
            "ms",
            note="3 HTTP calls per order on loopback, simulators in the same process",
        )
    ]


class SlowErp:
    """The in-memory ERP with a fixed latency on every call, like a remote ERP."""

    def __init__(self, latency: float) -> None:
        from norce_integration.adapters.memory_processing import InMemoryErp  # noqa: PLC0415

        self._erp = InMemoryErp()
        self._latency = latency

    def __getattr__(self, name: str) -> object:
        method = getattr(self._erp, name)

        def slow(*args: object, **kwargs: object) -> object:
            time.sleep(self._latency)
            return method(*args, **kwargs)

        return slow


def throughput(
    concurrencies: tuple[int, ...] = (1, 2, 5, 10, 20), orders_per_run: int = 60, latency: float = 0.2
) -> list[Figure]:
    """Orders/s when every ERP call takes 200 ms, with N processor instances (MaximumConcurrency)."""
    figures = []
    for concurrency in concurrencies:
        flow = _flow(SlowErp(latency))
        messages = [flow.receive(order_json(f"T{concurrency}-{index}")) for index in range(orders_per_run)]
        processors = threading.local()

        def work(message: object, flow: object = flow, processors: threading.local = processors) -> None:
            if not hasattr(processors, "instance"):  # one processor per thread: one per Lambda instance
                processors.instance = flow.processor()  # type: ignore[attr-defined]
            processors.instance.process(message)

        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(work, messages))
        rate = orders_per_run / (time.perf_counter() - start)
        ideal = concurrency / (2 * latency)  # find_order + create_order: two ERP round trips per order
        figures.append(
            Figure(
                f"throughput, 200 ms ERP, MaximumConcurrency {concurrency:>2}",
                rate,
                "orders/s",
                note=f"ideal {ideal:.1f}/s ({rate / ideal:.0%})",
            )
        )
    return figures
