"""Event handling's records in the orders table: the e-mail ledger (``MAIL#``), the sync state of Norce
customers and companies (``SYNC#``) and the end of import jobs (``JOB#``, started by the write-back)."""

from typing import Any

from botocore.exceptions import ClientError

from norce_integration.adapters.aws.dynamodb_jobs import JOB_RETENTION_SECONDS
from norce_integration.adapters.aws.errors import condition_failed, unavailable_on_aws_error
from norce_integration.events.ports import Claim, RecordedJob, SyncState

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


class DynamoDbJobRecords:
    """Completes ``JOB#{id}``; a job we did not start (another integration's) gets a record too. The
    jobs not known to be finished are a map in one item, ``JOBS#OPEN`` (job ids are few at a time)."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

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


OPEN_JOBS = "JOBS#OPEN"
FINISHED = ("Succeeded", "Failed", "ValidationFailed")


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
        ":queued": {"S": "Queued"},
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
    if status not in FINISHED:
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
