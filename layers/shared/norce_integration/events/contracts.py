"""The JSON Norce Event posts, per type (exact PascalCase names; unknown fields kept).

A payload that fails its model can never become valid by retrying: the receiver parks it (DLQ with the
reason) and still answers 200, so Norce does not retry it for 22 hours.
"""

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from norce_integration.events.types import ORDER_EVENTS


class NorceEvent(BaseModel):
    """Fields every Norce event carries. ``ApplicationId`` is missing on some change notifications."""

    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    ClientId: int | None = None
    ApplicationId: int | None = None


class OrderReceivedEvent(NorceEvent):
    """Sent before the order is complete in Norce: only enough for a minimal notification."""

    ClientOrderRef: str
    Email: str | None = None
    CellPhone: str | None = None
    FirstName: str | None = None
    LastName: str | None = None
    Source: str | None = None


class OrderEvent(NorceEvent):
    """OrderConfirmed/Cancelled/Delivered/PartlyDelivered/ReadyForPickup/PaymentReceivedEvent."""

    OrderId: int | None = None
    OrderNo: str | None = None  # the ERP's order number
    ClientOrderRef: str | None = None
    Email: str | None = None
    CellPhone: str | None = None
    FirstName: str | None = None
    LastName: str | None = None
    Source: str | None = None

    @model_validator(mode="after")
    def _identifies_the_order(self) -> "OrderEvent":
        if self.OrderId is None and not self.ClientOrderRef:
            raise ValueError("OrderId or ClientOrderRef is required")
        return self


class CustomerChangedNotification(NorceEvent):
    CustomerId: int
    EntityChanged: str | None = None


class CompanyChangedNotification(NorceEvent):
    CompanyId: int
    EntityChanged: str | None = None


class JobCompletedEvent(NorceEvent):
    JobId: int
    StatusId: int


class InvoiceCaptureCompletedEvent(NorceEvent):
    CapturedInvoiceId: int | None = None
    State: str | None = None


_MODELS: dict[str, type[NorceEvent]] = {
    "OrderReceivedEvent": OrderReceivedEvent,
    "CustomerChangedNotification": CustomerChangedNotification,
    "CompanyChangedNotification": CompanyChangedNotification,
    "JobCompletedEvent": JobCompletedEvent,
    "InvoiceCaptureCompletedEvent": InvoiceCaptureCompletedEvent,
    **dict.fromkeys(ORDER_EVENTS[1:], OrderEvent),
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
