"""Norce Commerce Connect 4.0's customer service and its jobs: ``Customer/ImportCustomers``,
``Customer/ImportCompanies``, ``Job/Get`` and ``Job/GetLog``, as Norce publishes them.

A request Norce's schema refuses is answered 400 with a message, and makes no job: no
``X-StormConnect-Header`` (or one that is not one line of JSON, lacks ``AccountId`` or either
``*FieldsThatAreSet``, names a field that is not one of them, or has a property Norce does not document:
also ``FullFile`` unless the simulator is configured with that flag), a body that is not an array of
entities, an entity with a field Norce does not document or a value of another type, a company without
``ApplicationKey`` (a GUID). See ``customer_schema``.

Otherwise it answers a **JobResponse** ``{StatusCode, Description, JobId (a string), ValidationSummary}``
and applies the rows as Norce does (``customer_rows``): a row with nothing to match it by is refused by
validation (``ValidationSummary``, a log line); a row that cannot be applied (an Id Norce does not hold, a
new entity without a Code, a relation to a company or customer Norce does not hold) is refused with a log
line while the others are applied, and the job ends 3 Failed (4 Validation failed when only validation
refused rows). A full import (the configured flag, ``full_file_key``, true) then deactivates the others of
its kind; without that flag nothing is deactivated. A job is 1 Initialized until ``job_seconds`` passed;
then it sends JobCompletedEvent.
"""

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, Response, g, jsonify, request

from local.norce import customer_rows
from local.norce.connect import CONNECT
from local.norce.customer_schema import ENTITIES, header_problem, listed_fields
from local.norce.state import NorceState

JOB_STATUSES = {1: "Initialized", 2: "Succeeded", 3: "Failed", 4: "ValidationFailed"}


def register(app: Flask, state: NorceState) -> None:
    @app.post(f"{CONNECT}/Customer/ImportCustomers")
    def import_customers() -> tuple[Response, int]:
        return _import(state, "customers", "CustomerFieldsThatAreSet")

    @app.post(f"{CONNECT}/Customer/ImportCompanies")
    def import_companies() -> tuple[Response, int]:
        return _import(state, "companies", "CompanyFieldsThatAreSet")

    @app.get(f"{CONNECT}/Job/Get")
    def job_get() -> tuple[Response, int]:
        return _job_answer(state, lambda job: job_view(state, job))

    @app.get(f"{CONNECT}/Job/GetLog")
    def job_log() -> tuple[Response, int]:
        return _job_answer(state, lambda job: job["log"])


def _refuse(message: str) -> tuple[Response, int]:
    call = g.get("connect_call") or {}
    call["status"] = 400
    return jsonify({"Message": message}), 400


def _import(state: NorceState, kind: str, fields_key: str) -> tuple[Response, int]:
    """ImportCustomers / ImportCompanies, checked and applied as Norce does (see the module doc)."""
    raw_header = request.headers.get("X-StormConnect-Header") or ""
    if not raw_header or "\n" in raw_header or "\r" in raw_header:
        return _refuse("X-StormConnect-Header is required: one line of JSON with AccountId")
    try:
        header = json.loads(raw_header)
    except ValueError:
        return _refuse("X-StormConnect-Header is not valid JSON")
    problem = header_problem(header, state.full_file_key)
    if problem:
        return _refuse(problem)
    entities = g.get("connect_body")
    if entities is None:  # not JSON: an upload cut short, or never an import
        with state.lock:
            state.stats["aborted imports"] += 1
        return _refuse("the body is not a complete JSON array")
    if not isinstance(entities, list):
        return _refuse("the body must be an array of entities")
    check = ENTITIES[kind]
    for row, entity in enumerate(entities, start=1):
        problem = check(entity)
        if problem:
            return _refuse(f"Row {row}{'' if problem.startswith(('.', '[')) else ' '}{problem}")
    fields = listed_fields(header, fields_key)
    customer_fields = listed_fields(header, "CustomerFieldsThatAreSet")
    full = _full_import(state, header)
    call = g.get("connect_call") or {}
    with state.lock:
        job_id = next(state.job_ids)
        fail = state.faults.fail_jobs
        applied = (
            customer_rows.failed_whole(entities)
            if fail
            else customer_rows.apply(state, kind, entities, fields, customer_fields, full)
        )
        state.jobs[job_id] = {
            "JobId": job_id,
            "kind": kind,
            "count": len(entities),
            "full": full,
            "AccountId": header["AccountId"],
            "created": state.clock(),
            "started": datetime.now(UTC),
            "fail": fail,
            **applied,
        }
        call["status"] = 200
        state.stats[f"{kind} imported"] += len(entities)
        _complete_job_later(state, job_id)
        answer = job_response(state.jobs[job_id])
    return jsonify(answer), 200


