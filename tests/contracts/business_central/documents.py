"""Business Central's posted documents, as the poll and the webhook read them: sales shipments, sales invoices
and sales credit memos, each with its lines (``$expand``).

Fields: ``APIV2SalesShipments``/``APIV2SalesShipmentLines``,
``APIV2SalesInvoices``/``APIV2SalesInvoiceLines``, ``APIV2SalesCreditMemos``/``APIV2SalesCreditMemLines``
``.Page.al`` (microsoft/BCApps
src/Apps/W1/APIV2/app/src/pages); lengths: ``SalesShipmentHeader.Table.al`` and the Sales Header/Line tables
(src/Layers/W1/BaseApp). learn.microsoft.com api-reference/v2.0/resources/dynamics_salesShipment,
dynamics_salesinvoice, dynamics_salescreditmemo (and their line pages).
"""

from typing import Any

from tests.contracts.business_central.base import DATE, DATETIME, DECIMAL, GUID, described, enum, text
from tests.contracts.business_central.sales import LINE_FIELDS, LINE_TYPE, _address

PAGES = "BCApps src/Apps/W1/APIV2/app/src/pages/"
ETAG: dict[str, tuple[Any, str]] = {"@odata.etag": (str, "OData entity tag")}

SHIPMENT_LINE_FIELDS: dict[str, tuple[Any, str]] = {
    "id": (GUID, "Rec.SystemId"),
    "documentId": (GUID, 'Rec."Document Id"'),
    "documentNo": (text(20), 'Rec."Document No." Code[20]'),
    "sequence": (int, 'Rec."Line No."'),
    "lineType": (
        enum(" ", "G/L Account", "Item", "Resource", "Fixed Asset", "Charge (Item)"),
        "Rec.Type (enum Sales Line Type)",
    ),
    "lineObjectNumber": (text(20), 'Rec."No." Code[20]'),
    "description": (text(100), "Rec.Description Text[100]"),
    "description2": (text(50), 'Rec."Description 2" Text[50]'),
    "unitOfMeasureCode": (text(10), 'Rec."Unit of Measure Code" Code[10]'),
    "unitPrice": (DECIMAL, 'Rec."Unit Price"'),
    "quantity": (DECIMAL, "Rec.Quantity"),
    "discountPercent": (DECIMAL, 'Rec."Line Discount %"'),
    "taxPercent": (DECIMAL, 'Rec."VAT %" (Editable = false)'),
    "shipmentDate": (DATE, 'Rec."Shipment Date"'),
}
SalesShipmentLine = described(
    "salesShipmentLine", PAGES + "APIV2SalesShipmentLines.Page.al", ETAG | SHIPMENT_LINE_FIELDS
)

