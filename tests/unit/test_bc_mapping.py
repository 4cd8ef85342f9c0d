"""Business Central's mapping: our references in its Code[35], orders, customers and documents both ways,
and its webhook notifications (docs/erp-adapter.md, "Business Central")."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from norce_integration.adapters.http.business_central.documents import money_document, shipment_document
from norce_integration.adapters.http.business_central.mapping import (
    changes,
    company_body,
    customer_body,
    sales_order,
    split_name,
    to_company,
    to_customer,
)
from norce_integration.adapters.http.business_central.references import (
    client_order_ref,
    external_document_number,
    literal,
)
from norce_integration.adapters.http.business_central.webhooks import client_state, notifications
from norce_integration.erp.model import (
    ErpAddress,
    ErpCharge,
    ErpCompany,
    ErpCustomer,
    ErpDelivery,
    ErpOrder,
    ErpOrderLine,
)
from norce_integration.erp.ports import ErpRejected
from norce_integration.lifecycle.mapping import to_norce


# -- externalDocumentNumber (Code[35])
@pytest.mark.parametrize("ref", ["REF12345", "B2B-1001", "700000001", "A" * 35])
def test_a_ref_bc_would_hold_unchanged_is_kept_as_it_is(ref):
    assert external_document_number(ref) == ref
    assert client_order_ref(ref) == ref


@pytest.mark.parametrize(
    "ref", ["ref12345", "A" * 36, "basket-ä-123", " REF1", "REF~1", "x" * 200, "Weird'Quote"]
)
def test_any_other_ref_maps_to_35_upper_case_characters_that_never_read_back_as_a_ref(ref):
    number = external_document_number(ref)
    assert len(number) <= 35 and number == number.upper().strip()
    assert number == external_document_number(ref), "the same ref always maps to the same number"
    assert client_order_ref(number) is None, "a derived number is found by the order number, not as a ref"


def test_refs_bc_would_fold_together_stay_apart():
    refs = ["abc", "ABC", "Abc", "A" * 36, "A" * 35 + "B", "A" * 35 + "b", "x" * 40, "X" * 40]
    numbers = {external_document_number(ref) for ref in refs}
    assert len(numbers) == len(refs)


def test_odata_literals_double_their_quotes():
    assert literal("O'Brien") == "'O''Brien'"


# -- sales orders
def order(**changes_: object) -> ErpOrder:
    base = ErpOrder(
        external_ref="REF12345",
        customer_code="CUST0001",
        currency="SEK",
        submitted_at=datetime(2024, 12, 18, 12, tzinfo=UTC),
        delivery=ErpDelivery(
            method="PN",
            complete_delivery=True,
            address=ErpAddress(
                name="John Doe", line1="1 Street", zip_code="12345", city="Anytown", country="se"
            ),
        ),
        lines=[
            ErpOrderLine(
                line_no=1,
                part_no="ITEM001",
                quantity=Decimal(2),
                unit_price=Decimal(300),
                unit_vat=Decimal(75),
                discount=Decimal(10),
                description="Example Product 1",
                comment="Urgent delivery",
            ),
            ErpOrderLine(line_no=2, part_no="ITEM002", quantity=Decimal(1), unit_price=Decimal(150)),
        ],
        comment="Please handle with care.",
    )
    return base.model_copy(update=changes_)


def test_an_order_is_one_sales_order_with_its_lines_prices_excluding_vat():
    body = sales_order(order(), fee_account=None)
    assert body["externalDocumentNumber"] == "REF12345"
    assert (body["customerNumber"], body["currencyCode"], body["orderDate"]) == (
        "CUST0001",
        "SEK",
        "2024-12-18",
    )
    assert body["pricesIncludeTax"] is False and body["partialShipping"] is False
    assert body["shipToPostCode"] == "12345" and body["shipToCountry"] == "se"  # BC upper-cases a Code itself
    items = [line for line in body["salesOrderLines"] if line["lineType"] == "Item"]
    assert items[0] == {
        "sequence": 10000,
        "lineType": "Item",
        "lineObjectNumber": "ITEM001",
        "quantity": 2.0,
        "unitPrice": 300.0,
        "description": "Example Product 1",
        "discountAmount": 10.0,
    }
    comments = [
        (line["sequence"], line["description"])
        for line in body["salesOrderLines"]
        if line["lineType"] == "Comment"
    ]
    assert comments == [(10001, "Urgent delivery"), (30000, "Please handle with care.")]
    assert "unitVat" not in str(body), "BC computes VAT from its own posting setup"


def test_a_company_order_is_the_company_s_and_order_discounts_are_the_invoice_discount():
    body = sales_order(
        order(company_code="B20001", discounts=[ErpCharge(code="D", amount=Decimal(-50))]), None
    )
    assert body["customerNumber"] == "B20001"
    assert body["discountAmount"] == 50.0


def test_fees_are_lines_on_the_fee_account_and_refused_without_one():
    with_fee = order(fees=[ErpCharge(code="SHIPPING", description="Freight", amount=Decimal(49))])
    fee = sales_order(with_fee, fee_account="3010")["salesOrderLines"][-2]
    assert fee == {"sequence": 30000, "lineType": "Account", "lineObjectNumber": "3010", "quantity": 1.0,
                   "unitPrice": 49.0, "description": "Freight"}  # fmt: skip
    with pytest.raises(ErpRejected, match="BcFeeAccount"):
        sales_order(with_fee, fee_account=None)


def test_an_order_without_a_customer_is_refused_before_anything_is_sent():
    with pytest.raises(ErpRejected, match="customerNumber"):
        sales_order(order(customer_code=None), None)


def test_text_is_cut_to_bc_s_field_lengths():
    long = ErpAddress(name="N" * 150, line1="L" * 150, line2="M" * 80, city="C" * 40, zip_code="1" * 30)
    body = sales_order(order(delivery=ErpDelivery(method="x", address=long)), None)
    fields = ("shipToName", "shipToAddressLine1", "shipToAddressLine2", "shipToCity")
    assert [len(body[f]) for f in fields] == [
        100, 100, 50, 30,
    ]  # fmt: skip
    assert len(body["shipToPostCode"]) == 20


# -- customers and companies
def test_a_person_is_a_customer_of_type_person_with_one_phone_the_mobile_first():
    body = customer_body(
        ErpCustomer(email="a@b.se", first_name="Anna", last_name="Berg", phone="08", cell_phone="070")
    )
    assert body == {"type": "Person", "displayName": "Anna Berg", "email": "a@b.se", "phoneNumber": "070"}


def test_a_company_is_a_customer_of_type_company_with_its_vat_number():
    body = company_body(
        ErpCompany(name="Nya Bygg AB", vat_no="SE556677889901", organization_no="556677-8899")
    )
    assert body == {
        "type": "Company",
        "displayName": "Nya Bygg AB",
        "taxRegistrationNumber": "SE556677889901",
    }


def test_a_bc_customer_reads_back_as_a_person_and_a_company():
    entity = {"number": "C10001", "displayName": "Anna Maria Berg", "email": "Anna@B.se",
              "phoneNumber": "070",
              "blocked": "All", "taxRegistrationNumber": "se 556677-8899 01", "addressLine1": "1 Street",
              "lastModifiedDateTime": "2026-01-01T10:00:00.123Z"}  # fmt: skip
    person = to_customer(entity)
    assert (person.code, person.first_name, person.last_name, person.external_ref) == (
        "C10001", "Anna Maria", "Berg", "email:anna@b.se",
    )  # fmt: skip
    assert person.is_active is False and person.changed_at == datetime(
        2026, 1, 1, 10, 0, 0, 123000, tzinfo=UTC
    )
    assert to_company(entity).vat_no == "SE556677889901"


@pytest.mark.parametrize(
    ("name", "split"), [("Nina", ("Nina", None)), ("Nina Doe", ("Nina", "Doe")), ("", (None, None))]
)
def test_one_word_is_a_first_name(name, split):
    assert split_name(name) == split


def test_an_update_patches_only_what_differs_and_never_unblocks_what_the_accountant_blocked():
    current = {
        "displayName": "Anna Berg",
        "email": "a@b.se",
        "postalCode": "12345",
        "country": "SE",
        "blocked": "Ship",
    }
    wanted = {
        "type": "Person",
        "displayName": "Anna Berg",
        "email": "a@b.se",
        "postalCode": "12345",
        "country": "se",
    }
    assert changes(current, wanted, is_active=True) == {}
    assert changes(current, wanted | {"displayName": "Nina Berg"}, True) == {"displayName": "Nina Berg"}
    assert changes(current, wanted, is_active=False) == {"blocked": "All"}
    assert changes(current | {"blocked": "All"}, wanted, is_active=True) == {"blocked": " "}


# -- posted documents
SHIPMENT = {
    "number": "S-SHPT102001", "orderNumber": "S-ORD101001", "externalDocumentNumber": "REF12345",
    "currencyCode": "SEK", "postingDate": "2026-01-02", "lastModifiedDateTime": "2026-01-02T08:00:00.000Z",
    "salesShipmentLines": [
        {"sequence": 10000, "lineType": "Item", "lineObjectNumber": "ITEM001", "quantity": 1},
        {"sequence": 10001, "lineType": " ", "lineObjectNumber": "", "quantity": 0},
        {"sequence": 30000, "lineType": "G/L Account", "lineObjectNumber": "3010", "quantity": 1},
    ],
}  # fmt: skip


def test_a_shipment_is_a_delivery_note_of_its_items_with_norce_s_line_numbers_and_no_parcel():
    document = shipment_document(SHIPMENT)
    kind, body = to_norce(document)
    assert kind.value == "CreateDeliveryNote"
    assert body["NoteNo"] == "S-SHPT102001" and body["OrderNo"] == "S-ORD101001"
    assert "ClientOrderRef" not in body, "CreateDeliveryNote names its order by OrderNo only (issue 19)"
    assert body["DeliverynoteItems"] == [{"ItemNo": "ITEM001", "Qty": 1, "RowNumber": 1}]
    assert "DeliveryNotePackages" not in body, "BC's standard shipment has no parcel number"


def test_a_derived_external_document_number_is_not_taken_for_a_client_order_ref():
    document = shipment_document(SHIPMENT | {"externalDocumentNumber": external_document_number("ref-lower")})
    assert document.external_ref is None and document.order_no == "S-ORD101001"


INVOICE = {
    "number": "S-INV103001", "orderNumber": "S-ORD101001", "externalDocumentNumber": "REF12345",
    "currencyCode": "SEK", "invoiceDate": "2026-01-03", "status": "Open",
    "lastModifiedDateTime": "2026-01-03T08:00:00.000Z", "totalAmountIncludingTax": 773.75,
    "totalTaxAmount": 154.75,
    "salesInvoiceLines": [
        {"sequence": 10000, "lineType": "Item", "lineObjectNumber": "ITEM001", "quantity": 2,
         "unitPrice": 300,
         "taxPercent": 25, "netAmount": 570, "netTaxAmount": 142.5},
        {"sequence": 30000, "lineType": "Account", "lineObjectNumber": "3010", "quantity": 1, "unitPrice": 49,
         "taxPercent": 25, "netAmount": 49, "netTaxAmount": 12.25},
        {"sequence": 40000, "lineType": "Comment", "description": "thanks", "quantity": 0},
    ],
}  # fmt: skip


def test_a_posted_invoice_carries_its_net_lines_so_lines_plus_vat_make_its_total():
    document = money_document(INVOICE, "invoice", "S-ORD101001")
    assert document is not None
    kind, body = to_norce(document)
    assert kind.value == "CreateInvoice"
    assert [(i["PartNo"], i["LineAmount"], i["VatRate"]) for i in body["Items"]] == [
        ("ITEM001", 570.0, 25.0),
        ("3010", 49.0, 25.0),
    ]
    assert sum(i["LineAmount"] for i in body["Items"]) + body["Vat"] == body["TotalAmount"] == 773.75


@pytest.mark.parametrize("status", ["Draft", "In Review"])
def test_an_invoice_not_posted_is_no_document(status):
    assert money_document(INVOICE | {"status": status}, "invoice", None) is None


def test_a_credit_memo_credits_its_invoice():
    memo = INVOICE | {"number": "S-CR104001", "invoiceNumber": "S-INV103001", "creditMemoDate": "2026-01-04"}
    memo["salesCreditMemoLines"] = memo.pop("salesInvoiceLines")
    document = money_document(memo, "creditNote", "S-ORD101001")
    assert document is not None
    kind, body = to_norce(document)
    assert (kind.value, body["CreditedInvoiceNo"], body["ErpOrderNo"]) == (
        "CreditPayment",
        "S-INV103001",
        "S-ORD101001",
    )


# -- webhooks
def test_only_notifications_with_our_client_state_are_taken():
    ours = client_state("secret")
    body = {"value": [
        {"resource": "api/v2.0/companies(x)/salesInvoices(y)", "changeType": "created", "clientState": ours,
         "lastModifiedDateTime": "2026-01-01T10:00:00Z"},
        {"resource": "api/v2.0/companies(x)/salesInvoices(z)", "changeType": "created",
         "clientState": "forged"},
    ]}  # fmt: skip
    changes_, foreign = notifications(body, ours)
    assert [c.resource for c in changes_] == ["api/v2.0/companies(x)/salesInvoices(y)"] and foreign == 1
    assert client_state("secret") != client_state("rotated"), "a new secret sends a new clientState"


@pytest.mark.parametrize("body", [[], {"value": "x"}, {"value": [{"changeType": "created"}]}])
def test_a_body_that_is_not_a_notification_is_refused(body):
    with pytest.raises(ValueError):
        notifications(body, "state")
