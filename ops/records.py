"""Reading the orders table the way the integration writes it (docs/operations.md, lifecycle.md, events.md,
imports.md): ``ORDER#{app}#{ref}`` (ledger + order record), ``REF#``/``ERPNO#`` (the order index),
``DOC#{method}#{order key}#{number}`` (lifecycle documents), ``MAIL#{type}#{ref}`` (e-mails), ``JOB#{id}``
(Norce import jobs), ``IMPORT#{entity}`` / ``IMPORTRUN#{entity}#{started}`` (import runs).

The application key part of ``ORDER#`` is not known to someone holding only a ClientOrderRef, so finding
an order is a Scan with a filter (``begins_with(pk, "ORDER#")`` and the ref at the end). That reads the
whole table: fine for a person on call, never for the integration itself.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

NO_APPLICATION = "-"  # the ledger's application key when the order had none
# The labels ``JobStatus`` gives the stored job records (norce_integration.contracts.connect): the CLI ships
# without the Lambda layer, so it spells them here, and tests/integration/test_ops_cli.py holds them equal.
SUCCEEDED = "Succeeded"
FINISHED_JOBS = (SUCCEEDED, "Failed", "ValidationFailed")
_deserializer = TypeDeserializer()


def plain(value: Any) -> Any:
    """DynamoDB's Decimals as int/float, recursively (JSON-ready)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | set | tuple):
        return [plain(item) for item in value]
    if isinstance(value, bytes | bytearray):
        return value.decode(errors="replace")
    return value


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {name: plain(_deserializer.deserialize(value)) for name, value in item.items()}


def get_item(dynamodb: Any, table: str, pk: str) -> dict[str, Any] | None:
    item = dynamodb.get_item(TableName=table, Key={"pk": {"S": pk}}, ConsistentRead=True).get("Item")
    return from_item(item) if item else None


