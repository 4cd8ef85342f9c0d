"""The order lifecycle in the two simulators: Norce's CreateDeliveryNote / CreateInvoice / CreditPayment
(and Query's Orders/DeliveryNotes, Orders/Invoices), the ERP's delivery notes, invoices, credit notes,
statuses and their change feed. Over HTTP, as the integration and the demo use them."""

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests

from local.erp_simulator import DocumentRefused, ErpSimulator
from local.norce import NorceConnectSimulator
from local.norce.connect import CONNECT
from local.norce.query import order_id_of
from norce_integration.erp.model import ErpDelivery, ErpDocument, ErpOrder, ErpOrderLine

ERP_KEY = {"X-Api-Key": "erp-local-key"}


@pytest.fixture(scope="module")
def erp_server() -> Iterator[ErpSimulator]:
    with ErpSimulator(port=0) as simulator:
        yield simulator


@pytest.fixture
def erp(erp_server: ErpSimulator) -> ErpSimulator:
    erp_server.reset()
    return erp_server


# -- Norce Connect
def connect(norce: NorceConnectSimulator, path: str, body: Any, auth: bool = True) -> requests.Response:
    headers = {"Authorization": norce.basic} if auth else {}
    return requests.post(f"{norce.url}{CONNECT}/{path}", json=body, headers=headers, timeout=10)


def known_order(norce: NorceConnectSimulator, ref: int | str = 1001, erp_no: str = "SO-000001") -> None:
    answer = connect(
        norce,
        "Order/SendOrderStatus",
        {"ClientOrderRef": ref, "ErpOrderNo": erp_no, "OrderStatus": "Confirmed", "AccountId": 1},
    )
    assert answer.status_code == 200


def note(no: str = "DN-1", **changes: Any) -> dict[str, Any]:
    """Norce's CreateDeliveryNote: no ClientOrderRef, the order named by its ERP order number."""
    return {
        "OrderNo": "SO-000001",
        "NoteNo": no,
        "DeliverynoteItems": [{"ItemNo": "ITEM001", "Qty": 2, "RowNumber": 1}],
        **changes,
    }


def invoice(no: str = "INV-1", total: Any = 625.0, **changes: Any) -> dict[str, Any]:
    return {
        "ClientOrderRef": 1001,
        "ErpOrderNo": "SO-000001",
        "InvoiceNo": no,
        "CurrencyCode": "SEK",
        "InvoiceDate": "2025-01-02T10:00:00Z",
        "Items": [
            {"PartNo": "ITEM001", "Quantity": 2, "UnitPrice": 200, "LineAmount": 400.0},
            {"PartNo": "ITEM002", "Quantity": 1, "UnitPrice": 100, "LineAmount": 100.0},
        ],
        "Vat": 125.0,
        "TotalAmount": total,
        **changes,
    }


def credit(no: str = "CN-1", total: Any = 625.0, credited: str = "INV-1", **changes: Any) -> dict[str, Any]:
    net = Decimal(str(total)) * 4 / 5
    return {
        **invoice(no, total),
        "CreditedInvoiceNo": credited,
        "Items": [{"PartNo": "CREDIT", "Quantity": 1, "UnitPrice": float(net), "LineAmount": float(net)}],
        "Vat": float(Decimal(str(total)) - net),
        **changes,
    }


def query(norce: NorceConnectSimulator, entity_set: str, filter_: str = "", top: int = 100) -> list[Any]:
    params = {"$filter": filter_, "$top": str(top)}
    headers = {"applicationId": "1001", "Authorization": norce.basic}
    answer = requests.get(f"{norce.query_url}{entity_set}", params=params, headers=headers, timeout=10)
    assert answer.status_code == 200
    value: list[Any] = answer.json()["value"]
    return value


def test_documents_for_an_order_norce_does_not_know_are_refused(norce):
    for path, body in (
        ("Order/CreateDeliveryNote", note()),
        ("Order/CreateInvoice", invoice()),
        ("Order/CreditPayment", credit()),
        ("Order/CreateDeliveryNote", note(OrderNo=None)),
    ):
        answer = connect(norce, path, body)
        assert answer.status_code == 400, path
        assert "order" in answer.json()["Message"].lower()
        assert norce.calls[-1]["status"] == 400

    assert norce.documents == {} and norce.stats["captures"] == 0


