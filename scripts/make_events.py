"""Regenerate the sample events in events/ (API Gateway, SQS, Scheduler) from events/payloads/.

Run ``uv run python scripts/make_events.py`` after changing a payload; a test checks they agree.
"""

import base64
import copy
import hashlib
import hmac
import json
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAYLOADS = ROOT / "events" / "payloads"
OUT = ROOT / "events" / "order_receiver"
LOCAL_AUTH = "Basic " + base64.b64encode(b"norce:norce-local").decode()

XXE = """<?xml version="1.0"?>
<!DOCTYPE OrderRequest [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<OrderRequest><ClientOrderRef>&xxe;</ClientOrderRef></OrderRequest>
"""

INVALID = {
    "ClientOrderRef": "REF-INVALID-1",
    "CurrencyCode": None,
    "SellTo": {"Person": {"CustomerCode": "CUST0001"}},
    "Items": [{"LineNo": 1, "PartNo": "ITEM001", "Quantity": 0}, {"LineNo": 2, "Quantity": "two"}],
    "Header": {"ApplicationKey": "123e4567-e89b-12d3-a456-426614174000"},
}


def api_event(
    body: str,
    content_type: str | None,
    authorization: str | None = LOCAL_AUTH,
    path: str = "/orders",
    extra_headers: dict[str, str] | None = None,
) -> dict:
    headers = {"Host": "abc123.execute-api.eu-north-1.amazonaws.com", "User-Agent": "Norce-Commerce"}
    if content_type:
        headers["Content-Type"] = content_type
    if authorization:
        headers["Authorization"] = authorization
    headers |= extra_headers or {}
    return {
        "resource": path,
        "path": path,
        "httpMethod": "POST",
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": "POST",
            "path": f"/dev{path}",
            "stage": "dev",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "accountId": "123456789012",
            "apiId": "abc123",
            "identity": {"sourceIp": "192.0.2.10", "userAgent": "Norce-Commerce"},
        },
        "body": body,
        "isBase64Encoded": False,
    }


def events() -> dict[str, dict]:
    order_json = (PAYLOADS / "order-request.json").read_text()
    order_xml = (PAYLOADS / "order-request.xml").read_text()
    order_xml_ns = (PAYLOADS / "order-request-namespaced.xml").read_text()
    order_b2b = (PAYLOADS / "order-request-b2b-new-company.json").read_text()
    conflicting = json.loads(order_json)
    conflicting["CustomerOrderComment"] = "Changed after checkout"
    xml_event_b64 = api_event(base64.b64encode(order_xml.encode()).decode(), "application/xml")
    xml_event_b64["isBase64Encoded"] = True
    wrong_password = "Basic " + base64.b64encode(b"norce:wrong").decode()
    return {
        "post-order-json.json": api_event(order_json, "application/json"),
        "post-order-xml.json": api_event(order_xml, "application/xml"),
        "post-order-b2b-new-company.json": api_event(order_b2b, "application/json"),
        "post-order-xml-namespaced.json": api_event(order_xml_ns, "text/xml; charset=utf-8"),
        "post-order-xml-base64.json": xml_event_b64,
        "post-order-conflicting.json": api_event(json.dumps(conflicting, indent=2), "application/json"),
        "post-order-invalid.json": api_event(json.dumps(INVALID, indent=2), "application/json"),
        "post-order-malformed.json": api_event(
            '{"ClientOrderRef": "REF-BROKEN", "Items": [', "application/json"
        ),
        "post-order-xml-dtd.json": api_event(XXE, "application/xml"),
        "post-order-unauthenticated.json": api_event(order_json, "application/json", authorization=None),
        "post-order-wrong-password.json": api_event(
            order_json, "application/json", authorization=wrong_password
        ),
        "post-order-wrong-content-type.json": api_event(order_json, "text/plain"),
    }


def sqs_event(bodies: list[dict], queue: str) -> dict:
    return {
        "Records": [
            {
                "messageId": f"0a1b2c3d-0000-4000-8000-00000000000{index}",
                "receiptHandle": f"AQEB-sample-receipt-handle-{index}",
                "body": json.dumps(body),
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1732450000000",
                    "SenderId": "AROAEXAMPLE:order-receiver",
                    "ApproximateFirstReceiveTimestamp": "1732450000100",
                },
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:eu-north-1:123456789012:{queue}",
                "awsRegion": "eu-north-1",
            }
            for index, body in enumerate(bodies, start=1)
        ]
    }


