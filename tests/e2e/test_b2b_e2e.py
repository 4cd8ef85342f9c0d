"""Orders over HTTP on the local stack, whose buyers Norce held at checkout (no codes): the order ends in
one ERP company, one contact linked to it, one ERP order, a Confirmed status, and the codes written back
by Norce's own Ids, company first, so no second company or customer appears in Norce and no relation is
lost."""

import json

import pytest

from tests.e2e.helpers import (
    PAYLOADS,
    confirmations_for,
    erp_orders_for,
    order_body,
    post_order,
    wait_until,
)

pytestmark = pytest.mark.e2e

B2B = json.loads((PAYLOADS / "order-request-b2b-new-company.json").read_text())


def b2b_body(ref: str, vat_no: str, email: str) -> bytes:
    order = json.loads(json.dumps(B2B))
    order["ClientOrderRef"] = ref
    for party in ("SellTo", "BillTo", "ShipTo"):
        order[party]["Company"]["VatNo"] = vat_no
    order["SellTo"]["Person"]["Email"] = email
    return json.dumps(order).encode()


def imports_carrying(stack, code: str) -> list[tuple[int, str]]:
    """The Connect import calls whose records carry ``code``: (position among all calls, path)."""
    return [
        (position, call["path"])
        for position, call in enumerate(list(stack.norce.calls))
        if call["path"].startswith("Customer/Import")
        and any(isinstance(r, dict) and r.get("Code") == code for r in call.get("body") or [])
    ]


def test_a_b2b_order_for_a_new_company_ends_in_one_company_contact_order_and_codes_in_norce(stack):
    vat_no, email = "SE 559900-1122 01", "inkop@e2e-bygg.example"
    body = b2b_body("881001", vat_no, email)  # a Norce order: its ClientOrderRef is the basket id
    held = stack.norce.checkout(json.loads(body))  # Norce holds the company and the buyer, without codes
    held_company = stack.norce.companies[held["BuyerCompanyId"]]
    companies_in_norce = len(stack.norce.companies)

    answer = post_order(stack, body)

    assert answer.status_code == 200 and answer.json()["StatusCode"] == "OK"
    wait_until(lambda: confirmations_for(stack, "881001"), what="the confirmation")
    [erp_order] = erp_orders_for(stack, "881001")
    companies = [c for c in stack.erp.parties("companies") if c.get("vatNo") == "SE559900112201"]
    assert len(companies) == 1
    company = companies[0]
    assert company["organizationNo"] == "559900-1122" and company["externalRef"] == "vat:SE559900112201"
    contacts = [c for c in stack.erp.parties("customers") if c.get("companyCode") == company["code"]]
    assert [c["email"] for c in contacts] == [email], "one contact, linked to its company"
    assert (erp_order["companyCode"], erp_order["customerCode"]) == (company["code"], contacts[0]["code"])

    company_id = held["BuyerCompanyId"]
    linked = wait_until(
        lambda: [c for c in stack.norce.customers.values() if c.get("Companies") == [company_id]],
        what="the contact imported into Norce, linked to its company",
    )
    assert [c["Id"] for c in linked] == [held["BuyerCustomerId"]] and linked[0]["Code"] == contacts[0]["code"]
    assert stack.norce.companies[held["BuyerCompanyId"]] == held_company | {"Code": company["code"]}
    assert len(stack.norce.companies) == companies_in_norce, "no second company in Norce"
    [(company_at, company_import)] = imports_carrying(stack, company["code"])
    [(contact_at, contact_import)] = imports_carrying(stack, contacts[0]["code"])
    assert (company_import, contact_import) == ("Customer/ImportCompanies", "Customer/ImportCustomers")
    assert company_at < contact_at, "the company's code reached Norce before its contact's"


