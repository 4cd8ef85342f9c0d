"""The intake ledger on DynamoDB: every transition is one conditional write."""

import json
from typing import Any

from botocore.exceptions import ClientError

from norce_integration.adapters.aws.errors import condition_failed, unavailable_on_aws_error
from norce_integration.orders.ledger import LedgerEntry, LedgerState
from norce_integration.snapstart import REHEARSAL, Rehearsals


class DynamoDbLedger:
    """Items: ``pk`` (S), ``state``, ``fingerprint``, ``token``, ``lease_until`` (N), ``archive_key``,
    ``response`` (JSON string), ``expires_at`` (N, the table's TTL attribute)."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    @staticmethod
    def rehearsals() -> Rehearsals:
        """A request's calls, for SnapStart's ``rehearse_calls`` (answered in-process; no real table)."""
        key = {"pk": {"S": "SNAPSTART#REHEARSAL"}}
        values = {":token": {"S": "rehearsal"}, ":state": {"S": "in_progress"}}
        return {
            "dynamodb": [
                (
                    "put_item",
                    {
                        "TableName": REHEARSAL,
                        "Item": {**key, "expires_at": {"N": "0"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    },
                ),
                (
                    "update_item",
                    {
                        "TableName": REHEARSAL,
                        "Key": key,
                        "UpdateExpression": "SET #state = :state",
                        "ConditionExpression": "#token = :token",
                        "ExpressionAttributeNames": {"#state": "state", "#token": "token"},
                        "ExpressionAttributeValues": values,
                    },
                ),
                ("get_item", {"TableName": REHEARSAL, "Key": key, "ConsistentRead": True}),
            ]
        }

    def claim(self, entry: LedgerEntry, expires_at: int) -> LedgerEntry | None:
        item = {
            "pk": {"S": entry.key},
            "state": {"S": entry.state.value},
            "fingerprint": {"S": entry.fingerprint},
            "token": {"S": entry.token},
            "lease_until": {"N": repr(entry.lease_until)},
            "archive_key": {"S": entry.archive_key or ""},
            "expires_at": {"N": str(expires_at)},
        }
        with unavailable_on_aws_error("Recording the order in the ledger"):
            try:
                self._client.put_item(
                    TableName=self._table,
                    Item=item,
                    ConditionExpression="attribute_not_exists(pk)",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
                return None
            except ClientError as error:
                if not condition_failed(error):
                    raise
                old: dict[str, Any] | None = error.response.get("Item")  # type: ignore[assignment]
                return _entry(old) if old else self.get(entry.key)

    def get(self, key: str) -> LedgerEntry | None:
        with unavailable_on_aws_error("Reading the order ledger"):
            item = self._client.get_item(
                TableName=self._table, Key={"pk": {"S": key}}, ConsistentRead=True
            ).get("Item")
        return _entry(item) if item else None

    def take_over(self, expired_token: str, claim: LedgerEntry, now: float) -> bool:
        return self._update(
            claim.key,
            "SET #token = :new, lease_until = :lease, fingerprint = :fingerprint, archive_key = :archive_key",
            "#state = :in_progress AND #token = :old AND lease_until <= :now",
            {
                ":new": {"S": claim.token},
                ":lease": {"N": repr(claim.lease_until)},
                ":fingerprint": {"S": claim.fingerprint},
                ":archive_key": {"S": claim.archive_key or ""},
                ":old": {"S": expired_token},
                ":now": {"N": repr(now)},
                ":in_progress": {"S": LedgerState.IN_PROGRESS.value},
            },
        )

    def complete(self, key: str, token: str, response: dict[str, Any]) -> bool:
        """ACCEPTED if still ours; True also when it already was (idempotent for the same token)."""
        accepted = self._update(
            key,
            "SET #state = :accepted, #response = :response",
            "#token = :token AND #state = :in_progress",
            {
                ":accepted": {"S": LedgerState.ACCEPTED.value},
                ":response": {"S": json.dumps(response)},
                ":token": {"S": token},
                ":in_progress": {"S": LedgerState.IN_PROGRESS.value},
            },
        )
        if accepted:
            return True
        current = self.get(key)
        return current is not None and current.token == token and current.state is LedgerState.ACCEPTED

    def release(self, key: str, token: str) -> None:
        with unavailable_on_aws_error("Releasing the order claim"):
            try:
                self._client.delete_item(
                    TableName=self._table,
                    Key={"pk": {"S": key}},
                    ConditionExpression="#token = :token AND #state = :in_progress",
                    ExpressionAttributeNames={"#token": "token", "#state": "state"},
                    ExpressionAttributeValues={
                        ":token": {"S": token},
                        ":in_progress": {"S": LedgerState.IN_PROGRESS.value},
                    },
                )
            except ClientError as error:
                if not condition_failed(error):
                    raise

    def admit(self, key: str, token: str, response: dict[str, Any]) -> bool:
        return self.complete(key, token, response)

    def _update(self, key: str, update: str, condition: str, values: dict[str, Any]) -> bool:
        names = {"#token": "token", "#state": "state", "#response": "response"}
        used = {name: value for name, value in names.items() if name in update or name in condition}
        with unavailable_on_aws_error("Updating the order ledger"):
            try:
                self._client.update_item(
                    TableName=self._table,
                    Key={"pk": {"S": key}},
                    UpdateExpression=update,
                    ConditionExpression=condition,
                    ExpressionAttributeNames=used,
                    ExpressionAttributeValues=values,
                )
                return True
            except ClientError as error:
                if condition_failed(error):
                    return False
                raise


def _entry(item: dict[str, Any]) -> LedgerEntry:
    response = item.get("response", {}).get("S")
    return LedgerEntry(
        key=item["pk"]["S"],
        state=LedgerState(item["state"]["S"]),
        fingerprint=item["fingerprint"]["S"],
        token=item["token"]["S"],
        lease_until=float(item["lease_until"]["N"]),
        response=json.loads(response) if response else None,
        archive_key=item.get("archive_key", {}).get("S") or None,
    )