_CUSTOMER: dict[str, tuple[Any, str]] = {
    "customerId": (GUID, 'Rec."Customer Id"'),
    "customerNumber": (text(20), 'Rec."Sell-to Customer No." Code[20]'),
    "customerName": (text(100), 'Rec."Sell-to Customer Name" Text[100]'),
    "billToName": (text(100), 'Rec."Bill-to Name" Text[100]'),
    "billToCustomerId": (GUID, 'Rec."Bill-to Customer Id"'),
    "billToCustomerNumber": (text(20), 'Rec."Bill-to Customer No." Code[20]'),
}
SHIPMENT_FIELDS: dict[str, tuple[Any, str]] = {
    "id": (GUID, "Rec.SystemId"),
    "number": (text(20), 'Rec."No." Code[20]'),
    "externalDocumentNumber": (text(35), 'Rec."External Document No." Code[35]'),
    "invoiceDate": (DATE, 'Rec."Document Date"'),
    "postingDate": (DATE, 'Rec."Posting Date"'),
    "dueDate": (DATE, 'Rec."Due Date"'),
    "customerPurchaseOrderReference": (text(35), 'Rec."Your Reference" Text[35]'),
    **_CUSTOMER,
    "shipToName": (text(100), 'Rec."Ship-to Name" Text[100]'),
    "shipToContact": (text(100), 'Rec."Ship-to Contact" Text[100]'),
    **_address("sellTo", 'Rec."Sell-to'),
    **_address("billTo", 'Rec."Bill-To'),
    **_address("shipTo", 'Rec."Ship-to'),
    "currencyCode": (text(10), "CurrencyCodeTxt (a page variable)"),
    "orderNumber": (text(20), 'Rec."Order No." Code[20] (Editable = false)'),
    "paymentTermsCode": (text(10), 'Rec."Payment Terms Code" Code[10]'),
    "shipmentMethodCode": (text(10), 'Rec."Shipment Method Code" Code[10]'),
    "salesperson": (text(20), 'Rec."Salesperson Code" Code[20]'),
    "pricesIncludeTax": (bool, 'Rec."Prices Including VAT"'),
    "lastModifiedDateTime": (DATETIME, "Rec.SystemModifiedAt"),
    "phoneNumber": (text(30), 'Rec."Sell-to Phone No." Text[30]'),
    "email": (text(80), 'Rec."Sell-to E-Mail" Text[80]'),
}
SalesShipment = described(
    "salesShipment",
    PAGES + "APIV2SalesShipments.Page.al",
    ETAG | SHIPMENT_FIELDS | {"salesShipmentLines": (list[SalesShipmentLine], "part(salesShipmentLines)")},  # type: ignore[valid-type]
)

MONEY_LINE_FIELDS = {
    k: v
    for k, v in LINE_FIELDS.items()
    if k not in ("shippedQuantity", "invoicedQuantity", "invoiceQuantity", "shipQuantity")
}
MONEY_LINE_FIELDS["lineType"] = (LINE_TYPE, 'Rec."API Type"')
SalesInvoiceLine = described(
    "salesInvoiceLine", PAGES + "APIV2SalesInvoiceLines.Page.al", ETAG | MONEY_LINE_FIELDS
)
SalesCreditMemoLine = described(
    "salesCreditMemoLine", PAGES + "APIV2SalesCreditMemLines.Page.al", ETAG | MONEY_LINE_FIELDS
)

_TOTALS: dict[str, tuple[Any, str]] = {
    "discountAmount": (DECIMAL, 'Rec."Invoice Discount Amount"'),
    "discountAppliedBeforeTax": (bool, 'Rec."Discount Applied Before Tax"'),
    "totalAmountExcludingTax": (DECIMAL, "Rec.Amount"),
    "totalTaxAmount": (DECIMAL, 'Rec."Total Tax Amount"'),
    "totalAmountIncludingTax": (DECIMAL, 'Rec."Amount Including VAT"'),
}
INVOICE_FIELDS: dict[str, tuple[Any, str]] = {
    "id": (GUID, "Rec.Id"),
    "number": (text(20), 'Rec."No." Code[20]'),
    "externalDocumentNumber": (text(35), 'Rec."External Document No." Code[35]'),
    "invoiceDate": (DATE, 'Rec."Document Date"'),
    "postingDate": (DATE, 'Rec."Posting Date"'),
    "dueDate": (DATE, 'Rec."Due Date"'),
    "promisedPayDate": (DATE, 'Rec."Promised Pay Date"'),
    "customerPurchaseOrderReference": (text(35), 'Rec."Your Reference" Text[35]'),
    **_CUSTOMER,
    "shipToName": (text(100), 'Rec."Ship-to Name" Text[100]'),
    "shipToContact": (text(100), 'Rec."Ship-to Contact" Text[100]'),
    **_address("sellTo", 'Rec."Sell-to'),
    **_address("billTo", 'Rec."Bill-To'),
    **_address("shipTo", 'Rec."Ship-to'),
    "currencyId": (GUID, 'Rec."Currency Id"'),
    "shortcutDimension1Code": (text(20), 'Rec."Shortcut Dimension 1 Code"'),
    "shortcutDimension2Code": (text(20), 'Rec."Shortcut Dimension 2 Code"'),
    "currencyCode": (text(10), "CurrencyCodeTxt (a page variable)"),
    "orderId": (GUID, 'Rec."Order Id"'),
    "orderNumber": (text(20), 'Rec."Order No." Code[20]'),
    "paymentTermsId": (GUID, 'Rec."Payment Terms Id"'),
    "shipmentMethodId": (GUID, 'Rec."Shipment Method Id"'),
    "salesperson": (text(20), 'Rec."Salesperson Code"'),
    "disputeStatusId": (GUID, 'Rec."Dispute Status Id"'),
    "disputeStatus": (text(10), 'Rec."Dispute Status"'),
    "pricesIncludeTax": (bool, 'Rec."Prices Including VAT"'),
    "remainingAmount": (DECIMAL, "RemainingAmountVar (a page variable)"),
    **_TOTALS,
    "status": (enum(" ", "Draft", "In Review", "Open", "Paid", "Canceled", "Corrective"), "Rec.Status"),
    "lastModifiedDateTime": (DATETIME, "Rec.SystemModifiedAt"),
    "phoneNumber": (text(30), 'Rec."Sell-to Phone No." Text[30]'),
    "email": (text(80), 'Rec."Sell-to E-Mail" Text[80]'),
}
SalesInvoice = described(
    "salesInvoice",
    PAGES + "APIV2SalesInvoices.Page.al",
    ETAG | INVOICE_FIELDS | {"salesInvoiceLines": (list[SalesInvoiceLine], "part(salesInvoiceLines)")},  # type: ignore[valid-type]
)

