"""The lifecycle document ledger (``DOC#{key}``), order index (``REF#``, ``ERPNO#``) and the poll's
watermark (``WATERMARK#``), all in the orders table."""

import time
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from norce_integration.adapters.aws.dynamodb_records import from_dynamo, to_dynamo
from norce_integration.adapters.aws.errors import condition_failed, unavailable_on_aws_error
from norce_integration.lifecycle.ports import Begun, DocumentState, Watermark
from norce_integration.orders.records import IndexedOrder
from norce_integration.snapstart import REHEARSAL, Rehearsals

DOCUMENT_RETENTION_SECONDS = 400 * 86400  # a repeat "weeks later" is still recognised
_OPEN = [DocumentState.UNKNOWN.value, DocumentState.WAITING.value, DocumentState.PARKED.value]


class DynamoDbDocumentLedger:
    def __init__(self, client: Any, table_name: str) -> None:
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer  # noqa: PLC0415 - with boto3

        self._client = client
        self._table = table_name
        self._serialize = TypeSerializer().serialize
        self._deserialize = TypeDeserializer().deserialize

    def begin(self, key: str, token: str, now: float, lease_until: float, order_key: str) -> Begun:
        with unavailable_on_aws_error("Taking the lifecycle document"):
            try:
                old = self._client.update_item(
                    TableName=self._table,
                    Key={"pk": {"S": f"DOC#{key}"}},
                    UpdateExpression=(
                        "SET #state = :sending, #token = :token, lease_until = :lease, order_key = :order, "
                        "expires_at = :expires ADD attempts :one"
                    ),
                    ConditionExpression=(
                        "attribute_not_exists(pk) OR #state IN (:unknown, :waiting, :parked) "
                        "OR (#state = :sending AND lease_until < :now)"
                    ),
                    ExpressionAttributeNames={"#state": "state", "#token": "token"},
                    ExpressionAttributeValues={
                        ":sending": {"S": DocumentState.SENDING.value},
                        ":unknown": {"S": _OPEN[0]},
                        ":waiting": {"S": _OPEN[1]},
                        ":parked": {"S": _OPEN[2]},
                        ":token": {"S": token},
                        ":lease": {"N": repr(lease_until)},
                        ":order": {"S": order_key},
                        ":now": {"N": repr(now)},
                        ":one": {"N": "1"},
                        ":expires": {"N": str(int(now + DOCUMENT_RETENTION_SECONDS))},
                    },
                    ReturnValues="ALL_OLD",
                ).get("Attributes")
            except ClientError as error:
                if not condition_failed(error):
                    raise
                current = self.get(key) or {}
                return Begun(False, DocumentState(current["state"]) if "state" in current else None)
        if not old:
            return Begun(True, None)
        state = DocumentState(old["state"]["S"])
        maybe_sent = state in (DocumentState.SENDING, DocumentState.UNKNOWN) or bool(
            old.get("maybe_sent", {}).get("BOOL")
        )
        return Begun(True, state, maybe_sent)

    def finish(self, key: str, token: str, state: DocumentState, **fields: Any) -> None:
        names = {"#state": "state", "#token": "token"}
        values: dict[str, Any] = {":state": {"S": state.value}, ":token": {"S": token}}
        sets = ["#state = :state"]
        for index, (name, value) in enumerate(fields.items()):
            names[f"#f{index}"], values[f":f{index}"] = name, self._serialize(to_dynamo(value))
            sets.append(f"#f{index} = :f{index}")
        with unavailable_on_aws_error("Recording the lifecycle document"):
            try:
                self._client.update_item(
                    TableName=self._table,
                    Key={"pk": {"S": f"DOC#{key}"}},
                    UpdateExpression="SET " + ", ".join(sets),
                    ConditionExpression="#token = :token",
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                )
            except ClientError as error:
                if not condition_failed(error):  # another attempt took over: its outcome counts
                    raise

    def get(self, key: str) -> dict[str, Any] | None:
        with unavailable_on_aws_error("Reading the lifecycle document"):
            item = self._client.get_item(
                TableName=self._table, Key={"pk": {"S": f"DOC#{key}"}}, ConsistentRead=True
            ).get("Item")
        return {n: from_dynamo(self._deserialize(v)) for n, v in item.items()} if item else None


class DynamoDbOrderIndex:
    """``REF#{ClientOrderRef}`` and ``ERPNO#{ErpOrderNo}`` -> the order's record key."""

    def __init__(self, client: Any, table_name: str, retention_days: int = 400) -> None:
        self._client = client
        self._table = table_name
        self._retention = retention_days * 86400

    @staticmethod
    def rehearsals() -> Rehearsals:
        """A request's call, for SnapStart's ``rehearse_calls`` (answered in-process; no real table)."""
        return {
            "dynamodb": [("get_item", {"TableName": REHEARSAL, "Key": {"pk": {"S": "SNAPSTART#REHEARSAL"}}})]
        }

    def find(self, *, client_order_ref: str | None, erp_order_no: str | None) -> IndexedOrder | None:
        for pk in (
            f"REF#{client_order_ref}" if client_order_ref else None,
            f"ERPNO#{erp_order_no}" if erp_order_no else None,
        ):
            if pk is None:
                continue
            with unavailable_on_aws_error("Finding the order"):
                item = self._client.get_item(TableName=self._table, Key={"pk": {"S": pk}}).get("Item")
            if item:
                return IndexedOrder(
                    item["order_key"]["S"],
                    item["client_order_ref"]["S"],
                    item.get("erp_order_no", {}).get("S"),
                )
        return None

    def remember(self, order: IndexedOrder) -> None:
        item = {
            "order_key": {"S": order.order_key},
            "client_order_ref": {"S": order.client_order_ref},
            "expires_at": {"N": str(int(time.time() + self._retention))},
        }
        if order.erp_order_no:
            item["erp_order_no"] = {"S": order.erp_order_no}
        keys = [f"REF#{order.client_order_ref}"] + (
            [f"ERPNO#{order.erp_order_no}"] if order.erp_order_no else []
        )
        for pk in keys:
            with unavailable_on_aws_error("Indexing the order"):
                self._client.put_item(TableName=self._table, Item={"pk": {"S": pk}, **item})


class DynamoDbWatermarks:
    """``WATERMARK#{name}``: how far the poll has read the ERP's change feed (no expiry)."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, name: str) -> Watermark | None:
        with unavailable_on_aws_error("Reading the poll's watermark"):
            item = self._client.get_item(
                TableName=self._table, Key={"pk": {"S": f"WATERMARK#{name}"}}, ConsistentRead=True
            ).get("Item")
        if not item:
            return None
        numbers = tuple(value["S"] for value in item.get("document_nos", {}).get("L", []))
        return Watermark(datetime.fromisoformat(item["at"]["S"]), numbers)

    def put(self, name: str, watermark: Watermark) -> None:
        with unavailable_on_aws_error("Saving the poll's watermark"):
            self._client.put_item(
                TableName=self._table,
                Item={
                    "pk": {"S": f"WATERMARK#{name}"},
                    "at": {"S": watermark.at.isoformat()},
                    "document_nos": {"L": [{"S": number} for number in watermark.document_nos]},
                },
            )
