"""B2B orders through the real handlers on moto (SQS, DynamoDB, S3) with an in-memory ERP and Norce:
a new company (Name + VatNo only) becomes one ERP company with its buyer as contact and one ERP order,
survives redelivery and crashes without a second company, and reaches Norce company-first."""

import json
import threading
from typing import Any

import boto3
import pytest

from norce_integration.adapters.memory.processing import InMemoryErp
from norce_integration.erp.model import ErpCompany, ErpOrder, ErpOrderRef
from norce_integration.erp.ports import ErpUnavailable
from tests.integration.conftest import World
from tests.support.aws import queued_messages
from tests.support.handlers import FakeLambdaContext, load_event
from tests.support.sqs_events import from_received
from tests.unit.test_b2b_orders import b2b_order

NO_VAT = {"Code": None, "Name": "Utan Moms AB", "VatNo": None}
B2B_APP = "123e4567-e89b-12d3-a456-426614174000"  # the sample B2B order's Header.ApplicationKey


class Crash(BaseException):
    """The Lambda process dies: the batch is not answered, every message comes back."""


def poll_orders(world: World) -> tuple[dict[str, Any], int]:
    """One batch through the processor handler, with every waiting message due now."""
    messages = world.sqs.receive_message(
        QueueUrl=world.aws.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
    ).get("Messages", [])
    if not messages:
        return {}, 0
    world.handles = [m["ReceiptHandle"] for m in messages]  # type: ignore[attr-defined]
    event = from_received(messages, world.queue_arn)
    return world.processor.lambda_handler(event, FakeLambdaContext()), len(messages)


def make_due(world: World) -> None:
    """The retry delay the handler set through the message's visibility has passed."""
    for handle in getattr(world, "handles", []):
        world.sqs.change_message_visibility(
            QueueUrl=world.aws.queue_url, ReceiptHandle=handle, VisibilityTimeout=0
        )


def drain_orders(world: World) -> list[dict[str, Any]]:
    answers = []
    while True:
        answer, count = poll_orders(world)
        if not count:
            return answers
        answers.append(answer)


def drain_writebacks(world: World) -> dict[str, Any]:
    url = world.sqs.get_queue_url(QueueName="writeback")["QueueUrl"]
    messages = world.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])
    event = from_received(messages.get("Messages", []), "arn:aws:sqs:eu-north-1:1:writeback")
    return world.writeback.lambda_handler(event, FakeLambdaContext())


def test_a_new_company_with_a_vat_number_becomes_one_company_contact_order_and_reaches_norce(world):
    world.query.companies[42] = {"Id": 42, "Name": "Nya Bygg AB", "VatNo": "SE556677889901"}  # from checkout
    world.query.orders[800001] = {"BuyerCompanyId": None, "BuyerCustomerId": 43}  # the buyer Norce held
    world.receive(b2b_order("800001"))

    assert drain_orders(world) == [{"batchItemFailures": []}]
    [company] = world.erp.companies.values()
    [contact] = world.erp.customers.values()
    assert (company.vat_no, company.organization_no, contact.company_code) == (
        "SE556677889901",
        "556677-8899",
        company.code,
    )
    assert world.erp.orders["800001"][1].company_code == company.code
    assert [(s.ClientOrderRef, s.OrderStatus) for s in world.norce.statuses] == [(800001, "Confirmed")]

    assert drain_writebacks(world) == {"batchItemFailures": []}
    [(first, [norce_company], _), (second, [norce_contact], header)] = world.norce.imports
    assert (first, norce_company.Id, norce_company.Code) == ("companies", 42, company.code)
    assert (second, norce_contact.Id, norce_contact.Code, header.CustomerFieldsThatAreSet) == (
        "customers",
        43,
        contact.code,
        ["Code", "Companies"],
    )
    assert norce_contact.Companies[0].Code == company.code and norce_contact.IsCompanyListDelta is True
    trail = world.processor.components().processor.records.get(f"ORDER#{B2B_APP}#800001")["trail"]
    sent = [entry for entry in trail if entry["event"] == "codes_sent_to_norce"]
    assert [(entry["codes"], entry["norce_job"]) for entry in sent] == [
        ([f"company {company.code}"], 5001),
        ([f"customer {contact.code}"], 5002),
    ]
    code_item = boto3.client("dynamodb").get_item(
        TableName=world.aws.table, Key={"pk": {"S": f"CODE#company#{company.code}"}}
    )["Item"]
    assert code_item["job_id"]["N"] == "5001"


