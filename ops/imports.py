"""``import``: run a customer or company import now and follow its Norce jobs to their end.

Locally the import function runs through the local API (``POST /_local/schedules/{ScheduleName}``, like
``local/run_import.py``); on a stack the import function is invoked (``lambda.invoke``) with the same input
its schedules pass. Jobs are followed by running the function's ``{"action": "follow-jobs"}`` and reading
the ``JOB#{id}`` records until each job has ended.
"""

import json
from typing import Any

import requests
from botocore.config import Config

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
