"""Requests/s through the local stack: real HTTP, the receiver in-process, moto in a subprocess."""

import time
from concurrent.futures import ThreadPoolExecutor

import requests

from bench.common import Figure, order_json, percentile


def run(orders: int = 300, workers: tuple[int, ...] = (1, 4, 16)) -> list[Figure]:
    from local.stack import LocalStack  # noqa: PLC0415

    figures = []
    with LocalStack.on_free_ports(processors=1) as stack:
        url = f"{stack.api_url}/orders"
        headers = {"Content-Type": "application/json", "Authorization": stack.authorization}
        for count in workers:
            sessions = [requests.Session() for _ in range(count)]
            latencies: list[float] = []

            def send(
                index: int, count: int = count, sessions: list = sessions, latencies: list = latencies
            ) -> None:
                started = time.perf_counter()
                response = sessions[index % count].post(
                    url, data=order_json(f"L{count}-{index}"), headers=headers, timeout=30
                )
                latencies.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.text

            start = time.perf_counter()
            with ThreadPoolExecutor(max_workers=count) as pool:
                list(pool.map(send, range(orders)))
            rate = orders / (time.perf_counter() - start)
            figures.append(
                Figure(
                    f"local stack, {count:>2} concurrent senders: requests/s",
                    rate,
                    "req/s",
                    note=f"p50 {percentile(latencies, 0.5):.1f} ms, p99 {percentile(latencies, 0.99):.1f} ms",
                )
            )
    return figures