def test_a_company_without_vat_no_and_a_buyer_without_email_reach_norce_through_their_order(stack):
    order = json.loads(b2b_body("880001", "", "x@example.invalid"))  # a Norce basket id as ClientOrderRef
    for party in ("SellTo", "BillTo", "ShipTo"):
        order[party]["Company"] = {"Code": None, "Name": "E2E Utan Moms AB", "VatNo": None}
    order["SellTo"]["Person"]["Email"] = None
    held = stack.norce.checkout(order)
    companies_in_norce, customers_in_norce = len(stack.norce.companies), len(stack.norce.customers)

    answer = post_order(stack, json.dumps(order).encode())

    assert answer.json()["StatusCode"] == "OK"
    wait_until(lambda: confirmations_for(stack, "880001"), what="the confirmation")
    [erp_order] = erp_orders_for(stack, "880001")
    norce_company = wait_until(
        lambda: stack.norce.companies[held["BuyerCompanyId"]].get("Code"), what="the company's code in Norce"
    )
    norce_contact = wait_until(
        lambda: stack.norce.customers[held["BuyerCustomerId"]].get("Code"), what="the buyer's code in Norce"
    )
    assert (norce_company, norce_contact) == (erp_order["companyCode"], erp_order["customerCode"])
    assert stack.norce.customers[held["BuyerCustomerId"]].get("Companies") == [held["BuyerCompanyId"]]
    counts = (len(stack.norce.companies), len(stack.norce.customers))
    assert counts == (companies_in_norce, customers_in_norce), "nothing new in Norce"


def test_two_orders_at_once_for_one_new_company_make_one_erp_company(stack):
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    vat_no = "SE559900334401"
    bodies = [b2b_body(f"E2E-B2B-{n}", vat_no, f"buyer{n}@samtidigt.example") for n in (2, 3)]
    stack.norce.checkout(json.loads(bodies[0]))

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda body: post_order(stack, body), bodies))

    assert [a.json()["StatusCode"] for a in answers] == ["OK", "OK"]
    for ref in ("E2E-B2B-2", "E2E-B2B-3"):
        wait_until(lambda ref=ref: confirmations_for(stack, ref), what=f"the confirmation of {ref}")
    companies = [c for c in stack.erp.parties("companies") if c.get("vatNo") == vat_no]
    assert len(companies) == 1
    orders = erp_orders_for(stack, "E2E-B2B-2") + erp_orders_for(stack, "E2E-B2B-3")
    assert {o["companyCode"] for o in orders} == {companies[0]["code"]} and len(orders) == 2


def test_a_b2c_buyer_norce_held_at_checkout_ends_as_one_customer_in_norce_with_the_erp_code(stack):
    email = "b2c-held@e2e.example"
    order = json.loads(order_body("881101"))
    order["SellTo"]["Person"].update({"CustomerCode": None, "Email": email})
    held = stack.norce.checkout(order)  # as Norce's checkout holds the buyer: a customer with an Id

    assert post_order(stack, json.dumps(order).encode()).json()["StatusCode"] == "OK"

    wait_until(lambda: confirmations_for(stack, "881101"), what="the confirmation")
    [erp_order] = erp_orders_for(stack, "881101")
    code = wait_until(
        lambda: stack.norce.customers[held["BuyerCustomerId"]].get("Code"), what="the ERP code in Norce"
    )
    assert code == erp_order["customerCode"]
    same_email = [c for c in stack.norce.customers.values() if c.get("EmailAddress") == email]
    assert [c["Id"] for c in same_email] == [held["BuyerCustomerId"]], "exactly one customer with that e-mail"


def test_a_contact_of_company_a_ordering_for_a_new_company_b_stays_linked_to_a(stack):
    company_a = stack.norce.hold("companies", {"Code": "E2E-A", "Name": "E2E A AB"})
    email = "contact-of-a@e2e.example"
    buyer = stack.norce.hold(
        "customers", {"EmailAddress": email, "FirstName": "Ada", "Companies": [company_a["Id"]]}
    )
    order = json.loads(b2b_body("881201", "SE559900778801", email))
    company_b = stack.norce.hold("companies", {"Name": order["SellTo"]["Company"]["Name"]})
    stack.norce.place_order(order, BuyerCompanyId=company_b["Id"], BuyerCustomerId=buyer["Id"])

    assert post_order(stack, json.dumps(order).encode()).json()["StatusCode"] == "OK"

    wait_until(lambda: confirmations_for(stack, "881201"), what="the confirmation")
    [erp_order] = erp_orders_for(stack, "881201")
    linked = wait_until(
        lambda: company_b["Id"] in (stack.norce.customers[buyer["Id"]].get("Companies") or []),
        what="the buyer linked to company B in Norce",
    )
    assert linked and stack.norce.customers[buyer["Id"]]["Companies"] == [company_a["Id"], company_b["Id"]]
    assert stack.norce.companies[company_b["Id"]]["Code"] == erp_order["companyCode"]
    assert [c["Id"] for c in stack.norce.customers.values() if c.get("EmailAddress") == email] == [
        buyer["Id"]
    ]