def test_a_delivery_note_is_found_by_its_order_no_only(norce):
    known_order(norce, ref=1001, erp_no="SO-000001")

    by_order_no = connect(norce, "Order/CreateDeliveryNote", note("DN-1"))
    with_ref = connect(norce, "Order/CreateDeliveryNote", note("DN-2", ClientOrderRef=1001))
    other = connect(norce, "Order/CreateDeliveryNote", note("DN-3", OrderNo="SO-999999"))

    assert (by_order_no.status_code, by_order_no.json()) == (200, {})
    # Norce's CreateDeliveryNote has no ClientOrderRef (issue 19): the strict simulator refuses it
    assert with_ref.status_code == 400
    assert with_ref.json()["Message"] == "ClientOrderRef is not a field Norce publishes"
    assert other.status_code == 400 and "unknown order" in other.json()["Message"]
    assert [n["NoteNo"] for n in norce.documents["1001"]["DeliveryNotes"]] == ["DN-1"]
    assert norce.calls_to("Order/CreateDeliveryNote")[0]["status"] == 200
    assert norce.orders["1001"] == [{"OrderStatus": "Confirmed", "ErpOrderNo": "SO-000001"}]


def test_a_delivery_note_sent_twice_is_recorded_twice_and_counted(norce):
    known_order(norce)

    for _ in range(2):
        assert connect(norce, "Order/CreateDeliveryNote", note("DN-1")).status_code == 200

    assert [n["NoteNo"] for n in norce.documents["1001"]["DeliveryNotes"]] == ["DN-1", "DN-1"]
    assert norce.stats["duplicate delivery notes"] == 1


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"NoteNo": None}, "NoteNo"),
        ({"DeliverynoteItems": []}, "DeliverynoteItems"),
        ({"DeliverynoteItems": [{"Qty": 1}]}, "ItemNo"),
        ({"DeliverynoteItems": [{"ItemNo": "ITEM001", "Qty": 0}]}, "Qty"),
        ({"DeliverynoteItems": [{"ItemNo": "ITEM001", "Qty": "lots"}]}, "Qty"),
        ({"DeliverynoteItems": [{"ItemNo": "ITEM001", "Qty": 1.5}]}, "Qty must be an integer"),
        ({"OrderNo": None}, "OrderNo is required"),
        ({"TrackingUrl": "https://t.example/1"}, "TrackingUrl is not a field Norce publishes"),
        ({"DeliveryNotePackages": [{"StatusId": 5}]}, "StatusId must be one of"),
        ({"DeliveryAddress": {"Country": "SWE"}}, "Country is longer than 2"),
    ],
)
def test_an_incomplete_delivery_note_is_refused(norce, changes, problem):
    known_order(norce)

    answer = connect(norce, "Order/CreateDeliveryNote", note(**changes))

    assert answer.status_code == 400 and problem in answer.json()["Message"]
    assert "1001" not in norce.documents


def test_an_invoice_is_a_capture_and_a_second_one_with_its_number_a_double_capture(norce):
    known_order(norce)

    first = connect(norce, "Order/CreateInvoice", invoice("INV-1"))
    again = connect(norce, "Order/CreateInvoice", invoice("INV-1"))

    assert first.status_code == again.status_code == 200
    assert len(norce.documents["1001"]["Invoices"]) == 2
    assert norce.stats["captures"] == 2 and norce.stats["double captures"] == 1


def test_invoice_amounts_are_json_numbers_and_must_add_up(norce):
    known_order(norce)
    # Norce publishes numbers: a number sent as a string is refused by the strict simulator (issue 19)
    as_strings = invoice("INV-1", total="625.00", Vat="125.00", InvoiceRoundOff="0")
    rounded = invoice("INV-2", total=625.004)

    assert connect(norce, "Order/CreateInvoice", as_strings).status_code == 400
    assert connect(norce, "Order/CreateInvoice", rounded).status_code == 200
    wrong = connect(norce, "Order/CreateInvoice", invoice("INV-3", total=626.0))

    assert wrong.status_code == 400 and "TotalAmount" in wrong.json()["Message"]
    assert [i["InvoiceNo"] for i in norce.documents["1001"]["Invoices"]] == ["INV-2"]
    assert norce.stats["captures"] == 1


