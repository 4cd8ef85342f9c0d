"""One order's journey, from what the table, the queues and the archive hold, and where it is stuck (a
verdict)."""

from typing import Any

from botocore.exceptions import ClientError

from ops.queues import Message, scan
from ops.records import Related, intake_answer, split_order_key, trail_event
from ops.target import DLQ_SOURCES, Target

CONFIRMED, FAILED = "confirmed", "failed"
OPEN_DOCUMENTS = ("WAITING", "UNKNOWN", "SENDING")


def matching(target: Target, ref: str, max_messages: int, progress: Any) -> list[Message]:
    """Messages naming ``ref`` on the orders queue (visible ones) and on every DLQ, left where they are.
    ``progress``: the command's progress display (``ops.output.Steps``)."""
    sqs = target.client("sqs")
    found: list[Message] = []
    queues = {name: url for name, url in target.queues.items() if name == "OrdersQueue"} | target.dlqs
    for name, url in queues.items():
        progress.task(name, f"reading {name}")
        messages = scan(
            sqs,
            url,
            name,
            limit=max_messages if name in DLQ_SOURCES else min(max_messages, 100),
            hide_seconds=30 if name in DLQ_SOURCES else 3,
            wait_seconds=target.wait_seconds,
            progress=progress.counter(name),
        )
        progress.done(name)
        found += [m for m in messages if ref in m.client_order_refs()]
    return found


def archived(target: Target, key: str | None) -> dict[str, Any]:
    """Where the order's archived body is and whether it is still there (a HEAD of the object)."""
    if not key:
        return {"key": None, "exists": False}
    info: dict[str, Any] = {"bucket": target.bucket, "key": key, "uri": f"s3://{target.bucket}/{key}"}
    try:
        head = target.client("s3").head_object(Bucket=target.bucket, Key=key)
    except ClientError as error:
        info["exists"] = False
        info["error"] = str(error.response.get("Error", {}).get("Code", error))
        return info
    info.update(exists=True, size=head.get("ContentLength"), content_type=head.get("ContentType"))
    return info


def order_report(
    order: dict[str, Any],
    related: Related,
    messages: list[Message],
    archive: dict[str, Any] | None,
    now: float,
) -> dict[str, Any]:
    """The journey of one ledger item (one application's order with this ref)."""
    key = str(order["pk"])
    application, ref = split_order_key(key)
    received = trail_event(order, "received")
    confirmed = trail_event(order, CONFIRMED)
    documents = [_document(d) for d in related.documents if d.get("order_key") == key]
    mine = [m for m in messages if m.order_key() in (key, None)]
    report: dict[str, Any] = {
        "key": key,
        "client_order_ref": ref,
        "application_key": application,
        "intake": {
            "state": order.get("state"),
            "answer": intake_answer(order),
            "received_at": received.get("at") if received else None,
            "wire_format": received.get("wire_format") if received else None,
            "lease_until": order.get("lease_until"),
        },
        "archive": archive or {"key": order.get("archive_key") or None},
        "erp_order_no": order.get("erp_order_no"),
        "target": order.get("target"),
        "processing_state": order.get("processing_state"),
        "confirmed_at": confirmed.get("at") if confirmed else None,
        "last_error": order.get("last_error"),
        "trail": list(order.get("trail") or []),
        "lifecycle": order.get("lifecycle"),
        "documents": documents,
        "mails": [_mail(m) for m in related.mails],
        "jobs": related.jobs,
        "messages": [m.as_dict(now) for m in mine],
        "errors": _errors(order, documents, mine),
        "warnings": job_warnings(related.jobs),
    }
    report["verdict"], report["stuck"] = verdict(report)
    return report


def parked_only_report(ref: str, messages: list[Message], related: Related, now: float) -> dict[str, Any]:
    """A ref the ledger does not know, but a queue does (a crafted or foreign message, or a ledger item
    that expired while its message waited on a DLQ)."""
    report: dict[str, Any] = {
        "key": next((m.order_key() for m in messages if m.order_key()), None),
        "client_order_ref": ref,
        "application_key": None,
        "intake": None,
        "archive": None,
        "erp_order_no": None,
        "target": None,
        "processing_state": None,
        "confirmed_at": None,
        "last_error": None,
        "trail": [],
        "lifecycle": None,
        "documents": [],
        "mails": [_mail(m) for m in related.mails],
        "jobs": related.jobs,
        "messages": [m.as_dict(now) for m in messages],
        "errors": _errors({}, [], messages),
        "warnings": job_warnings(related.jobs),
    }
    report["verdict"], report["stuck"] = verdict(report)
    report["verdict"] += " (no ledger record for it)"
    return report


def _document(item: dict[str, Any]) -> dict[str, Any]:
    parts = str(item["pk"]).removeprefix("DOC#").split("#")
    return {
        "key": str(item["pk"]).removeprefix("DOC#"),
        "kind": parts[0] if parts else None,
        "number": parts[-1] if len(parts) > 1 else None,
        "state": item.get("state"),
        "attempts": item.get("attempts"),
        "reason": item.get("reason"),
        "found_in_norce": item.get("found_in_norce"),
    }


def _mail(item: dict[str, Any]) -> dict[str, Any]:
    parts = str(item["pk"]).split("#", 2)
    return {
        "type": parts[1] if len(parts) > 1 else None,
        "state": item.get("state"),
        "sent_at": item.get("sent_at"),
        "message_id": item.get("message_id"),
    }


