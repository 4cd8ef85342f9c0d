"""``import``: run a customer or company import now and follow its Norce jobs to their end.

Locally the import function runs through the local API (``POST /_local/schedules/{ScheduleName}``, like
``local/run_import.py``); on a stack the import function is invoked (``lambda.invoke``) with the same input
its schedules pass. Jobs are followed by running the function's ``{"action": "follow-jobs"}`` and reading
the ``JOB#{id}`` records until each job has ended.
"""

import json
import time
from collections.abc import Callable
from typing import Any

import requests
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ops.records import FINISHED_JOBS, SUCCEEDED, job_status
from ops.target import Target, TargetError

SCHEDULES = {
    ("customers", "delta"): "CustomersDelta",
    ("customers", "full"): "CustomersFull",
    ("companies", "delta"): "CompaniesDelta",
    ("companies", "full"): "CompaniesFull",
}
FOLLOW_SCHEDULE = "ImportJobsFollow"
IMPORT_FUNCTION = "ErpImportFunction"
GOOD_OUTCOMES = ("sent", "nothing_to_send")
# The import function may run 15 minutes; the invoke waits for its answer.
_LONG_CALL = Config(connect_timeout=5, read_timeout=910, retries={"max_attempts": 1, "mode": "standard"})


class ImportFailed(Exception):
    """The import function could not be run, or it failed (not an outcome: a crash, a timeout)."""


def run(target: Target, entity: str, mode: str, force: bool = False) -> dict[str, Any]:
    """The run's summary (``outcome``, ``sent``, ``skipped``, ``jobIds``, …)."""
    payload = {"entity": entity, "mode": mode, "force": force}
    return _call(target, SCHEDULES[(entity, mode)], payload)


def follow(target: Target) -> dict[str, Any]:
    """One pass of the job follower: ``succeeded``, ``failed``, ``late``, ``running``, ``unreadable``."""
    return _call(target, FOLLOW_SCHEDULE, {"action": "follow-jobs"})


def follow_jobs(
    target: Target,
    job_ids: list[int],
    *,
    timeout: float,
    poll: float,
    ended: Callable[[int], None],
    trouble: Callable[[Exception], None],
) -> tuple[dict[int, dict[str, Any] | None], bool]:
    """Run the job follower and read the JOB# records every ``poll`` seconds until every job has ended or
    ``timeout`` passes: (each job's record, timed out). ``ended`` hears how many have ended, ``trouble`` of
    a follower run that failed (the next look tries again)."""
    jobs: dict[int, dict[str, Any] | None] = dict.fromkeys(job_ids)
    deadline = time.monotonic() + timeout
    while True:
        try:
            follow(target)
        except (ImportFailed, ClientError, BotoCoreError) as error:
            trouble(error)
        jobs = {job: job_status(target.client("dynamodb"), target.table, job) for job in job_ids}
        finished = [job for job, row in jobs.items() if row and row["status"] in FINISHED_JOBS]
        ended(len(finished))
        if len(finished) == len(job_ids):
            return jobs, False
        if time.monotonic() >= deadline:
            return jobs, True
        time.sleep(poll)


def succeeded(summary: dict[str, Any], jobs: dict[int, dict[str, Any] | None]) -> bool:
    """A good outcome and no job that ended otherwise than Succeeded (exit code 0)."""
    failed_jobs = [job for job, row in jobs.items() if row and row["status"] != SUCCEEDED]
    return summary.get("outcome") in GOOD_OUTCOMES and not failed_jobs


def _call(target: Target, schedule: str, payload: dict[str, Any]) -> dict[str, Any]:
    if target.local:
        if not target.api_url:
            raise TargetError("the local target has no API URL")
        try:
            answer = requests.post(
                f"{target.api_url}/_local/schedules/{schedule}", json=payload, timeout=(5, 900)
            )
        except requests.RequestException as error:
            raise ImportFailed(f"the local API {target.api_url} did not answer: {error}") from error
        if answer.status_code != 200:
            raise ImportFailed(f"the local API answered {answer.status_code}: {answer.text[:300]}")
        return dict(answer.json())
    function = target.functions.get(IMPORT_FUNCTION)
    if not function:
        raise TargetError(f"stack {target.name} has no {IMPORT_FUNCTION}")
    answer = target.client("lambda", config=_LONG_CALL, variant="long").invoke(
        FunctionName=function, InvocationType="RequestResponse", Payload=json.dumps(payload).encode()
    )
    body = json.loads(answer["Payload"].read() or b"{}")
    if answer.get("FunctionError"):
        message = body.get("errorMessage") if isinstance(body, dict) else body
        raise ImportFailed(f"{function} failed: {message}")
    return dict(body)