def test_a_round_off_counts_towards_the_invoice_total(norce):
    known_order(norce)

    answer = connect(norce, "Order/CreateInvoice", invoice(total=625.5, InvoiceRoundOff=0.5))

    assert answer.status_code == 200


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"ClientOrderRef": None}, "ClientOrderRef is required"),
        ({"ClientOrderRef": "1001"}, "ClientOrderRef must be a JSON number"),
        ({"ClientOrderRef": 2**31}, "ClientOrderRef must be an int32"),
        ({"ErpOrderNo": None}, "ErpOrderNo is required"),
        ({"ErpOrderNo": "SO-000002"}, "ErpOrderNo 'SO-000002' is not order 1001's"),
        ({"CurrencyCode": None}, "CurrencyCode"),
        ({"CurrencyCode": "SEKK"}, "CurrencyCode is longer than 3"),
        ({"InvoiceDate": None}, "InvoiceDate"),
        ({"InvoiceDate": "tomorrow"}, "InvoiceDate must be an ISO 8601"),
        ({"Items": None}, "Items"),
        ({"Items": [{"PartNo": "X", "Quantity": -1, "UnitPrice": 1, "LineAmount": 500}]}, "Quantity"),
        ({"Items": [{"PartNo": "X", "Quantity": 2, "LineAmount": 500}]}, "UnitPrice is required"),
        ({"Items": [{"PartNo": "X", "Quantity": 2.5, "UnitPrice": 1}]}, "Quantity must be an integer"),
        ({"Payment": {"Amount": 1}}, "either PaymentCode or PaymentRef"),
        ({"Ref": "x"}, "Ref is not a field Norce publishes"),
    ],
)
def test_an_incomplete_invoice_is_refused(norce, changes, problem):
    known_order(norce)

    answer = connect(norce, "Order/CreateInvoice", invoice(**changes))

    assert answer.status_code == 400 and problem in answer.json()["Message"]
    assert "1001" not in norce.documents and norce.stats["captures"] == 0


def test_an_invoice_without_items_is_fine_when_the_psp_is_not_called(norce):
    known_order(norce)

    answer = connect(norce, "Order/CreateInvoice", invoice(Items=None, SuppressPspCall=True, total=999))

    assert answer.status_code == 200 and norce.stats["captures"] == 1


def test_credits_are_refunds_up_to_what_was_invoiced(norce):
    known_order(norce)
    assert connect(norce, "Order/CreateInvoice", invoice("INV-1", total=625.0)).status_code == 200

    part = connect(norce, "Order/CreditPayment", credit("CN-1", total=125.0))
    rest = connect(norce, "Order/CreditPayment", credit("CN-2", total=500.0))
    too_much = connect(norce, "Order/CreditPayment", credit("CN-3", total=0.05))

    assert part.status_code == rest.status_code == 200
    assert too_much.status_code == 400 and "exceeds" in too_much.json()["Message"]
    assert norce.calls_to("Order/CreditPayment")[-1]["status"] == 400
    assert [c["InvoiceNo"] for c in norce.documents["1001"]["Credits"]] == ["CN-1", "CN-2"]
    assert norce.stats["refunds"] == 2


def test_a_credit_above_the_invoiced_amount_is_refused_and_not_recorded(norce):
    known_order(norce)
    connect(norce, "Order/CreateInvoice", invoice("INV-1", total=625.0))

    answer = connect(norce, "Order/CreditPayment", credit("CN-1", total=625.01))

    assert answer.status_code == 400
    assert norce.documents["1001"]["Credits"] == [] and norce.stats["refunds"] == 0


