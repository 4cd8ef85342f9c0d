"""The order lifecycle back to Norce, in memory: exactly once, in order, never backwards, never a
double capture."""

import threading
from decimal import Decimal

import pytest

from norce_integration.lifecycle.documents import Kind
from norce_integration.lifecycle.order_state import amounts
from norce_integration.lifecycle.ports import DocumentState
from norce_integration.lifecycle.service import Sent
from norce_integration.norce.ports import NorceRejected
from norce_integration.orders.records import IndexedOrder
from tests.support.lifecycle import REF, Lifecycle, credit, delivery_note, invoice, status


@pytest.fixture
def life() -> Lifecycle:
    world = Lifecycle()
    world.order()
    return world


def test_an_invoice_is_sent_once_and_recorded_on_the_order(life: Lifecycle) -> None:
    accepted = life.push(Kind.INVOICE, invoice())
    assert life.run() == [Sent.SENT]
    assert life.norce.numbers("CreateInvoice") == ["INV-1"]
    sent = life.norce.documents[0][1]
    assert sent.ErpOrderNo == life.record["erp_order_no"]  # filled in from the order it belongs to
    assert amounts(life.record["lifecycle"], "invoices") == {"INV-1": Decimal("750")}
    assert {"document_received", "document_sent"} <= set(life.trail())
    assert len(accepted.document_id) == 32


