"""Over HTTP against the local stack: Norce order -> receiver -> queue -> processor -> ERP -> Norce."""

import base64
import threading

import pytest
from defusedxml.ElementTree import fromstring

from tests.e2e.helpers import (
    PAYLOADS,
    confirmations_for,
    erp_orders_for,
    order_body,
    post_order,
    wait_until,
)

pytestmark = pytest.mark.e2e


def test_an_order_goes_from_norce_to_the_erp_and_is_confirmed(stack):
    response = post_order(stack, order_body("E2E-1"))

    assert response.status_code == 200
    assert response.json() == {
        "StatusCode": "OK",
        "Description": "No error, order status is set to allocated.",
        "HasErpOrderNo": False,
        "ErpOrderNo": None,
    }
    [confirmation] = wait_until(lambda: confirmations_for(stack, "E2E-1"), what="the confirmation")
    [erp_order] = erp_orders_for(stack, "E2E-1")
    assert confirmation["ErpOrderNo"] == erp_order["orderNo"]
    assert (
        erp_order["body"]["delivery"]["method"] == "PN"
        and erp_order["body"]["payments"][0]["method"] == "CARD"
    )


def test_an_xml_order_is_answered_in_xml_and_processed(stack):
    body = (PAYLOADS / "order-request-namespaced.xml").read_bytes().replace(b"REF12345", b"E2E-XML")

    response = post_order(stack, body, "text/xml; charset=utf-8")

    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/xml")
    root = fromstring(response.content)
    assert root.tag == "{Enferno.Services.StormConnect.Contracts.Order}OrderResponse"
    wait_until(lambda: confirmations_for(stack, "E2E-XML"), what="the confirmation")
    assert len(erp_orders_for(stack, "E2E-XML")) == 1


def test_a_duplicate_gets_the_same_answer_and_makes_no_second_erp_order(stack):
    first = post_order(stack, order_body("E2E-DUP"))
    wait_until(lambda: confirmations_for(stack, "E2E-DUP"), what="the confirmation")

    second = post_order(stack, order_body("E2E-DUP"))

    assert second.json() == first.json()
    assert len(erp_orders_for(stack, "E2E-DUP")) == 1 and len(confirmations_for(stack, "E2E-DUP")) == 1


def test_twenty_copies_at_the_same_instant_make_one_erp_order(stack):
    start = threading.Barrier(20)
    answers = []

    def send() -> None:
        start.wait()
        answers.append(post_order(stack, order_body("E2E-BURST")))

    threads = [threading.Thread(target=send) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [a.status_code for a in answers] == [200] * 20
    assert {a.text for a in answers} == {answers[0].text} and answers[0].json()["StatusCode"] == "OK"
    wait_until(lambda: confirmations_for(stack, "E2E-BURST"), what="the confirmation")
    assert len(erp_orders_for(stack, "E2E-BURST")) == 1
    assert len(confirmations_for(stack, "E2E-BURST")) == 1


def test_wrong_credentials_get_401_with_a_challenge(stack):
    wrong = "Basic " + base64.b64encode(b"norce:nope").decode()

    response = post_order(stack, order_body("E2E-AUTH"), authorization=wrong)

    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Basic")


def test_wrong_content_type_gets_415(stack):
    assert post_order(stack, order_body("E2E-CT"), "text/plain").status_code == 415


def test_a_broken_order_is_failed_and_never_reaches_the_erp(stack):
    response = post_order(stack, order_body("E2E-BROKEN", CurrencyCode=None, Items=[]))

    assert response.json()["StatusCode"] == "Failed"
    assert "CurrencyCode is missing" in response.json()["Description"]
    assert erp_orders_for(stack, "E2E-BROKEN") == []