def test_a_credit_needs_an_invoice_of_the_order(norce):
    known_order(norce, ref=1001, erp_no="SO-000001")
    known_order(norce, ref=1002, erp_no="SO-2")
    connect(norce, "Order/CreateInvoice", invoice("INV-1", ClientOrderRef=1002, ErpOrderNo="SO-2"))

    missing = connect(norce, "Order/CreditPayment", credit(CreditedInvoiceNo=None))
    other_order = connect(norce, "Order/CreditPayment", credit(credited="INV-1"))

    assert missing.status_code == 400 and "CreditedInvoiceNo" in missing.json()["Message"]
    assert other_order.status_code == 400 and "INV-1" in other_order.json()["Message"]
    assert norce.stats["refunds"] == 0


def test_a_repeated_credit_number_is_a_double_refund(norce):
    known_order(norce)
    connect(norce, "Order/CreateInvoice", invoice("INV-1", total=625.0))

    for _ in range(2):
        assert connect(norce, "Order/CreditPayment", credit("CN-1", total=100.0)).status_code == 200

    assert norce.stats["refunds"] == 2 and norce.stats["double refunds"] == 1


def test_dropped_responses_store_the_invoice_yet_answer_504(norce):
    known_order(norce)
    answer = requests.post(
        f"{norce.url}/_faults", json={"dropResponses": 1, "paths": ["Order/CreateInvoice"]}, timeout=10
    )
    assert answer.json()["drop_responses"] == 1

    status = connect(norce, "Order/SendOrderStatus", {"ClientOrderRef": 1001, "OrderStatus": "Delivered"})
    lost = connect(norce, "Order/CreateInvoice", invoice("INV-1"))
    again = connect(norce, "Order/CreateInvoice", invoice("INV-1"))  # our retry

    assert status.status_code == 200  # another path: not dropped
    assert (lost.status_code, lost.json()) == (504, {"Message": "injected: the response was lost"})
    assert lost_call_status(norce) == [504, 200]
    assert again.status_code == 200 and norce.faults.drop_responses == 0
    assert len(norce.documents["1001"]["Invoices"]) == 2
    assert norce.stats["captures"] == 2 and norce.stats["double captures"] == 1


def lost_call_status(norce: NorceConnectSimulator) -> list[int]:
    return [call["status"] for call in norce.calls_to("Order/CreateInvoice")]


def test_dropped_responses_apply_to_every_path_by_default(norce):
    known_order(norce)
    norce.set_faults(drop_responses=2)

    answers = [
        connect(norce, "Order/CreateDeliveryNote", note()),
        connect(norce, "Order/SendOrderStatus", {"ClientOrderRef": 1001, "OrderStatus": "Delivered"}),
        connect(norce, "Order/CreateDeliveryNote", note("DN-2")),
    ]

    assert [a.status_code for a in answers] == [504, 504, 200]
    assert len(norce.documents["1001"]["DeliveryNotes"]) == 2
    assert [s["OrderStatus"] for s in norce.orders["1001"]] == ["Confirmed", "Delivered"]


def test_injected_faults_and_missing_auth_process_nothing(norce):
    known_order(norce)
    norce.set_faults(count=1, status=503)

    refused = connect(norce, "Order/CreateInvoice", invoice())
    unauthorized = connect(norce, "Order/CreateInvoice", invoice(), auth=False)

    assert (refused.status_code, unauthorized.status_code) == (503, 401)
    assert "1001" not in norce.documents and norce.stats["captures"] == 0


def test_orders_view_has_statuses_and_documents_and_reset_clears_them(norce):
    known_order(norce, ref=1001, erp_no="SO-1")
    connect(norce, "Order/CreateDeliveryNote", note(OrderNo="SO-1"))
    connect(norce, "Order/CreateInvoice", invoice(ErpOrderNo="SO-1"))
    connect(norce, "Order/CreditPayment", credit(total=100.0, ErpOrderNo="SO-1"))
    known_order(norce, ref=1002, erp_no="SO-2")

    view = requests.get(f"{norce.url}/_orders", timeout=10).json()

    assert set(view) == {"1001", "1002"}
    assert view["1001"]["Statuses"] == [{"OrderStatus": "Confirmed", "ErpOrderNo": "SO-1"}]
    assert [len(view["1001"][kind]) for kind in ("DeliveryNotes", "Invoices", "Credits")] == [1, 1, 1]
    assert view["1001"]["Invoices"][0]["InvoiceNo"] == "INV-1"
    assert view["1002"] == {
        "Statuses": [{"OrderStatus": "Confirmed", "ErpOrderNo": "SO-2"}],
        "DeliveryNotes": [],
        "Invoices": [],
        "Credits": [],
    }
    assert set(norce.documents) == {"1001"}  # looking does not add anything

    requests.post(f"{norce.url}/_reset", timeout=10)
    assert norce.documents == {} and norce.orders == {}
    assert requests.get(f"{norce.url}/_orders", timeout=10).json() == {}


