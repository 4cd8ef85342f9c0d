"""Norce import jobs we started, tracked in the orders table (pk ``JOB#{job id}``) until they finish,
and which job carried each code (pk ``CODE#{kind}#{code}``)."""

import time
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
        """``JOB#{id}`` of a write-back import (never undoing an end Norce already told us of)."""
        from norce_integration.adapters.aws.dynamodb_events import record_started_job  # noqa: PLC0415

        values = {name: self._serialize(to_dynamo(value)) for name, value in {"kind": kind, **fields}.items()}
        with unavailable_on_aws_error("Recording the Norce import job"):
            record_started_job(self._client, self._table, job_id, at, values)

    def record_codes(self, kind: str, codes: list[str], job_id: int) -> None:
        for code in codes:
            with unavailable_on_aws_error("Recording the job of a code"):
                self._client.put_item(
                    TableName=self._table,
                    Item={
                        "pk": {"S": f"CODE#{kind}#{code}"},
                        "job_id": {"N": str(job_id)},
                        "expires_at": {"N": str(int(time.time() + JOB_RETENTION_SECONDS))},
                    },
                )

    def job_of_code(self, kind: str, code: str) -> dict[str, Any] | None:
        with unavailable_on_aws_error("Reading the job of a code"):
            item = self._client.get_item(
                TableName=self._table, Key={"pk": {"S": f"CODE#{kind}#{code}"}}, ConsistentRead=True
            ).get("Item")
            if not item:
                return None
            job_id = int(item["job_id"]["N"])
            job = self._client.get_item(
                TableName=self._table, Key={"pk": {"S": f"JOB#{job_id}"}}, ConsistentRead=True
            ).get("Item")
        status = job.get("status", {}).get("S") if job else None
        return {"job_id": job_id, "status": status}

    def set_status(self, job_id: int, status: str) -> None:
        with unavailable_on_aws_error("Updating the Norce import job"):
            self._client.update_item(
                TableName=self._table,
                Key={"pk": {"S": f"JOB#{job_id}"}},
                UpdateExpression="SET #status = :status",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":status": {"S": status}},
            )
