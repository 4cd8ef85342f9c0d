"""The ERP push (``POST /erp/{method}``) against what a careless ERP or a hostile client sends (issue 20):
every case gets its exact 4xx with a precise message, never a 5xx, and nothing is queued, sent to Norce,
parked or lost. The handler runs as Lambda runs it, on moto, for a confirmed order (basket 1001234)."""

import base64
import json
import threading
from collections.abc import Callable
from typing import Any

import pytest

from norce_integration.lifecycle.validation import MAX_KEY_LENGTH
from tests.integration.test_lifecycle_handlers import KEY, LifecycleWorld
from tests.support.aws import ReceiverResources
from tests.support.handlers import FakeLambdaContext, load_event

INVOICE = json.loads(load_event("erp_push/push-create-invoice.json")["body"])
NOTE = json.loads(load_event("erp_push/push-create-delivery-note.json")["body"])
STATUS = json.loads(load_event("erp_push/push-send-order-status.json")["body"])


@pytest.fixture
def life(aws: ReceiverResources, monkeypatch: pytest.MonkeyPatch) -> LifecycleWorld:
    world = LifecycleWorld(aws, monkeypatch)
    world.confirmed_order()
    world.confirmed_order("REF12345")  # an external order number: Norce's Connect cannot invoice it
    return world


def raw_push(
    life: LifecycleWorld, method: str, body: bytes | str, *, base64_flag: bool = False
) -> dict[str, Any]:
    event = load_event("erp_push/push-create-invoice.json")
    event["path"] = event["resource"] = f"/erp/{method}"
    event["requestContext"]["resourcePath"] = event["requestContext"]["path"] = f"/erp/{method}"
    event["headers"]["X-Api-Key"] = KEY
    text = body.decode("latin-1") if isinstance(body, bytes) else body
    if base64_flag:
        event["body"], event["isBase64Encoded"] = text, True
    elif isinstance(body, bytes):
        event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    else:
        event["body"] = text
    answer: dict[str, Any] = life.push.lambda_handler(event, FakeLambdaContext())
    return answer


def nested(depth: int) -> str:
    return '{"InvoiceNo": "INV-1", "Deep": ' + "[" * depth + "]" * depth + "}"


def with_item(**changes: Any) -> dict[str, Any]:
    return INVOICE | {"Items": [INVOICE["Items"][0] | changes]}


def dumps(body: Any) -> str:
    return json.dumps(body)


def non_ascii_invoice() -> str:
    """A valid invoice of 400 KB of non-ASCII text (well under MaxPushBytes): too large for SQS."""
    return json.dumps(INVOICE | {"Comment": "å" * 200_000}, ensure_ascii=False)