def test_query_finds_delivery_notes_invoices_and_credits(norce):
    known_order(norce, ref=1001, erp_no="SO-1")
    known_order(norce, ref=1002, erp_no="SO-2")
    connect(norce, "Order/CreateDeliveryNote", note("DN-1", OrderNo="SO-1"))
    connect(norce, "Order/CreateDeliveryNote", note("DN-2", OrderNo="SO-2"))
    connect(norce, "Order/CreateInvoice", invoice("INV-1", ErpOrderNo="SO-1"))
    connect(norce, "Order/CreateInvoice", invoice("INV-1", ErpOrderNo="SO-1"))
    connect(norce, "Order/CreditPayment", credit("CN-1", total=100.0, ErpOrderNo="SO-1"))

    notes = query(norce, "Orders/DeliveryNotes", "NoteNo eq 'DN-2'")
    invoices = query(norce, "Orders/Invoices", "InvoiceNo eq 'INV-1'")
    first = query(norce, "Orders/Invoices", "InvoiceNo eq 'INV-1'", top=1)
    credits = query(norce, "Orders/Invoices", "InvoiceNo eq 'CN-1'")

    # Query's Invoice and DeliveryNote as Norce publishes them: string ids, the order by ReferenceOrderId
    order_1, order_2 = (str(order_id_of(norce.state, ref)) for ref in ("1001", "1002"))
    assert [(n["NoteNo"], n["ReferenceOrderId"]) for n in notes] == [("DN-2", order_2)]
    assert len(invoices) == 2 and len(first) == 1
    assert (first[0]["ReferenceOrderId"], first[0]["TypeId"], first[0]["InvoiceAmount"]) == (
        order_1,
        1,
        625.0,
    )
    assert isinstance(first[0]["Id"], str) and first[0]["Id"] != invoices[1]["Id"]
    [credit_row] = credits
    assert (credit_row["InvoiceNo"], credit_row["TypeId"], credit_row["InvoiceAmount"]) == ("CN-1", 2, 100.0)
    assert not {"ClientOrderRef", "ErpOrderNo", "IsCredit", "TotalAmount", "CreditedInvoiceNo"} & set(
        credit_row
    )
    assert query(norce, "Orders/Invoices", "InvoiceNo eq 'INV-404'") == []
    assert len(query(norce, "Orders/DeliveryNotes")) == 2


# -- the ERP
def erp_order(erp: ErpSimulator, ref: str = "1001") -> str:
    order = ErpOrder(
        external_ref=ref,
        currency="SEK",
        customer_code="C1",
        delivery=ErpDelivery(method="PN"),
        lines=[
            ErpOrderLine(
                line_no=1,
                part_no="ITEM001",
                quantity=Decimal(3),
                unit_price=Decimal("99.99"),
                unit_vat=Decimal("25.00"),
                vat_rate=Decimal(25),
            ),
            ErpOrderLine(
                line_no=2,
                part_no="ITEM002",
                quantity=Decimal(1),
                unit_price=Decimal("10.01"),
                unit_vat=Decimal("1.20"),
                vat_rate=Decimal(12),
            ),
        ],
    )
    body = order.model_dump(mode="json", by_alias=True, exclude_none=True)
    answer = requests.post(f"{erp.url}/orders", json=body, headers=ERP_KEY, timeout=10)
    assert answer.status_code == 201
    order_no: str = answer.json()["orderNo"]
    return order_no