def scan(
    dynamodb: Any,
    table: str,
    filter_expression: str,
    values: dict[str, Any],
    *,
    names: dict[str, str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """Every item matching the filter (a full-table Scan, page by page)."""
    options: dict[str, Any] = {
        "TableName": table,
        "FilterExpression": filter_expression,
        "ExpressionAttributeValues": values,
        "ConsistentRead": True,
    }
    if names:
        options["ExpressionAttributeNames"] = names
    found: list[dict[str, Any]] = []
    scanned = 0
    for page in dynamodb.get_paginator("scan").paginate(**options):
        found.extend(from_item(item) for item in page.get("Items", []))
        scanned += int(page.get("ScannedCount", 0))
        if progress:
            progress(scanned)
    return found


def split_order_key(pk: str) -> tuple[str | None, str]:
    """``ORDER#{app}#{ref}`` -> (application key or None, ClientOrderRef)."""
    _, application, ref = pk.split("#", 2)
    return (None if application == NO_APPLICATION else application), ref


def of_application(orders: list[dict[str, Any]], application: str | None) -> list[dict[str, Any]]:
    """The orders of ``--application`` (``-`` or empty: the order without one); None keeps them all."""
    wanted = None if application in (NO_APPLICATION, "") else application
    return [o for o in orders if application is None or split_order_key(str(o["pk"]))[0] == wanted]


def order_key(application_key: str | None, ref: str) -> str:
    return f"ORDER#{application_key or NO_APPLICATION}#{ref}"


@dataclass
class Related:
    """Everything in the table about one ClientOrderRef."""

    ref: str
    orders: list[dict[str, Any]] = field(default_factory=list)  # the ledger items, ORDER#…#{ref}
    documents: list[dict[str, Any]] = field(default_factory=list)  # DOC# items of those orders
    mails: list[dict[str, Any]] = field(default_factory=list)  # MAIL#{type}#{ref}
    index: dict[str, Any] | None = None  # REF#{ref}
    jobs: list[dict[str, Any]] = field(default_factory=list)  # JOB# of the write-backs carrying its codes


def find_related(
    dynamodb: Any, table: str, ref: str, progress: Callable[[int], None] | None = None
) -> Related:
    """One Scan for the order's ledger items (any application), its documents, its e-mails, its index and
    the write-back import jobs that carried its codes to Norce."""
    items = scan(
        dynamodb,
        table,
        "(begins_with(pk, :order) AND contains(pk, :ref)) OR (begins_with(pk, :mail) AND contains(pk, :ref))"
        " OR (begins_with(pk, :doc) AND contains(order_key, :ref)) OR pk = :index"
        " OR (begins_with(pk, :job) AND contains(client_order_refs, :plain))",
        {
            ":order": {"S": "ORDER#"},
            ":mail": {"S": "MAIL#"},
            ":doc": {"S": "DOC#"},
            ":job": {"S": "JOB#"},
            ":ref": {"S": f"#{ref}"},
            ":plain": {"S": ref},
            ":index": {"S": f"REF#{ref}"},
        },
        progress=progress,
    )
    related = Related(ref)
    for item in items:
        pk = str(item["pk"])
        if pk.startswith("ORDER#") and pk.count("#") >= 2 and split_order_key(pk)[1] == ref:
            related.orders.append(item)
        elif pk.startswith("MAIL#") and pk.count("#") >= 2 and pk.split("#", 2)[2] == ref:
            related.mails.append(item)
        elif pk == f"REF#{ref}":
            related.index = item
        elif pk.startswith("JOB#") and ref in (item.get("client_order_refs") or []):
            related.jobs.append(job_row(item))
    keys = {str(order["pk"]) for order in related.orders}
    if related.index and related.index.get("order_key"):
        keys.add(str(related.index["order_key"]))
    related.documents = [
        item for item in items if str(item["pk"]).startswith("DOC#") and item.get("order_key") in keys
    ]
    related.documents.sort(key=lambda d: (str(d.get("order_key")), float(d.get("lease_until") or 0)))
    return related


def intake_answer(order: dict[str, Any]) -> dict[str, Any] | None:
    text = order.get("response")
    if not isinstance(text, str) or not text:
        return None
    try:
        answer = json.loads(text)
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None


def trail_event(order: dict[str, Any], *events: str) -> dict[str, Any] | None:
    """The last trail entry of one of ``events``."""
    for entry in reversed(order.get("trail") or []):
        if isinstance(entry, dict) and entry.get("event") in events:
            return entry
    return None


def wire_format(order: dict[str, Any]) -> str:
    received = trail_event(order, "received")
    if received and received.get("wire_format") in ("json", "xml"):
        return str(received["wire_format"])
    return "xml" if str(order.get("archive_key", "")).endswith(".xml") else "json"


def queued_order(order: dict[str, Any], now: float) -> dict[str, Any]:
    """The orders-queue message for a ledger item, exactly as ``SqsOrderQueue`` shapes it (a claim check
    with the ledger's token, so the processor's fence admits it)."""
    pk = str(order["pk"])
    application, ref = split_order_key(pk)
    received = trail_event(order, "received")
    return {
        "key": pk,
        "client_order_ref": ref,
        "application_key": application,
        "token": str(order["token"]),
        "archive_key": str(order["archive_key"]),
        "wire_format": wire_format(order),
        "fingerprint": str(order.get("fingerprint", "")),
        "received_at": float(received["at"]) if received and "at" in received else now,
        "attributes": {},
    }


# -- import jobs ------------------------------------------------------------------------------------------
def list_jobs(
    dynamodb: Any, table: str, limit: int = 20, progress: Callable[[int], None] | None = None
) -> list[dict[str, Any]]:
    """The ``JOB#`` records, newest first (by start, else by end)."""
    jobs = [
        job_row(item)
        for item in scan(dynamodb, table, "begins_with(pk, :job)", {":job": {"S": "JOB#"}}, progress=progress)
    ]
    jobs.sort(key=lambda job: job["started_at"] or job["finished_at"] or 0.0, reverse=True)
    return jobs[:limit] if limit > 0 else jobs


def job_row(item: dict[str, Any]) -> dict[str, Any]:
    """A ``JOB#`` record for the person on call: also Norce's validation summary of the import (rows its
    validation refused: a warning), the rows Norce applied of a full import, and whether the job is
    another integration's (Norce tells of every job)."""
    job_id = item.get("job_id") or str(item["pk"]).removeprefix("JOB#")
    errors = item.get("job_errors") or []
    validation = item.get("validation") if isinstance(item.get("validation"), dict) else None
    foreign = bool(item.get("foreign_job"))
    return {
        "id": int(job_id) if str(job_id).isdigit() else job_id,
        "kind": item.get("kind"),
        "mode": "not ours"
        if foreign
        else item.get("mode") or ("write-back" if item.get("client_order_refs") is not None else None),
        "records": item.get("records", item.get("count")),
        "status": item.get("status"),
        "started_at": _number(item.get("started_at")),
        "finished_at": _number(item.get("finished_at")),
        "errors": [str(line) for line in errors[:3]],
        "error_count": len(errors),
        "client_order_refs": item.get("client_order_refs") or [],
        "applied": item.get("applied"),
        "validation_failures": int((validation or {}).get("failures") or 0),
        "validation_messages": [str(m) for m in (validation or {}).get("messages") or []][:3],
        "foreign": foreign,
    }


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def job_status(dynamodb: Any, table: str, job_id: int) -> dict[str, Any] | None:
    item = get_item(dynamodb, table, f"JOB#{job_id}")
    return job_row(item) if item else None
