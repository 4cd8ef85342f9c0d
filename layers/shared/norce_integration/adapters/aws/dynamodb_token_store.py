"""A shared OAuth2 token (Norce's, Business Central's) on an item of the orders table (``TOKEN#...``;
``expires_at`` is the TTL).

The token is a secret: DynamoDB encrypts it at rest, only the processing functions may read the table,
and it is never logged.
"""

from typing import Any

from botocore.exceptions import ClientError

from norce_integration.adapters.aws.errors import condition_failed, unavailable_on_aws_error
from norce_integration.adapters.http.token_cache import StoredToken


class DynamoDbTokenStore:
    def __init__(self, client: Any, table_name: str, name: str, what: str = "Norce token") -> None:
        self._client = client
        self._table = table_name
        self._key = {"pk": {"S": f"TOKEN#{name}"}}
        self._what = what

    def read(self) -> StoredToken | None:
        with unavailable_on_aws_error(f"Reading the shared {self._what}"):
            item = self._client.get_item(TableName=self._table, Key=self._key, ConsistentRead=True).get(
                "Item"
            )
        if not item or "token" not in item:
            return None
        return StoredToken(item["token"]["S"], float(item["expires_at"]["N"]))

    def try_lock(self, owner: str, now: float, until: float, fresh_after: float) -> bool:
        with unavailable_on_aws_error(f"Locking the shared {self._what}"):
            try:
                self._client.update_item(
                    TableName=self._table,
                    Key=self._key,
                    UpdateExpression="SET lock_owner = :owner, lock_until = :until",
                    ConditionExpression=(
                        "(attribute_not_exists(lock_until) OR lock_until < :now OR lock_owner = :owner) AND "
                        "(attribute_not_exists(#token) OR expires_at <= :fresh)"
                    ),
                    ExpressionAttributeNames={"#token": "token"},
                    ExpressionAttributeValues={
                        ":owner": {"S": owner},
                        ":until": {"N": repr(until)},
                        ":now": {"N": repr(now)},
                        ":fresh": {"N": repr(fresh_after)},
                    },
                )
                return True
            except ClientError as error:
                if condition_failed(error):
                    return False
                raise

    def write(self, token: str, expires_at: float, owner: str) -> None:
        with unavailable_on_aws_error(f"Storing the shared {self._what}"):
            self._client.update_item(
                TableName=self._table,
                Key=self._key,
                UpdateExpression="SET #token = :token, expires_at = :expires REMOVE lock_owner, lock_until",
                ExpressionAttributeNames={"#token": "token"},
                ExpressionAttributeValues={":token": {"S": token}, ":expires": {"N": str(int(expires_at))}},
            )

    def discard(self, token: str) -> None:
        with unavailable_on_aws_error(f"Discarding the shared {self._what}"):
            try:
                self._client.update_item(
                    TableName=self._table,
                    Key=self._key,
                    UpdateExpression="REMOVE #token",
                    ConditionExpression="#token = :token",
                    ExpressionAttributeNames={"#token": "token"},
                    ExpressionAttributeValues={":token": {"S": token}},
                )
            except ClientError as error:
                if not condition_failed(error):
                    raise
