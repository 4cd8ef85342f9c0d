"""Norce Commerce Connect 4.0's customer service and its jobs: ``Customer/ImportCustomers``,
``Customer/ImportCompanies``, ``Job/Get`` and ``Job/GetLog``.

Imports, as Norce applies them: they need ``X-StormConnect-Header`` with ``AccountId``, whose field lists
may name only Connect's Customer/Company fields (else 400), and answer a job id (a bare JSON integer, our
choice). Records are matched by Id, then Code, then EmailAddress / OrganizationNo (indexed), only the listed
fields are written, every entity named is active and gets ``Updated``; a full import (``FullFile`` in the
header, our choice) deactivates the others of its kind. A record without a match key, or a customer whose
Companies Norce does not hold, is a job log line, and the job ends 4 (Validation failed: only records
without a match key) or 3 (Failed: a customer's company missing, or the ``failJobs`` fault). A job is
Queued until ``job_seconds`` passed; then it sends JobCompletedEvent.
"""

import json
import threading
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, jsonify, request

from local.norce.connect import CONNECT
from local.norce.state import NATURAL_KEYS, NorceState, scalar

# The field names X-StormConnect-Header may list (Connect's Customer Service 4.0 entities); another name
# answers 400
CUSTOMER_FIELDS = frozenset(
    [
        "Id",
        "Code",
        "ApplicationKey",
        "EmailAddress",
        "FirstName",
        "LastName",
        "PhoneNumber",
        "CellPhoneNumber",
        "InvoiceAddress",
        "DeliveryAddresses",
        "Companies",
        "PriceLists",
        "Accounts",
        "IsActive",
    ]
)
COMPANY_FIELDS = frozenset(
    [
        "Id",
        "Code",
        "ApplicationKey",
        "OrganizationNo",
        "Name",
        "VatNo",
        "EmailAddress",
        "PhoneNumber",
        "InvoiceAddress",
        "DeliveryAddresses",
        "Customers",
        "PriceLists",
        "IsActive",
    ]
)
FIELD_LISTS = {"CustomerFieldsThatAreSet": CUSTOMER_FIELDS, "CompanyFieldsThatAreSet": COMPANY_FIELDS}


def register(app: Flask, state: NorceState) -> None:
    @app.post(f"{CONNECT}/Customer/ImportCustomers")
    def import_customers() -> tuple[Response, int]:
        return _import(state, "customers", "CustomerFieldsThatAreSet")

    @app.post(f"{CONNECT}/Customer/ImportCompanies")
    def import_companies() -> tuple[Response, int]:
        return _import(state, "companies", "CompanyFieldsThatAreSet")

    @app.get(f"{CONNECT}/Job/Get")
    def job_get() -> tuple[Response, int]:
        with state.lock:
            job = state.jobs.get(int(request.args.get("id", "0")))
            if job is None:
                return jsonify({"Message": "no such job"}), 404
            return jsonify(job_view(state, job)), 200

    @app.get(f"{CONNECT}/Job/GetLog")
    def job_log() -> tuple[Response, int]:
        with state.lock:
            job = state.jobs.get(int(request.args.get("id", "0")))
            return jsonify(job["log"] if job else []), 200


def _import(state: NorceState, kind: str, fields_key: str) -> tuple[Response, int]:
    """ImportCustomers / ImportCompanies, applied as Norce applies them (see the module doc)."""
    call = g.get("connect_call") or {}

    def refuse(message: str) -> tuple[Response, int]:
        call["status"] = 400
        return jsonify({"Message": message}), 400

    raw_header = request.headers.get("X-StormConnect-Header")
    try:
        header = json.loads(raw_header or "")
        account_id = int(header["AccountId"])
    except (ValueError, KeyError, TypeError):
        return refuse("X-StormConnect-Header with AccountId is required")
    for list_key, known in FIELD_LISTS.items():
        listed = header.get(list_key)
        if listed is None:
            continue
        if not isinstance(listed, list) or not all(isinstance(name, str) for name in listed):
            return refuse(f"{list_key} must be a list of field names")
        unknown = [name for name in listed if name not in known]
        if unknown:
            return refuse(f"{list_key}: unknown field {unknown[0]}")
    entities = g.get("connect_body")
    if entities is None:  # not JSON: an upload cut short, or never an import
        with state.lock:
            state.stats["aborted imports"] += 1
        return refuse("the body is not a complete JSON array")
    if not isinstance(entities, list):
        return refuse("the body must be an array")
    listed = header.get(fields_key)
    fields = None if listed is None else frozenset(listed)
    full = header.get(state.full_file_key) is True or (
        request.headers.get(state.full_file_key, "").lower() == "true"
    )
    with state.lock:
        applied = _apply(state, kind, entities, fields, full)
        job_id = next(state.job_ids)
        state.jobs[job_id] = {
            "JobId": job_id,
            "kind": kind,
            "count": len(entities),
            "full": full,
            "AccountId": account_id,
            "created": state.clock(),
            "fail": state.faults.fail_jobs,
            **applied,
        }
        call["status"] = 200
        state.stats[f"{kind} imported"] += len(entities)
        _complete_job_later(state, job_id)
    return jsonify(job_id), 200


