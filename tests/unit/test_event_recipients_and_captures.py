"""Who an order e-mail may go to (one plain address, never a header), and what a payment provider's answer to
an invoice does (InvoiceCaptureCompletedEvent onto the order's trail), on in-memory ports."""

from decimal import Decimal
from typing import Any

import pytest

from norce_integration.adapters.memory.events import (
    CapturingNotifier,
    InMemoryEventQuery,
    InMemoryNotificationLedger,
)
from norce_integration.adapters.memory.lifecycle import InMemoryOrderIndex
from norce_integration.adapters.memory.processing import InMemoryOrderRecords
from norce_integration.events.captures import CaptureResults
from norce_integration.events.contracts import InvoiceCaptureCompletedEvent, parse_event
from norce_integration.events.notifications import NotificationService
from norce_integration.events.outcomes import Outcome
from norce_integration.events.recipients import check_recipient
from norce_integration.events.rendering import TemplateRenderer
from norce_integration.events.views import InvoiceOrder, OrderLineView, OrderView
from norce_integration.failures import PermanentFailure, TransientFailure
from norce_integration.norce.ports import NorceRejected, NorceUnavailable
from norce_integration.orders.records import IndexedOrder


@pytest.mark.parametrize(
    "address",
    [
        "a@example.com",
        "first.last+tag@sub.example.co.uk",
        "o'brien@example.ie",
        "x_y-z@xn--bcher-kva.example",
    ],
)
def test_a_plain_address_is_taken(address):
    assert check_recipient(address).address == address


def test_a_unicode_domain_is_sent_to_in_ascii():
    assert check_recipient("anna@bücher.example").address == "anna@xn--bcher-kva.example"


@pytest.mark.parametrize(
    ("hostile", "why"),
    [
        ("a@example.com\r\nBcc: evil@example.org", "control character"),
        ("a@example.com\nBcc: evil@example.org", "control character"),
        ("a@example.com\u2028Bcc: evil@example.org", "control character"),
        ("a@example.com\x00", "control character"),
        ("a@example.com, evil@example.org", "space"),
        ("a@example.com,evil@example.org", "exactly one @"),
        ("Anna <a@example.com>", "space"),
        ('"a b"@example.com', "space"),
        ('"ab"@example.com', "local part"),
        ("a(comment)@example.com", "local part"),
        ("a@example.com;evil@example.org", "exactly one @"),
        ("a@localhost", "domain"),
        ("a@127.0.0.1", "domain"),
        ("a@-example.com", "domain"),
        ("a..b@example.com", "local part"),
        ("@example.com", "local part"),
        ("a@", "domain"),
        ("x" * 65 + "@example.com", "local part"),
        ("a@" + "b" * 250 + ".com", "domain"),
        ("", "no e-mail"),
        (None, "not text"),
        (42, "not text"),
    ],
)
def test_anything_but_one_plain_address_is_refused_without_naming_it(hostile, why):
    recipient = check_recipient(hostile)
    assert recipient.address is None and why in (recipient.reason or "")
    assert "evil" not in (recipient.reason or "") and "example" not in (recipient.reason or "")


# -- the e-mails: who gets one
ORDER = OrderView(
    700000001,
    "SO-1",
    "500123",
    email="buyer@example.com",
    lines=[OrderLineView("P-1", "Mug", Decimal(1), Decimal(100))],
)


def service(order: OrderView = ORDER) -> NotificationService:
    return NotificationService(
        InMemoryEventQuery(orders=[order]),
        TemplateRenderer(),
        CapturingNotifier(),
        InMemoryNotificationLedger(),
        clock=lambda: 10.0,
    )


def received(email: Any) -> Any:
    return parse_event("OrderReceivedEvent", {"ClientId": 1, "ClientOrderRef": "500123", "Email": email})


def test_order_received_with_a_header_in_its_email_sends_nothing_and_says_why():
    mails = service()
    handled = mails.handle("OrderReceivedEvent", received("a@example.com\r\nBcc: evil@example.org"))
    assert handled.outcome is Outcome.INVALID_RECIPIENT and "control character" in handled.detail
    assert "evil" not in handled.detail
    assert mails.notifier.sent == [] and mails.ledger.items == {}  # type: ignore[attr-defined]


def test_order_received_goes_to_the_checked_address():
    mails = service()
    assert mails.handle("OrderReceivedEvent", received("  anna@bücher.example ")).outcome is Outcome.SENT
    assert [m.to for m in mails.notifier.sent] == ["anna@xn--bcher-kva.example"]  # type: ignore[attr-defined]


def confirmed(**changes: Any) -> Any:
    body = {"ClientId": 1, "ApplicationId": 1001, "OrderId": 700000001, "OrderNo": "SO-1", "Source": "WEB"}
    return parse_event("OrderConfirmedEvent", body | changes)


