"""The poll never stalls on one document (issue 20): a young document of an order not known yet is
remembered in the watermark and tried again each run while the rest of the feed goes on; and the statuses
it and the push take (issue 19: the current schema's 10, the older 11 only when configured). In memory."""

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from norce_integration.adapters.memory.lifecycle import InMemoryWatermarks
from norce_integration.erp.model import ErpDocument
from norce_integration.erp.ports import ErpUnavailable
from norce_integration.failures import DependencyUnavailable
from norce_integration.lifecycle import validation
from norce_integration.lifecycle.documents import Kind
from norce_integration.lifecycle.intake import Refusal
from norce_integration.lifecycle.poll import DocumentPoll
from norce_integration.orders.records import IndexedOrder
from tests.support.lifecycle import REF, Lifecycle, invoice, status


@pytest.fixture
def life() -> Lifecycle:
    world = Lifecycle()
    world.order()
    return world


def erp_document(
    number: str, ref: str, changed: datetime, kind: str = "status", **fields: Any
) -> ErpDocument:
    return ErpDocument.model_validate(
        {
            "documentNo": number,
            "kind": kind,
            "orderNo": f"SO-{ref}",
            "externalRef": ref,
            "changedAt": changed.isoformat(),
            "status": "BackOrder" if kind == "status" else None,
            **fields,
        }
    )


def poll_of(life: Lifecycle, **options: Any) -> DocumentPoll:
    return DocumentPoll(
        erp=life.flow.erp,
        intake=life.intake,
        watermarks=options.pop("watermarks", InMemoryWatermarks()),
        unknown_order_grace_seconds=900,
        clock=life.clock,
        **options,
    )


def test_a_young_document_of_an_unknown_order_is_remembered_and_the_rest_goes_on(life: Lifecycle) -> None:
    now = datetime.fromtimestamp(life.clock(), UTC)
    ours = life.record["erp_order_no"]
    life.flow.erp.documents += [
        erp_document("S-NEW", "4711", now - timedelta(seconds=10)),  # our order, not indexed yet
        erp_document("S-OURS", REF, now - timedelta(seconds=5), orderNo=ours),
    ]
    poll = poll_of(life)

    first = poll.run()

    assert (first.queued, first.pending, first.passed_over, first.waiting) == (
        ["S-OURS"],
        ["S-NEW"],
        {},
        None,
    )
    mark = poll.watermarks.get(poll.name)
    assert mark is not None and [p.document["documentNo"] for p in mark.pending] == ["S-NEW"]
    assert mark.at == now - timedelta(seconds=5)  # past both: the feed is not read again from S-NEW

    assert poll.run().pending == ["S-NEW"]  # still unknown, still young: kept
    life.index.remember(IndexedOrder("ORDER#-#4711", "4711", "SO-4711"))
    second = poll.run()
    assert second.queued == ["S-NEW"] and second.pending == []
    assert poll.watermarks.get(poll.name).pending == ()  # type: ignore[union-attr]


def test_a_remembered_document_older_than_the_grace_is_passed_over_as_another_channels(
    life: Lifecycle,
) -> None:
    now = datetime.fromtimestamp(life.clock(), UTC)
    life.flow.erp.documents.append(erp_document("S-POS", "POS-77", now - timedelta(seconds=10)))
    poll = poll_of(life)
    assert poll.run().pending == ["S-POS"]

    life.clock.now += 900
    later = poll.run()

    assert later.pending == [] and list(later.passed_over) == ["S-POS"]
    assert later.passed_over["S-POS"].startswith("unknown order: ClientOrderRef POS-77")
    assert "another sales channel's" in later.passed_over["S-POS"]


def test_when_the_memory_is_full_the_poll_stops_there_and_loses_nothing(life: Lifecycle) -> None:
    now = datetime.fromtimestamp(life.clock(), UTC)
    life.flow.erp.documents += [
        erp_document(f"S-{n}", f"9{n}", now - timedelta(seconds=30 - n)) for n in range(3)
    ]
    poll = poll_of(life, max_pending=2)

    first = poll.run()

    assert first.pending == ["S-0", "S-1"] and first.waiting == "S-2"
    life.index.remember(IndexedOrder("ORDER#-#90", "90", "SO-90"))
    life.index.remember(IndexedOrder("ORDER#-#91", "91", "SO-91"))
    life.index.remember(IndexedOrder("ORDER#-#92", "92", "SO-92"))
    second = poll.run()
    assert second.queued == ["S-0", "S-1", "S-2"] and second.waiting is None


def test_a_broken_polled_document_is_passed_over_with_its_reason_and_noted_on_the_order(
    life: Lifecycle,
) -> None:
    now = datetime.fromtimestamp(life.clock(), UTC)
    ours = life.record["erp_order_no"]
    life.flow.erp.documents += [
        erp_document(
            "INV-1",
            REF,
            now,
            "invoice",
            orderNo=ours,
            currency="SEK",
            totalAmount=750,
            vat=150,
            lines=[{"lineNo": 1, "partNo": "ITEM001", "quantity": 2, "unitPrice": 300}],
        ),
        erp_document(
            "INV-2",
            REF,
            now,
            "invoice",
            orderNo=ours,
            currency="SEK",
            totalAmount=750,
            vat=150,
            lines=[{"lineNo": 1, "partNo": "ITEM001", "quantity": 2, "unitPrice": 300}],
        ),
        erp_document(
            "INV-3",
            REF,
            now,
            "invoice",
            orderNo=ours,
            currency="SEK",
            totalAmount=1.5,
            vat=0.5,
            lines=[{"lineNo": 1, "partNo": "ITEM001", "quantity": 1.5, "unitPrice": 0.67}],
        ),
    ]
    result = poll_of(life).run()
    assert result.queued == ["INV-1"]
    assert result.passed_over["INV-2"].startswith(
        "invoiced quantity: order line 1 (ITEM001) would be invoiced 4"
    )
    assert "Items[0].Quantity" in result.passed_over["INV-3"]
    assert "document_refused" in life.trail()


# -- side by side (issue 22: one at a time, a busy ERP's feed outran the poll)
ORDERS = ("2001", "2002", "2003", "2004")


@dataclass
class WatchedPoll(DocumentPoll):
    """The poll, watched as it takes each document: in what order, how many at once; ``fail_once`` makes the
    intake fail for that document once (DynamoDB throttled, say)."""

    fail_once: str | None = None
    taken: list[tuple[str, str]] = field(default_factory=list)  # (order, document number) as they started
    at_once: int = 0
    most_at_once: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _take(self, document: ErpDocument) -> Any:
        with self.lock:
            self.taken.append((str(document.external_ref), document.document_no))
            self.at_once += 1
            self.most_at_once = max(self.most_at_once, self.at_once)
            failing = document.document_no == self.fail_once
            if failing:
                self.fail_once = None
        try:
            time.sleep(0.01)  # a DynamoDB round trip or so: the lanes overlap
            if failing:
                raise DependencyUnavailable("Recording the accepted document failed")
            return super()._take(document)
        finally:
            with self.lock:
                self.at_once -= 1


def busy_feed(life: Lifecycle, per_order: int = 3) -> list[ErpDocument]:
    """Statuses of four orders, interleaved, one a second (each names itself in InfoText)."""
    start = datetime.fromtimestamp(life.clock(), UTC) - timedelta(seconds=100)
    for ref in ORDERS:
        life.index.remember(IndexedOrder(f"ORDER#-#{ref}", ref, f"SO-{ref}"))
    documents = [
        erp_document(f"S-{ref}-{n}", ref, start + timedelta(seconds=n * len(ORDERS) + i))
        for n in range(per_order)
        for i, ref in enumerate(ORDERS)
    ]
    life.flow.erp.documents += documents
    return documents


def watched_poll(life: Lifecycle) -> WatchedPoll:
    return WatchedPoll(
        erp=life.flow.erp,
        intake=life.intake,
        watermarks=InMemoryWatermarks(),
        workers=4,
        window=12,
        clock=life.clock,
    )


