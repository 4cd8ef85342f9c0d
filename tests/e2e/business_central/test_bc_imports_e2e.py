"""Scheduled imports from Business Central: persons and companies, and a delta that picks up a customer
changed in BC."""

from typing import Any

import pytest

from tests.e2e.helpers import wait_until

pytestmark = pytest.mark.e2e


def norce_customer(stack: Any, code: str) -> dict[str, Any] | None:
    return next((c for c in stack.norce.customers.values() if c.get("Code") == code), None)


def test_a_delta_import_picks_up_a_customer_changed_in_bc(stack):
    bc = stack.erp
    bc.seed(customers=30, companies=5)
    full = stack.run_schedule("CustomersFull")
    companies = stack.run_schedule("CompaniesFull")
    assert full["outcome"] == "sent" and companies["outcome"] == "sent"
    wait_until(lambda: norce_customer(stack, "C0000007"), seconds=30, what="the full import applied")
    first_delta = stack.run_schedule("CustomersDelta")  # sets the delta's watermark
    bc.edit_customer("C0000007", {"displayName": "Nina Changed", "email": "nina.changed@example.com"})
    delta = stack.run_schedule("CustomersDelta")
    assert delta["outcome"] == "sent" and delta["sent"] >= 1
    held = wait_until(
        lambda: (
            (c := norce_customer(stack, "C0000007"))
            and c.get("EmailAddress") == "nina.changed@example.com"
            and c
        ),
        seconds=30,
        what="the change in Norce",
    )
    assert (held["FirstName"], held["LastName"]) == ("Nina", "Changed")
    assert delta["watermark"] > first_delta["watermark"], "the delta read BC's lastModifiedDateTime"