def control(erp: ErpSimulator, order_no: str, action: str, body: Any = None) -> requests.Response:
    return requests.post(f"{erp.url}/_orders/{order_no}/{action}", json=body, timeout=10)


def feed(erp: ErpSimulator, **params: Any) -> requests.Response:
    return requests.get(f"{erp.url}/documents", params=params, headers=ERP_KEY, timeout=10)


def test_an_order_looked_up_by_reference_or_number_is_the_one_a_scan_of_every_order_finds(erp):
    numbers = {ref: erp_order(erp, ref) for ref in ("2001", "2002", "2003")}
    control(erp, numbers["2002"], "ship")
    control(erp, numbers["2003"], "ship")
    control(erp, numbers["2002"], "invoice")
    every = erp.orders()

    def get(path: str, **params: Any) -> Any:
        answer = requests.get(f"{erp.url}{path}", params=params, headers=ERP_KEY, timeout=10)
        return answer.status_code, answer.json()

    for ref, number in numbers.items():
        [scanned] = [order for order in every if order["externalRef"] == ref]
        assert get("/orders", externalRef=ref) == (200, {"items": [scanned]})
        assert get(f"/orders/{number}") == (200, scanned)
        everyone = [document for document in erp.documents() if document["orderNo"] == number]
        assert erp.documents(number) == everyone
    assert [len(erp.documents(numbers[ref])) for ref in ("2001", "2002", "2003")] == [0, 2, 1]
    assert get("/orders", externalRef="9999") == (200, {"items": []})
    assert get("/orders")[1] == {"items": every}
    assert get("/orders/SO-999999")[0] == 404


def test_shipping_part_then_the_rest(erp):
    order_no = erp_order(erp)

    first = control(erp, order_no, "ship", {"lines": [{"lineNo": 1, "quantity": 2}], "parcelNumber": "P1"})
    rest = control(erp, order_no, "ship")
    nothing_left = control(erp, order_no, "ship")

    assert first.status_code == 201
    dn1 = first.json()
    assert (dn1["documentNo"], dn1["kind"], dn1["orderNo"], dn1["externalRef"]) == (
        "DN-1",
        "deliveryNote",
        order_no,
        "1001",
    )
    assert dn1["parcelNumber"] == "P1" and dn1["currency"] == "SEK"
    assert [(line["lineNo"], line["partNo"], line["quantity"]) for line in dn1["lines"]] == [
        (1, "ITEM001", 2)
    ]
    assert rest.status_code == 201 and rest.json()["documentNo"] == "DN-2"
    assert [(line["lineNo"], line["quantity"]) for line in rest.json()["lines"]] == [(1, 1), (2, 1)]
    assert nothing_left.status_code == 409


def test_shipping_what_cannot_be_shipped_is_refused(erp):
    order_no = erp_order(erp)

    assert control(erp, "SO-999999", "ship").status_code == 404
    assert control(erp, order_no, "ship", {"lines": [{"lineNo": 1, "quantity": 4}]}).status_code == 409
    assert control(erp, order_no, "ship", {"lines": [{"lineNo": 7, "quantity": 1}]}).status_code == 409
    with pytest.raises(DocumentRefused) as refused:
        erp.ship(order_no, [{"lineNo": 2, "quantity": 1}, {"lineNo": 2, "quantity": 1}])
    assert refused.value.status == 409
    assert erp.documents() == []


def test_an_invoice_is_for_what_was_shipped_and_adds_up(erp):
    order_no = erp_order(erp)
    erp.ship(order_no, [{"lineNo": 1, "quantity": 3}])

    answer = control(erp, order_no, "invoice")

    assert answer.status_code == 201
    inv = answer.json()
    assert (inv["documentNo"], inv["kind"], inv["currency"]) == ("INV-1", "invoice", "SEK")
    assert inv["lines"] == [
        {
            "lineNo": 1,
            "partNo": "ITEM001",
            "quantity": 3,
            "unitPrice": 99.99,
            "unitVat": 25.0,
            "vatRate": 25.0,
            "lineAmount": 299.97,
        }
    ]
    assert (inv["vat"], inv["totalAmount"]) == (75.0, 374.97)
    assert control(erp, order_no, "invoice").status_code == 409  # line 2 is not shipped yet