# (case, method, body, status, a problem's start)
CASES: list[tuple[str, str, Callable[[], bytes | str], int, str]] = [
    ("JSON nested 100,000 deep", "CreateInvoice", lambda: nested(100_000), 400, "the body is nested deeper"),
    ("JSON nested 40 deep", "CreateInvoice", lambda: nested(40), 400, "Deep"),
    (
        "a lone surrogate",
        "CreateInvoice",
        lambda: dumps(INVOICE | {"Comment": "\ud800"}),
        400,
        "Comment holds a lone",
    ),
    (
        "a lone surrogate in a field name",
        "CreateInvoice",
        lambda: dumps(INVOICE | {"\udfff": 1}),
        400,
        "a field name in the body holds a lone",
    ),
    ("400 KB of non-ASCII text", "CreateInvoice", non_ascii_invoice, 413, "the document would be"),
    (
        "a negative line amount",
        "CreateInvoice",
        lambda: dumps(with_item(LineAmount=-600) | {"Vat": 1350}),
        400,
        "Items[0].LineAmount must not be negative",
    ),
    (
        "1E+400 as a number",
        "CreateInvoice",
        lambda: dumps(INVOICE).replace('"TotalAmount": 750.0', '"TotalAmount": 1E+400'),
        400,
        "TotalAmount is beyond",
    ),
    ("1E+400 as text", "CreateInvoice", lambda: dumps(INVOICE | {"Vat": "1E+400"}), 400, "Vat is beyond"),
    (
        "NaN",
        "CreateInvoice",
        lambda: dumps(INVOICE).replace('"Vat": 150.0', '"Vat": NaN'),
        400,
        "the body holds NaN",
    ),
    (
        "Infinity",
        "CreateInvoice",
        lambda: dumps(INVOICE).replace('"Vat": 150.0', '"Vat": -Infinity'),
        400,
        "the body holds -Infinity",
    ),
    ("NaN as text", "CreateInvoice", lambda: dumps(INVOICE | {"Vat": "NaN"}), 400, "Vat"),
    (
        "a number of 50 digits",
        "CreateInvoice",
        lambda: dumps(INVOICE).replace('"Vat": 150.0', '"Vat": ' + "9" * 50),
        400,
        "a number in the body has more than 40 digits",
    ),
    (
        "an amount of 10 places",
        "CreateInvoice",
        lambda: dumps(INVOICE | {"Vat": 0.0000000001}),
        400,
        "Vat has 10",
    ),
    ("a quantity of 2.5", "CreateInvoice", lambda: dumps(with_item(Quantity=2.5)), 400, "Items[0].Quantity"),
    (
        "a quantity that is true",
        "CreateInvoice",
        lambda: dumps(with_item(Quantity=True)),
        400,
        "Items[0].Quantity",
    ),
    (
        "a quantity of a billion",
        "CreateInvoice",
        lambda: dumps(with_item(Quantity=10**9)),
        400,
        "Items[0].Quantity",
    ),
    (
        "an InvoiceNo of 3,000 characters",
        "CreateInvoice",
        lambda: dumps(INVOICE | {"InvoiceNo": "I" * 3000}),
        400,
        "InvoiceNo is 3000 characters long: Norce takes at most 50",
    ),
    (
        "a NoteNo of 100,000 characters",
        "CreateDeliveryNote",
        lambda: dumps(NOTE | {"NoteNo": "N" * 100_000}),
        400,
        "NoteNo is 100000 characters long",
    ),
    (
        "a ClientOrderRef of 10,000 characters",
        "CreateInvoice",
        lambda: dumps(INVOICE | {"ClientOrderRef": "R" * 10_000}),
        400,
        "ClientOrderRef is 10000 characters long",
    ),
    (
        "a ClientOrderRef object",
        "CreateInvoice",
        lambda: dumps(INVOICE | {"ClientOrderRef": {"a": 1}}),
        400,
        "ClientOrderRef must be",
    ),
    (
        "a control character",
        "CreateInvoice",
        lambda: dumps(with_item(ProductName="Example\u0007item")),
        400,
        "Items[0].ProductName holds the control character U+0007",
    ),
    ("U+FFFF", "CreateInvoice", lambda: dumps(INVOICE | {"Comment": "\uffff"}), 400, "Comment holds U+FFFF"),
    (
        "a tab in a number",
        "CreateInvoice",
        lambda: dumps(INVOICE | {"InvoiceNo": "INV\t1"}),
        400,
        "InvoiceNo must not hold",
    ),
    (
        "a field Norce does not publish",
        "CreateDeliveryNote",
        lambda: dumps(NOTE | {"TrackingUrl": "x"}),
        400,
        "TrackingUrl is not a field",
    ),
    (
        "Infos on a status",
        "SendOrderStatus",
        lambda: dumps(STATUS | {"Infos": [{"Code": "A"}]}),
        400,
        "Infos",
    ),
    (
        "a status of the older page",
        "SendOrderStatus",
        lambda: dumps(STATUS | {"OrderStatus": "OnHold"}),
        400,
        "OrderStatus 'OnHold' is only",
    ),
    (
        "a status that is not Norce's",
        "SendOrderStatus",
        lambda: dumps(STATUS | {"OrderStatus": "Shipped"}),
        400,
        "OrderStatus 'Shipped'",
    ),
    ("not JSON", "CreateInvoice", lambda: '{"InvoiceNo": ', 400, "the body is not JSON"),
    ("an empty body", "CreateInvoice", lambda: "", 400, "the body is not JSON"),
    ("a JSON array", "CreateInvoice", lambda: "[1, 2]", 400, "the body must be a JSON object"),
    ("JSON null", "CreateInvoice", lambda: "null", 400, "the body must be a JSON object"),
    ("not UTF-8", "CreateInvoice", lambda: b'{"InvoiceNo": "\xff\xfe\xfa"}', 400, "the body is not"),
    ("base64 that is not", "CreateInvoice", lambda: "###", 400, "the body is not JSON"),
    (
        "an unknown order",
        "CreateInvoice",
        lambda: dumps(INVOICE | {"ClientOrderRef": "NO-SUCH"}),
        400,
        "unknown order",
    ),
    (
        "an external order's invoice",
        "CreateInvoice",
        lambda: dumps(INVOICE | {"ClientOrderRef": "REF12345"}),
        400,
        "order REF12345 cannot be invoiced",
    ),
    (
        "another order's ERP number",
        "CreateInvoice",
        lambda: dumps(INVOICE | {"ErpOrderNo": "SO-000002"}),
        400,
        "ERP order number SO-000002",
    ),
    (
        "200 of 2 units",
        "CreateInvoice",
        lambda: dumps(with_item(Quantity=200, LineAmount=60000) | {"Vat": 15000, "TotalAmount": 75000}),
        400,
        "invoiced quantity",
    ),
    (
        "5 of 2 units delivered",
        "CreateDeliveryNote",
        lambda: dumps(NOTE | {"DeliverynoteItems": [{"RowNumber": 1, "ItemNo": "ITEM001", "Qty": 5}]}),
        400,
        "delivered quantity",
    ),
    (
        "a credit before any invoice",
        "CreditPayment",
        lambda: load_event("erp_push/push-credit-payment.json")["body"],
        400,
        "CreditedInvoiceNo INV-10001",
    ),
]


