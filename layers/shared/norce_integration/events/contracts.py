"""The JSON Norce Event posts, per type (exact PascalCase names; unknown fields kept).

A payload that fails its model can never become valid by retrying: the receiver parks it (DLQ with the
reason) and still answers 200, so Norce does not retry it for 22 hours.
"""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from norce_integration.events.types import NOTIFY_BY_DEFAULT, NOTIFY_WHEN_ENABLED

STATUS_EVENTS = tuple(
    name for name in (*NOTIFY_BY_DEFAULT, *NOTIFY_WHEN_ENABLED) if name != "OrderReceivedEvent"
)


Id32 = Annotated[StrictInt, Field(ge=-(2**31), le=2**31 - 1)]
Id64 = Annotated[StrictInt, Field(ge=-(2**63), le=2**63 - 1)]
Text = Annotated[str, Field(max_length=255)]


class NorceEvent(BaseModel):
    """Fields every Norce event carries. ``ApplicationId`` is optional on the change notifications.

    Norce Admin chooses per type which properties are posted, so only what the integration needs is
    required here; the others are read when present (their published shapes: tests/contracts/norce)."""

    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    ClientId: Id32 | None = None
    ApplicationId: Id32 | None = None


class OrderReceivedEvent(NorceEvent):
    """Sent before the order is complete in Norce: the only order event with ``Email``."""

    ClientOrderRef: Annotated[str, Field(min_length=1, max_length=50)]
    Email: str | None = None  # checked before it is used (``events.recipients``), never trusted
    CellPhone: Text | None = None
    FirstName: Text | None = None
    LastName: Text | None = None
    Source: Text | None = None


class OrderEvent(NorceEvent):
    """OrderConfirmed/Cancelled/Delivered/PartlyDelivered/ReadyForPickupEvent: the order by Norce's
    ``OrderId`` (int64); no e-mail (the buyer is read in Norce Query)."""

    OrderId: Id64
    OrderNo: Annotated[str, Field(max_length=50)] | None = None  # usually the ERP's order number
    ClientOrderRef: Annotated[str, Field(min_length=1, max_length=50)] | None = None
    CellPhone: Text | None = None
    FirstName: Text | None = None
    LastName: Text | None = None
    Source: Text | None = None
    DropPointCode: Text | None = None  # OrderReadyForPickupEvent: where the order waits


class CustomerChangedNotification(NorceEvent):
    CustomerId: Id32
    EntityChanged: Text | None = None


class CompanyChangedNotification(NorceEvent):
    CompanyId: Id32
    EntityChanged: Text | None = None


class JobCompletedEvent(NorceEvent):
    JobId: int
    StatusId: int


class InvoiceCaptureCompletedEvent(NorceEvent):
    """The payment provider's answer to the capture of an invoice: ``Error`` is money not collected."""

    CapturedInvoiceId: Id32  # Norce's invoice id (Query's Orders/Invoices Id)
    State: Literal["Captured", "Error"]


_MODELS: dict[str, type[NorceEvent]] = {
    "OrderReceivedEvent": OrderReceivedEvent,
    "CustomerChangedNotification": CustomerChangedNotification,
    "CompanyChangedNotification": CompanyChangedNotification,
    "JobCompletedEvent": JobCompletedEvent,
    "InvoiceCaptureCompletedEvent": InvoiceCaptureCompletedEvent,
    **dict.fromkeys(STATUS_EVENTS, OrderEvent),
}


def model_for(event_type: str) -> type[NorceEvent]:
    """The payload model of a canonical event type (``NorceEvent`` for types we only acknowledge)."""
    return _MODELS.get(event_type, NorceEvent)


class InvalidEvent(ValueError):
    """The payload is not valid for its type; ``reason`` names every problem, without values (no PII)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_event(event_type: str, body: Any) -> NorceEvent:
    if not isinstance(body, dict):
        raise InvalidEvent(f"{event_type}: the body must be a JSON object")
    try:
        return model_for(event_type).model_validate(body)
    except ValidationError as error:
        problems = []
        for problem in error.errors(include_url=False, include_input=False):
            where = ".".join(str(part) for part in problem["loc"]) or "body"
            problems.append(f"{where}: {problem['msg']}")
        raise InvalidEvent(f"{event_type}: " + "; ".join(problems)) from error
