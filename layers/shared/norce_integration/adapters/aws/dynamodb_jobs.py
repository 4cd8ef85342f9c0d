"""Norce import jobs in the orders table: ``JOB#{id}`` records, the open jobs (``JOBS#OPEN``) and the
job of each written-back code (``CODE#{kind}#{code}``); the one DynamoDB adapter of ``jobs.ports``."""

import time
from typing import Any

from botocore.exceptions import ClientError

from norce_integration.adapters.aws.dynamodb_records import to_dynamo
from norce_integration.adapters.aws.errors import condition_failed, unavailable_on_aws_error
from norce_integration.contracts.connect import JobStatus
from norce_integration.jobs.ports import RecordedJob

JOB_RETENTION_SECONDS = 30 * 86400
FOREIGN_JOB_RETENTION_SECONDS = 7 * 86400  # Norce tells of every job: other integrations' are kept a week
OPEN_JOBS = "JOBS#OPEN"


class DynamoDbJobRecords:
    """``JOB#{id}`` of every job we started: by the write-back or an import, completed by the event or the
    follower. A job Norce told of that we did not start (another integration's, or ours before we
    recorded it) gets a short-lived record marked ``foreign_job``, never on the open jobs; recording our own
    job after such a note takes it back (the follower then completes it as ours). The jobs not known to be
    finished are a map in one item, ``JOBS#OPEN`` (job ids are few at a time); which job carried each
    write-back code is ``CODE#{kind}#{code}``."""

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

    def recorded(self, job_id: int) -> RecordedJob | None:
        with unavailable_on_aws_error("Reading the import job"):
            item = self._client.get_item(
                TableName=self._table, Key={"pk": {"S": f"JOB#{job_id}"}}, ConsistentRead=True
            ).get("Item", {})
        return _recorded(item)

    def complete(
        self,
        job_id: int,
        status: str,
        status_id: int,
        errors: list[str],
        at: float,
        *,
        applied: int | None = None,
    ) -> None:
        values: dict[str, Any] = {
            ":status": {"S": status},
            ":status_id": {"N": str(status_id)},
            ":at": {"N": str(at)},
            ":errors": {"L": [{"S": line} for line in errors]},
            ":job": {"N": str(job_id)},
            ":expires": {"N": str(int(at + JOB_RETENTION_SECONDS))},
        }
        assignments = (
            "#status = :status, status_id = :status_id, finished_at = :at, job_errors = :errors, "
            "job_id = :job, expires_at = if_not_exists(expires_at, :expires)"
        )
        if applied is not None:
            assignments += ", applied = :applied"
            values[":applied"] = {"N": str(applied)}
        with unavailable_on_aws_error("Recording the end of the import job"):
            self._client.update_item(
                TableName=self._table,
                Key={"pk": {"S": f"JOB#{job_id}"}},
                UpdateExpression="SET " + assignments,
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=values,
            )
            forget_open_job(self._client, self._table, job_id)

    def note_foreign(self, job_id: int, status: str, status_id: int, at: float) -> RecordedJob | None:
        with unavailable_on_aws_error("Noting a job this integration did not start"):
            try:
                self._client.update_item(
                    TableName=self._table,
                    Key={"pk": {"S": f"JOB#{job_id}"}},
                    UpdateExpression=(
                        "SET #status = :status, status_id = :status_id, finished_at = :at, job_id = :job, "
                        "foreign_job = :yes, expires_at = :expires"
                    ),
                    ConditionExpression="attribute_not_exists(started_at)",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues={
                        ":status": {"S": status},
                        ":status_id": {"N": str(status_id)},
                        ":at": {"N": str(at)},
                        ":job": {"N": str(job_id)},
                        ":yes": {"BOOL": True},
                        ":expires": {"N": str(int(at + FOREIGN_JOB_RETENTION_SECONDS))},
                    },
                )
            except ClientError as error:
                if not condition_failed(error):
                    raise
                return self.recorded(job_id)  # ours after all: recorded meanwhile
        return None

    def record(self, job_id: int, kind: str, at: float, **fields: Any) -> None:
        """``JOB#{id}`` of a write-back import (it goes on the open jobs)."""
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


def record_started_job(client: Any, table: str, job_id: int, at: float, fields: dict[str, Any]) -> None:
    """Write what we know of a job we just started into ``JOB#{id}`` and put it on ``JOBS#OPEN``. Norce may
    have told of its end before this record was written (JobCompletedEvent can be that fast): that end was
    noted as another integration's job, so the note is taken back and the follower completes the job as
    ours (its errors, its alarm, the shrink guard's reference)."""
    values = {f":{name}": value for name, value in fields.items() if name != "status"}
    assignments = [f"#{name} = :{name}" for name in fields if name != "status"]
    assignments += [
        "#status = :queued",
        "job_id = :job_id",
        "started_at = :started_at",
        "expires_at = :expires_at",
    ]
    names = {f"#{name}": name for name in fields if name != "status"} | {"#status": "status"}
    values |= {
        ":queued": {"S": JobStatus.QUEUED.label},
        ":job_id": {"N": str(job_id)},
        ":started_at": {"N": str(at)},
        ":expires_at": {"N": str(int(at + JOB_RETENTION_SECONDS))},
    }
    client.update_item(
        TableName=table,
        Key={"pk": {"S": f"JOB#{job_id}"}},
        UpdateExpression="SET " + ", ".join(assignments) + " REMOVE finished_at, foreign_job, status_id",
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )
    remember_open_job(client, table, job_id, at)


def validation_attribute(summary: dict[str, Any]) -> dict[str, Any]:
    """A JobResponse's ValidationSummary (``JobResponse.summary``) as a DynamoDB map."""
    items = summary.get("items")
    return {
        "M": {
            "items": {"N": str(items)} if items is not None else {"NULL": True},
            "failures": {"N": str(summary.get("failures") or 0)},
            "messages": {"L": [{"S": str(m)} for m in summary.get("messages") or []]},
        }
    }


def _recorded(item: dict[str, Any]) -> RecordedJob | None:
    """The record of a job we started (it has ``started_at``), else None."""
    if "started_at" not in item:
        return None
    number = lambda name: float(item[name]["N"]) if name in item else None  # noqa: E731
    records = number("records")
    status = item.get("status", {}).get("S")
    return RecordedJob(
        item.get("kind", {}).get("S"),
        item.get("mode", {}).get("S"),
        int(records) if records is not None else None,
        number("started_at"),
        status,
        "finished_at" in item,
    )


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