def test_the_contact_waits_when_norce_query_does_not_know_the_company_yet(world):
    world.receive(b2b_order("800002"))
    drain_orders(world)

    answer = drain_writebacks(world)

    assert len(answer["batchItemFailures"]) == 2, "company deferred, and its contact waits for it"
    assert world.norce.imports == []


def test_a_company_without_vat_no_delivered_twice_is_created_once(world):
    failures = {"create_order": 1}
    original = world.erp.create_order

    def create_order_failing_once(order: ErpOrder) -> ErpOrderRef:
        if failures["create_order"]:
            failures["create_order"] -= 1
            raise ErpUnavailable("ERP answered 503")
        return original(order)

    world.erp.create_order = create_order_failing_once  # type: ignore[method-assign]
    world.receive(b2b_order("B2B-3", NO_VAT))
    first, _ = poll_orders(world)  # company and contact created, then the ERP fails the order
    make_due(world)
    second, delivered = poll_orders(world)  # the same message, delivered a second time

    assert len(first["batchItemFailures"]) == 1 and second == {"batchItemFailures": []}
    assert delivered == 1
    [company] = world.erp.companies.values()
    assert company.external_ref.endswith(":B2B-3:company") and world.erp.calls.count("create_company") == 1
    assert list(world.erp.orders) == ["B2B-3"]


@pytest.mark.parametrize("crash_in", ["create_company", "create_customer"])
def test_a_crash_after_the_erp_create_leaves_one_company_and_one_contact(world, crash_in):
    """The process dies right after the ERP created the entity: nothing after it runs, not even the
    release of the order's processing lock. The retry (another Lambda instance) waits for the lock to
    expire, then finds what the first attempt created."""
    original = getattr(world.erp, crash_in)
    processor = world.processor.components().processor
    crashes = [1]

    def create_then_die(entity: Any) -> Any:
        created = original(entity)
        if crashes:
            crashes.pop()
            processor.records.unlock = lambda key, owner: None  # a dead process releases nothing
            raise Crash
        return created

    setattr(world.erp, crash_in, create_then_die)
    world.receive(b2b_order("B2B-4", NO_VAT, Email=None))

    with pytest.raises(Crash):
        poll_orders(world)
    del processor.records.unlock  # the instance attribute goes: the next instance unlocks again
    processor.owner = "another-instance"
    make_due(world)  # never deleted: it comes back after its visibility timeout
    while_locked, _ = poll_orders(world)
    assert len(while_locked["batchItemFailures"]) == 1, "the dead attempt's lock still holds"
    now = processor.clock()
    processor.clock = lambda: now + processor.lock_seconds + 1  # the lock has expired
    make_due(world)
    answer, _ = poll_orders(world)

    assert answer == {"batchItemFailures": []}
    assert len(world.erp.companies) == 1 and len(world.erp.customers) == 1
    assert world.erp.calls.count(crash_in) == 1
    assert list(world.erp.orders) == ["B2B-4"]
    [contact] = world.erp.customers.values()
    assert contact.company_code == next(iter(world.erp.companies))


def test_a_company_without_vat_no_and_a_buyer_without_email_reach_norce_through_their_order(world):
    world.query.orders[700001] = {"BuyerCompanyId": 61, "BuyerCustomerId": 62}  # as the checkout left them
    world.receive(b2b_order("700001", NO_VAT, Email=None))

    assert drain_orders(world) == [{"batchItemFailures": []}]
    assert drain_writebacks(world) == {"batchItemFailures": []}

    [company] = world.erp.companies.values()
    [contact] = world.erp.customers.values()
    [(first, [norce_company], _), (second, [norce_contact], _)] = world.norce.imports
    assert (first, norce_company.Id, norce_company.Code) == ("companies", 61, company.code)
    assert (second, norce_contact.Id, norce_contact.Code) == ("customers", 62, contact.code)
    assert norce_contact.Companies[0].Code == company.code


