"""``replay``: which order to queue again, whether it may be, queuing it as the receiver does, and waiting
for the processor's outcome. Plain functions; ``ops/commands/replay.py`` prints."""

import json
import time
from typing import Any

from ops.queues import scan
from ops.records import get_item, queued_order
from ops.target import Target
from ops.trail import CONFIRMED


class Refused(Exception):
    """The order is not replayed; the message says why (exit code 1)."""


def the_order(orders: list[dict[str, Any]], ref: str, table: str) -> dict[str, Any]:
    """The one ledger item to replay: refused when no order or several have the ref."""
    if not orders:
        raise Refused(
            f"Unknown order {ref!r}: no ledger record ORDER#…#{ref} in {table}. A message parked on "
            "the orders DLQ without a record can only be redriven (`redrive orders`)."
        )
    if len(orders) > 1:
        keys = ", ".join(str(o["pk"]) for o in orders)
        raise Refused(f"Several orders have ClientOrderRef {ref!r} ({keys}): pick one with --application.")
    return orders[0]


def check_replayable(order: dict[str, Any], ref: str, *, force: bool, now: float) -> None:
    """Refused when it is confirmed or its intake holds it (unless ``force``), or it cannot be rebuilt."""
    if order.get("processing_state") == CONFIRMED and not force:
        raise Refused(
            f"{ref} is already confirmed in Norce (ERP order {order.get('erp_order_no')}): nothing to "
            "replay. --force queues it anyway (the processor recognises it as confirmed and does nothing)."
        )
    if order.get("state") == "IN_PROGRESS" and float(order.get("lease_until") or 0) > now and not force:
        raise Refused(f"{ref}'s intake is still in progress (the receiver holds it): try again in a minute.")
    if not order.get("token") or not order.get("archive_key"):
        raise Refused(f"{order['pk']} has no token or archive key: it cannot be replayed from the archive.")


def check_archive(archive: dict[str, Any]) -> None:
    """Refused when the archived body (``ops.trail.archived``) is gone."""
    if not archive.get("exists"):
        raise Refused(
            f"The archived body {archive.get('uri')} is gone ({archive.get('error')}): "
            "nothing to replay from."
        )


def requeue(target: Target, order: dict[str, Any]) -> tuple[str | None, int]:
    """Put the order's claim-check message on the orders queue exactly as the receiver queues it (so the
    processor's token fence admits it) and remove its copies parked on the orders DLQ. Answers the new
    message's id and how many copies were removed."""
    sqs = target.client("sqs")
    key = str(order["pk"])
    message = queued_order(order, time.time())
    body = json.dumps(message, separators=(",", ":"))
    sent = sqs.send_message(
        QueueUrl=target.queue_url("OrdersQueue"),
        MessageBody=body,
        MessageAttributes={
            "ClientOrderRef": {"DataType": "String", "StringValue": message["client_order_ref"]}
        },
    )
    removed = scan(
        sqs,
        target.queue_url("OrdersDeadLetterQueue"),
        "OrdersDeadLetterQueue",
        limit=10000,
        wait_seconds=target.wait_seconds,
        take=lambda m: m.order_key() == key,
    )
    return sent.get("MessageId"), sum(1 for m in removed if m.order_key() == key)


def already_confirmed(order: dict[str, Any]) -> dict[str, Any]:
    """The outcome of a --force replay of a confirmed order: the processor skips it silently."""
    return {
        "processing_state": CONFIRMED,
        "erp_order_no": order.get("erp_order_no"),
        "summary": "already confirmed: the processor recognises it and does nothing",
    }


def latest_record(target: Target, key: str, known: int, deadline: float) -> dict[str, Any]:
    """Poll the order record until the processor adds ``confirmed`` or ``failed`` after the first ``known``
    trail entries (those it had when the replay was queued), or ``deadline`` (monotonic) passes."""
    dynamodb = target.client("dynamodb")
    record: dict[str, Any] = {}
    while time.monotonic() < deadline:
        record = get_item(dynamodb, target.table, key) or {}
        events = [e.get("event") for e in (record.get("trail") or [])[known:] if isinstance(e, dict)]
        if CONFIRMED in events or "failed" in events:
            break
        time.sleep(0.5)
    return record


def outcome(record: dict[str, Any], timed_out: bool, timeout: float) -> dict[str, Any]:
    """What became of the replayed order, from its last record read."""
    state = record.get("processing_state")
    if state == CONFIRMED:
        summary = f"confirmed in Norce (ERP order {record.get('erp_order_no')})"
    elif timed_out:
        summary = f"not finished after {timeout:.0f} s (last error: {record.get('last_error') or '-'})"
    else:
        summary = f"failed again: {record.get('last_error')}"
    return {"processing_state": state, "erp_order_no": record.get("erp_order_no"), "summary": summary}