CREDIT_MEMO_FIELDS: dict[str, tuple[Any, str]] = {
    "id": (GUID, "Rec.Id"),
    "number": (text(20), 'Rec."No." Code[20]'),
    "externalDocumentNumber": (text(35), 'Rec."External Document No." Code[35]'),
    "creditMemoDate": (DATE, 'Rec."Document Date"'),
    "postingDate": (DATE, 'Rec."Posting Date"'),
    "dueDate": (DATE, 'Rec."Due Date"'),
    **_CUSTOMER,
    **_address("sellTo", 'Rec."Sell-to'),
    **_address("billTo", 'Rec."Bill-to'),
    "shortcutDimension1Code": (text(20), 'Rec."Shortcut Dimension 1 Code"'),
    "shortcutDimension2Code": (text(20), 'Rec."Shortcut Dimension 2 Code"'),
    "currencyId": (GUID, 'Rec."Currency Id"'),
    "currencyCode": (text(10), "CurrencyCodeTxt (a page variable)"),
    "paymentTermsId": (GUID, 'Rec."Payment Terms Id"'),
    "shipmentMethodId": (GUID, 'Rec."Shipment Method Id"'),
    "salesperson": (text(20), 'Rec."Salesperson Code"'),
    "pricesIncludeTax": (bool, 'Rec."Prices Including VAT"'),
    **_TOTALS,
    "status": (enum("Draft", "In Review", "Open", "Paid", "Canceled", "Corrective"), "Rec.Status"),
    "lastModifiedDateTime": (DATETIME, "Rec.SystemModifiedAt"),
    "invoiceId": (GUID, "SalesInvoiceId (a page variable)"),
    "invoiceNumber": (text(20), 'Rec."Applies-to Doc. No." Code[20]'),
    "phoneNumber": (text(30), 'Rec."Sell-to Phone No." Text[30]'),
    "email": (text(80), 'Rec."Sell-to E-Mail" Text[80]'),
    "customerReturnReasonId": (GUID, 'Rec."Reason Code Id"'),
}
SalesCreditMemo = described(
    "salesCreditMemo",
    PAGES + "APIV2SalesCreditMemos.Page.al",
    ETAG
    | CREDIT_MEMO_FIELDS
    | {"salesCreditMemoLines": (list[SalesCreditMemoLine], "part(salesCreditMemoLines)")},  # type: ignore[valid-type]
)
