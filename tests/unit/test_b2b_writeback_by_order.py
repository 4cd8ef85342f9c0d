"""Codes Norce can only recognise through the order: a company without a VAT or organisation number,
a buyer without an e-mail. Query's ``Orders/Orders`` holds the order by its basket id (the
``ClientOrderRef`` of a Norce order) with the Ids its checkout gave the buyer; the write-back imports by
those Ids, so Norce never gets a second company or customer and no code waits forever."""

from typing import Any

from norce_integration.adapters.memory.jobs import InMemoryCodeJobs
from norce_integration.adapters.memory.processing import InMemoryNorceConnect, InMemoryNorceQuery
from norce_integration.processing.writeback import WritebackService, basket_id
from tests.support.processing import Flow
from tests.unit.test_b2b_orders import b2b_order

NO_VAT = {"Code": None, "Name": "Utan Moms AB", "VatNo": None}
BASKET = "100001"  # a Norce order's ClientOrderRef is its basket id


def processed(ref: str, company: dict[str, Any] | None = None, **person: Any) -> Flow:
    flow = Flow()
    flow.processor().process(flow.receive(b2b_order(ref, company, **person)))
    return flow


def norce_holding_the_order(company_id: int | None = 77, customer_id: int | None = 88) -> InMemoryNorceQuery:
    query = InMemoryNorceQuery()
    query.orders[int(BASKET)] = {"BuyerCompanyId": company_id, "BuyerCustomerId": customer_id}
    return query


def test_only_a_norce_basket_id_is_a_key_to_query_orders_by():
    assert [basket_id(ref) for ref in ("100001", " 42 ", "REF-1", "", None, "\uff11\uff12", "1" * 19)] == [
        100001,
        42,
        None,
        None,
        None,
        None,
        None,
    ]


def test_a_company_without_vat_no_is_imported_by_the_id_its_order_gave_it_and_its_contact_links():
    flow = processed(BASKET, NO_VAT)
    [company] = flow.erp.companies.values()
    [contact] = flow.erp.customers.values()
    norce, query = InMemoryNorceConnect(), norce_holding_the_order()

    result = WritebackService(norce, InMemoryCodeJobs(), account_id=1, query=query).send(
        flow.writebacks.items
    )

    assert result.deferred == {}
    [(first, [norce_company], _), (second, [norce_contact], header)] = norce.imports
    assert (first, norce_company.Id, norce_company.Code) == ("companies", 77, company.code)
    assert (second, header.CustomerFieldsThatAreSet) == ("customers", ["Code", "Companies"])
    assert norce_contact.model_dump(exclude_none=True) == {
        "Id": 88,
        "Code": contact.code,
        "Companies": [{"Code": company.code}],
        "IsCompanyListDelta": True,
    }


def test_a_buyer_without_an_email_is_imported_by_the_id_its_order_gave_it():
    flow = processed(BASKET, Email=None)
    [contact] = flow.erp.customers.values()
    norce = InMemoryNorceConnect()
    query = norce_holding_the_order()
    query.companies[77] = {"Id": 77, "VatNo": "SE556677889901"}

    result = WritebackService(norce, InMemoryCodeJobs(), account_id=1, query=query).send(
        flow.writebacks.items
    )

    assert result.deferred == {}
    _, [norce_contact], _ = norce.imports[1]
    assert (norce_contact.Id, norce_contact.Code, norce_contact.EmailAddress) == (88, contact.code, None)
    assert query.calls == 1, "the company and its contact share one look-up of their order"


def test_codes_wait_while_query_does_not_hold_the_order_yet():
    flow = processed(BASKET, NO_VAT, Email=None)
    norce = InMemoryNorceConnect()

    result = WritebackService(norce, InMemoryCodeJobs(), account_id=1, query=InMemoryNorceQuery()).send(
        flow.writebacks.items
    )

    assert norce.imports == []
    assert sorted(kind for kind, _ in result.deferred) == ["company", "customer"]
    assert all("Query" in reason for reason in result.deferred.values())


def test_what_norce_could_never_match_is_not_written_back_and_the_trail_says_why():
    flow = Flow()
    message = flow.receive(b2b_order("EXT-7", NO_VAT))  # an external order's reference: no basket id
    flow.processor().process(message)

    assert flow.writebacks.items == [], "no Norce Id to send: a code by e-mail would make a second customer"
    [entry] = [e for e in flow.records.get(message.key)["trail"] if e["event"] == "codes_not_written_back"]
    assert any("no VatNo, no OrganizationNo and no Norce basket id" in reason for reason in entry["reasons"])
    assert any("is no Norce basket id" in reason for reason in entry["reasons"])


def test_each_code_names_its_orders_record_whose_trail_tells_what_became_of_it():
    flow = processed(BASKET, NO_VAT)

    assert {item.order_key for item in flow.writebacks.items} == {flow.queue.messages[0].key}


def test_two_orders_of_a_company_known_by_its_organisation_number_make_one_erp_company():
    company = {"Code": None, "Name": "Acme AB", "VatNo": None, "OrganizationNo": "556000-0000"}
    flow = Flow()
    processor = flow.processor()
    for ref in ("ORG-1", "ORG-2"):
        processor.process(flow.receive(b2b_order(ref, company, Email=f"{ref.lower()}@acme.example")))

    [created] = flow.erp.companies.values()
    assert created.external_ref == "org:556000-0000"
    assert flow.erp.calls.count("create_company") == 1