QUEUED_ORDER = {
    "key": "ORDER#123e4567-e89b-12d3-a456-426614174000#REF12345",
    "client_order_ref": "REF12345",
    "application_key": "123e4567-e89b-12d3-a456-426614174000",
    "token": "3f7c1e8a9b2d4c6e8f0a1b2c3d4e5f60",
    "archive_key": "orders/123e4567-e89b-12d3-a456-426614174000/REF12345/" + "0123456789abcdef" * 2 + ".json",
    "wire_format": "json",
    "fingerprint": "0123456789abcdef" * 4,
    "received_at": 1732450000.0,
    "attributes": {},
}


def other_events() -> dict[str, dict]:
    app = "123e4567-e89b-12d3-a456-426614174000"
    codes = [  # a customer of Norce order (basket) 700003, found by its Norce Id; a company by its org. no.
        {
            "kind": "customer",
            "code": "C10001",
            "match_value": "",
            "application_key": app,
            "client_order_ref": "700003",
            "order_key": f"ORDER#{app}#700003",
        },
        {
            "kind": "company",
            "code": "B20001",
            "match_value": "556000-0000",
            "application_key": app,
            "client_order_ref": "REF12346",
            "order_key": f"ORDER#{app}#REF12346",
        },
    ]
    b2b_codes = [  # a new company from a B2B order (Name + VatNo only) and its new contact
        {
            "kind": "company",
            "code": "B20002",
            "match_value": "556677-8899",
            "application_key": app,
            "client_order_ref": "700002",
            "vat_no": "SE556677889901",
            "organization_no": "556677-8899",
            "order_key": f"ORDER#{app}#700002",
        },
        {
            "kind": "customer",
            "code": "C10002",
            "match_value": "",
            "application_key": app,
            "client_order_ref": "700002",
            "company_code": "B20002",
            "company_pending": True,
            "order_key": f"ORDER#{app}#700002",
        },
    ]
    through_the_order = [  # no VatNo, no e-mail: found as the buyer of Norce order (basket) 700001 in Query
        {
            "kind": "company",
            "code": "B20003",
            "match_value": "",
            "application_key": app,
            "client_order_ref": "700001",
            "order_key": f"ORDER#{app}#700001",
        },
        {
            "kind": "customer",
            "code": "C10003",
            "match_value": "",
            "application_key": app,
            "client_order_ref": "700001",
            "company_code": "B20003",
            "company_pending": True,
            "order_key": f"ORDER#{app}#700001",
        },
    ]
    return {
        "order_processor/sqs-orders.json": sqs_event([QUEUED_ORDER], "orders"),
        "norce_writeback/sqs-b2b-through-the-order.json": sqs_event(through_the_order, "writeback"),
        "norce_writeback/sqs-codes.json": sqs_event(codes, "writeback"),
        "norce_writeback/sqs-b2b-company-and-contact.json": sqs_event(b2b_codes, "writeback"),
        **lifecycle_events(),
        **event_events(),
        **import_events(),
        **webhook_events(),
    }


BC_LOCAL_SECRET = "bc-local-secret"  # noqa: S105 - the Business Central simulator's local demo secret
BC_NOTIFICATIONS = "/erp/business-central/notifications"


def bc_client_state(client_secret: str = BC_LOCAL_SECRET) -> str:
    """As ``norce_integration.adapters.http.business_central.webhooks.client_state`` derives it."""
    return hmac.new(client_secret.encode(), b"norce-erp-integration/bc-webhooks", hashlib.sha256).hexdigest()


def bc_event(body: str, query: dict[str, str] | None = None) -> dict:
    """``POST /erp/business-central/notifications`` as Business Central sends it (JSON, no credentials)."""
    event = api_event(body, "application/json" if body else None, None, BC_NOTIFICATIONS)
    event["headers"]["User-Agent"] = event["multiValueHeaders"]["User-Agent"][0] = "Business-Central"
    if query:
        event["queryStringParameters"] = query
        event["multiValueQueryStringParameters"] = {name: [value] for name, value in query.items()}
    return event


def webhook_events() -> dict[str, dict]:
    """Business Central's handshake and notifications, and the renewal schedule's input."""
    notification = json.loads((PAYLOADS / "bc-notification.json").read_text())
    ours = {"value": [item | {"clientState": bc_client_state()} for item in notification["value"]]}
    foreign = {"value": [item | {"clientState": "not-ours"} for item in notification["value"]]}
    return {
        "erp_webhook/handshake.json": bc_event("", {"validationToken": "7b0a1c2d3e4f"}),
        "erp_webhook/notification.json": bc_event(json.dumps(ours, indent=2)),
        "erp_webhook/notification-foreign-client-state.json": bc_event(json.dumps(foreign, indent=2)),
        "erp_webhook/renew-subscriptions.json": {"action": "renew-subscriptions"},
    }


ERP_PUSH_KEY = "erp-push-local"


