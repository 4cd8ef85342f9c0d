"""The order processor: exactly one ERP order per ClientOrderRef, customers created when new, codes
written back, Norce confirmed; transient failures retried, permanent ones recorded and parked."""

import json
import threading
from dataclasses import replace

import pytest

from norce_integration.erp.model import ErpCustomer
from norce_integration.failures import PermanentFailure, TransientFailure
from norce_integration.processing.config import ProcessingConfig
from norce_integration.processing.service import Processed
from tests.support.processing import Flow, example_order


def test_an_order_becomes_one_erp_order_and_is_confirmed_in_norce():
    flow = Flow()
    message = flow.receive(example_order())

    result = flow.processor().process(message)

    assert (result.outcome, result.erp_order_no, result.created) == (Processed.CONFIRMED, "SO-000001", True)
    number, erp_order = flow.erp.orders["REF12345"]
    assert erp_order.customer_code == "CUST0001" and len(erp_order.lines) == 1
    [status] = flow.norce.statuses
    # ClientOrderRef is Norce's int32 basket id (issue 19): an external order number is not sent as one
    assert (status.ClientOrderRef, status.ErpOrderNo, status.OrderStatus) == (None, number, "Confirmed")
    record = flow.records.get(message.key)
    assert record["processing_state"] == "confirmed" and record["erp_order_no"] == "SO-000001"
    assert [entry["event"] for entry in record["trail"]] == ["received", "erp_order_created", "confirmed"]
    assert record["trail"][0]["at"] == message.received_at and record["wire_format"] == "json"


def test_numeric_client_order_ref_is_confirmed_as_a_number():
    flow = Flow()
    flow.processor().process(flow.receive(example_order("1234567")))
    assert flow.norce.statuses[0].ClientOrderRef == 1234567


def test_a_redelivered_message_makes_no_second_erp_order_or_confirmation():
    flow = Flow()
    message = flow.receive(example_order())
    flow.processor().process(message)

    again = flow.processor().process(message)

    assert again.outcome is Processed.ALREADY_CONFIRMED and again.erp_order_no == "SO-000001"
    assert len(flow.erp.orders) == 1 and flow.erp.calls.count("create_order") == 1
    assert len(flow.norce.statuses) == 1


def test_concurrent_deliveries_of_one_message_make_one_erp_order():
    flow = Flow()
    message = flow.receive(example_order())
    start = threading.Barrier(8)
    outcomes: list[str] = []

    def deliver() -> None:
        start.wait()
        try:
            outcomes.append(flow.processor().process(message).outcome.value)
        except TransientFailure:
            outcomes.append("retry-later")

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(flow.erp.orders) == 1 and flow.erp.calls.count("create_order") == 1
    assert "confirmed" in outcomes
    assert set(outcomes) <= {"confirmed", "already_confirmed", "retry-later"}


def test_a_stale_message_is_dropped_without_touching_the_erp():
    flow = Flow()
    message = flow.receive(example_order())
    stale = replace(message, token="someone-elses-token")

    assert flow.processor().process(stale).outcome is Processed.STALE
    assert flow.erp.calls == []


def test_erp_down_is_transient_and_the_order_arrives_once_when_it_is_back():
    flow = Flow()
    message = flow.receive(example_order())
    flow.erp.down = True

    with pytest.raises(TransientFailure) as failure:
        flow.processor().process(message)
    assert failure.value.retry_after == 60
    assert flow.records.get(message.key)["last_error"] == "ERP answered 503"

    flow.erp.down = False
    assert flow.processor().process(message).outcome is Processed.CONFIRMED
    assert len(flow.erp.orders) == 1


def test_norce_unavailable_after_the_erp_order_retries_only_the_confirmation():
    flow = Flow()
    message = flow.receive(example_order())
    flow.norce.unavailable_calls = 1

    with pytest.raises(TransientFailure):
        flow.processor().process(message)
    assert len(flow.erp.orders) == 1 and flow.norce.statuses == []

    result = flow.processor().process(message)

    assert (result.outcome, result.created) == (Processed.CONFIRMED, False)
    assert flow.erp.calls.count("create_order") == 1
    assert [s.ErpOrderNo for s in flow.norce.statuses] == ["SO-000001"]


def test_an_order_the_erp_rejects_is_recorded_as_failed_and_not_retried():
    flow = Flow()
    message = flow.receive(example_order())
    flow.erp.reject_orders_reason = "unknown part ITEM001"

    with pytest.raises(PermanentFailure, match="ERP rejected it: unknown part ITEM001"):
        flow.processor().process(message)

    record = flow.records.get(message.key)
    assert record["processing_state"] == "failed"
    assert record["last_error"] == "ERP rejected it: unknown part ITEM001"
    assert flow.norce.statuses == []

    flow.erp.reject_orders_reason = None  # fixed: the replayed message goes through
    assert flow.processor().process(message).outcome is Processed.CONFIRMED


def test_a_new_customer_is_created_in_the_erp_and_its_code_queued_for_norce():
    flow = Flow()
    order = example_order("300001")  # a Norce order: its ClientOrderRef is the basket id
    order = order.replace(b'"CustomerCode": "CUST0001"', b'"CustomerCode": null')
    message = flow.receive(order)

    flow.processor().process(message)

    [customer] = flow.erp.customers.values()
    assert (customer.code, customer.email, customer.first_name) == ("C10001", "john.doe@example.com", "John")
    assert flow.erp.orders["300001"][1].customer_code == "C10001"
    [writeback] = flow.writebacks.items
    assert (writeback.kind, writeback.code, writeback.client_order_ref) == ("customer", "C10001", "300001")
    assert writeback.match_value == "", "found in Norce by its Id (its order's buyer), never by e-mail"

    flow.processor().process(flow.receive(example_order("300002").replace(b'"CUST0001"', b"null")))
    assert len(flow.erp.customers) == 1, "found by e-mail the second time, not created again"
    assert len(flow.writebacks.items) == 2, "Norce still lacks the code: written back again"


def test_an_existing_erp_customer_found_by_email_is_used():
    flow = Flow()
    flow.erp.customers["C777"] = ErpCustomer(code="C777", email="john.doe@example.com")
    message = flow.receive(example_order().replace(b'"CUST0001"', b"null"))

    flow.processor().process(message)

    assert flow.erp.orders["REF12345"][1].customer_code == "C777"
    assert "create_customer" not in flow.erp.calls


def test_a_company_without_code_is_found_or_created_by_organisation_number():
    flow = Flow()
    company = {"Code": None, "Name": "Acme AB", "OrganizationNo": "556000-0000", "Email": "info@acme.example"}
    body = example_order("REF-B2B").replace(
        b'"Company": null', b'"Company": ' + json.dumps(company).encode(), 1
    )
    message = flow.receive(body)

    flow.processor().process(message)

    [created] = flow.erp.companies.values()
    assert (created.code, created.name) == ("B20001", "Acme AB")
    erp_order = flow.erp.orders["REF-B2B"][1]
    assert (erp_order.company_code, erp_order.customer_code) == ("B20001", "CUST0001")
    assert [(w.kind, w.code, w.match_value) for w in flow.writebacks.items] == [
        ("company", "B20001", "556000-0000")
    ]


def test_a_missing_mapping_rule_is_permanent():
    flow = Flow(config=ProcessingConfig(payment_methods={"invoice": "INV"}, delivery_methods={"*": "STD"}))
    message = flow.receive(example_order())

    with pytest.raises(PermanentFailure, match="no payment method mapping for 'credit_card'"):
        flow.processor().process(message)
    assert flow.erp.calls.count("create_order") == 0