def _full_import(state: NorceState, header: dict[str, Any]) -> bool:
    """A full import only where the configured flag says so (in the header or as an HTTP header)."""
    key = state.full_file_key
    if not key:
        return False
    return header.get(key) is True or request.headers.get(key, "").lower() == "true"


def job_response(job: dict[str, Any]) -> dict[str, Any]:
    """Under the lock: the JobResponse an import is answered with."""
    messages = list(job["validation"])
    return {
        "StatusCode": "OK",
        "Description": f"Job {job['JobId']} queued",
        "JobId": str(job["JobId"]),
        "ValidationSummary": {
            "NrOfItemsInTotal": job["count"],
            "NrOfValidationFailures": len(messages),
            "Messages": messages,
        },
    }


# -- jobs
def _job_answer(state: NorceState, answer: Any) -> tuple[Response, int]:
    """Job/Get and Job/GetLog alike: 400 for an id that is not an int32, 404 for a job Norce does not
    hold (the same answer from both)."""
    given = request.args.get("id", "")
    if not (given.isascii() and given.isdigit() and int(given) < 2**31):
        return jsonify({"Message": f"The value '{given[:50]}' is not valid for id."}), 400
    with state.lock:
        job = state.jobs.get(int(given))
        if job is None:
            return jsonify({"Message": f"No job with id {int(given)}"}), 404
        return jsonify(answer(job)), 200


def _complete_job_later(state: NorceState, job_id: int) -> None:
    """Under the lock: JobCompletedEvent when the job finishes (at once with ``job_seconds`` 0)."""
    if state.job_seconds <= 0:
        _complete_job(state, job_id)
        return
    timer = threading.Timer(state.job_seconds, _complete_job, args=(state, job_id))
    timer.daemon = True
    state.job_timers.add(timer)
    timer.start()


def _complete_job(state: NorceState, job_id: int) -> None:
    with state.lock:
        state.job_timers = {t for t in state.job_timers if t is not threading.current_thread()}
        job = state.jobs.get(job_id)
        if job is None:  # reset meanwhile
            return
        payload = {**state.event_ids(), "JobId": job_id, "StatusId": job_status(job)}
    state.events.emit("JobCompletedEvent", payload)


def job_view(state: NorceState, job: dict[str, Any]) -> dict[str, Any]:
    """Under the lock: Job/Get: 1 Initialized until ``job_seconds`` passed, then 2 Succeeded, 3 Failed or
    4 Validation failed (``job_status``); Insert/Updates count the rows applied, Fail the rows refused."""
    finished = state.clock() - job["created"] >= state.job_seconds
    started: datetime = job["started"]
    stopped = started + timedelta(seconds=state.job_seconds)
    now = datetime.now(UTC)
    return {
        "Fail": job["refused"] if finished else 0,
        "Insert": job["inserted"] if finished else 0,
        "IsFinished": finished,
        "JobId": job["JobId"],
        "LastUpdated": (stopped if finished else now).isoformat(),
        "RunTime": _timespan((stopped if finished else now) - started),
        "Start": started.isoformat(),
        "StatusId": job_status(job) if finished else 1,
        "Stop": stopped.isoformat() if finished else None,
        "StorageName": None,
        "Totals": job["count"],
        "Updates": job["updated"] if finished else 0,
    }


def _timespan(elapsed: timedelta) -> str:
    """.NET's TimeSpan text: ``hh:mm:ss.fffffff``."""
    seconds = max(elapsed.total_seconds(), 0.0)
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}.{int((seconds - whole) * 1e7):07d}"


def job_summary(state: NorceState, job: dict[str, Any]) -> dict[str, Any]:
    """Under the lock: a line of ``GET /_jobs``."""
    return {
        "JobId": job["JobId"],
        "kind": job["kind"],
        "count": job["count"],
        "full": job.get("full", False),
        "AccountId": job.get("AccountId"),
        "StatusId": job_view(state, job)["StatusId"],
        "inserted": job["inserted"],
        "updated": job["updated"],
        "refused": job["refused"],
        "validationFailures": len(job["validation"]),
        "errors": sum(1 for line in job["log"] if line["SeverityId"] >= 3),
    }


def job_status(job: dict[str, Any]) -> int:
    """A finished job's StatusId: 3 Failed (the ``failJobs`` fault, or rows Norce could not apply), 4
    Validation failed (only rows its validation refused), else 2 Succeeded."""
    if job["fail"] or job["refused"] > len(job["validation"]):
        return 3
    return 4 if job["validation"] else 2
