"""Order processor: overhead per order, and throughput against a slow ERP as concurrency grows."""

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from bench.common import ROOT, Figure, order_json, summary, time_calls


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


@contextmanager
def _simulator_processes() -> Iterator[tuple[str, str]]:
    """The ERP and Norce Connect simulators in their own processes (as remote systems would be)."""
    from local.aws import free_port, wait_for_port  # noqa: PLC0415

    erp_port, norce_port = free_port(), free_port()
    commands = [
        ["local.erp_simulator", "--port", str(erp_port), "--db", ":memory:"],
        ["local.norce", "--port", str(norce_port)],
    ]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", *command], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for command in commands
    ]
    try:
        wait_for_port(erp_port)
        wait_for_port(norce_port)
        yield f"http://127.0.0.1:{erp_port}", f"http://127.0.0.1:{norce_port}"
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


def overhead_over_http(count: int = 300) -> list[Figure]:
    """The same through the HTTP adapters and the ERP / Norce Connect simulators (no injected latency)."""
    from norce_integration.adapters.http.erp_client import HttpErp  # noqa: PLC0415
    from norce_integration.adapters.http.norce_connect import HttpNorceConnect, oauth_token_fetcher  # noqa: PLC0415
    from norce_integration.adapters.http.token_cache import TokenCache  # noqa: PLC0415

    with _simulator_processes() as (erp_url, norce_url):
        flow = _flow(HttpErp(erp_url, "erp-local-key"))
        token_url = f"{norce_url}/identity/1.0/connect/token"
        fetch = oauth_token_fetcher(token_url, "norce-local-client", "norce-local-secret", "prod")
        flow.norce = HttpNorceConnect(f"{norce_url}/commerce/connect/4.0/", tokens=TokenCache(fetch))
        messages = [flow.receive(order_json(f"H{index}")) for index in range(count + 10)]
        processor = flow.processor()
        cpu_before = time.process_time()
        samples = time_calls(
            lambda index: processor.process(messages[index + 10 if index >= 0 else -index - 1]),
            count,
            warmup=10,
        )
        cpu_per_order = (time.process_time() - cpu_before) * 1000 / (count + 10)
    median, _, _ = summary(samples)
    per_second = 1000 / (sum(samples) / len(samples))
    return [
        Figure(
            "processor per order over HTTP: CPU of the processor's process",
            cpu_per_order,
            "ms",
            5.0,
            note="our code + requests; the rest of the wall time is the simulators answering",
        ),
        Figure(
            "processor per order, HTTP to ERP + Norce simulators: median",
            median,
            "ms",
            note="3 HTTP round trips on loopback; simulators (Flask dev servers) in their own processes",
        ),
        Figure(
            "processor orders/s over HTTP, one thread",
            per_second,
            "orders/s",
            note="bounded by the simulators' answers; more processors (MaximumConcurrency) scale it",
        ),
    ]


class SlowErp:
    """The in-memory ERP with a fixed latency on every call, like a remote ERP."""

    def __init__(self, latency: float) -> None:
        from norce_integration.adapters.memory.processing import InMemoryErp  # noqa: PLC0415

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
