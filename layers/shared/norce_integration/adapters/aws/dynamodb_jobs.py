"""Norce import jobs in the orders table: ``JOB#{id}`` records, the open jobs (``JOBS#OPEN``) and the
job of each written-back code (``CODE#{kind}#{code}``); the one DynamoDB adapter of ``jobs.ports``."""

import time
from typing import Any

from botocore.exceptions import ClientError

from norce_integration.adapters.aws.dynamodb_records import to_dynamo
from norce_integration.adapters.aws.errors import condition_failed, unavailable_on_aws_error
from norce_integration.contracts.connect import FINISHED_LABELS, JobStatus
from norce_integration.jobs.ports import RecordedJob

JOB_RETENTION_SECONDS = 30 * 86400
OPEN_JOBS = "JOBS#OPEN"


class DynamoDbJobRecords:
    """``JOB#{id}`` of every job: started by the write-back or an import (never undoing an end Norce told
    us of first), completed (a job we did not start, another integration's, gets a record too). The jobs
    not known to be finished are a map in one item, ``JOBS#OPEN`` (job ids are few at a time); which job
    carried each write-back code is ``CODE#{kind}#{code}``."""

    def __init__(self, client: Any, table_name: str) -> None:
        from boto3.dynamodb.types import TypeSerializer  # noqa: PLC0415 - with boto3

        self._client = client
        self._table = table_name
        self._serialize = TypeSerializer().serialize

    def open_jobs(self) -> dict[int, float]:
        with unavailable_on_aws_error("Reading the open import jobs"):
            item = self._client.get_item(
                TableName=self._table, Key={"pk": {"S": OPEN_JOBS}}, ConsistentRead=True
            ).get("Item", {})
        return {int(name[1:]): float(value["N"]) for name, value in item.get("jobs", {}).get("M", {}).items()}

    def complete(
        self, job_id: int, status: str, status_id: int, errors: list[str], at: float
    ) -> RecordedJob | None:
        values: dict[str, Any] = {
            ":status": {"S": status},
            ":status_id": {"N": str(status_id)},
            ":at": {"N": str(at)},
            ":errors": {"L": [{"S": line} for line in errors]},
            ":job": {"N": str(job_id)},
            ":expires": {"N": str(int(at + JOB_RETENTION_SECONDS))},
        }
        with unavailable_on_aws_error("Recording the end of the import job"):
            old = self._client.update_item(
                TableName=self._table,
                Key={"pk": {"S": f"JOB#{job_id}"}},
                UpdateExpression=(
                    "SET #status = :status, status_id = :status_id, finished_at = :at, job_errors = :errors, "
                    "job_id = :job, expires_at = if_not_exists(expires_at, :expires)"
                ),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=values,
                ReturnValues="ALL_OLD",
            ).get("Attributes", {})
            forget_open_job(self._client, self._table, job_id)
        if "job_id" not in old:
            return None
        number = lambda name: float(old[name]["N"]) if name in old else None  # noqa: E731
        records = number("records")
        return RecordedJob(
            old.get("kind", {}).get("S"),
            old.get("mode", {}).get("S"),
            int(records) if records is not None else None,
            number("started_at"),
        )

    def record(self, job_id: int, kind: str, at: float, **fields: Any) -> None:
        """``JOB#{id}`` of a write-back import (never undoing an end Norce already told us of)."""
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


def record_started_job(client: Any, table: str, job_id: int, at: float, fields: dict[str, Any]) -> str | None:
    """Write what we know of a job we just started into ``JOB#{id}`` without undoing its end: Norce may
    tell us the job finished (JobCompletedEvent) before our own record is written. Returns the status it
    already had (None for a new record); an unfinished job goes on ``JOBS#OPEN``."""
    values = {f":{name}": value for name, value in fields.items() if name != "status"}
    assignments = [f"#{name} = :{name}" for name in fields if name != "status"]
    assignments += [
        "#status = if_not_exists(#status, :queued)",
        "job_id = :job_id",
        "started_at = :started_at",
        "expires_at = if_not_exists(expires_at, :expires_at)",
    ]
    names = {f"#{name}": name for name in fields if name != "status"} | {"#status": "status"}
    values |= {
        ":queued": {"S": JobStatus.QUEUED.label},
        ":job_id": {"N": str(job_id)},
        ":started_at": {"N": str(at)},
        ":expires_at": {"N": str(int(at + JOB_RETENTION_SECONDS))},
    }
    old = client.update_item(
        TableName=table,
        Key={"pk": {"S": f"JOB#{job_id}"}},
        UpdateExpression="SET " + ", ".join(assignments),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
        ReturnValues="ALL_OLD",
    ).get("Attributes", {})
    status = old.get("status", {}).get("S")
    if status not in FINISHED_LABELS:
        remember_open_job(client, table, job_id, at)
    return status


def remember_open_job(client: Any, table: str, job_id: int, started_at: float) -> None:
    """Put a started job on ``JOBS#OPEN`` (the follower polls these until they finish)."""
    client.update_item(
        TableName=table,
        Key={"pk": {"S": OPEN_JOBS}},
        UpdateExpression="SET jobs = if_not_exists(jobs, :empty)",
        ExpressionAttributeValues={":empty": {"M": {}}},
    )
    client.update_item(
        TableName=table,
        Key={"pk": {"S": OPEN_JOBS}},
        UpdateExpression="SET jobs.#job = :started",
        ExpressionAttributeNames={"#job": f"j{job_id}"},
        ExpressionAttributeValues={":started": {"N": str(started_at)}},
    )


def forget_open_job(client: Any, table: str, job_id: int) -> None:
    try:
        client.update_item(
            TableName=table,
            Key={"pk": {"S": OPEN_JOBS}},
            UpdateExpression="REMOVE jobs.#job",
            ConditionExpression="attribute_exists(jobs)",
            ExpressionAttributeNames={"#job": f"j{job_id}"},
        )
    except ClientError as error:
        if not condition_failed(error):
            raise
