"""Event handling's records in the orders table: the e-mail ledger (``MAIL#``), the sync state of Norce
customers and companies (``SYNC#``); import jobs live in ``dynamodb_jobs``."""

from typing import Any

from botocore.exceptions import ClientError

from norce_integration.adapters.aws.errors import condition_failed, unavailable_on_aws_error
from norce_integration.events.ports import Claim, SyncState

MAIL_RETENTION_SECONDS = 400 * 86400
SYNC_RETENTION_SECONDS = 400 * 86400
SEND_LEASE_SECONDS = 180  # longer than the event processor's timeout: a live attempt is never in doubt


class DynamoDbNotificationLedger:
    def __init__(self, client: Any, table_name: str, lease_seconds: float = SEND_LEASE_SECONDS) -> None:
        self._client = client
        self._table = table_name
        self._lease = lease_seconds

    def claim(self, key: str, now: float) -> Claim:
        with unavailable_on_aws_error("Claiming the e-mail"):
            try:
                self._client.put_item(
                    TableName=self._table,
                    Item={
                        "pk": {"S": key},
                        "state": {"S": "SENDING"},
                        "lease_until": {"N": str(now + self._lease)},
                        "expires_at": {"N": str(int(now + MAIL_RETENTION_SECONDS))},
                    },
                    ConditionExpression="attribute_not_exists(pk)",
                )
                return Claim.CLAIMED
            except ClientError as error:
                if not condition_failed(error):
                    raise
            item = self._client.get_item(TableName=self._table, Key={"pk": {"S": key}}, ConsistentRead=True)
            return self._existing(key, item.get("Item"), now)

    def _existing(self, key: str, item: dict[str, Any] | None, now: float) -> Claim:
        if item is None:  # released between our put and get: the next attempt claims it
            return Claim.BUSY
        state = item["state"]["S"]
        if state == "SENT":
            return Claim.SENT
        if state == "SENDING" and float(item["lease_until"]["N"]) > now:
            return Claim.BUSY
        if state == "SENDING":  # the attempt died between the mail service and us: it may have gone out
            self._client.update_item(
                TableName=self._table,
                Key={"pk": {"S": key}},
                UpdateExpression="SET #state = :doubt",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={":doubt": {"S": "IN_DOUBT"}},
            )
        return Claim.IN_DOUBT

    def sent(self, key: str, message_id: str, now: float) -> None:
        with unavailable_on_aws_error("Recording the sent e-mail"):
            self._client.update_item(
                TableName=self._table,
                Key={"pk": {"S": key}},
                UpdateExpression="SET #state = :sent, message_id = :id, sent_at = :at REMOVE lease_until",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":sent": {"S": "SENT"},
                    ":id": {"S": message_id},
                    ":at": {"N": str(now)},
                },
            )

    def release(self, key: str) -> None:
        with unavailable_on_aws_error("Releasing the e-mail claim"):
            try:
                self._client.delete_item(
                    TableName=self._table,
                    Key={"pk": {"S": key}},
                    ConditionExpression="#state = :sending",
                    ExpressionAttributeNames={"#state": "state"},
                    ExpressionAttributeValues={":sending": {"S": "SENDING"}},
                )
            except ClientError as error:
                if not condition_failed(error):
                    raise


class DynamoDbSyncStates:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, key: str) -> SyncState | None:
        with unavailable_on_aws_error("Reading the sync state"):
            item = self._client.get_item(
                TableName=self._table, Key={"pk": {"S": key}}, ConsistentRead=True
            ).get("Item")
        if not item:
            return None
        updated = item.get("norce_updated", {}).get("S")
        ours = item.get("erp_changed_at", {}).get("S")
        busy = item.get("busy_until", {}).get("N")
        return SyncState(
            float(item["read_at"]["N"]),
            updated,
            int(item["version"]["N"]),
            ours,
            float(busy) if busy is not None else None,
            item.get("erp_before", {}).get("S"),
        )

    def save(self, key: str, state: SyncState, expected_version: int | None) -> bool:
        item: dict[str, Any] = {
            "pk": {"S": key},
            "read_at": {"N": str(state.read_at)},
            "version": {"N": str(state.version)},
            "expires_at": {"N": str(int(state.read_at + SYNC_RETENTION_SECONDS))},
        }
        if state.norce_updated:
            item["norce_updated"] = {"S": state.norce_updated}
        if state.erp_changed_at:
            item["erp_changed_at"] = {"S": state.erp_changed_at}
        if state.erp_before:
            item["erp_before"] = {"S": state.erp_before}
        if state.busy_until is not None:
            item["busy_until"] = {"N": str(state.busy_until)}
        condition: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(pk)"}
            if expected_version is None
            else {
                "ConditionExpression": "version = :expected",
                "ExpressionAttributeValues": {":expected": {"N": str(expected_version)}},
            }
        )
        with unavailable_on_aws_error("Saving the sync state"):
            try:
                self._client.put_item(TableName=self._table, Item=item, **condition)
            except ClientError as error:
                if condition_failed(error):
                    return False
                raise
        return True
