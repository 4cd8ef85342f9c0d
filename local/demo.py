"""``make demo``: the whole order flow on the local stack, and what happened to each order.

Norce's order sender (simulated, with Norce's retry rule, time compressed) sends the example order as
JSON and as XML, duplicates, a conflict, a broken and a malformed order, wrong credentials, a new
customer, a B2B order for a new company (only Name and VatNo), an order while the endpoint is
unreachable and one while the ERP is down; then the demo waits for processing, takes a basket order (a
numeric ClientOrderRef, as Norce's are) through its lifecycle (delivered in two parts, invoiced, partly
credited; pushed and polled) and shows what the ERP push refuses (a second invoice of the same lines, a
changed invoice, an invoice of the example's external order number), shows what
Norce Event posted for the orders and the customer e-mails they produced, edits a customer in Norce Admin
(the change reaches the ERP), runs the scheduled imports (delta, full, the shrink guard refusing a bad full
import), and shows
the ERP orders, companies and contacts, what Norce received, the ledger and the queues. Exit code 1 if
any order was lost or created twice, a company appears twice, a document reached Norce twice, or an
e-mail is missing or went out twice.
"""

import argparse
import base64
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from local.demo_events import run_events
from local.demo_imports import run_imports
from local.demo_lifecycle import BASKET, run_lifecycle
from local.demo_lifecycle_bc import run_lifecycle_bc
from local.norce_order_sender import Delivery, NorceOrderSender
from local.stack import LocalStack
from local.template import ROOT

PAYLOADS = ROOT / "events" / "payloads"
TIME_SCALE = 0.0002  # Norce's 10 minutes between retries take 0.12 s
NEW_CUSTOMER_REF, B2B_REF = "700800", "700900"  # Norce orders: their ClientOrderRef is the basket id


def example(ref: str | None = None, **changes: Any) -> bytes:
    order = json.loads((PAYLOADS / "order-request.json").read_text())
    if ref:
        order["ClientOrderRef"] = ref
    order.update(changes)
    return json.dumps(order).encode()


def b2b_new_company_order() -> bytes:
    """A business buyer's first order: the company comes with only Name and VatNo, the person is new."""
    return (PAYLOADS / "order-request-b2b-new-company.json").read_bytes()


def new_customer_order(ref: str, email: str) -> bytes:
    order = json.loads(example(ref))
    order["SellTo"]["Person"]["CustomerCode"] = None
    order["SellTo"]["Person"]["Email"] = email
    return json.dumps(order).encode()