def test_without_delivery_notes_the_invoice_is_for_everything(erp):
    order_no = erp_order(erp)

    inv = erp.invoice(order_no)
    again = control(erp, order_no, "invoice")

    assert [(line["lineNo"], line["quantity"]) for line in inv["lines"]] == [(1, 3), (2, 1)]
    lines = sum(Decimal(str(line["lineAmount"])) for line in inv["lines"])
    assert lines == Decimal("309.98") and Decimal(str(inv["vat"])) == Decimal("76.20")
    assert Decimal(str(inv["totalAmount"])) == lines + Decimal(str(inv["vat"]))
    assert again.status_code == 409


def test_invoicing_chosen_lines(erp):
    order_no = erp_order(erp)

    first = control(erp, order_no, "invoice", {"lines": [{"lineNo": 1, "quantity": 1}]}).json()
    second = erp.invoice(order_no, [{"lineNo": 1}])  # what is left of line 1

    assert first["documentNo"] == "INV-1" and first["totalAmount"] == 124.99
    assert second["documentNo"] == "INV-2" and second["lines"][0]["quantity"] == 2
    assert control(erp, order_no, "invoice", {"lines": [{"lineNo": 1, "quantity": 1}]}).status_code == 409


def test_credit_notes_take_their_vat_share_from_the_invoice(erp):
    order_no = erp_order(erp)
    inv = erp.invoice(order_no)  # 309.98 + 76.20 VAT = 386.18

    whole = control(erp, order_no, "credit", {"invoiceNo": "INV-1"})
    part = control(erp, order_no, "credit", {"invoiceNo": "INV-1", "amount": 100.0})

    assert whole.status_code == part.status_code == 201
    assert whole.json()["documentNo"] == "CN-1" and whole.json()["totalAmount"] == inv["totalAmount"]
    cn2 = part.json()
    vat = round(100.0 * 76.20 / 386.18, 2)
    assert (cn2["documentNo"], cn2["kind"], cn2["creditedInvoiceNo"]) == ("CN-2", "creditNote", "INV-1")
    assert (cn2["totalAmount"], cn2["vat"]) == (100.0, vat)
    assert cn2["lines"] == [
        {
            "lineNo": None,
            "partNo": "CREDIT",
            "quantity": 1,
            "unitPrice": round(100.0 - vat, 2),
            "lineAmount": round(100.0 - vat, 2),
            "unitVat": vat,
            "vatRate": None,
        }
    ]


def test_a_credit_note_needs_an_invoice_of_the_order(erp):
    order_no, other = erp_order(erp, "1001"), erp_order(erp, "1002")
    erp.invoice(other)

    assert control(erp, order_no, "credit", {"invoiceNo": "INV-1"}).status_code == 409
    assert control(erp, order_no, "credit", {"invoiceNo": "INV-9"}).status_code == 409
    assert control(erp, "SO-999999", "credit", {"invoiceNo": "INV-1"}).status_code == 404


def test_a_status_is_a_document_too(erp):
    order_no = erp_order(erp)

    answer = control(erp, order_no, "status", {"status": "Delivered"})

    assert answer.status_code == 201
    status = answer.json()
    assert (status["documentNo"], status["kind"], status["status"]) == (
        f"{order_no}:Delivered",
        "status",
        "Delivered",
    )
    assert status["lines"] == [] and status["externalRef"] == "1001"
    assert control(erp, "SO-999999", "status", {"status": "Delivered"}).status_code == 404


