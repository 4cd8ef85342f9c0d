"""The order record (support trail + processing lock) on the order's ledger item in DynamoDB."""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from norce_integration.adapters.aws.errors import unavailable_on_aws_error
from norce_integration.snapstart import REHEARSAL, Rehearsals

_SKIP = {"pk", "token", "fingerprint", "lease_until", "response", "expires_at"}  # ledger internals


def to_dynamo(value: Any) -> Any:
    """Python -> DynamoDB document value (floats become Decimal, as boto3's serializer requires)."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {key: to_dynamo(item) for key, item in value.items() if item is not None}
    if isinstance(value, list | tuple):
        return [to_dynamo(item) for item in value]
    return value


def from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: from_dynamo(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_dynamo(item) for item in value]
    return value


class DynamoDbOrderRecords:
    """``trail`` (a list of events), ``processing_state``, ``erp_order_no``, ``target``, ``last_error``,
    ``lock_owner``/``lock_until`` live next to the ledger's attributes on item ``pk``."""

    def __init__(self, client: Any, table_name: str) -> None:
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer  # noqa: PLC0415 - with boto3

        self._client = client
        self._table = table_name
        self._serialize = TypeSerializer().serialize
        self._deserialize = TypeDeserializer().deserialize

    @staticmethod
    def rehearsals() -> Rehearsals:
        """A request's call, for SnapStart's ``rehearse_calls`` (answered in-process; no real table)."""
        update = {
            "TableName": REHEARSAL,
            "Key": {"pk": {"S": "SNAPSTART#REHEARSAL"}},
            "UpdateExpression": "SET #f0 = :f0",
            "ExpressionAttributeNames": {"#f0": "rehearsal"},
            "ExpressionAttributeValues": {":f0": {"S": "rehearsal"}},
        }
        return {"dynamodb": [("update_item", update)]}

    def get(self, key: str, fields: Iterable[str] | None = None) -> dict[str, Any] | None:
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": {"pk": {"S": key}},
            "ConsistentRead": True,
        }
        if fields is not None:  # a projection: DynamoDB reads the item but sends back only these
            names = {f"#p{index}": name for index, name in enumerate(fields)}
            request["ProjectionExpression"] = ", ".join(names)
            request["ExpressionAttributeNames"] = names
        with unavailable_on_aws_error("Reading the order record"):
            item = self._client.get_item(**request).get("Item")
        if not item:
            return None
        return {
            name: from_dynamo(self._deserialize(value)) for name, value in item.items() if name not in _SKIP
        }

    def note(self, key: str, event: str, at: float, **fields: Any) -> None:
        entry = {"at": at, "event": event, **fields}
        names = {"#trail": "trail"}
        values: dict[str, Any] = {
            ":entry": self._serialize(to_dynamo([entry])),
            ":empty": {"L": []},
        }
        sets = ["#trail = list_append(if_not_exists(#trail, :empty), :entry)"]
        removes = []
        for index, (name, value) in enumerate(fields.items()):
            names[f"#f{index}"] = name
            if value is None:
                removes.append(f"#f{index}")
            else:
                values[f":f{index}"] = self._serialize(to_dynamo(value))
                sets.append(f"#f{index} = :f{index}")
        update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        with unavailable_on_aws_error("Updating the order record"):
            self._client.update_item(
                TableName=self._table,
                Key={"pk": {"S": key}},
                UpdateExpression=update,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )

    def lock(self, key: str, owner: str, now: float, until: float) -> bool:
        with unavailable_on_aws_error("Locking the order"):
            try:
                self._client.update_item(
                    TableName=self._table,
                    Key={"pk": {"S": key}},
                    UpdateExpression="SET lock_owner = :owner, lock_until = :until",
                    ConditionExpression=(
                        "attribute_not_exists(lock_owner) OR lock_owner = :owner OR lock_until < :now"
                    ),
                    ExpressionAttributeValues={
                        ":owner": {"S": owner},
                        ":until": {"N": repr(until)},
                        ":now": {"N": repr(now)},
                    },
                )
                return True
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                    return False
                raise

    def unlock(self, key: str, owner: str) -> None:
        with unavailable_on_aws_error("Unlocking the order"):
            try:
                self._client.update_item(
                    TableName=self._table,
                    Key={"pk": {"S": key}},
                    UpdateExpression="REMOVE lock_owner, lock_until",
                    ConditionExpression="lock_owner = :owner",
                    ExpressionAttributeValues={":owner": {"S": owner}},
                )
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise
