"""The poll never stalls on one document (issue 20): a young document of an order not known yet is
remembered in the watermark and tried again each run while the rest of the feed goes on; and the statuses
it and the push take (issue 19: the current schema's 10, the older 11 only when configured). In memory."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from norce_integration.adapters.memory.lifecycle import InMemoryWatermarks
from norce_integration.erp.model import ErpDocument
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