def test_the_same_invoice_pushed_five_times_at_once_and_again_later_is_captured_once(life: Lifecycle) -> None:
    threads = [threading.Thread(target=life.push, args=(Kind.INVOICE, invoice())) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    processor = life.processor()
    documents, life.queue.documents = life.queue.documents, []
    outcomes: list[object] = []
    workers = [
        threading.Thread(target=lambda d=d: outcomes.append(life.process(processor, d))) for d in documents
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    life.clock.now += 3600 * 24 * 30  # a month later, the ERP sends it again
    life.push(Kind.INVOICE, invoice())
    outcomes += life.run()
    assert life.norce.numbers("CreateInvoice") == ["INV-1"]
    assert outcomes.count(Sent.SENT) == 1
    assert "document_skipped_as_repeat" in life.trail()


def test_a_crash_after_norce_took_the_invoice_sends_no_second_one(life: Lifecycle) -> None:
    life.push(Kind.INVOICE, invoice())
    life.norce.lost_responses = 1  # Norce takes it; we never hear back
    document = life.queue.documents[0]
    first = life.run()
    assert first[0].startswith("retry:")
    assert life.ledger.get(document.key)["state"] == DocumentState.UNKNOWN
    life.queue.documents.append(document)  # SQS delivers it again
    assert life.run() == [Sent.FOUND_IN_NORCE]
    assert life.norce.numbers("CreateInvoice") == ["INV-1"]
    assert amounts(life.record["lifecycle"], "invoices") == {"INV-1": Decimal("750")}


class Killed(BaseException):
    """The worker's environment died (SIGKILL): nothing in the attempt catches it."""


@pytest.mark.parametrize(
    ("kind", "documents"),
    [
        (Kind.DELIVERY_NOTE, [(Kind.DELIVERY_NOTE, delivery_note())]),
        (Kind.INVOICE, [(Kind.INVOICE, invoice())]),
        (Kind.CREDIT, [(Kind.INVOICE, invoice()), (Kind.CREDIT, credit(amount="750.00"))]),
    ],
)
def test_an_attempt_killed_after_recording_what_norce_knows_is_not_parked_by_its_own_count(
    life: Lifecycle, kind: Kind, documents: list[tuple[Kind, dict[str, object]]]
) -> None:
    """The soak's window: Norce took it, the order's record counts it, the worker died before the ledger
    said SENT. The next attempt must not hold it against a count that already includes it."""
    for earlier, body in documents[:-1]:
        life.push(earlier, body)
        assert life.run() == [Sent.SENT]
    life.push(*documents[-1])
    document = life.queue.documents[0]
    finish = life.ledger.finish

    def dies_when_sent(key: str, token: str, state: DocumentState, **fields: object) -> None:
        if state is DocumentState.SENT:
            raise Killed
        finish(key, token, state, **fields)

    life.ledger.finish = dies_when_sent  # type: ignore[method-assign]
    with pytest.raises(Killed):
        life.run()
    life.ledger.finish = finish  # type: ignore[method-assign]
    life.clock.now += 121  # the dead attempt's lease runs out; SQS delivers the document again
    life.queue.documents.append(document)

    assert life.run() == [Sent.FOUND_IN_NORCE]
    assert life.ledger.get(document.key)["state"] == DocumentState.SENT
    assert life.norce.numbers(kind.value) == [documents[-1][1].get("NoteNo") or documents[-1][1]["InvoiceNo"]]


def test_an_attempt_that_died_mid_call_is_checked_in_norce_once_its_lease_is_over(life: Lifecycle) -> None:
    life.push(Kind.INVOICE, invoice())
    document = life.queue.documents[0]
    life.ledger.begin(document.key, "dead-attempt", life.clock(), life.clock() + 120, document.order_key)
    assert life.run()[0].startswith("retry: another delivery")
    life.clock.now += 121
    life.queue.documents.append(document)
    assert life.run() == [Sent.SENT]  # Query says Norce has no INV-1: the dead attempt never got there
    assert life.query.calls == 1


def test_an_unknown_outcome_is_parked_when_nobody_can_tell_whether_money_moved(life: Lifecycle) -> None:
    life.push(Kind.INVOICE, invoice())
    life.norce.lost_responses = 1
    document = life.queue.documents[0]
    life.run(query=None)
    life.queue.documents.append(document)
    outcome = life.run(query=None)
    assert outcome[0].startswith("parked: an earlier attempt may have sent CreateInvoice INV-1")
    assert life.norce.numbers("CreateInvoice") == ["INV-1"]
    assert life.ledger.get(document.key)["state"] == DocumentState.PARKED
    assert life.record["last_error"].startswith("CreateInvoice")


def test_norce_query_down_keeps_the_document_waiting_rather_than_sending_blind(life: Lifecycle) -> None:
    life.push(Kind.INVOICE, invoice())
    life.norce.lost_responses = 1
    document = life.queue.documents[0]
    life.run()
    life.query.down = True
    life.queue.documents.append(document)
    assert life.run()[0].startswith("retry:")
    life.query.down = False
    life.queue.documents.append(document)
    assert life.run() == [Sent.FOUND_IN_NORCE]
    assert life.norce.numbers("CreateInvoice") == ["INV-1"]


def test_connect_down_for_a_while_loses_nothing(life: Lifecycle) -> None:
    life.push(Kind.DELIVERY_NOTE, delivery_note())
    life.push(Kind.INVOICE, invoice())
    life.norce.unavailable_calls = 2
    documents = list(life.queue.documents)
    assert all(str(outcome).startswith("retry:") for outcome in life.run())
    life.queue.documents.extend(documents)
    assert life.run() == [Sent.SENT, Sent.SENT]
    assert life.norce.numbers("CreateDeliveryNote") == ["DN-1"]
    assert life.norce.numbers("CreateInvoice") == ["INV-1"]


def test_a_document_before_the_confirmation_waits_then_goes_once_the_order_is_confirmed() -> None:
    life = Lifecycle()
    life.order(confirm=False)
    # The ERP has the order (and pushes its invoice) before Norce heard of the confirmation.
    life.index.remember(IndexedOrder(life.order_key, REF, "SO-1"))
    life.push(Kind.INVOICE, invoice())
    document = life.queue.documents[0]
    assert life.run()[0] == "retry: the order is not confirmed in Norce yet"
    assert "document_waiting" in life.trail()
    life.confirm()
    life.queue.documents.append(document)
    assert life.run() == [Sent.SENT]
    assert life.sent_statuses() == ["Confirmed"]
    assert life.norce.numbers("CreateInvoice") == ["INV-1"]


def test_a_document_waits_a_bounded_time_then_fails_loudly() -> None:
    life = Lifecycle()
    life.order(confirm=False)
    life.index.remember(IndexedOrder(life.order_key, REF, "SO-1"))
    life.push(Kind.DELIVERY_NOTE, delivery_note())
    document = life.queue.documents[0]
    life.run(wait_seconds=600)
    life.clock.now += 601
    life.queue.documents.append(document)
    outcome = life.run(wait_seconds=600)
    assert outcome[0].startswith("parked: the order is not confirmed in Norce yet after 601 s")
    assert life.ledger.get(document.key)["state"] == DocumentState.PARKED
    assert not life.norce.documents


def test_partial_deliveries_send_partly_delivered_and_the_last_one_delivered(life: Lifecycle) -> None:
    life.push(Kind.DELIVERY_NOTE, delivery_note("DN-1", quantity=1))
    life.push(Kind.DELIVERY_NOTE, delivery_note("DN-2", quantity=1))
    assert life.run() == [Sent.SENT, Sent.SENT]
    assert life.sent_statuses() == ["Confirmed", "PartlyDelivered", "Delivered"]
    assert life.record["lifecycle"]["status"] == "Delivered"
    assert life.record["lifecycle"]["delivery_notes"] == {"DN-1": {"1": "1"}, "DN-2": {"1": "1"}}


def test_the_status_only_moves_forward(life: Lifecycle) -> None:
    life.push(Kind.STATUS, status("Delivered"))
    life.push(Kind.STATUS, status("Confirmed"))  # late
    assert life.run() == [Sent.SENT, Sent.SKIPPED]
    assert life.sent_statuses() == ["Confirmed", "Delivered"]
    assert "document_skipped" in life.trail()


def test_a_credit_needs_a_sent_invoice_and_may_not_exceed_what_is_left(life: Lifecycle) -> None:
    # Issue 20: the door holds a credit to what was invoiced minus credited too (before, only the processor).
    assert life.refused(Kind.CREDIT, credit("CN-1", "250.00")) == [
        "CreditedInvoiceNo INV-1 is not an invoice of this order (yet)",
        "credit CN-1 of 250.00 exceeds what was invoiced minus what was already credited "
        "(0.00 - 0.00 = 0.00)",
    ]
    life.queued(Kind.CREDIT, credit("CN-1", "250.00"))  # past the door (a replay): the processor waits
    assert life.run()[0] == "retry: invoice INV-1 of this order has not been sent to Norce"
    life.push(Kind.INVOICE, invoice())
    life.push(Kind.CREDIT, credit("CN-1", "250.00"))
    assert life.refused(Kind.CREDIT, credit("CN-2", "600.00"))[0].startswith(  # 750 - 250 = 500 left
        "credit CN-2 of 600.00 exceeds what was invoiced minus what was already credited (750.00 - 250.00"
    )
    life.queued(Kind.CREDIT, credit("CN-2", "600.00"))  # past the door: the processor is the authority
    outcomes = life.run()
    assert outcomes[:2] == [Sent.SENT, Sent.SENT]
    assert str(outcomes[2]).startswith("parked: credit CN-2 of 600.00 exceeds what was invoiced")
    assert life.norce.numbers("CreditPayment") == ["CN-1"]
    assert amounts(life.record["lifecycle"], "credits") == {"CN-1": Decimal("250")}


def test_norce_refusing_a_document_parks_it_with_norces_message(life: Lifecycle) -> None:
    def refuse(_: object) -> None:
        raise NorceRejected("Norce Connect answered 400: Order not found")

    life.norce.create_delivery_note = refuse
    life.push(Kind.DELIVERY_NOTE, delivery_note())
    outcome = life.run()
    assert outcome == ["parked: Norce refused it: Norce Connect answered 400: Order not found"]
    assert "Order not found" in life.record["last_error"]


def test_a_parked_document_can_be_replayed_once_fixed(life: Lifecycle) -> None:
    document = life.queued(Kind.CREDIT, credit("CN-1", "250.00"))  # its invoice not sent yet
    life.run(wait_seconds=0)  # parked: no invoice
    assert life.ledger.get(document.key)["state"] == DocumentState.PARKED
    life.push(Kind.INVOICE, invoice())
    life.run()
    life.queue.documents.append(document)  # redriven from the DLQ
    assert life.run() == [Sent.SENT]


@pytest.mark.parametrize(
    ("kind", "body", "expected"),
    [
        (Kind.INVOICE, invoice(ClientOrderRef=999), "unknown order: ClientOrderRef 999"),
        (Kind.INVOICE, invoice(InvoiceNo=None, CurrencyCode=None), "InvoiceNo is required"),
        (Kind.CREDIT, credit() | {"CreditedInvoiceNo": None}, "CreditedInvoiceNo is required"),
        (
            Kind.DELIVERY_NOTE,
            delivery_note(DeliverynoteItems=[{"ItemNo": "ITEM001", "Qty": -1}]),
            "Qty must be",
        ),
        (Kind.INVOICE, invoice(total="999.00"), "TotalAmount 999.00 is not"),
        (Kind.STATUS, status("Shipped"), "'Shipped' is not a Norce order status"),
        (Kind.INVOICE, ["not", "an", "object"], "the body must be a JSON object"),
    ],
)
def test_a_document_with_problems_is_refused_naming_each_and_nothing_is_queued(
    life: Lifecycle, kind: Kind, body: object, expected: str
) -> None:
    problems = life.refused(kind, body)
    assert any(expected in problem for problem in problems), problems


def test_every_problem_is_named_at_once(life: Lifecycle) -> None:
    problems = life.refused(Kind.INVOICE, invoice(InvoiceNo=None, CurrencyCode=None, InvoiceDate=None))
    assert {"InvoiceNo is required", "CurrencyCode is required", "InvoiceDate is required"} <= set(problems)


def test_an_order_is_found_by_the_erp_order_number_too(life: Lifecycle) -> None:
    erp_no = life.record["erp_order_no"]
    body = invoice()
    del body["ClientOrderRef"]
    life.push(Kind.INVOICE, body | {"ErpOrderNo": erp_no})
    assert life.run() == [Sent.SENT]
    assert life.norce.documents[0][1].ClientOrderRef == int(REF)
