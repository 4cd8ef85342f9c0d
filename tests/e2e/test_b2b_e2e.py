"""A B2B order for a new company, over HTTP on the local stack: Norce holds the company and the buyer
from the checkout (no codes); the order ends in one ERP company, one contact linked to it, one ERP order,
a Confirmed status, and the codes written back company first, so no second company appears in Norce."""

import json

import pytest

from tests.e2e.helpers import PAYLOADS, confirmations_for, erp_orders_for, post_order, wait_until

pytestmark = pytest.mark.e2e

B2B = json.loads((PAYLOADS / "order-request-b2b-new-company.json").read_text())


def b2b_body(ref: str, vat_no: str, email: str) -> bytes:
    order = json.loads(json.dumps(B2B))
    order["ClientOrderRef"] = ref
    for party in ("SellTo", "BillTo", "ShipTo"):
        order[party]["Company"]["VatNo"] = vat_no
    order["SellTo"]["Person"]["Email"] = email
    return json.dumps(order).encode()


def test_a_b2b_order_for_a_new_company_ends_in_one_company_contact_order_and_codes_in_norce(stack):
    vat_no, email = "SE 559900-1122 01", "inkop@e2e-bygg.example"
    held_company = stack.norce.hold("companies", {"Name": "E2E Bygg AB", "VatNo": vat_no})
    stack.norce.hold("customers", {"EmailAddress": email, "FirstName": "Anna"})

    answer = post_order(stack, b2b_body("E2E-B2B-1", vat_no, email))

    assert answer.status_code == 200 and answer.json()["StatusCode"] == "OK"
    wait_until(lambda: confirmations_for(stack, "E2E-B2B-1"), what="the confirmation")
    [erp_order] = erp_orders_for(stack, "E2E-B2B-1")
    companies = [c for c in stack.erp.parties("companies") if c.get("vatNo") == "SE559900112201"]
    assert len(companies) == 1
    company = companies[0]
    assert company["organizationNo"] == "559900-1122" and company["externalRef"] == "vat:SE559900112201"
    [contact] = [c for c in stack.erp.parties("customers") if c.get("email") == email]
    assert contact["companyCode"] == company["code"]
    assert (erp_order["companyCode"], erp_order["customerCode"]) == (company["code"], contact["code"])

    linked = wait_until(
        lambda: [c for c in stack.norce.customers.values() if c.get("Companies") == [company["code"]]],
        what="the contact imported into Norce, linked to its company",
    )
    assert linked[0]["Code"] == contact["code"]
    in_norce = [c for c in stack.norce.companies.values() if c.get("VatNo") == vat_no]
    assert in_norce == [held_company | {"Code": company["code"]}], "the company Norce held got the code"
    imports = [c["path"] for c in stack.norce.calls if c["path"].startswith("Customer/Import")]
    assert imports.index("Customer/ImportCompanies") < imports.index("Customer/ImportCustomers")


def test_two_orders_at_once_for_one_new_company_make_one_erp_company(stack):
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    vat_no = "SE559900334401"
    stack.norce.hold("companies", {"Name": "Samtidigt AB", "VatNo": vat_no})
    bodies = [b2b_body(f"E2E-B2B-{n}", vat_no, f"buyer{n}@samtidigt.example") for n in (2, 3)]

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda body: post_order(stack, body), bodies))

    assert [a.json()["StatusCode"] for a in answers] == ["OK", "OK"]
    for ref in ("E2E-B2B-2", "E2E-B2B-3"):
        wait_until(lambda ref=ref: confirmations_for(stack, ref), what=f"the confirmation of {ref}")
    companies = [c for c in stack.erp.parties("companies") if c.get("vatNo") == vat_no]
    assert len(companies) == 1
    orders = erp_orders_for(stack, "E2E-B2B-2") + erp_orders_for(stack, "E2E-B2B-3")
    assert {o["companyCode"] for o in orders} == {companies[0]["code"]} and len(orders) == 2