def push_event(method: str, body: dict | str, key: str | None = ERP_PUSH_KEY) -> dict:
    """``POST /erp/{method}`` as the ERP sends it (Norce's Connect shape, ``X-Api-Key``)."""
    text = body if isinstance(body, str) else json.dumps(body, indent=2)
    event = api_event(text, "application/json", None, f"/erp/{method}", {"X-Api-Key": key} if key else None)
    event["headers"]["User-Agent"] = event["multiValueHeaders"]["User-Agent"][0] = "ERP"
    return event


def push_events() -> dict[str, dict]:
    """The lifecycle's pushes for basket (ClientOrderRef) 1001234, as docs/lifecycle.md describes them."""
    payload = {name: json.loads((PAYLOADS / f"erp-{name}.json").read_text()) for name in PUSH_PAYLOADS}
    invalid = dict(payload["credit-payment"], CreditedInvoiceNo=None, CurrencyCode=None)
    invalid["Items"] = [dict(invalid["Items"][0], Quantity=-1)]
    invoice = payload["create-invoice"]
    line = invoice["Items"][0]
    over = dict(invoice, InvoiceNo="INV-10002", Vat=15000.0, TotalAmount=75000.0)
    over["Items"] = [dict(line, Quantity=200, LineAmount=60000.0)]  # 200 of the 2 ordered
    corrected = dict(invoice, Vat=140.0, TotalAmount=700.0)  # INV-10001 again, at another price
    corrected["Items"] = [dict(line, UnitPrice=280.0, UnitVat=70.0, LineAmount=560.0)]
    negative = dict(invoice, InvoiceNo="INV-10003")
    negative["Items"] = [dict(line, LineAmount=-600.0)]
    negative["Vat"] = 1350.0  # so that the total adds up: only the negative amount is wrong
    return {
        "push-send-order-status.json": push_event("SendOrderStatus", payload["send-order-status"]),
        "push-create-delivery-note.json": push_event("CreateDeliveryNote", payload["create-delivery-note"]),
        "push-create-invoice.json": push_event("CreateInvoice", payload["create-invoice"]),
        "push-credit-payment.json": push_event("CreditPayment", payload["credit-payment"]),
        "push-invalid-credit.json": push_event("CreditPayment", invalid),
        "push-unknown-order.json": push_event(
            "CreateInvoice", dict(payload["create-invoice"], ClientOrderRef="NO-SUCH-ORDER")
        ),
        "push-over-quantity-invoice.json": push_event("CreateInvoice", over),
        "push-corrected-invoice.json": push_event("CreateInvoice", corrected),
        "push-negative-amount.json": push_event("CreateInvoice", negative),
        "push-external-order-invoice.json": push_event(
            "CreateInvoice", dict(invoice, InvoiceNo="INV-10004", ClientOrderRef="REF12345")
        ),
        "push-unauthenticated.json": push_event("CreateInvoice", payload["create-invoice"], key=None),
        "push-wrong-key.json": push_event("CreateInvoice", payload["create-invoice"], key="not-the-key"),
    }


PUSH_PAYLOADS = ("send-order-status", "create-delivery-note", "create-invoice", "credit-payment")

QUEUED_INVOICE = {
    "key": "CreateInvoice#ORDER#123e4567-e89b-12d3-a456-426614174000#1001234#INV-10001",
    "kind": "CreateInvoice",
    "order_key": "ORDER#123e4567-e89b-12d3-a456-426614174000#1001234",
    "client_order_ref": "1001234",
    "erp_order_no": "SO-000001",
    "received_at": 1732450000.0,
    "source": "push",
    "attributes": {},
}

# EventBridge Scheduler invokes the poll with no input of its own.
SCHEDULED_POLL: dict = {}


def lifecycle_events() -> dict[str, dict]:
    invoice = json.loads((PAYLOADS / "erp-create-invoice.json").read_text()) | {"ErpOrderNo": "SO-000001"}
    queued = QUEUED_INVOICE | {"body": invoice}
    event = sqs_event([queued], "lifecycle.fifo")
    for record in event["Records"]:  # FIFO records carry their group and deduplication ids
        record["attributes"] |= {
            "MessageGroupId": "5f0c2b8e1f7d4a3b9c6e2d1a0b9c8d7e",
            "MessageDeduplicationId": "9a1e6c0d2b7f4e3a8c5d1f0e2b4a6c8d",
            "SequenceNumber": "18849496460467696128",
        }
    return {
        **{f"erp_push/{name}": push for name, push in push_events().items()},
        "lifecycle_processor/sqs-invoice.json": event,
        "erp_poll/scheduled.json": SCHEDULED_POLL,
    }


NORCE_EVENTS = PAYLOADS / "norce-events"
EVENTS_KEY = "norce-events-local"