@pytest.mark.parametrize(("case", "method", "body", "status", "problem"), CASES, ids=[c[0] for c in CASES])
def test_hostile_input_gets_its_4xx_and_nothing_is_queued_sent_or_parked(
    life: LifecycleWorld, case: str, method: str, body: Callable[[], bytes | str], status: int, problem: str
) -> None:
    answer = raw_push(life, method, body(), base64_flag=case == "base64 that is not")
    assert answer["statusCode"] == status, (case, answer["body"][:500])
    sent = json.loads(answer["body"])
    assert any(text.startswith(problem) or problem in text for text in sent["Problems"]), sent["Problems"]
    assert "Traceback" not in answer["body"] and len(answer["body"]) < 20_000
    assert life.process_documents()["count"] == 0  # nothing queued
    assert life.norce.documents == [] and [s.OrderStatus for s in life.norce.statuses] == [
        "Confirmed",
        "Confirmed",
    ]
    parked = life.sqs.receive_message(QueueUrl=life.dlq_url, MaxNumberOfMessages=10).get("Messages", [])
    assert parked == []


def test_the_same_invoice_changed_is_a_409_and_the_same_again_a_202_with_its_id(life: LifecycleWorld) -> None:
    first = raw_push(life, "CreateInvoice", dumps(INVOICE))
    again = raw_push(life, "CreateInvoice", dumps(INVOICE))
    changed = raw_push(life, "CreateInvoice", load_event("erp_push/push-corrected-invoice.json")["body"])
    assert (first["statusCode"], again["statusCode"], changed["statusCode"]) == (202, 202, 409)
    assert json.loads(first["body"])["DocumentId"] == json.loads(again["body"])["DocumentId"]
    problem = json.loads(changed["body"])["Problems"][0]
    assert problem.startswith("InvoiceNo INV-10001 was accepted before with other content")
    trail = life.record()["trail"]
    [conflict] = [entry for entry in trail if entry["event"] == "document_conflict"]
    assert conflict["conflict"]["accepted"]["total"] == "750.0"
    assert conflict["conflict"]["refused"]["total"] == "700.0"
    while life.process_documents()["count"]:
        pass
    assert life.norce.numbers("CreateInvoice") == ["INV-10001"]


def test_two_invoices_for_the_same_lines_pushed_at_once_one_is_taken_one_refused(
    life: LifecycleWorld,
) -> None:
    start, answers = threading.Barrier(2), []

    def push(number: str) -> None:
        start.wait()
        answers.append(raw_push(life, "CreateInvoice", dumps(INVOICE | {"InvoiceNo": number}))["statusCode"])

    threads = [threading.Thread(target=push, args=(n,)) for n in ("INV-A", "INV-B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [202, 400]
    while life.process_documents()["count"]:
        pass
    assert len(life.norce.numbers("CreateInvoice")) == 1


def test_a_body_with_a_utf8_byte_order_mark_is_taken(life: LifecycleWorld) -> None:
    """.NET clients may start a body with a byte-order mark: it is JSON all the same."""
    answer = raw_push(life, "CreateInvoice", b"\xef\xbb\xbf" + dumps(INVOICE).encode())
    assert answer["statusCode"] == 202, answer["body"]


def test_a_key_at_norces_length_is_taken(life: LifecycleWorld) -> None:
    number = "I" * MAX_KEY_LENGTH
    assert raw_push(life, "CreateInvoice", dumps(INVOICE | {"InvoiceNo": number}))["statusCode"] == 202
    while life.process_documents()["count"]:
        pass
    assert life.norce.numbers("CreateInvoice") == [number]


def test_non_ascii_text_is_queued_as_itself_not_six_times_its_size(life: LifecycleWorld) -> None:
    text = "åäö" * 20_000  # 60,000 characters: 120 KB in UTF-8, 360 KB as \\u escapes
    answer = raw_push(life, "CreateInvoice", json.dumps(INVOICE | {"Comment": text}, ensure_ascii=False))
    assert answer["statusCode"] == 202, answer["body"]
    [message] = life.sqs.receive_message(QueueUrl=life.lifecycle_url, MaxNumberOfMessages=10)["Messages"]
    assert text in message["Body"] and len(message["Body"].encode()) < 130_000
