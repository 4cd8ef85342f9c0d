"""Our own ERP writes in the orders table (``ECHO#{kind}#{code}``), on moto: what the event sync remembers
is what a delta import finds, a page of codes per read, also when DynamoDB leaves some keys unread."""

from typing import Any

import boto3

from norce_integration.adapters.aws.dynamodb_events import DynamoDbSyncStates
from norce_integration.adapters.aws.dynamodb_own_writes import DynamoDbOwnWrites
from norce_integration.erp.own_writes import OwnWrite
from norce_integration.events.ports import SyncState
from tests.support.aws import ReceiverResources

WROTE = OwnWrite("2026-11-25T10:05:00+00:00", "2026-11-01T08:00:00+00:00")


class LeavesKeysUnprocessed:
    """DynamoDB's BatchGetItem under load: it reads some keys and hands the rest back as UnprocessedKeys."""

    def __init__(self, client: Any, times: int) -> None:
        self._client, self._times, self.calls = client, times, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        self.calls += 1
        ((table, request),) = RequestItems.items()
        keys = request["Keys"]
        if self.calls > self._times:
            return dict(self._client.batch_get_item(RequestItems=RequestItems))
        read, left = (keys[:1], keys[1:]) if len(keys) > 1 else ([], keys)  # never all at once
        answer = {"Responses": {table: []}}
        if read:
            answer = dict(self._client.batch_get_item(RequestItems={table: {**request, "Keys": read}}))
        return answer | {"UnprocessedKeys": {table: {**request, "Keys": left}}}


def test_what_the_sync_remembers_a_delta_finds_by_code(aws: ReceiverResources):
    own = DynamoDbOwnWrites(boto3.client("dynamodb"), aws.table)
    own.remember("customer", "C1", WROTE)
    own.remember("customer", "C2", OwnWrite("2026-11-25T11:00:00+00:00", None))
    own.remember("company", "C1", OwnWrite("2026-11-25T12:00:00+00:00", None))  # kinds never mix
    codes = ["C1", "C2", *(f"X{n}" for n in range(98))]  # a full page, most of it never written by us
    assert own.find("customer", codes) == {"C1": WROTE, "C2": OwnWrite("2026-11-25T11:00:00+00:00", None)}
    own.remember("customer", "C1", OwnWrite("2026-11-25T13:00:00+00:00", WROTE.erp_before))  # the latest
    assert own.find("customer", ["C1"])["C1"].changed_at == "2026-11-25T13:00:00+00:00"
    item = boto3.client("dynamodb").get_item(TableName=aws.table, Key={"pk": {"S": "ECHO#customer#C1"}})
    assert "expires_at" in item["Item"]  # kept for a while, then gone by TTL


def test_keys_dynamodb_leaves_unread_are_asked_again_and_only_then_taken_as_not_ours(aws: ReceiverResources):
    client = boto3.client("dynamodb")
    DynamoDbOwnWrites(client, aws.table).remember("customer", "C1", WROTE)
    DynamoDbOwnWrites(client, aws.table).remember("customer", "C2", WROTE)
    naps: list[float] = []
    slow = LeavesKeysUnprocessed(client, times=2)
    found = DynamoDbOwnWrites(slow, aws.table, sleep=naps.append).find("customer", ["C1", "C2", "C3"])
    assert found == {"C1": WROTE, "C2": WROTE} and slow.calls == 3 and len(naps) == 2
    never = LeavesKeysUnprocessed(client, times=100)
    found = DynamoDbOwnWrites(never, aws.table, sleep=naps.append).find("customer", ["C1", "C2"])
    assert found == {"C1": WROTE}  # C2 never read: sent by the delta, as before there were echoes


def test_the_sync_state_keeps_the_erps_own_last_change(aws: ReceiverResources):
    states = DynamoDbSyncStates(boto3.client("dynamodb"), aws.table)
    state = SyncState(1.0, None, 1, WROTE.changed_at, busy_until=None, erp_before=WROTE.erp_before)
    assert states.save("SYNC#customer#1", state, None)
    assert states.get("SYNC#customer#1") == state
