"""The Business Central write fence on DynamoDB (moto): one writer per key across Lambda instances, the same
rules as the in-memory fence the unit tests use."""

import threading
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from norce_integration.adapters.aws.dynamodb_write_fence import DynamoDbWriteFence
from norce_integration.adapters.http.business_central.fence import (
    UNCERTAIN_SECONDS,
    Fence,
    InMemoryWriteFence,
    WriteFence,
)
from tests.support.aws import create_orders_table


@pytest.fixture(params=["dynamodb", "memory"])
def fence(request: pytest.FixtureRequest) -> Iterator[WriteFence]:
    if request.param == "memory":
        yield InMemoryWriteFence()
        return
    with mock_aws():
        create_orders_table()
        yield DynamoDbWriteFence(boto3.client("dynamodb"), "orders")


def test_one_claim_at_a_time_and_what_was_written_is_remembered(fence):
    granted, before = fence.begin("order:REF1", "a", 100.0)
    assert (granted, before) == (True, None)
    granted, before = fence.begin("order:REF1", "b", 101.0)
    assert granted is False and before is not None and before.owner == "a" and before.state is Fence.WRITING
    fence.written("order:REF1", "a", "S-ORD101001")
    granted, before = fence.begin("order:REF1", "b", 100.0 + 10 * UNCERTAIN_SECONDS)
    assert granted is False and before.state is Fence.WRITTEN and before.number == "S-ORD101001"
    assert fence.get("order:REF1").number == "S-ORD101001"


def test_a_claim_whose_attempt_died_is_taken_over_only_after_bc_s_ceiling(fence):
    fence.begin("ref:x", "a", 100.0)
    assert fence.begin("ref:x", "b", 100.0 + UNCERTAIN_SECONDS - 1)[0] is False
    granted, before = fence.begin("ref:x", "b", 100.0 + UNCERTAIN_SECONDS + 1)
    assert granted is True and before.owner == "a" and before.started_at == 100.0


def test_a_released_claim_is_free_at_once_and_only_its_owner_releases_it(fence):
    fence.begin("ref:y", "a", 100.0)
    fence.release("ref:y", "b")
    assert fence.begin("ref:y", "c", 101.0)[0] is False
    fence.release("ref:y", "a")
    assert fence.begin("ref:y", "c", 101.0)[0] is True


def test_many_instances_at_once_one_wins(fence):
    wins: list[str] = []

    def claim(owner: str) -> None:
        if fence.begin("ref:z", owner, 100.0)[0]:
            wins.append(owner)

    threads = [threading.Thread(target=claim, args=(f"owner-{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(wins) == 1