class Demo:
    def __init__(self, stack: LocalStack, out: Callable[[str], None] = print) -> None:
        self.stack = stack
        self.out = out
        self.sender = NorceOrderSender(f"{stack.api_url}/orders", stack.authorization, time_scale=TIME_SCALE)
        self.accepted: set[str] = set()
        self.problems: list[str] = []

    def send(
        self,
        title: str,
        body: bytes,
        content_type: str = "application/json",
        ref: str | None = None,
        sender: NorceOrderSender | None = None,
        **options: Any,
    ) -> Delivery:
        if ref and content_type == "application/json":  # the buyer checks out: Norce holds the order
            self.stack.norce.place_order(json.loads(body))
        delivery = (sender or self.sender).send(body, content_type, **options)
        self.out(f"\n## {title}")
        for attempt in delivery.attempts[:3]:
            answer = attempt.answer or {}
            shown = (
                f"{answer.get('StatusCode')}: {answer.get('Description')}" if answer else attempt.error or ""
            )
            self.out(f"   +{attempt.minute:>3} min  HTTP {attempt.status}  {shown}")
        if len(delivery.attempts) > 3:
            self.out(f"   ... {len(delivery.attempts) - 3} more attempts, every 10 minutes")
        self.out(f"   => Norce: {delivery.outcome}")
        if delivery.outcome == "OK" and ref:
            self.accepted.add(ref)
        return delivery

    def run(self) -> int:
        stack = self.stack
        json_order = example()
        self.send("1. Norce's example order, JSON", json_order, ref="REF12345")
        self.send(
            "2. The same order again, as XML (a retry in another format)",
            (PAYLOADS / "order-request.xml").read_bytes(),
            "application/xml",
        )
        self.send("3. The same JSON again (a plain duplicate)", json_order)
        self.send(
            "4. Same ClientOrderRef, changed content", example(CustomerOrderComment="Leave at the door")
        )
        broken = json.loads(example("REF-BROKEN"))
        broken["CurrencyCode"] = None
        broken["Items"][0]["Quantity"] = 0
        self.send("5. A broken order (no currency, quantity 0)", json.dumps(broken).encode())
        self.send("6. A malformed body", b'{"ClientOrderRef": "REF-MALFORMED", "Items": [')
        wrong = "Basic " + base64.b64encode(b"norce:wrong-password").decode()
        self.send(
            "7. Wrong credentials (Norce retries for 6 hours, then escalates)",
            example("REF-AUTH"),
            authorization=wrong,
        )
        new_customer = new_customer_order(NEW_CUSTOMER_REF, "new.customer@example.com")
        stack.norce.checkout(json.loads(new_customer))  # Norce holds the buyer (an Id, no code yet)
        self.send(
            "8. A new customer: created in the ERP, its code written back to Norce (by Norce's own Id)",
            new_customer,
            ref=NEW_CUSTOMER_REF,
        )
        b2b = json.loads(b2b_new_company_order())
        b2b["ClientOrderRef"] = B2B_REF  # a Norce order: its reference is the basket id
        stack.norce.checkout(b2b)  # Norce holds the new company and buyer (no codes) and the order
        self.send(
            "9. A new business customer (company with only Name and VatNo, a new buyer): one ERP company,"
            " the buyer as its contact, codes back to Norce company first",
            json.dumps(b2b).encode(),
            ref=B2B_REF,
        )
        self.send(
            "10. While the endpoint is unreachable (a deployment, say): Norce retries 10 minutes later",
            example("REF-OUTAGE"),
            ref="REF-OUTAGE",
            sender=self._sender_with_api_outage(),
        )
        stack.erp.set_faults(down_for_seconds=12)  # longer than a call's own retries: the message waits
        self.send(
            "11. While the ERP is down (accepted at once; processing retries until it is back)",
            example("REF-ERPDOWN"),
            ref="REF-ERPDOWN",
        )
        self._wait_for_processing()
        if stack.business_central:
            self.problems += run_lifecycle_bc(stack, self.out)
        else:
            self.problems += run_lifecycle(stack, "REF12345", self.out)  # REF12345: an external order number
        self.accepted.add(BASKET)  # the basket order the lifecycle part checked out and sent
        self.problems += run_events(stack, self.accepted, self.out)
        self.problems += run_imports(stack, self.out)
        self._report()
        return 1 if self.problems else 0

    def _sender_with_api_outage(self) -> NorceOrderSender:
        self.stack.pause_api()

        def restore(attempt: int) -> None:
            if attempt == 1:
                self.stack.resume_api()

        return NorceOrderSender(
            f"{self.stack.api_url}/orders", self.stack.authorization, between_attempts=restore
        )

    def _wait_for_processing(self, seconds: float = 30.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            # under the basket id, or the ERP order number for an external order number (not an int32)
            erp_refs = {order["orderNo"]: order["externalRef"] for order in self.stack.erp.orders()}
            confirmed = {
                erp_refs.get(ref, ref)
                for ref, statuses in self.stack.norce.orders.items()
                if any(s["OrderStatus"] == "Confirmed" for s in statuses)
            }
            linked = any(c.get("Companies") for c in self.stack.norce.customers.values())
            if (
                self.accepted <= confirmed
                and self.stack.norce.calls_to("Customer/ImportCustomers")
                and linked
            ):
                return
            time.sleep(0.2)

    def _report(self) -> None:
        stack, out = self.stack, self.out
        out("\n# What happened")
        erp_orders = stack.erp.orders()
        out(f"\nERP orders ({stack.erp.url}/{'_orders' if stack.business_central else 'orders'}):")
        for order in erp_orders:
            out(
                f"   {order['orderNo']}  ClientOrderRef {order['externalRef']:<12} "
                f"customer {order['customerCode']}  {order['lineCount']} line(s)"
            )
        out("\nERP companies and their contacts:")
        for company in stack.erp.parties("companies"):
            contacts = [
                c["code"] for c in stack.erp.parties("customers") if c.get("companyCode") == company["code"]
            ]
            out(
                f"   {company['code']}  {company.get('name')}  VatNo {company.get('vatNo')}  "
                f"OrganizationNo {company.get('organizationNo')}  contacts {contacts}"
            )
        out("\nNorce Connect calls:")
        for call in stack.norce.calls:
            if call["path"] in ("Order/CreateDeliveryNote", "Order/CreateInvoice", "Order/CreditPayment"):
                body = call["body"] or {}
                number = body.get("NoteNo") or body.get("InvoiceNo")
                named = body.get("ClientOrderRef") or body.get("OrderNo")  # a delivery note names its OrderNo
                method = call["path"].split("/")[1]
                out(f"   {method:<17} {named!s:<12} {number}  -> HTTP {call.get('status')}")
            elif call["path"] == "Order/SendOrderStatus":
                body = call["body"]
                named = body.get("ClientOrderRef", "-")  # none for an external order number: ErpOrderNo alone
                out(
                    f"   SendOrderStatus  {named!s:<12} {body['OrderStatus']} ErpOrderNo "
                    f"{body.get('ErpOrderNo')}  -> HTTP {call.get('status')}"
                )
            elif call["path"].startswith("Customer/Import") and (
                call.get("records") or len(call["body"] or []) > 5
            ):  # a scheduled import (step 14)
                count = call.get("records") or len(call["body"] or [])
                method = call["path"].split("/")[1]
                out(f"   {method}  {count} records (scheduled)  -> HTTP {call.get('status')}")
            elif call["path"].startswith("Customer/Import") and call["body"] is None:
                method = call["path"].split("/")[1]
                out(f"   {method}  aborted before its last byte (the shrink guard): no job")
            elif call["path"].startswith("Customer/Import"):
                codes = [
                    entity.get("Code")
                    + (f" (Id {entity['Id']})" if entity.get("Id") else "")
                    + (
                        f" contact of {[c.get('Code') for c in entity['Companies']]}"
                        if entity.get("Companies")
                        else ""
                    )
                    for entity in call["body"]
                ]
                out(f"   {call['path'].split('/')[1]}  {codes}  -> HTTP {call.get('status')} (job)")
        out("\nCompanies in Norce (one per company: the one created at checkout got the ERP code):")
        for company in [c for c in stack.norce.companies.values() if c.get("VatNo", "").startswith("SE5566")]:
            name, vat_no, code = company.get("Name"), company.get("VatNo"), company.get("Code")
            out(f"   Id {company['Id']}  {name}  VatNo {vat_no}  Code {code}")
        out("\nLedger (DynamoDB):")
        for item in self._ledger():
            trail = " > ".join(entry["event"] for entry in item.get("trail", []))
            out(f"   {item['pk']:<60} {item.get('state')}/{item.get('processing_state', '-')}  {trail}")
        sqs = stack.aws.client("sqs")
        for name in (
            "OrdersQueue",
            "OrdersDeadLetterQueue",
            "WritebackQueue",
            "LifecycleQueue",
            "EventsQueue",
        ):
            attributes = sqs.get_queue_attributes(QueueUrl=stack.resource(name), AttributeNames=["All"])[
                "Attributes"
            ]
            out(
                f"   {name:<24} {attributes['ApproximateNumberOfMessages']} waiting, "
                f"{attributes['ApproximateNumberOfMessagesNotVisible']} in flight"
            )
        archived = stack.aws.client("s3").list_objects_v2(Bucket=stack.resource("OrderArchiveBucket"))
        out(f"   archive: {archived.get('KeyCount', 0)} order bodies")
        self._check(erp_orders)

    def _held_as(self) -> Callable[[str], str]:
        """How the ERP holds a ClientOrderRef: as it is, or Business Central's ``externalDocumentNumber``."""
        if not self.stack.business_central:
            return lambda ref: ref
        from norce_integration.adapters.http.business_central.references import (  # noqa: PLC0415
            external_document_number,
        )

        return external_document_number

    def _ledger(self) -> list[dict[str, Any]]:
        from boto3.dynamodb.types import TypeDeserializer  # noqa: PLC0415

        deserialize = TypeDeserializer().deserialize
        items = self.stack.aws.client("dynamodb").scan(TableName=self.stack.resource("OrdersTable"))["Items"]
        rows = [{k: deserialize(v) for k, v in item.items()} for item in items]
        return sorted((r for r in rows if r["pk"].startswith("ORDER#")), key=lambda r: r["pk"])

    def _check(self, erp_orders: list[dict[str, Any]]) -> None:
        per_ref: dict[str, int] = {}
        for order in erp_orders:
            per_ref[order["externalRef"]] = per_ref.get(order["externalRef"], 0) + 1
        held = self._held_as()
        for ref in sorted(self.accepted):
            if per_ref.get(held(ref)) != 1:
                self.problems.append(f"{ref}: {per_ref.get(held(ref), 0)} ERP orders, expected exactly 1")
        for ref in per_ref.keys() - {held(ref) for ref in self.accepted}:
            self.problems.append(f"{ref}: an ERP order for an order Norce was not told OK about")
        vat_numbers = [c.get("VatNo") for c in self.stack.norce.companies.values() if c.get("VatNo")]
        if len(vat_numbers) != len(set(vat_numbers)):
            self.problems.append("a company appears twice in Norce")
        erp_vat_numbers = [c.get("vatNo") for c in self.stack.erp.parties("companies") if c.get("vatNo")]
        if len(erp_vat_numbers) != len(set(erp_vat_numbers)):
            self.problems.append("a company was created twice in the ERP")
        self.out("\n# Checks")
        self.out(
            "   every accepted order is exactly one ERP order, every company one ERP and one Norce company,"
            " every document once in Norce: " + ("yes" if not self.problems else "NO")
        )
        for problem in self.problems:
            self.out(f"   PROBLEM: {problem}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--free-ports", action="store_true", help="do not use the default ports 3000/5000/..."
    )
    parser.add_argument(
        "--erp",
        choices=["rest", "business-central"],
        default=os.environ.get("ERP") or "rest",
        help="ErpKind: the generic REST ERP simulator (default) or the Business Central simulator",
    )
    args = parser.parse_args(argv)
    print("Starting the local stack (moto, ERP and Norce simulators, handlers in workers)...", flush=True)
    options: dict[str, Any] = {"erp_db": None, "erp_kind": args.erp}
    stack = LocalStack.on_free_ports(**options) if args.free_ports else LocalStack(**options)
    with stack:
        print(stack.describe())
        return Demo(stack).run()


if __name__ == "__main__":
    sys.exit(main())
