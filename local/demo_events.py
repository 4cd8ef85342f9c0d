"""The demo's Norce Event part: what Norce Event posted to our webhook for the demo's orders, the customer
e-mails they produced (captured, never sent), and a customer changed in Norce Admin reaching the ERP."""

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from local.stack import LocalStack
from norce_integration.contracts.connect import basket_id

NEW_CUSTOMER_EMAIL = "new.customer@example.com"


def _wait(condition: Callable[[], bool], seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def _mail_of(stack: LocalStack, refs: set[str]) -> list[dict[str, Any]]:
    return [m for m in stack.mail() if m["client_order_ref"] in refs]


def run_events(stack: LocalStack, confirmed: set[str], out: Callable[[str], None]) -> list[str]:
    """Show the events and e-mails of the ``confirmed`` orders and sync one customer change; the problems."""
    out("\n## 13. Norce Event: the demo orders' events, the e-mails they sent, a customer changed in Norce")
    # SendOrderStatus names an order by its basket id (an int32): Norce's OrderConfirmedEvent can carry an
    # order's ClientOrderRef only when it is one; an order with another ref is named by ErpOrderNo alone
    wanted = {(ref, "OrderReceivedEvent") for ref in confirmed}
    wanted |= {(ref, "OrderConfirmedEvent") for ref in confirmed if basket_id(ref) is not None}
    _wait(lambda: wanted <= {(m["client_order_ref"], m["event_type"]) for m in stack.mail()})
    stack.norce.events.wait_idle(10)
    deliveries = Counter((d.event_type, d.state, len(d.attempts)) for d in stack.norce.events.deliveries)
    out(
        f"   Norce Event posted to {stack.api_url}/norce/events/{{EventType}} (type, state, attempts: count):"
    )
    for (event_type, state, attempts), count in sorted(deliveries.items()):
        out(f"      {event_type:<28} {state:<10} {attempts} attempt(s): {count}")
    mail = _mail_of(stack, confirmed)
    out(f"   Customer e-mails ({stack.api_url}/_local/mail; captured, none sent):")
    for message in sorted(mail, key=lambda m: (m["client_order_ref"], m["sent_at"])):
        ref, language, to = message["client_order_ref"], message["language"], message["to"]
        out(f"      {ref:<12} {language}  {to:<28} {message['subject']}")
    problems = []
    sent = Counter((m["client_order_ref"], m["event_type"]) for m in mail)
    if missing := sorted(wanted - set(sent)):
        problems.append(f"e-mails missing: {missing}")
    if twice := sorted(key for key, count in sent.items() if count > 1):
        problems.append(f"e-mails sent twice: {twice}")
    problems += _customer_change(stack, out)
    return problems


def _customer_change(stack: LocalStack, out: Callable[[str], None]) -> list[str]:
    held = next(
        (
            c
            for c in stack.norce.customers.values()
            if c.get("EmailAddress") == NEW_CUSTOMER_EMAIL and c.get("Code")
        ),
        None,
    )
    if held is None:
        return [f"the new customer {NEW_CUSTOMER_EMAIL} has no ERP code in Norce"]
    code = held["Code"]
    for name in ("Nina", "Nina-Maria", "Nina"):  # a burst of edits in Norce Admin: the last one wins
        stack.norce.edit_customer(held["Id"], {"FirstName": name, "CellPhoneNumber": "0709-112233"})
    out(f"   Norce Admin edits customer Id {held['Id']} (Code {code}) three times: FirstName ... 'Nina'")

    def in_erp() -> dict[str, Any]:
        return next((c for c in stack.erp.parties("customers") if c["code"] == code), {})

    _wait(lambda: in_erp().get("firstName") == "Nina" and in_erp().get("cellPhone") == "0709-112233")
    erp = in_erp()
    out(f"   ERP customer {code}: firstName {erp.get('firstName')!r}, cellPhone {erp.get('cellPhone')!r}")
    if erp.get("firstName") != "Nina":
        return [f"the change in Norce did not reach ERP customer {code}"]
    return []
