"""Issue 20: every invoice and delivery note is held against the order before it can move money or goods,
at the door (what was accepted) and in the processor (what was sent), in memory. The example order is
Norce's: one line, 2 x ITEM001 at 300 + 75 VAT, worth 750."""

import threading
from decimal import Decimal
from typing import Any

import pytest

from norce_integration.lifecycle.bounds import Bounds, OrderedLine, OrderTerms, QuantityBasis, allocate
from norce_integration.lifecycle.documents import Kind
from norce_integration.lifecycle.intake import Refusal, Refused
from norce_integration.lifecycle.ports import DocumentState
from norce_integration.lifecycle.service import Sent
from tests.support.lifecycle import REF, Lifecycle, credit, delivery_note, invoice


@pytest.fixture
def life() -> Lifecycle:
    world = Lifecycle()
    world.order()
    return world


def line(
    quantity: int, *, line_no: int | None = 1, part: str = "ITEM001", price: int = 300
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "PartNo": part,
        "Quantity": quantity,
        "UnitPrice": price,
        "LineAmount": quantity * price,
    }
    if line_no is not None:
        item["LineNo"] = line_no
    return item


def invoice_of(number: str, *items: dict[str, Any]) -> dict[str, Any]:
    net = sum(item["LineAmount"] for item in items)
    return invoice(
        number, total=str(net * Decimal("1.25")), Items=list(items), Vat=str(net * Decimal("0.25"))
    )


# -- the example, at the door
def test_a_second_invoice_of_the_same_lines_is_refused_with_the_rule_and_the_numbers(life: Lifecycle) -> None:
    life.push(Kind.INVOICE, invoice("INV-1"))
    refusal = life.refusal(Kind.INVOICE, invoice("INV-2"))
    assert refusal.refusal is Refusal.BREAKS_RULES
    assert refusal.problems == [
        "invoiced quantity: order line 1 (ITEM001) would be invoiced 4 with this invoice (2 before it), "
        "but 2 were ordered",
        "invoiced total: the order's invoices would come to 1500.00 incl. VAT with this one "
        "(750.00 before it), above the order's total 750.00 plus the tolerances "
        "(freight 0.00, rounding 1.00)",
    ]
    assert life.trail()[-1] == "document_refused"
    assert "invoiced quantity" in life.record["refused_because"]


def test_an_invoice_of_quantity_200_and_a_note_of_5_of_2_are_refused(life: Lifecycle) -> None:
    problems = life.refused(Kind.INVOICE, invoice_of("INV-200", line(200)))
    assert problems[0].startswith("invoiced quantity: order line 1 (ITEM001) would be invoiced 200")
    assert problems[1].startswith("invoiced total: the order's invoices would come to 75000.00")
    problems = life.refused(Kind.DELIVERY_NOTE, delivery_note("DN-5", quantity=5))
    assert problems == [
        "delivered quantity: order line 1 (ITEM001) would be delivered 5 with this note (0 before it), "
        "but 2 were ordered"
    ]


def test_nothing_over_the_order_is_captured_whatever_the_erp_sends(life: Lifecycle) -> None:
    for number, body in (
        ("INV-1", invoice("INV-1")),
        ("INV-2", invoice("INV-2")),
        ("INV-3", invoice_of("INV-3", line(200))),
    ):
        life.intake.accept(Kind.INVOICE, body, source="push")
        assert number
    life.intake.accept(Kind.DELIVERY_NOTE, delivery_note("DN-5", quantity=5), source="push")
    assert [d.key.rsplit("#", 1)[-1] for d in life.queue.documents] == ["INV-1"]
    assert life.run() == [Sent.SENT]
    assert life.norce.numbers("CreateInvoice") == ["INV-1"] and life.norce.numbers("CreateDeliveryNote") == []


