"""One e-mail per order event type and order, ever: look the order up, check the address, claim, render,
send, record.

The recipient: OrderReceivedEvent's own ``Email`` (the order may not be complete in Query yet); for the
others, the buyer Norce Query holds for the order (the customer, or a guest's CustomerInfo): Norce's other
order events carry no e-mail. Either way the address is checked first (``recipients``): one that is not
one plain address is never sent to (``INVALID_RECIPIENT``, counted; the reason, never the address, logged).

Norce delivers each order event once per order, but retries until we answer 2xx, and our own processor
retries too; the ledger (``MAIL#{type}#{ClientOrderRef}``) makes every copy after the first a no-op. When an
attempt dies between handing the e-mail to the mail service and recording it, we cannot know whether it
went out: the e-mail is then not sent again (``IN_DOUBT``, counted and alarmed) rather than sent twice.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from norce_integration.events.contracts import NorceEvent, OrderEvent, OrderReceivedEvent
from norce_integration.events.outcomes import Handled, Outcome
from norce_integration.events.ports import (
    Claim,
    Email,
    EventQuery,
    NotificationLedger,
    Notifier,
    NotifierInDoubt,
    NotifierRejected,
    NotifierUnavailable,
)
from norce_integration.events.recipients import check_recipient
from norce_integration.events.views import OrderView
from norce_integration.failures import PermanentFailure, TransientFailure
from norce_integration.norce.ports import NorceRejected, NorceUnavailable


class Rendered(Protocol):
    @property
    def subject(self) -> str: ...

    @property
    def html(self) -> str: ...

    @property
    def text(self) -> str: ...

    @property
    def language(self) -> str: ...


class Renderer(Protocol):
    def render(self, event_type: str, culture: str | None, context: dict[str, Any]) -> Rendered: ...


@dataclass
class NotificationService:
    query: EventQuery
    renderer: Renderer
    notifier: Notifier
    ledger: NotificationLedger
    shop_name: str = ""
    clock: Callable[[], float] = field(default=time.time)

    def handle(self, event_type: str, event: NorceEvent) -> Handled:
        order = None if isinstance(event, OrderReceivedEvent) else self._order(event)
        ref = _client_order_ref(event, order)
        given = event.Email if isinstance(event, OrderReceivedEvent) else (order.email if order else None)
        if given is None or (isinstance(given, str) and not given.strip()):
            where = "the event" if isinstance(event, OrderReceivedEvent) else "Norce Query's buyer"
            return Handled(Outcome.NO_RECIPIENT, f"{where} has no e-mail address")
        recipient = check_recipient(given)
        if recipient.address is None:  # never sent: the reason names what is wrong, not the address
            return Handled(Outcome.INVALID_RECIPIENT, str(recipient.reason))
        key = f"MAIL#{event_type}#{ref}"
        claim = self.ledger.claim(key, self.clock())
        if claim is Claim.SENT:
            return Handled(Outcome.ALREADY_SENT)
        if claim is Claim.IN_DOUBT:
            return Handled(Outcome.IN_DOUBT, "an earlier attempt died while sending: not sent again")
        if claim is Claim.BUSY:
            raise TransientFailure("another attempt is sending this e-mail")
        try:
            email = self._email(event_type, event, order, ref, recipient.address)
            message_id = self.notifier.send(email)
        except NotifierInDoubt as error:  # the claim stays: after its lease it is IN_DOUBT, never resent
            raise TransientFailure(f"the mail service's answer was lost: {error}") from error
        except NotifierUnavailable as error:
            self.ledger.release(key)
            raise TransientFailure(f"the mail service is unavailable: {error}") from error
        except (NotifierRejected, ValueError) as error:
            self.ledger.release(key)  # a redrive after the fix may send it
            raise PermanentFailure(f"the e-mail cannot be sent: {error}") from error
        self.ledger.sent(key, message_id, self.clock())
        return Handled(Outcome.SENT, f"language {email.language}")

    def _order(self, event: NorceEvent) -> OrderView:
        assert isinstance(event, OrderEvent)
        try:
            order = self.query.order(event.OrderId)
        except NorceUnavailable as error:
            raise TransientFailure(str(error), error.retry_after) from error
        except NorceRejected as error:
            raise PermanentFailure(str(error)) from error
        if order is None:  # Query caches a while: a just-confirmed order may not be there yet
            raise TransientFailure("the order is not in Norce Query yet")
        return order

    def _email(
        self, event_type: str, event: NorceEvent, order: OrderView | None, ref: str, recipient: str
    ) -> Email:
        context = {
            "event_type": event_type,
            "client_order_ref": ref,
            "order_no": getattr(event, "OrderNo", None) or (order.order_no if order else None),
            "first_name": getattr(event, "FirstName", None) or (order.first_name if order else None),
            "last_name": getattr(event, "LastName", None) or (order.last_name if order else None),
            "drop_point_code": getattr(event, "DropPointCode", None),
            "shop_name": self.shop_name,
            "order": order,
        }
        rendered = self.renderer.render(event_type, order.culture if order else None, context)
        return Email(
            to=recipient,
            subject=rendered.subject,
            html=rendered.html,
            text=rendered.text,
            event_type=event_type,
            client_order_ref=ref,
            language=rendered.language,
        )


def _client_order_ref(event: NorceEvent, order: OrderView | None) -> str:
    """The order's reference in the e-mail and its ledger key: the event's ClientOrderRef, else Query's
    basket id, else Norce's order id (one key per order whichever the event carries)."""
    ref = getattr(event, "ClientOrderRef", None) or (order.client_order_ref if order else None)
    if ref:
        return str(ref)
    return f"order-id-{getattr(event, 'OrderId', None)}"
