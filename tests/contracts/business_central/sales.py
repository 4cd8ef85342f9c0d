"""Business Central's sales order and its lines (API v2.0), as the adapter writes them and BC answers them.

Fields: ``APIV2SalesOrders.Page.al`` and ``APIV2SalesOrderLines.Page.al`` (microsoft/BCApps
src/Apps/W1/APIV2/app/src/pages); lengths: ``SalesHeader.Table.al`` and ``SalesLine.Table.al``
(src/Layers/W1/BaseApp/Sales/Document); learn.microsoft.com api-reference/v2.0/resources/dynamics_salesorder
(its table says pricesIncludeTax is read-only; the page's field has an OnValidate and is editable, and the
page is what runs: we follow the page).
"""

from typing import Any

from tests.contracts.business_central.base import DATE, DATETIME, DECIMAL, GUID, described, enum, text

PAGE = "BCApps src/Apps/W1/APIV2/app/src/pages/APIV2SalesOrders.Page.al"
LINES_PAGE = "BCApps src/Apps/W1/APIV2/app/src/pages/APIV2SalesOrderLines.Page.al"
LINE_TYPE = enum(
    "Comment", "Account", "Item", "Resource", "Fixed Asset", "Charge"
)  # Invoice Line Agg. "API Type"


def _address(prefix: str, table: str) -> dict[str, tuple[Any, str]]:
    return {
        f"{prefix}AddressLine1": (text(100), f"{table} Address Text[100]"),
        f"{prefix}AddressLine2": (text(50), f"{table} Address 2 Text[50]"),
        f"{prefix}City": (text(30), f"{table} City Text[30]"),
        f"{prefix}Country": (text(10), f"{table} Country/Region Code Code[10]"),
        f"{prefix}State": (text(30), f"{table} County Text[30]"),
        f"{prefix}PostCode": (text(20), f"{table} Post Code Code[20]"),
    }


