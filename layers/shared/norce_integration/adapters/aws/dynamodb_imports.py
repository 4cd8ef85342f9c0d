"""The import runs' records in the orders table: ``IMPORT#{entity}`` (the lock, the delta watermark, what
Norce applied of the last full import, the last run), ``IMPORTRUN#{entity}#{started}`` (each run's
summary) and ``JOB#{id}`` for each job started (with ``JOBS#OPEN``, which the job follower polls)."""

import json
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from norce_integration.adapters.aws.dynamodb_jobs import record_started_job, validation_attribute
from norce_integration.adapters.aws.errors import condition_failed, unavailable_on_aws_error
from norce_integration.imports.config import Entity
from norce_integration.imports.ports import ImportState, RunSummary, StartedJob

RUN_RETENTION_SECONDS = 90 * 86400


def _key(entity: Entity | str) -> dict[str, Any]:
    return {"pk": {"S": f"IMPORT#{entity}"}}


class DynamoDbImportStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def lock(self, entity: Entity, owner: str, now: float, lease_seconds: float) -> bool:
        with unavailable_on_aws_error("Taking the import lock"):
            try:
                self._client.update_item(
                    TableName=self._table,
                    Key=_key(entity),
                    UpdateExpression="SET lock_owner = :owner, lock_until = :until",
                    ConditionExpression="attribute_not_exists(lock_until) OR lock_until < :now",
                    ExpressionAttributeValues={
                        ":owner": {"S": owner},
                        ":until": {"N": str(now + lease_seconds)},
                        ":now": {"N": str(now)},
                    },
                )
            except ClientError as error:
                if condition_failed(error):
                    return False
                raise
        return True

    def unlock(self, entity: Entity, owner: str) -> None:
        with unavailable_on_aws_error("Releasing the import lock"):
            try:
                self._client.update_item(
                    TableName=self._table,
                    Key=_key(entity),
                    UpdateExpression="REMOVE lock_owner, lock_until",
                    ConditionExpression="lock_owner = :owner",
                    ExpressionAttributeValues={":owner": {"S": owner}},
                )
            except ClientError as error:
                if not condition_failed(error):
                    raise

    def state(self, entity: Entity) -> ImportState:
        with unavailable_on_aws_error("Reading the import state"):
            item = self._client.get_item(TableName=self._table, Key=_key(entity), ConsistentRead=True).get(
                "Item", {}
            )
        watermark = item.get("delta_watermark", {}).get("S")
        records = item.get("last_full_records", {}).get("N")
        job = item.get("last_full_job", {}).get("N")
        return ImportState(
            delta_watermark=datetime.fromisoformat(watermark) if watermark else None,
            last_full_records=int(records) if records is not None else None,
            last_full_job=int(job) if job is not None else None,
        )

    def move_watermark(self, entity: Entity, to: datetime) -> None:
        with unavailable_on_aws_error("Moving the delta watermark"):
            self._client.update_item(
                TableName=self._table,
                Key=_key(entity),
                UpdateExpression="SET delta_watermark = :to",
                ExpressionAttributeValues={":to": {"S": to.isoformat()}},
            )

    def job_started(self, job: StartedJob) -> None:
        fields = {
            "kind": {"S": job.entity.value},
            "mode": {"S": job.mode.value},
            "records": {"N": str(job.records)},
        }
        if job.validation is not None:
            fields["validation"] = validation_attribute(job.validation)
        with unavailable_on_aws_error("Recording the import job"):
            record_started_job(self._client, self._table, job.job_id, job.started_at, fields)

    def save_summary(self, summary: RunSummary) -> None:
        started = datetime.fromtimestamp(summary.started_at).astimezone().isoformat()
        text = json.dumps(summary.as_dict(), separators=(",", ":"))
        with unavailable_on_aws_error("Saving the import run's summary"):
            self._client.put_item(
                TableName=self._table,
                Item={
                    "pk": {"S": f"IMPORTRUN#{summary.entity}#{started}"},
                    "summary": {"S": text},
                    "expires_at": {"N": str(int(summary.started_at + RUN_RETENTION_SECONDS))},
                },
            )
            self._client.update_item(
                TableName=self._table,
                Key=_key(summary.entity),
                UpdateExpression="SET #last = :summary",
                ExpressionAttributeNames={"#last": f"last_{summary.mode}_run"},
                ExpressionAttributeValues={":summary": {"S": text}},
            )

    def full_applied(self, entity: str, records: int, job_id: int, started_at: float) -> None:
        """Only a newer full import replaces the reference (jobs may complete out of order)."""
        with unavailable_on_aws_error("Recording the ended full import"):
            try:
                self._client.update_item(
                    TableName=self._table,
                    Key=_key(entity),
                    UpdateExpression=(
                        "SET last_full_records = :records, last_full_job = :job, last_full_started = :started"
                    ),
                    ConditionExpression=(
                        "attribute_not_exists(last_full_started) OR last_full_started < :started"
                    ),
                    ExpressionAttributeValues={
                        ":records": {"N": str(records)},
                        ":job": {"N": str(job_id)},
                        ":started": {"N": str(started_at)},
                    },
                )
            except ClientError as error:
                if not condition_failed(error):
                    raise