def _apply(
    state: NorceState, kind: str, entities: list[Any], fields: frozenset[str] | None, full: bool
) -> dict[str, Any]:
    """Under the lock: upsert every valid record, log the others; a full import then deactivates every
    entity of the kind it did not name. Answers the job's ``log``, ``inserted``, ``updated``."""
    store = state.store(kind)
    natural = NATURAL_KEYS[kind]
    new_keys = ("Code", natural)  # written to a new entity even when not listed
    log: list[dict[str, Any]] = []
    named: set[int] = set()
    inserted = updated = unlinked = 0
    for row, entity in enumerate(entities, start=1):
        if not isinstance(entity, dict):
            log.append(_log_line(row, "the record must be an object"))
            continue
        if all(entity.get(key) in (None, "") for key in ("Id", "Code", natural)):
            log.append(_log_line(row, f"no Id, Code or {natural} to match the record by"))
            continue
        current = match(state, kind, entity)
        written = {
            k: v
            for k, v in entity.items()
            if k != "Id" and (fields is None or k in fields or (current is None and k in new_keys))
        }
        if kind == "customers" and "Companies" in written:
            problem = _link_companies(state, written)
            if problem:  # Norce links a customer only to companies it already holds
                log.append(_log_line(row, problem))
                unlinked += 1
                if current is not None:
                    named.add(current["Id"])
                continue
        if current is None:
            current = {"Id": next(state.entity_ids)}
            store[current["Id"]] = current
            inserted += 1
        else:
            updated += 1
        current["IsActive"] = True  # named: active, unless the record writes IsActive itself
        current.update(written)
        current["Updated"] = state.stamp()
        state.index(kind, current)
        named.add(current["Id"])
    if full:
        for entity_id, entity in store.items():
            if entity_id not in named and entity.get("IsActive", True):
                entity["IsActive"] = False
                entity["Updated"] = state.stamp()
    return {"log": log, "inserted": inserted, "updated": updated, "unlinked": unlinked}


def match(state: NorceState, kind: str, entity: dict[str, Any]) -> dict[str, Any] | None:
    """Under the lock: Norce's order: Id, then Code, then OrganizationNo (companies) or EmailAddress
    (customers); with several holding the value, the first held (lowest Id). Indexed, so a 100k import
    stays linear."""
    store = state.store(kind)
    if len(state.indexed[kind]) != len(store):  # entities put into / taken from the store directly
        state.rebuild_index(kind)
    for key in ("Id", "Code", NATURAL_KEYS[kind]):
        wanted = entity.get(key)
        if wanted in (None, "") or not scalar(wanted):
            continue
        if key == "Id":
            held = store.get(wanted)
            if held is not None and held.get("Id") == wanted:
                return held
            continue
        index = state.indexes[kind][key]
        ids = index.get(wanted)
        if not ids:
            continue
        live = [i for i in ids if i in store and store[i].get(key) == wanted]
        if len(live) != len(ids):
            if live:
                index[wanted] = live
            else:
                del index[wanted]
        if live:
            return store[min(live)]
    return None


def _link_companies(state: NorceState, written: dict[str, Any]) -> str | None:
    """A customer's ``Companies`` as the Codes of held companies, or why not."""
    given = written["Companies"] or []
    if not isinstance(given, list):
        return "Companies must be a list of companies"
    codes = []
    for company in given:
        held = match(state, "companies", company) if isinstance(company, dict) else None
        if held is None:
            name = company.get("Code") if isinstance(company, dict) else None
            return f"Company {name or company} does not exist"
        codes.append(held.get("Code"))
    written["Companies"] = codes
    return None


def _log_line(row: int, message: str) -> dict[str, Any]:
    return {
        "SeverityId": 3,
        "Message": message,
        "TimeStamp": datetime.now(UTC).isoformat(),
        "ImportedRow": row,
    }


# -- jobs
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
    """Under the lock: Job/Get: 6 Queued until ``job_seconds`` passed, then 2 Succeeded, 4 Validation
    failed or 3 Failed (see ``job_status``)."""
    finished = state.clock() - job["created"] >= state.job_seconds
    status = job_status(job) if finished else 6
    applied = finished and not job["fail"]
    now = datetime.now(UTC).isoformat()
    return {
        "JobId": job["JobId"],
        "StatusId": status,
        "IsFinished": finished,
        "Insert": job.get("inserted", 0) if applied else 0,
        "Updates": job.get("updated", job["count"]) if applied else 0,
        "Fail": job["count"] if job["fail"] else len(job["log"]) if finished else 0,
        "Totals": job["count"],
        "Start": now,
        "Stop": now if finished else None,
        "LastUpdated": now,
    }


def job_summary(state: NorceState, job: dict[str, Any]) -> dict[str, Any]:
    """Under the lock: a line of ``GET /_jobs``."""
    return {
        "JobId": job["JobId"],
        "kind": job["kind"],
        "count": job["count"],
        "full": job.get("full", False),
        "AccountId": job.get("AccountId"),
        "StatusId": job_view(state, job)["StatusId"],
        "inserted": job.get("inserted", 0),
        "updated": job.get("updated", 0),
        "errors": len(job["log"]),
    }


def job_status(job: dict[str, Any]) -> int:
    """A finished job's StatusId: 3 Failed (the ``failJobs`` fault, or a customer linked to a company
    Norce does not hold, as before), 4 Validation failed (only records without a match key), else 2."""
    return 3 if job["fail"] or job.get("unlinked") else 4 if job["log"] else 2