ORDER_FIELDS: dict[str, tuple[Any, str]] = {
    "id": (GUID, "Rec.Id (Editable = false)"),
    "number": (text(20), 'Rec."No." Code[20] (Editable = false)'),
    "externalDocumentNumber": (text(35), 'Rec."External Document No." Code[35]'),
    "orderDate": (DATE, 'Rec."Document Date"'),
    "postingDate": (DATE, 'Rec."Posting Date"'),
    "customerId": (GUID, 'Rec."Customer Id"'),
    "customerNumber": (text(20), 'Rec."Sell-to Customer No." Code[20]'),
    "customerName": (text(100), 'Rec."Sell-to Customer Name" Text[100] (Editable = false)'),
    "billToName": (text(100), 'Rec."Bill-to Name" (Editable = false)'),
    "billToCustomerId": (GUID, 'Rec."Bill-to Customer Id"'),
    "billToCustomerNumber": (text(20), 'Rec."Bill-to Customer No." Code[20]'),
    "shipToName": (text(100), 'Rec."Ship-to Name" Text[100]'),
    "shipToContact": (text(100), 'Rec."Ship-to Contact" Text[100]'),
    **_address("sellTo", 'Rec."Sell-to'),
    **_address("billTo", 'Rec."Bill-to (Editable = false)'),
    **_address("shipTo", 'Rec."Ship-to'),
    "shortcutDimension1Code": (text(20), 'Rec."Shortcut Dimension 1 Code" Code[20]'),
    "shortcutDimension2Code": (text(20), 'Rec."Shortcut Dimension 2 Code" Code[20]'),
    "currencyId": (GUID, 'Rec."Currency Id"'),
    "currencyCode": (text(10), "CurrencyCodeTxt (a page variable: the LCY code when blank)"),
    "pricesIncludeTax": (bool, 'Rec."Prices Including VAT" (editable, OnValidate)'),
    "paymentTermsId": (GUID, 'Rec."Payment Terms Id"'),
    "shipmentMethodId": (GUID, 'Rec."Shipment Method Id"'),
    "salesperson": (text(20), 'Rec."Salesperson Code" Code[20]'),
    "partialShipping": (bool, 'PartialOrderShipping (a page variable: "Shipping Advice" Partial)'),
    "requestedDeliveryDate": (DATE, 'Rec."Requested Delivery Date"'),
    "discountAmount": (DECIMAL, 'Rec."Invoice Discount Amount"'),
    "discountAppliedBeforeTax": (bool, 'Rec."Discount Applied Before Tax" (Editable = false)'),
    "totalAmountExcludingTax": (DECIMAL, "Rec.Amount (Editable = false)"),
    "totalTaxAmount": (DECIMAL, 'Rec."Total Tax Amount" (Editable = false)'),
    "totalAmountIncludingTax": (DECIMAL, 'Rec."Amount Including VAT" (Editable = false)'),
    "fullyShipped": (bool, 'Rec."Completely Shipped"'),
    "status": (enum("Draft", "In Review", "Open"), "Rec.Status (Editable = false)"),
    "lastModifiedDateTime": (DATETIME, "Rec.SystemModifiedAt (Editable = false)"),
    "phoneNumber": (text(30), 'Rec."Sell-to Phone No." Text[30]'),
    "email": (text(80), 'Rec."Sell-to E-Mail" Text[80]'),
}
LINE_FIELDS: dict[str, tuple[Any, str]] = {
    "id": (GUID, "Rec.SystemId (Editable = false)"),
    "documentId": (GUID, 'Rec."Document Id"'),
    "sequence": (int, 'Rec."Line No."'),
    "itemId": (GUID, 'Rec."Item Id"'),
    "accountId": (GUID, 'Rec."Account Id"'),
    "lineType": (LINE_TYPE, 'Rec."API Type"'),
    "lineObjectNumber": (text(20), 'Rec."No." (Sales Line."No." Code[20])'),
    "description": (text(100), "Rec.Description (Sales Line.Description Text[100])"),
    "description2": (text(50), 'Rec."Description 2" Text[50]'),
    "unitOfMeasureId": (GUID, 'Rec."Unit of Measure Id"'),
    "unitOfMeasureCode": (text(10), 'Rec."Unit of Measure Code" Code[10]'),
    "quantity": (DECIMAL, "Rec.Quantity"),
    "unitPrice": (DECIMAL, 'Rec."Unit Price"'),
    "discountAmount": (DECIMAL, 'Rec."Line Discount Amount"'),
    "discountPercent": (DECIMAL, 'Rec."Line Discount %"'),
    "discountAppliedBeforeTax": (bool, 'Rec."Discount Applied Before Tax" (Editable = false)'),
    "amountExcludingTax": (DECIMAL, 'Rec."Line Amount Excluding Tax" (Editable = false)'),
    "taxCode": (text(20), 'Rec."Tax Code"'),
    "taxPercent": (DECIMAL, 'Rec."VAT %" (Editable = false)'),
    "totalTaxAmount": (DECIMAL, 'Rec."Line Tax Amount" (Editable = false)'),
    "amountIncludingTax": (DECIMAL, 'Rec."Line Amount Including Tax" (Editable = false)'),
    "invoiceDiscountAllocation": (DECIMAL, 'Rec."Inv. Discount Amount Excl. VAT" (Editable = false)'),
    "netAmount": (DECIMAL, "Rec.Amount (Editable = false)"),
    "netTaxAmount": (DECIMAL, 'Rec."Tax Amount" (Editable = false)'),
    "netAmountIncludingTax": (DECIMAL, 'Rec."Amount Including VAT" (Editable = false)'),
    "shipmentDate": (DATE, 'Rec."Shipment Date"'),
    "shippedQuantity": (DECIMAL, 'Rec."Quantity Shipped"'),
    "invoicedQuantity": (DECIMAL, 'Rec."Quantity Invoiced"'),
    "invoiceQuantity": (DECIMAL, 'Rec."Qty. to Invoice"'),
    "shipQuantity": (DECIMAL, 'Rec."Qty. to Ship"'),
    "itemVariantId": (GUID, 'Rec."Variant Id"'),
    "locationId": (GUID, 'Rec."Location Id"'),
}
READ_ONLY_ORDER = {
    "id", "number", "customerName", "billToName", "billToAddressLine1", "billToAddressLine2", "billToCity",
    "billToCountry", "billToState", "billToPostCode", "discountAppliedBeforeTax", "totalAmountExcludingTax",
    "totalTaxAmount", "totalAmountIncludingTax", "status", "lastModifiedDateTime",
}  # fmt: skip
READ_ONLY_LINE = {
    "id", "discountAppliedBeforeTax", "amountExcludingTax", "taxPercent", "totalTaxAmount",
    "amountIncludingTax", "invoiceDiscountAllocation", "netAmount", "netTaxAmount", "netAmountIncludingTax",
}  # fmt: skip

SalesOrderLine = described("salesOrderLine", LINES_PAGE, {"@odata.etag": (str, "OData"), **LINE_FIELDS})
SalesOrder = described("salesOrder", PAGE, {"@odata.etag": (str, "OData entity tag"), **ORDER_FIELDS})

# What the adapter POSTs: the writable fields, the lines in the same body (a deep insert: "Use deep inserts
# when possible", api-reference/v2.0/dynamics-rate-limits).
SalesOrderLineCreate = described(
    "salesOrderLineCreate", LINES_PAGE, {k: v for k, v in LINE_FIELDS.items() if k not in READ_ONLY_LINE}
)
SalesOrderCreate = described(
    "salesOrderCreate",
    PAGE,
    {
        **{k: v for k, v in ORDER_FIELDS.items() if k not in READ_ONLY_ORDER},
        "salesOrderLines": (list[SalesOrderLineCreate], 'part(salesOrderLines; "APIV2 - Sales Order Lines")'),  # type: ignore[valid-type]
    },
)
