"""Norce import jobs we started, tracked in the orders table (pk ``JOB#{job id}``) until they finish."""

from typing import Any

from norce_integration.adapters.aws.dynamodb_records import to_dynamo
from norce_integration.adapters.aws.errors import unavailable_on_aws_error

JOB_RETENTION_SECONDS = 30 * 86400


class DynamoDbJobTracker:
    def __init__(self, client: Any, table_name: str) -> None:
        from boto3.dynamodb.types import TypeSerializer  # noqa: PLC0415 - with boto3

        self._client = client
        self._table = table_name
        self._serialize = TypeSerializer().serialize

    def record(self, job_id: int, kind: str, at: float, **fields: Any) -> None:
        item = {
            "pk": f"JOB#{job_id}",
            "job_id": job_id,
            "kind": kind,
            "started_at": at,
            "expires_at": int(at + JOB_RETENTION_SECONDS),
            **fields,
        }
        with unavailable_on_aws_error("Recording the Norce import job"):
            self._client.put_item(
                TableName=self._table,
                Item={name: self._serialize(to_dynamo(value)) for name, value in item.items()},
            )