def test_a_confirmation_goes_to_the_buyer_query_holds_not_to_anything_in_the_event():
    mails = service()
    handled = mails.handle("OrderConfirmedEvent", confirmed(Email="attacker@example.org"))
    assert handled.outcome is Outcome.SENT
    [email] = mails.notifier.sent  # type: ignore[attr-defined]
    assert email.to == "buyer@example.com" and email.client_order_ref == "500123"


def test_a_buyer_address_in_norce_that_is_not_one_address_is_refused():
    mails = service(OrderView(700000001, "SO-1", "500123", email="a@example.com b@example.com"))
    assert mails.handle("OrderConfirmedEvent", confirmed()).outcome is Outcome.INVALID_RECIPIENT


def test_the_pickup_email_names_the_drop_point():
    mails = service()
    event = parse_event(
        "OrderReadyForPickupEvent",
        {"ClientId": 1, "OrderId": 700000001, "OrderNo": "SO-1", "DropPointCode": "STORE-42"},
    )
    assert mails.handle("OrderReadyForPickupEvent", event).outcome is Outcome.SENT
    [email] = mails.notifier.sent  # type: ignore[attr-defined]
    assert "STORE-42" in email.text and "STORE-42" in email.html


# -- invoice captures
KEY = "ORDER#app#500123"
INVOICE = InvoiceOrder(600000001, "INV-1", "700000001", "500123", "SO-1")


class FailingQuery(InMemoryEventQuery):
    failure: Exception | None = None

    def invoice_order(self, invoice_id: int) -> InvoiceOrder | None:
        if self.failure:
            raise self.failure
        return super().invoice_order(invoice_id)


def captures(invoices: dict[int, InvoiceOrder] | None = None, now: float = 100.0) -> CaptureResults:
    index = InMemoryOrderIndex()
    index.remember(IndexedOrder(KEY, "500123", "SO-1"))
    query = FailingQuery(invoices={600000001: INVOICE} if invoices is None else invoices)
    return CaptureResults(query, index, InMemoryOrderRecords(), wait_seconds=3600, clock=lambda: now)


def capture(state: str, invoice_id: int = 600000001) -> InvoiceCaptureCompletedEvent:
    event = parse_event(
        "InvoiceCaptureCompletedEvent",
        {"ClientId": 1, "ApplicationId": 1001, "CapturedInvoiceId": invoice_id, "State": state},
    )
    assert isinstance(event, InvoiceCaptureCompletedEvent)
    return event


def test_a_failed_capture_is_on_the_orders_trail_once_however_often_norce_sends_it():
    results = captures()
    outcomes = [results.handle(capture("Error"), received_at=90.0) for _ in range(3)]
    assert [h.outcome for h in outcomes] == [Outcome.CAPTURE_FAILED, Outcome.REPEATED, Outcome.REPEATED]
    assert "INV-1" in outcomes[0].detail
    trail = results.records.records[KEY]["trail"]  # type: ignore[attr-defined]
    assert [(e["event"], e["capture_invoice_no"], e["capture_state"]) for e in trail] == [
        ("invoice_capture_failed", "INV-1", "Error")
    ]


def test_a_successful_capture_is_noted_not_alarmed():
    results = captures()
    assert results.handle(capture("Captured"), received_at=90.0).outcome is Outcome.CAPTURED
    [entry] = results.records.records[KEY]["trail"]  # type: ignore[attr-defined]
    assert entry["event"] == "invoice_captured"


def test_an_invoice_query_does_not_hold_yet_is_asked_again_then_counted_without_a_trail():
    waiting = captures(invoices={}, now=100.0)
    with pytest.raises(TransientFailure, match="does not hold invoice"):
        waiting.handle(capture("Error"), received_at=90.0)
    late = captures(invoices={}, now=90.0 + 3601)
    handled = late.handle(capture("Error"), received_at=90.0)
    assert handled.outcome is Outcome.CAPTURE_FAILED and "not in Norce Query" in handled.detail
    assert late.records.records == {}  # type: ignore[attr-defined]


def test_an_invoice_of_an_order_that_is_not_ours_still_counts():
    other = InvoiceOrder(600000002, "INV-9", "700000009", "999", "SO-9")
    results = captures(invoices={600000002: other})
    handled = results.handle(capture("Error", 600000002), received_at=90.0)
    assert handled.outcome is Outcome.CAPTURE_FAILED and "not an order of ours" in handled.detail


def test_query_down_is_retried_and_a_refused_query_is_parked():
    results = captures()
    results.query.failure = NorceUnavailable("503")  # type: ignore[attr-defined]
    with pytest.raises(TransientFailure):
        results.handle(capture("Error"), received_at=90.0)
    results.query.failure = NorceRejected("400")  # type: ignore[attr-defined]
    with pytest.raises(PermanentFailure):
        results.handle(capture("Error"), received_at=90.0)
