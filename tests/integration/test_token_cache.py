"""The shared Norce token: fifty Lambdas cold-starting at once make one token request."""

import threading
from collections.abc import Iterator

import pytest
from moto import mock_aws

from norce_integration.adapters.aws.dynamodb_token_store import DynamoDbTokenStore
from norce_integration.adapters.http.token_cache import InMemoryTokenStore, TokenCache, TokenStore
from tests.support.aws import Serialized, create_orders_table


class CountingFetch:
    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self) -> tuple[str, float]:
        with self._lock:
            self.calls += 1
            return f"token-{self.calls}", 3600.0


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[TokenStore]:
    if request.param == "memory":
        yield InMemoryTokenStore()
        return
    with mock_aws():
        client = create_orders_table()
        yield DynamoDbTokenStore(Serialized(client), "orders", "norce-connect#client")


def test_fifty_cold_lambdas_share_one_token_request(store):
    fetch = CountingFetch()
    start = threading.Barrier(50)
    tokens: list[str] = []

    def lambda_instance() -> None:
        cache = TokenCache(fetch, store, poll_seconds=0.01)  # each instance has its own memory
        start.wait()
        tokens.append(cache.get())

    threads = [threading.Thread(target=lambda_instance) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert fetch.calls == 1
    assert tokens == ["token-1"] * 50


def test_the_token_is_renewed_once_before_it_expires(store):
    now = [0.0]
    fetch = CountingFetch()
    first, second = (TokenCache(fetch, store, clock=lambda: now[0]) for _ in range(2))
    assert first.get() == "token-1"

    now[0] = 3600 - 200  # inside the 300 s refresh margin
    assert first.get() == "token-2"
    assert second.get() == "token-2"
    assert fetch.calls == 2


def test_a_dead_lock_holder_is_taken_over_after_the_lock_expires(store):
    now = [0.0]
    assert store.try_lock("dead-instance", 0.0, 10.0, fresh_after=300.0)
    fetch = CountingFetch()
    cache = TokenCache(
        fetch,
        store,
        clock=lambda: now[0],
        wait_seconds=30,
        sleep=lambda seconds: now.__setitem__(0, now[0] + seconds),
    )

    assert cache.get() == "token-1"
    assert now[0] >= 10.0


def test_an_invalidated_token_is_fetched_anew(store):
    fetch = CountingFetch()
    cache = TokenCache(fetch, store)
    token = cache.get()

    cache.invalidate(token)

    assert cache.get() == "token-2"
    assert TokenCache(fetch, store).get() == "token-2"