def test_two_invoices_of_the_same_lines_at_once_one_is_accepted_one_refused(life: Lifecycle) -> None:
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def push(number: str) -> None:
        start.wait()
        outcomes.append(life.intake.accept(Kind.INVOICE, invoice(number), source="push"))

    threads = [threading.Thread(target=push, args=(number,)) for number in ("INV-A", "INV-B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    kinds = sorted(type(outcome).__name__ for outcome in outcomes)
    assert kinds == ["Accepted", "Refused"]
    assert len(life.queue.documents) == 1
    assert life.books.read(life.order_key).size() == 1


def test_the_count_is_written_only_over_the_version_it_read(life: Lifecycle) -> None:
    """The optimistic write: when another instance counted a document between this one's read and its
    write, the write fails and the door reads the book again."""
    real_write, others = life.books.write, []

    def write_after_another(order_key: str, book: Any) -> bool:
        if not others:  # meanwhile, another instance accepts INV-A for the same lines
            others.append(None)
            others[0] = life.intake.accept(Kind.INVOICE, invoice("INV-A"), source="push")
        return real_write(order_key, book)

    life.books.write = write_after_another  # type: ignore[method-assign]
    refusal = life.intake.accept(Kind.INVOICE, invoice("INV-B"), source="push")
    assert type(others[0]).__name__ == "Accepted"
    assert (
        isinstance(refusal, Refused) and refusal.refusal is Refusal.BREAKS_RULES
    )  # read again: INV-A counts
    assert [d.key.rsplit("#", 1)[-1] for d in life.queue.documents] == ["INV-A"]


# -- matching lines and the configured bounds
def test_lines_match_by_line_number_else_by_part_number(life: Lifecycle) -> None:
    by_part = invoice_of("INV-1", line(1, line_no=None))
    life.push(Kind.INVOICE, by_part)
    assert life.books.read(life.order_key).entry(Kind.INVOICE.value, "INV-1").lines == {"1": "1"}  # type: ignore[union-attr]
    unknown_line_known_part = invoice_of("INV-2", line(1, line_no=9))
    life.push(Kind.INVOICE, unknown_line_known_part)
    assert life.refused(Kind.INVOICE, invoice_of("INV-3", line(1, line_no=None)))[0].startswith(
        "invoiced quantity: order line 1 (ITEM001) would be invoiced 3"
    )


def test_a_fee_line_of_a_part_not_ordered_is_bounded_by_the_total_only(life: Lifecycle) -> None:
    freight = {"PartNo": "FREIGHT", "Quantity": 1, "UnitPrice": 40, "LineAmount": 40}
    assert life.refused(Kind.INVOICE, invoice_of("INV-1", line(2), freight)) == [
        "invoiced total: the order's invoices would come to 800.00 incl. VAT with this one (0.00 before it), "
        "above the order's total 750.00 plus the tolerances (freight 0.00, rounding 1.00)"
    ]
    generous = life.intake_with(rules=Bounds(freight_tolerance=Decimal(50)))
    assert (
        type(generous.accept(Kind.INVOICE, invoice_of("INV-1", line(2), freight), "push")).__name__
        == "Accepted"
    )


def test_a_delivery_note_of_a_part_not_on_the_order_is_refused(life: Lifecycle) -> None:
    note = delivery_note("DN-1", DeliverynoteItems=[{"ItemNo": "NOT-ORDERED", "Qty": 1}])
    assert life.refused(Kind.DELIVERY_NOTE, note) == [
        "delivered quantity: part NOT-ORDERED is on no line of the order"
    ]


def test_with_the_delivered_basis_only_what_was_delivered_may_be_invoiced(life: Lifecycle) -> None:
    intake = life.intake_with(rules=Bounds(basis=QuantityBasis.DELIVERED))
    refused = intake.accept(Kind.INVOICE, invoice("INV-1"), "push")
    assert refused.problems[0].endswith("but 0 were delivered")  # type: ignore[union-attr]
    intake.accept(Kind.DELIVERY_NOTE, delivery_note("DN-1", quantity=1), "push")
    assert intake.accept(Kind.INVOICE, invoice_of("INV-1", line(1)), "push").__class__.__name__ == "Accepted"
    assert (
        intake.accept(Kind.INVOICE, invoice_of("INV-2", line(1)), "push")
        .problems[0]
        .endswith(  # type: ignore[union-attr]
            "but 1 were delivered"
        )
    )


def test_an_invoice_in_another_currency_is_refused(life: Lifecycle) -> None:
    assert "CurrencyCode EUR is not the order's currency (SEK)" in life.refused(
        Kind.INVOICE, invoice(CurrencyCode="EUR")
    )


def test_lines_of_one_part_are_filled_in_order_up_to_what_is_left_of_each() -> None:
    terms = OrderTerms(
        {
            "1": OrderedLine("1", frozenset({"P"}), Decimal(2)),
            "2": OrderedLine("2", frozenset({"P"}), Decimal(3)),
        },
        Decimal(0),
        "SEK",
    )
    assert allocate([(None, "P", Decimal(4))], terms, {}) == {"1": Decimal(2), "2": Decimal(2)}
    assert allocate([(None, "P", Decimal(4))], terms, {"1": Decimal(2)}) == {"2": Decimal(4)}
    assert allocate([(2, "P", Decimal(1)), (7, "Q", Decimal(1))], terms, {}) == {
        "2": Decimal(1),
        "part Q": Decimal(1),
    }


# -- the same number again
def test_the_same_invoice_again_is_a_repeat_and_a_changed_one_a_conflict_on_the_trail(
    life: Lifecycle,
) -> None:
    first = life.push(Kind.INVOICE, invoice("INV-1"))
    again = life.push(Kind.INVOICE, invoice("INV-1"))
    assert again.document_id == first.document_id
    corrected = invoice_of("INV-1", line(2, price=280))
    refusal = life.refusal(Kind.INVOICE, corrected)
    assert refusal.refusal is Refusal.CONFLICT
    assert refusal.problems[0].startswith(
        "InvoiceNo INV-1 was accepted before with other content (fingerprint "
    )
    assert "total 750.00" in refusal.problems[0] and "total 700.00" in refusal.problems[0]
    assert life.trail()[-1] == "document_conflict"
    conflict = life.record["conflict"]
    assert conflict["accepted"]["total"] == "750.00" and conflict["refused"]["total"] == "700.00"
    assert life.run() == [Sent.SENT, Sent.REPEAT]
    assert life.norce.numbers("CreateInvoice") == ["INV-1"]


# -- the processor, the authority
def test_a_document_over_the_bounds_past_the_door_is_parked_and_never_sent(life: Lifecycle) -> None:
    life.push(Kind.INVOICE, invoice("INV-1"))
    replay = life.queued(Kind.INVOICE, invoice("INV-2") | {"ClientOrderRef": int(REF)})  # a replay, say
    outcomes = life.run()
    assert outcomes[0] == Sent.SENT
    assert str(outcomes[1]).startswith(
        "parked: invoiced quantity: order line 1 (ITEM001) would be invoiced 4"
    )
    assert life.norce.numbers("CreateInvoice") == ["INV-1"]
    assert life.ledger.get(replay.key)["state"] == DocumentState.PARKED


def test_a_parked_unsent_document_stops_counting_at_the_door_so_a_corrected_one_is_taken(
    life: Lifecycle,
) -> None:
    def refuse(_: object) -> None:
        from norce_integration.norce.ports import NorceRejected  # noqa: PLC0415

        raise NorceRejected("Norce Connect answered 400: InvoiceDate is in the future")

    life.push(Kind.INVOICE, invoice("INV-1", InvoiceDate="2099-01-01T00:00:00Z"))
    life.norce.create_invoice = refuse
    assert str(life.run()[0]).startswith("parked: Norce refused it")
    assert life.books.read(life.order_key).size() == 0
    del life.norce.create_invoice
    life.push(Kind.INVOICE, invoice("INV-1"))  # corrected, same number: taken (it never reached Norce)
    assert life.run() == [Sent.SENT]


def test_a_document_that_can_never_be_sent_is_parked_at_once_and_the_orders_next_one_goes(
    life: Lifecycle,
) -> None:
    poisoned = life.queued(Kind.INVOICE, invoice("INV-X") | {"TotalAmount": float("inf")})
    unreadable = life.queued(Kind.INVOICE, invoice("INV-Y") | {"Items": "not a list"})
    life.push(Kind.INVOICE, invoice("INV-1"))
    outcomes = life.run()
    assert str(outcomes[0]).startswith(
        "parked: the queued document can never be sent: TotalAmount is not a finite"
    )
    assert str(outcomes[1]).startswith("parked: the queued document cannot be read")
    assert outcomes[2] == Sent.SENT
    for document in (poisoned, unreadable):
        assert life.ledger.get(document.key)["state"] == DocumentState.PARKED
    assert life.trail().count("document_failed") == 2
    assert life.norce.numbers("CreateInvoice") == ["INV-1"]


def test_a_number_too_long_for_norce_is_parked_with_its_reason_shown_cut(life: Lifecycle) -> None:
    document = life.queued(Kind.DELIVERY_NOTE, delivery_note("N" * 3000))
    assert str(life.run()[0]).startswith(
        "parked: the queued document can never be sent: NoteNo is 3000 characters"
    )
    assert life.ledger.get(document.key)["state"] == DocumentState.PARKED
    assert life.record["trail"][-1]["document"] == "CreateDeliveryNote " + "N" * 60 + "..."


def test_a_credit_is_held_at_the_door_to_an_invoice_of_the_order(life: Lifecycle) -> None:
    life.push(Kind.INVOICE, invoice("INV-1"))
    assert life.refused(Kind.CREDIT, credit("CN-1", "100.00", invoice_no="INV-9")) == [
        "CreditedInvoiceNo INV-9 is not an invoice of this order (yet)"
    ]
    life.push(Kind.CREDIT, credit("CN-1", "700.00"))
    assert life.refused(Kind.CREDIT, credit("CN-2", "50.01"))[0].startswith(
        "credit CN-2 of 50.01 exceeds what was invoiced minus what was already credited "
        "(750.00 - 700.00 = 50.00)"
    )


def test_an_order_whose_archived_body_cannot_be_read_refuses_its_documents_with_the_reason(
    life: Lifecycle,
) -> None:
    archive_key = life.record["archive_key"]
    life.flow.archive.objects[archive_key] = b"not an order"
    problems = life.refused(Kind.INVOICE, invoice("INV-1"))
    assert problems[0].startswith(f"order {REF}: the archived order cannot be read")
