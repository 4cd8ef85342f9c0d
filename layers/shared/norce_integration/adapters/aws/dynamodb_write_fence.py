"""The Business Central write fence on items of the orders table (``ERPWRITE#{key}``; ``expires_at`` is the
TTL). A claim is one conditional update, atomic across Lambda instances."""

import time
from typing import Any

from botocore.exceptions import ClientError

from norce_integration.adapters.aws.errors import condition_failed, unavailable_on_aws_error
from norce_integration.adapters.http.business_central.fence import UNCERTAIN_SECONDS, Fence, FenceState


class DynamoDbWriteFence:
    def __init__(self, client: Any, table_name: str, retention_days: int = 90) -> None:
        self._client = client
        self._table = table_name
        self._retention = retention_days * 86_400

    def _key(self, key: str) -> dict[str, Any]:
        return {"pk": {"S": f"ERPWRITE#{key}"}}

    def get(self, key: str) -> FenceState | None:
        with unavailable_on_aws_error("Reading the ERP write claim"):
            item = self._client.get_item(TableName=self._table, Key=self._key(key), ConsistentRead=True)
        return _state(item.get("Item"))

    def begin(self, key: str, owner: str, now: float) -> tuple[bool, FenceState | None]:
        with unavailable_on_aws_error("Claiming the ERP write"):
            try:
                answer = self._client.update_item(
                    TableName=self._table,
                    Key=self._key(key),
                    UpdateExpression=(
                        "SET #state = :writing, owner_token = :owner, started_at = :now, expires_at = :ttl "
                        "REMOVE #number"
                    ),
                    ConditionExpression=(
                        "attribute_not_exists(pk) OR #state = :released OR "
                        "(#state = :writing AND started_at < :stale)"
                    ),
                    ExpressionAttributeNames={"#state": "state", "#number": "number"},
                    ExpressionAttributeValues={
                        ":writing": {"S": Fence.WRITING.value},
                        ":released": {"S": Fence.RELEASED.value},
                        ":owner": {"S": owner},
                        ":now": {"N": repr(now)},
                        ":stale": {"N": repr(now - UNCERTAIN_SECONDS)},
                        ":ttl": {"N": str(int(time.time()) + self._retention)},
                    },
                    ReturnValues="ALL_OLD",
                )
                return True, _state(answer.get("Attributes"))
            except ClientError as error:
                if not condition_failed(error):
                    raise
        return False, self.get(key)

    def written(self, key: str, owner: str, number: str) -> None:
        with unavailable_on_aws_error("Recording the ERP write"):
            self._client.update_item(
                TableName=self._table,
                Key=self._key(key),
                UpdateExpression="SET #state = :written, #number = :number, owner_token = :owner",
                ExpressionAttributeNames={"#state": "state", "#number": "number"},
                ExpressionAttributeValues={
                    ":written": {"S": Fence.WRITTEN.value},
                    ":number": {"S": number},
                    ":owner": {"S": owner},
                },
            )

    def release(self, key: str, owner: str) -> None:
        with unavailable_on_aws_error("Releasing the ERP write claim"):
            try:
                self._client.update_item(
                    TableName=self._table,
                    Key=self._key(key),
                    UpdateExpression="SET #state = :released",
                    ConditionExpression="#state = :writing AND owner_token = :owner",
                    ExpressionAttributeNames={"#state": "state"},
                    ExpressionAttributeValues={
                        ":released": {"S": Fence.RELEASED.value},
                        ":writing": {"S": Fence.WRITING.value},
                        ":owner": {"S": owner},
                    },
                )
            except ClientError as error:
                if not condition_failed(error):
                    raise


def _state(item: dict[str, Any] | None) -> FenceState | None:
    if not item or "state" not in item:
        return None
    return FenceState(
        Fence(item["state"]["S"]),
        item.get("owner_token", {}).get("S", ""),
        float(item.get("started_at", {}).get("N", "0")),
        item.get("number", {}).get("S"),
    )