def norce_event(
    path: str,
    body: dict | str,
    key: str | None = EVENTS_KEY,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
) -> dict:
    """``POST /norce/events...`` as Norce Event posts it: JSON, the static ``X-Api-Key`` header."""
    text = body if isinstance(body, str) else json.dumps(body, indent=2)
    extra = ({"X-Api-Key": key} if key else {}) | (headers or {})
    event = api_event(text, "application/json; charset=utf-8", None, path, extra)
    event["headers"]["User-Agent"] = event["multiValueHeaders"]["User-Agent"][0] = "Norce-Event"
    if path.startswith("/norce/events/"):
        event["resource"] = event["requestContext"]["resourcePath"] = "/norce/events/{EventType}"
        event["pathParameters"] = {"EventType": path.rsplit("/", 1)[1]}
    if query:
        event["queryStringParameters"] = query
        event["multiValueQueryStringParameters"] = {name: [value] for name, value in query.items()}
    return event


def event_events() -> dict[str, dict]:
    """``events/event_receiver/``: every Norce event type, and each way a request can go wrong."""
    payloads = {path.stem: json.loads(path.read_text()) for path in sorted(NORCE_EVENTS.glob("*.json"))}
    samples = {
        f"event_receiver/post-{name}.json": norce_event(f"/norce/events/{name}", body)
        for name, body in payloads.items()
    }
    confirmed = payloads["OrderConfirmedEvent"]
    samples |= {
        "event_receiver/post-type-in-header.json": norce_event(
            "/norce/events", confirmed, headers={"x-norce-event-type": "orderconfirmedevent"}
        ),
        "event_receiver/post-type-in-query.json": norce_event(
            "/norce/events", confirmed, query={"norceEventType": "OrderConfirmedEvent"}
        ),
        "event_receiver/post-unknown-type.json": norce_event(
            "/norce/events/SomethingNewEvent", {"ClientId": 1}
        ),
        "event_receiver/post-invalid-body.json": norce_event(
            "/norce/events/JobCompletedEvent", {"ClientId": 1, "JobId": "not-a-number"}
        ),
        "event_receiver/post-wrong-key.json": norce_event(
            "/norce/events/OrderConfirmedEvent", confirmed, key="not-the-key"
        ),
        "event_receiver/post-no-key.json": norce_event(
            "/norce/events/OrderConfirmedEvent", confirmed, key=None
        ),
    }
    queued = [
        {
            "event_type": name,
            "body": payloads[name],
            "received_at": 1732450000.0,
            "event_key": f"{name}#sample",
        }
        for name in (
            "OrderConfirmedEvent",
            "CustomerChangedNotification",
            "JobCompletedEvent",
            "InvoiceCaptureCompletedEvent",
        )
    ]
    samples["event_processor/sqs-events.json"] = sqs_event(queued, "events")
    # a body the receiver parked (not valid then), redriven from the DLQ after a fix: read as the event
    fixed = json.dumps(payloads["JobCompletedEvent"] | {"JobId": 5002}).encode()
    parked = {  # as norce_integration.events.envelope.parked writes it
        "event_type": "JobCompletedEvent",
        "received_at": 1732450000.0,
        "reason": "JobCompletedEvent: JobId: Input should be a valid integer",
        "raw_size": len(fixed),
        "raw_sha256": hashlib.sha256(fixed).hexdigest(),
        "truncated": False,
        "raw_encoding": "zlib+base64",
        "raw_base64": base64.b64encode(zlib.compress(fixed, 6)).decode("ascii"),
    }
    samples["event_processor/sqs-redriven-parked-event.json"] = sqs_event([parked], "events")
    return samples


def import_events() -> dict[str, dict]:
    """``events/erp_import/``: what EventBridge Scheduler passes the import function (each schedule's Input),
    a manual forced full import, the job follower's input and an input that is refused."""
    runs = {
        f"erp_import/{entity}-{mode}.json": {"entity": entity, "mode": mode}
        for entity in ("customers", "companies")
        for mode in ("delta", "full")
    }
    return runs | {
        "erp_import/customers-full-forced.json": {"entity": "customers", "mode": "full", "force": True},
        "erp_import/follow-jobs.json": {"action": "follow-jobs"},
        "erp_import/invalid.json": {"entity": "orders", "mode": "weekly"},
    }


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, event in events().items():
        (OUT / name).write_text(json.dumps(copy.deepcopy(event), indent=2) + "\n")
        print(f"wrote events/order_receiver/{name}")
    for name, event in other_events().items():
        path = OUT.parent / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(event, indent=2) + "\n")
        print(f"wrote events/{name}")


if __name__ == "__main__":
    main()