def test_an_existing_company_by_code_is_used_and_nothing_is_created_for_it(world):
    world.erp.companies["B100"] = ErpCompany(code="B100", name="Nya Bygg AB")
    world.receive(b2b_order("800005", {"Code": "B100", "Name": "Nya Bygg AB", "VatNo": "SE556677889901"}))

    drain_orders(world)

    assert list(world.erp.companies) == ["B100"] and world.erp.orders["800005"][1].company_code == "B100"
    kinds = [json.loads(body)["kind"] for body in _writeback_bodies(world)]
    assert kinds == ["customer"], "the company already has its code in Norce"


def test_two_orders_at_once_for_one_new_company_make_one_erp_company(world):
    barrier = threading.Barrier(2)
    original = world.erp.find_company

    def find_company_together(**keys: Any) -> ErpCompany | None:
        found = original(**keys)
        barrier.wait(timeout=5)  # both have looked before either creates
        return found

    world.erp.find_company = find_company_together  # type: ignore[method-assign]
    world.receive(b2b_order("B2B-6", Email="anna@nyabygg.example"))
    world.receive(b2b_order("B2B-7", Email="bo@nyabygg.example"))
    messages = queued_messages(world.aws.queue_url)
    assert len(messages) == 2
    processor = world.processor

    def process(message: dict[str, Any]) -> None:
        from norce_integration.adapters.aws.sqs_queue import queued_order_from_body  # noqa: PLC0415

        processor.components().processor.process(queued_order_from_body(json.dumps(message)))

    threads = [threading.Thread(target=process, args=(m,)) for m in messages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    [company] = world.erp.companies.values()
    assert sorted(world.erp.orders) == ["B2B-6", "B2B-7"]
    assert {order.company_code for _, order in world.erp.orders.values()} == {company.code}
    assert len(world.erp.customers) == 2


def _writeback_bodies(world: World) -> list[str]:
    url = world.sqs.get_queue_url(QueueName="writeback")["QueueUrl"]
    return [json.dumps(m) for m in queued_messages(url)]


def test_in_memory_erp_is_the_one_the_handlers_use(world):
    assert isinstance(world.erp, InMemoryErp)


def test_the_b2b_write_back_samples_reach_norce_by_the_ids_query_holds(world):
    """events/norce_writeback: a company found by its VAT number, and one (with its buyer) found only as
    the buyer of its Norce order; each imported by Norce's own Id, companies before their contacts."""
    world.query.companies[42] = {"Id": 42, "VatNo": "SE556677889901"}
    world.query.orders[700002] = {"BuyerCompanyId": None, "BuyerCustomerId": 63}
    world.query.orders[700001] = {"BuyerCompanyId": 61, "BuyerCustomerId": 62}
    handler = world.writeback.lambda_handler

    for sample in ("sqs-b2b-company-and-contact.json", "sqs-b2b-through-the-order.json"):
        assert handler(load_event(f"norce_writeback/{sample}"), FakeLambdaContext()) == {
            "batchItemFailures": []
        }

    by_code = {
        entity.Code: (kind, entity) for kind, entities, _ in world.norce.imports for entity in entities
    }
    assert (by_code["B20002"][0], by_code["B20002"][1].Id) == ("companies", 42)
    assert (by_code["B20003"][0], by_code["B20003"][1].Id) == ("companies", 61)
    assert (by_code["C10003"][0], by_code["C10003"][1].Id) == ("customers", 62)
    assert (by_code["C10002"][1].Id, by_code["C10002"][1].EmailAddress) == (63, None), "never by e-mail"
    assert [c.Code for c in by_code["C10003"][1].Companies] == ["B20003"]
    assert all(entity.ApplicationKey == B2B_APP for kind, entity in by_code.values() if kind == "companies")
