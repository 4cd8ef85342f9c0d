"""Orders through the real handlers (moto) with Norce played by the strict local Norce over HTTP: its
customer service matches, links and refuses as Norce publishes (Id, then Code, e-mail only without both;
``Is*ListDelta`` false by default; Contacts vs Customers), its Query finds a Norce order by its basket id.

Each test reproduces a defect the write-back and the scheduled imports had against that Norce: a code
written back with the buyer's e-mail made a second customer; linking a contact to a new company unlinked
it from its other companies; a company's contacts sent as ``Customers`` unlinked the others."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.norce import NorceConnectSimulator
from norce_integration.adapters.http import norce_connect
from norce_integration.adapters.http.caller import HttpCaller
from norce_integration.adapters.http.norce_connect import HttpNorceConnect, NorceHttp
from norce_integration.adapters.http.norce_query import HttpNorceQuery
from norce_integration.adapters.memory.imports import InMemoryImportStore
from norce_integration.adapters.memory.processing import InMemoryErp
from norce_integration.bootstrap.processing import build_processing
from norce_integration.erp.model import ErpCompany, ErpCustomer
from norce_integration.imports.config import Entity, ImportConfig, Mode, RunRequest
from norce_integration.imports.service import ImportRunner
from norce_integration.settings import ProcessorSettings
from tests.support.aws import ReceiverResources
from tests.support.handlers import FakeLambdaContext, load_event, load_function
from tests.support.sqs_events import from_received

PAYLOADS = Path(__file__).resolve().parents[2] / "events" / "payloads"
APP = "123e4567-e89b-12d3-a456-426614174000"  # the sample orders' Header.ApplicationKey


def clients(norce: NorceConnectSimulator) -> tuple[HttpNorceConnect, HttpNorceQuery]:
    basic = (norce.application_id, "connect-local-secret")
    caller = HttpCaller(norce_connect._unavailable, norce_connect._rejected, sleep=lambda _: None)
    connect = HttpNorceConnect(norce.connect_url, basic=basic, caller=caller)
    query = HttpNorceQuery(NorceHttp(norce.query_url, basic=basic, application_id=norce.application_id))
    return connect, query


class StrictWorld:
    """The receiver, the processor and the write-back on moto; the ERP in memory; Norce the local one."""

    def __init__(self, aws: ReceiverResources, norce: NorceConnectSimulator) -> None:
        norce.reset()
        self.aws, self.norce, self.erp = aws, norce, InMemoryErp()
        connect, query = clients(norce)
        parts = build_processing(
            ProcessorSettings.from_env(), erp_factory=lambda _: self.erp, norce=connect, norce_query=query
        )
        self.receiver = load_function("order_receiver")
        self.processor = load_function("order_processor")
        self.writeback = load_function("norce_writeback")
        for module in (self.processor, self.writeback):
            module.components = lambda parts=parts: parts
        self.records = parts.processor.records
        import boto3  # noqa: PLC0415 - moto is active by now

        self.sqs = boto3.client("sqs")

    def order(self, path: str, ref: str, **person: Any) -> dict[str, Any]:
        order = json.loads((PAYLOADS / path).read_text())
        order["ClientOrderRef"] = ref
        order["SellTo"]["Person"].update(person)
        return order

    def process(self, order: dict[str, Any]) -> None:
        """Norce sends the order; the processor and then the write-back take what is queued."""
        event = load_event("order_receiver/post-order-json.json")
        event["body"] = json.dumps(order)
        answer = json.loads(self.receiver.lambda_handler(event, FakeLambdaContext())["body"])
        assert answer["StatusCode"] == "OK", answer
        self._drain(self.aws.queue_url, self.processor)
        writeback_url = self.sqs.get_queue_url(QueueName="writeback")["QueueUrl"]
        self._drain(writeback_url, self.writeback)

    def _drain(self, url: str, module: Any) -> None:
        for _ in range(10):
            messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])
            if not messages.get("Messages"):
                return
            event = from_received(messages["Messages"], "arn:aws:sqs:eu-north-1:1:queue")
            answer = module.lambda_handler(event, FakeLambdaContext())
            assert answer == {"batchItemFailures": []}, answer
            for message in messages["Messages"]:
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    def trail(self, ref: str) -> list[dict[str, Any]]:
        return list((self.records.get(f"ORDER#{APP}#{ref}") or {}).get("trail") or [])


@pytest.fixture
def world(aws: ReceiverResources, norce: NorceConnectSimulator) -> StrictWorld:
    return StrictWorld(aws, norce)


def with_email(norce: NorceConnectSimulator, email: str) -> list[dict[str, Any]]:
    return [c for c in norce.customers.values() if c.get("EmailAddress") == email]


def test_a_buyer_norce_held_at_checkout_gets_the_erp_code_and_no_second_customer(world):
    order = world.order("order-request.json", "710001", CustomerCode=None, Email="anna@example.com")
    held = world.norce.checkout(order)

    world.process(order)

    [customer] = world.erp.customers.values()
    [in_norce] = with_email(world.norce, "anna@example.com")  # before: a second customer with the code
    assert (in_norce["Id"], in_norce["Code"]) == (held["BuyerCustomerId"], customer.code)
    [sent] = [entry for entry in world.trail("710001") if entry["event"] == "codes_sent_to_norce"]
    assert sent["codes"] == [f"customer {customer.code}"] and sent["validation"]["failures"] == 0


def test_an_order_whose_reference_is_no_basket_id_does_not_write_the_code_back_and_says_why(world):
    order = world.order("order-request.json", "EXT-710002", CustomerCode=None, Email="bo@example.com")
    world.norce.hold("customers", {"EmailAddress": "bo@example.com"})

    world.process(order)

    assert [c.get("Code") for c in with_email(world.norce, "bo@example.com")] == [None]
    assert world.norce.calls_to("Customer/ImportCustomers") == []
    [why] = [entry for entry in world.trail("EXT-710002") if entry["event"] == "codes_not_written_back"]
    assert "no Norce basket id" in why["reasons"][0]


def test_a_contact_of_company_a_ordering_for_new_company_b_stays_linked_to_a(world):
    company_a = world.norce.hold("companies", {"Code": "B-A", "Name": "A AB"})
    buyer = world.norce.hold(
        "customers", {"EmailAddress": "inkop@a.example", "FirstName": "Ina", "Companies": [company_a["Id"]]}
    )
    order = world.order("order-request-b2b-new-company.json", "710003", Email="inkop@a.example")
    company_b = world.norce.hold("companies", {"Name": order["SellTo"]["Company"]["Name"]})
    world.norce.place_order(order, BuyerCompanyId=company_b["Id"], BuyerCustomerId=buyer["Id"])

    world.process(order)

    [erp_b] = world.erp.companies.values()
    assert world.norce.companies[company_b["Id"]]["Code"] == erp_b.code
    assert world.norce.customers[buyer["Id"]]["Companies"] == [company_a["Id"], company_b["Id"]]
    assert len(world.norce.customers) == 1 and len(world.norce.companies) == 2


class OneCompanyErp:
    """An ERP export of one company with its contacts by code (scheduled ImportCompanies)."""

    def export_customers(self, changed_since: Any) -> Iterator[ErpCustomer]:
        return iter([])

    def export_companies(self, changed_since: Any) -> Iterator[ErpCompany]:
        yield ErpCompany(code="B1", name="B1 AB", organization_no="5560000001", contact_codes=["C1"])


def test_a_companys_contacts_go_as_contacts_and_its_other_customers_keep_their_link(norce):
    company = norce.hold("companies", {"Code": "B1", "Name": "B1 AB"})
    contact = norce.hold("customers", {"Code": "C1", "EmailAddress": "c1@example.com"})
    colleague = norce.hold("customers", {"Code": "C2", "Companies": [company["Id"]]})  # linked in Norce
    connect, _ = clients(norce)
    config = ImportConfig(account_id=1, application_key=APP)
    runner = ImportRunner(OneCompanyErp(), connect, InMemoryImportStore(), config, sleep=lambda _: None)

    summary = runner.run(RunRequest(Entity.COMPANIES, Mode.DELTA))

    assert summary.outcome == "sent", summary.as_dict()
    [call] = norce.calls_to("Customer/ImportCompanies")
    assert call["body"][0]["Contacts"] == [{"Code": "C1"}] and "Customers" not in call["body"][0]
    assert norce.customers[contact["Id"]]["Companies"] == [company["Id"]]
    assert norce.customers[colleague["Id"]]["Companies"] == [company["Id"]], "as Customers it lost it"