def test_the_change_feed_pages_in_order_and_needs_the_api_key(erp):
    order_no = erp_order(erp)
    erp.ship(order_no, [{"lineNo": 1, "quantity": 1}])
    erp.ship(order_no)
    erp.invoice(order_no)
    erp.credit(order_no, "INV-1", 10)
    erp.set_status(order_no, "Delivered")

    seen, pages, params = [], 0, {"pageSize": 2, "changedSince": "0001-01-01T00:00:00"}
    while True:
        page = feed(erp, **params)
        assert page.status_code == 200
        pages += 1
        seen += page.json()["items"]
        if not page.json()["nextPageToken"]:
            break
        params["pageToken"] = page.json()["nextPageToken"]

    numbers = [d["documentNo"] for d in seen]
    assert numbers == ["DN-1", "DN-2", "INV-1", "CN-1", f"{order_no}:Delivered"] and pages == 3
    assert seen == erp.documents()
    changed = [d["changedAt"] for d in seen]
    assert changed == sorted(changed) and len(set(changed)) == len(changed)
    documents = [ErpDocument.model_validate(d) for d in seen]  # the integration's model reads them
    assert documents[2].total_amount == documents[2].vat + sum(
        line.line_amount for line in documents[2].lines
    )

    since = feed(erp, changedSince=seen[2]["changedAt"]).json()
    assert [d["documentNo"] for d in since["items"]] == numbers[2:]  # inclusive
    assert requests.get(f"{erp.url}/documents", timeout=10).status_code == 401


def test_a_status_set_again_moves_to_the_end_of_the_feed(erp):
    order_no = erp_order(erp)
    erp.set_status(order_no, "Delivered")
    erp.ship(order_no)

    erp.set_status(order_no, "Delivered")

    assert [d["documentNo"] for d in feed(erp).json()["items"]] == ["DN-1", f"{order_no}:Delivered"]


def test_faults_apply_to_the_change_feed(erp):
    erp.set_faults(error_rate=1.0, error_status=503)

    assert feed(erp).status_code == 503
    assert control(erp, "SO-999999", "ship").status_code == 404  # control routes are not faulted


def test_reset_forgets_documents_and_restarts_their_numbers(erp):
    order_no = erp_order(erp)
    erp.ship(order_no)
    erp.invoice(order_no)

    requests.post(f"{erp.url}/_reset", timeout=10)
    order_no = erp_order(erp)

    assert erp.documents() == [] and feed(erp).json()["items"] == []
    assert erp.ship(order_no)["documentNo"] == "DN-1"


# -- the two together, as the integration will carry documents from one to the other
def test_erp_documents_pass_norces_checks(erp, norce):
    order_no = erp_order(erp)
    known_order(norce, ref=1001, erp_no=order_no)
    shipped = erp.ship(order_no, parcel_number="P1")
    inv = erp.invoice(order_no)
    whole = erp.credit(order_no, "INV-1")
    again = erp.credit(order_no, "INV-1", 1.0)  # the ERP lets it through; Norce does not

    delivery_note = {
        "OrderNo": shipped["orderNo"],
        "NoteNo": shipped["documentNo"],
        "DeliverynoteItems": [
            {"ItemNo": line["partNo"], "Qty": int(line["quantity"])} for line in shipped["lines"]
        ],
    }
    assert connect(norce, "Order/CreateDeliveryNote", delivery_note).status_code == 200
    assert connect(norce, "Order/CreateInvoice", norce_invoice(inv)).status_code == 200
    assert connect(norce, "Order/CreditPayment", norce_invoice(whole)).status_code == 200
    refused = connect(norce, "Order/CreditPayment", norce_invoice(again))

    assert refused.status_code == 400
    assert [c["InvoiceNo"] for c in norce.documents["1001"]["Credits"]] == ["CN-1"]
    assert norce.stats["captures"] == 1 and norce.stats["refunds"] == 1


def norce_invoice(document: dict[str, Any]) -> dict[str, Any]:
    invoice = {
        "ClientOrderRef": int(document["externalRef"]),
        "ErpOrderNo": document["orderNo"],
        "InvoiceNo": document["documentNo"],
        "InvoiceDate": document["documentDate"],
        "CurrencyCode": document["currency"],
        "CreditedInvoiceNo": document["creditedInvoiceNo"],
        "Items": [
            {
                "PartNo": line["partNo"],
                "Quantity": int(line["quantity"]),
                "UnitPrice": line["unitPrice"],
                "LineAmount": line["lineAmount"],
            }
            for line in document["lines"]
        ],
        "Vat": document["vat"],
        "TotalAmount": document["totalAmount"],
    }
    return {name: value for name, value in invoice.items() if value is not None}