def _errors(order: dict[str, Any], documents: list[dict[str, Any]], messages: list[Message]) -> list[str]:
    errors: list[str] = []
    if order.get("last_error"):
        errors.append(f"order: {order['last_error']}")
    for entry in order.get("trail") or []:
        if isinstance(entry, dict) and entry.get("event") in ("failed", "document_failed"):
            reason = entry.get("last_error") or entry.get("reason")
            if reason and f"order: {reason}" not in errors:
                errors.append(f"{entry['event']}: {reason}")
    errors += [f"capture: {failure}" for failure in capture_failures(order)]
    for document in documents:
        if document.get("reason") and document.get("state") not in ("SENT", "SKIPPED"):
            errors.append(f"document {document['key']} ({document['state']}): {document['reason']}")
    for message in messages:
        if message.queue.endswith("DeadLetterQueue"):
            errors.append(f"{message.queue}: {message.reason}")
    return errors


def capture_failures(order: dict[str, Any]) -> list[str]:
    """The invoices whose capture the payment provider reported as failed (InvoiceCaptureCompletedEvent
    ``State: Error``) and that no later ``Captured`` of the same invoice made good: money not collected."""
    failed: dict[Any, str] = {}
    for entry in order.get("trail") or []:
        if not isinstance(entry, dict):
            continue
        invoice = entry.get("capture_invoice_id")
        if entry.get("event") == "invoice_capture_failed":
            number = entry.get("capture_invoice_no") or "?"
            failed[invoice] = (
                f"invoice {number} (Norce invoice {invoice}) was not captured by the payment provider: "
                "money not collected"
            )
        elif entry.get("event") == "invoice_captured":
            failed.pop(invoice, None)
    return list(failed.values())


def job_warnings(jobs: list[dict[str, Any]]) -> list[str]:
    """What the write-back jobs that carried the order's codes tell the person on call: rows Norce's
    validation refused, and jobs that ended Failed (with their first error line)."""
    warnings = []
    for job in jobs:
        if job.get("validation_failures"):
            messages = "; ".join(job.get("validation_messages") or [])
            warnings.append(
                f"Norce import job {job['id']} ({job.get('kind')}): its validation refused "
                f"{job['validation_failures']} of {job.get('records')} rows"
                + (f": {messages}" if messages else "")
            )
        if job.get("status") in ("Failed", "ValidationFailed"):
            first = (job.get("errors") or ["no error line"])[0]
            warnings.append(
                f"Norce import job {job['id']} ({job.get('kind')}) ended {job['status']}: {first}"
            )
    return warnings


def verdict(report: dict[str, Any]) -> tuple[str, bool]:
    """Where the order is, in one line, and whether it is stuck (needs a person)."""
    messages = report["messages"]
    parked = [m for m in messages if m["queue"] == "OrdersDeadLetterQueue"]
    queued = [m for m in messages if m["queue"] == "OrdersQueue"]
    parked_documents = [m for m in messages if m["queue"] == "LifecycleDeadLetterQueue"]
    parked_other = [
        m
        for m in messages
        if m["queue"].endswith("DeadLetterQueue")
        and m["queue"] not in ("OrdersDeadLetterQueue", "LifecycleDeadLetterQueue")
    ]
    documents = report["documents"]
    intake = report["intake"] or {}
    erp = report["erp_order_no"]
    captures = [e.removeprefix("capture: ") for e in report["errors"] if e.startswith("capture: ")]
    if report["processing_state"] == CONFIRMED:
        line = f"confirmed in Norce (ERP order {erp})"
        if captures:
            return f"{line}; {captures[0]}", True
        if parked_documents:
            return f"{line}; a document is parked in the lifecycle DLQ: {parked_documents[0]['reason']}", True
        stuck_docs = [d for d in documents if d["state"] == "PARKED"]
        if stuck_docs:
            return f"{line}; document {stuck_docs[0]['key']} is parked: {stuck_docs[0]['reason']}", True
        waiting = [d for d in documents if d["state"] in OPEN_DOCUMENTS]
        if waiting:
            return f"{line}; document {waiting[0]['key']} is {waiting[0]['state'].lower()}", False
        if parked_other:
            return f"{line}; parked in the {parked_other[0]['queue']}: {parked_other[0]['reason']}", True
        return line, False
    if parked:
        return f"parked in the orders DLQ: {parked[0]['reason']}", True
    if report["processing_state"] == FAILED:
        return (
            f"failed: {report['last_error']} (its message is not on the orders DLQ any more: "
            "fix the cause, then `replay` it)",
            True,
        )
    if intake.get("state") == "IN_PROGRESS":
        return "being received: the intake has not finished (Norce retries if it was not answered)", False
    last = (report["trail"] or [{}])[-1].get("event") if report["trail"] else None
    if last == "retrying":
        error = report["last_error"] or "a transient failure"
        if erp:
            return f"in the ERP as {erp}, waiting for Norce's confirmation (retrying): {error}", False
        return f"waiting for the ERP (retrying): {error}", False
    if queued:
        return "queued, waiting for the order processor", False
    if not report["trail"]:
        if intake.get("state") == "ACCEPTED":
            return "accepted and queued; the processor has not started on it yet", False
        return "unknown to the ledger", True
    if erp:
        return f"in the ERP as {erp}, not confirmed in Norce yet (last step: {last})", False
    return f"being processed (last step: {last})", False