def per_order(taken: list[tuple[str, str]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for ref, number in taken:
        found.setdefault(ref, []).append(number)
    return found


def test_orders_are_taken_side_by_side_and_each_orders_documents_in_the_feeds_order(life: Lifecycle) -> None:
    feed = busy_feed(life)
    poll = watched_poll(life)

    result = poll.run()

    assert result.queued == [d.document_no for d in feed] and result.passed_over == {}
    assert poll.most_at_once > 1
    assert per_order(poll.taken) == {ref: [f"S-{ref}-{n}" for n in range(3)] for ref in ORDERS}
    mark = poll.watermarks.get(poll.name)
    assert mark is not None and mark.at == feed[-1].changed_at


def test_a_failure_in_one_lane_saves_the_watermark_before_it_and_the_next_run_loses_nothing(
    life: Lifecycle,
) -> None:
    feed = busy_feed(life)
    failing = feed[5]  # S-2002-1: its order's next document waits; the other orders' go on
    poll = watched_poll(life)
    poll.fail_once = failing.document_no

    with pytest.raises(DependencyUnavailable):
        poll.run()

    mark = poll.watermarks.get(poll.name)
    assert mark is not None and mark.at == feed[4].changed_at  # past what came before it, no further
    assert ("2002", "S-2002-2") not in poll.taken  # its order's next one was not tried before it

    again = poll.run()

    assert again.queued == [d.document_no for d in feed[5:]]
    # every document queued; the five of other orders taken after the failure twice (repeats, sent once)
    assert len(life.queue.documents) == len(feed) + 5
    assert per_order(poll.taken)["2002"] == ["S-2002-0", "S-2002-1", "S-2002-1", "S-2002-2"]


def test_an_erp_outage_mid_feed_takes_what_was_read_saves_and_raises(life: Lifecycle) -> None:
    feed = busy_feed(life)

    def breaks_after_five(_: datetime | None) -> Iterator[ErpDocument]:
        yield from feed[:5]
        raise ErpUnavailable("the ERP went away mid-feed")

    life.flow.erp.changed_documents = breaks_after_five  # type: ignore[method-assign,assignment]
    poll = poll_of(life, workers=4, window=12)

    with pytest.raises(ErpUnavailable):
        poll.run()

    assert [d.client_order_ref for d in life.queue.documents].count("2001") == 2
    mark = poll.watermarks.get(poll.name)
    assert mark is not None and mark.at == feed[4].changed_at


def test_max_documents_stops_the_run_and_says_there_is_more(life: Lifecycle) -> None:
    feed = busy_feed(life)
    poll = poll_of(life, workers=4, window=5, max_documents=7)

    first = poll.run()
    second = poll.run()

    assert (first.queued, first.more) == ([d.document_no for d in feed[:7]], True)
    assert (second.queued, second.more) == ([d.document_no for d in feed[7:]], False)


# -- statuses (issue 19)
def test_the_current_schemas_statuses_are_taken_and_the_older_ones_only_when_configured(
    life: Lifecycle,
) -> None:
    for name in validation.CURRENT_STATUSES:
        assert validation.problems(Kind.STATUS, _status(name), validation.statuses_accepted()) == []
    refused = life.refusal(Kind.STATUS, status("ReadyForPickup"))
    assert refused.refusal is Refusal.INVALID
    assert refused.problems == [
        "OrderStatus 'ReadyForPickup' is only on Norce's older SendOrderStatus page (unconfirmed); "
        "it is accepted when listed in ExtraOrderStatuses"
    ]
    configured = life.intake_with(statuses=validation.statuses_accepted(frozenset({"ReadyForPickup"})))
    assert type(configured.accept(Kind.STATUS, status("ReadyForPickup"), "push")).__name__ == "Accepted"


def test_a_status_names_the_order_by_its_basket_id_or_else_its_erp_order_number() -> None:
    numeric, external = Lifecycle(), Lifecycle()
    numeric.order()
    external.order(ref="REF12345")
    numeric.push(Kind.STATUS, status("BackOrder"))
    external.push(Kind.STATUS, {"ClientOrderRef": "REF12345", "OrderStatus": "BackOrder"})
    assert numeric.queue.documents[0].body["ClientOrderRef"] == int(REF)
    sent = external.queue.documents[0].body
    assert "ClientOrderRef" not in sent and sent["ErpOrderNo"] == external.record["erp_order_no"]


def test_an_external_order_cannot_be_invoiced_through_connect() -> None:
    external = Lifecycle()
    external.order(ref="REF12345")
    problems = external.refused(Kind.INVOICE, invoice() | {"ClientOrderRef": "REF12345"})
    assert problems == [
        "order REF12345 cannot be invoiced or credited through Norce Connect: its ClientOrderRef is not a "
        "Norce basket id (an int32 number), which CreateInvoice and CreditPayment require"
    ]


def _status(name: str) -> Any:
    from norce_integration.contracts.connect import OrderStatusUpdate  # noqa: PLC0415

    return OrderStatusUpdate(ClientOrderRef=1, OrderStatus=name)


def test_an_erp_document_maps_to_plain_json_whole_quantities_and_number_amounts() -> None:
    import json  # noqa: PLC0415

    from norce_integration.lifecycle.mapping import to_norce  # noqa: PLC0415

    now = datetime(2026, 11, 25, tzinfo=UTC)
    note = erp_document("DN-1", REF, now, "deliveryNote", lines=[{"lineNo": 1, "partNo": "P", "quantity": 2}])
    bill = erp_document(
        "INV-1",
        REF,
        now,
        "invoice",
        currency="SEK",
        totalAmount=750,
        vat=150,
        lines=[{"lineNo": 1, "partNo": "P", "quantity": 2, "unitPrice": 300}],
    )
    for document in (note, bill):
        kind, body = to_norce(document)
        assert json.loads(json.dumps(body)) == body, kind  # JSON-ready, as a pushing ERP sends it
    assert to_norce(note)[1]["DeliverynoteItems"] == [{"ItemNo": "P", "Qty": 2, "RowNumber": 1}]
    invoice_body = to_norce(bill)[1]
    assert invoice_body["Items"][0]["Quantity"] == 2 and invoice_body["TotalAmount"] == 750.0
