"""The lifecycle document ledger (``DOC#{key}``), the door's book of accepted documents (on the order's
record), the order index (``REF#``, ``ERPNO#``) and the poll's watermark (``WATERMARK#``), all in the
orders table."""

import hashlib
import json
import time
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from norce_integration.adapters.aws.dynamodb_records import from_dynamo, to_dynamo
from norce_integration.adapters.aws.errors import condition_failed, unavailable_on_aws_error
from norce_integration.lifecycle.ports import Begun, Book, DocumentState, Entry, Pending, Watermark
from norce_integration.orders.records import IndexedOrder
from norce_integration.snapstart import REHEARSAL, Rehearsals

DOCUMENT_RETENTION_SECONDS = 400 * 86400  # a repeat "weeks later" is still recognised
_OPEN = [DocumentState.UNKNOWN.value, DocumentState.WAITING.value, DocumentState.PARKED.value]
_LONGEST_KEY = 1024  # bytes of ``DOC#{key}`` kept as they are (DynamoDB takes 2048 for a partition key)


def document_pk(key: str) -> str:
    """The ledger item of a document: ``DOC#{key}``, or ``DOC#sha256:{hash}`` for a key too long for
    DynamoDB (a number the door refuses, already on the queue): it can still be parked and shown."""
    pk = f"DOC#{key}"
    try:
        if len(pk.encode()) <= _LONGEST_KEY:
            return pk
    except UnicodeEncodeError:  # a lone surrogate: not UTF-8, so not a key DynamoDB can hold
        pass
    return "DOC#sha256:" + hashlib.sha256(pk.encode("utf-8", "surrogatepass")).hexdigest()


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
                    Key={"pk": {"S": document_pk(key)}},
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
                    Key={"pk": {"S": document_pk(key)}},
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
                TableName=self._table, Key={"pk": {"S": document_pk(key)}}, ConsistentRead=True
            ).get("Item")
        return {n: from_dynamo(self._deserialize(v)) for n, v in item.items()} if item else None


class DynamoDbAcceptedBooks:
    """The door's book of an order (``documents_accepted``, ``documents_accepted_version``) on the order's
    record (its ledger item ``ORDER#...``): every write is conditional on the version read."""

    def __init__(self, client: Any, table_name: str) -> None:
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer  # noqa: PLC0415 - with boto3

        self._client = client
        self._table = table_name
        self._serialize = TypeSerializer().serialize
        self._deserialize = TypeDeserializer().deserialize

    @staticmethod
    def rehearsals() -> Rehearsals:
        """A request's calls, for SnapStart's ``rehearse_calls`` (answered in-process; no real table)."""
        key = {"pk": {"S": "SNAPSTART#REHEARSAL"}}
        return {"dynamodb": [("get_item", {"TableName": REHEARSAL, "Key": key, "ConsistentRead": True})]}

    def read(self, order_key: str) -> Book:
        with unavailable_on_aws_error("Reading the order's accepted documents"):
            item = (
                self._client.get_item(
                    TableName=self._table,
                    Key={"pk": {"S": order_key}},
                    ConsistentRead=True,
                    ProjectionExpression="documents_accepted, documents_accepted_version",
                ).get("Item")
                or {}
            )
        version = int(item.get("documents_accepted_version", {}).get("N", "0"))
        stored = self._deserialize(item["documents_accepted"]) if "documents_accepted" in item else {}
        entries = {
            kind: {
                number: Entry(
                    str(entry["fingerprint"]),
                    str(entry["total"]) if entry.get("total") is not None else None,
                    {str(line): str(quantity) for line, quantity in (entry.get("lines") or {}).items()},
                )
                for number, entry in numbers.items()
            }
            for kind, numbers in stored.items()
        }
        return Book(version, entries)

    def write(self, order_key: str, book: Book) -> bool:
        stored = {
            kind: {
                number: {
                    "fingerprint": entry.fingerprint,
                    **({"total": entry.total} if entry.total is not None else {}),
                    "lines": dict(entry.lines),
                }
                for number, entry in numbers.items()
            }
            for kind, numbers in book.entries.items()
        }
        previous = book.version - 1
        values: dict[str, Any] = {":book": self._serialize(stored), ":version": {"N": str(book.version)}}
        if previous == 0:
            condition = "attribute_exists(pk) AND attribute_not_exists(documents_accepted_version)"
        else:
            condition = "documents_accepted_version = :previous"
            values[":previous"] = {"N": str(previous)}
        with unavailable_on_aws_error("Recording the accepted document"):
            try:
                self._client.update_item(
                    TableName=self._table,
                    Key={"pk": {"S": order_key}},
                    UpdateExpression="SET documents_accepted = :book, documents_accepted_version = :version",
                    ConditionExpression=condition,
                    ExpressionAttributeValues=values,
                )
            except ClientError as error:
                if not condition_failed(error):
                    raise
                return False
        return True


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
        pending = tuple(
            Pending(entry["document"], float(entry["first_seen"]))
            for entry in json.loads(item.get("pending", {}).get("S", "[]"))
        )
        return Watermark(datetime.fromisoformat(item["at"]["S"]), numbers, pending)

    def put(self, name: str, watermark: Watermark) -> None:
        item = {
            "pk": {"S": f"WATERMARK#{name}"},
            "at": {"S": watermark.at.isoformat()},
            "document_nos": {"L": [{"S": number} for number in watermark.document_nos]},
        }
        if (
            watermark.pending
        ):  # the documents of orders not known yet, as the ERP's JSON (bounded by the poll)
            pending = [{"document": p.document, "first_seen": p.first_seen} for p in watermark.pending]
            item["pending"] = {"S": json.dumps(pending, ensure_ascii=False, separators=(",", ":"))}
        with unavailable_on_aws_error("Saving the poll's watermark"):
            self._client.put_item(TableName=self._table, Item=item)
