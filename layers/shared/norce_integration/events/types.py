"""Norce Event types, their canonical names and what the integration does with each.

Norce's payload names no type: it comes from the URL path or the ``x-norce-event-type`` header /
``norceEventType`` query parameter, compared case-insensitively like Norce's own event compatibility kit,
so Norce Admin settings made for the kit keep working.
"""

from enum import StrEnum


class Action(StrEnum):
    NOTIFY = "notify"  # an e-mail to the customer
    SYNC_CUSTOMER = "sync_customer"  # Query -> ERP
    SYNC_COMPANY = "sync_company"
    JOB_COMPLETED = "job_completed"  # the import job record
    CAPTURE = "capture"  # the payment provider's answer to an invoice: onto the order's trail
    IGNORE = "ignore"  # acknowledged and counted, not queued


NOTIFY_BY_DEFAULT = ("OrderReceivedEvent", "OrderConfirmedEvent", "OrderReadyForPickupEvent")
NOTIFY_WHEN_ENABLED = ("OrderDeliveredEvent", "OrderPartlyDeliveredEvent", "OrderCancelledEvent")
ORDER_EVENTS = (
    *NOTIFY_BY_DEFAULT,
    *NOTIFY_WHEN_ENABLED,
    "OrderPaymentReceivedEvent",
)

# Every type Norce Event is known to send, in Norce's spelling: the 19 of Norce's list, and the 3 that only
# NorceTech's compatibility kit names (ExportDeliveredEvent, ExternalOrderReceivedEvent,
# SkuStockChangedNotification).
NORCE_EVENT_TYPES = (
    "CompanyChangedNotification",
    "CustomerChangedNotification",
    "ExportDeliveredEvent",
    "ExternalOrderReceivedEvent",
    "InvoiceCaptureCompletedEvent",
    "JobCompletedEvent",
    "OrderCancelledEvent",
    "OrderConfirmedEvent",
    "OrderDeliveredEvent",
    "OrderPartlyDeliveredEvent",
    "OrderPaymentReceivedEvent",
    "OrderReadyForPickupEvent",
    "OrderReceivedEvent",
    "SkuChangedNotification",
    "SkuOnHandBreakPointNotification",
    "SkuPriceChangedNotification",
    "SkuStockChangedNotification",
    "SubscriptionFailedEvent",
    "SupplierSkuChangedNotification",
    "SupplierSkuOnHandChangedNotification",
    "SupplierSkuPriceChangedNotification",
    "TranslationRequestedNotification",
)
_BY_LOWER = {name.lower(): name for name in NORCE_EVENT_TYPES}


def canonical_type(name: str | None) -> str | None:
    """Norce's spelling of an event type given in any case (``orderconfirmedevent``), else ``None``."""
    return _BY_LOWER.get((name or "").strip().lower())


def action_for(event_type: str, notify: frozenset[str]) -> Action:
    """What to do with a (canonical) event type; ``notify`` is the set of order events that send e-mail."""
    if event_type in notify:
        return Action.NOTIFY
    return {
        "CustomerChangedNotification": Action.SYNC_CUSTOMER,
        "CompanyChangedNotification": Action.SYNC_COMPANY,
        "JobCompletedEvent": Action.JOB_COMPLETED,
        "InvoiceCaptureCompletedEvent": Action.CAPTURE,
    }.get(event_type, Action.IGNORE)


def notification_types(optional: str | None) -> frozenset[str]:
    """The default notification events plus the optional ones named (comma separated) in ``optional``;
    a name that is not an optional order event raises ``ValueError`` (a configuration mistake)."""
    chosen = set(NOTIFY_BY_DEFAULT)
    for raw in (optional or "").replace(" ", ",").split(","):
        if not raw:
            continue
        name = canonical_type(raw)
        if name not in NOTIFY_WHEN_ENABLED:
            raise ValueError(
                f"{raw!r} is not an optional notification event ({', '.join(NOTIFY_WHEN_ENABLED)})"
            )
        chosen.add(name)
    return frozenset(chosen)
