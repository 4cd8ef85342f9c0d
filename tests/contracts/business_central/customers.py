"""Business Central's customer (a person or a company), as the adapter writes it and BC answers it.

Fields: ``APIV2Customers.Page.al`` (microsoft/BCApps src/Apps/W1/APIV2/app/src/pages); lengths:
``Customer.Table.al`` (src/Layers/W1/BaseApp/Sales/Customer); learn.microsoft.com
api-reference/v2.0/resources/dynamics_customer.
"""

from typing import Any

from tests.contracts.business_central.base import DATETIME, DECIMAL, GUID, described, enum, text

PAGE = "BCApps src/Apps/W1/APIV2/app/src/pages/APIV2Customers.Page.al"

FIELDS: dict[str, tuple[Any, str]] = {
    "id": (GUID, "Rec.SystemId (Editable = false)"),
    "number": (text(20), 'Rec."No." Code[20]'),
    "displayName": (text(100), "Rec.Name Text[100]"),
    "type": (enum("Company", "Person"), 'Rec."Contact Type" (enum Contact Type)'),
    "addressLine1": (text(100), "Rec.Address Text[100]"),
    "addressLine2": (text(50), 'Rec."Address 2" Text[50]'),
    "city": (text(30), "Rec.City Text[30]"),
    "state": (text(30), "Rec.County Text[30]"),
    "country": (text(10), 'Rec."Country/Region Code" Code[10]'),
    "postalCode": (text(20), 'Rec."Post Code" Code[20]'),
    "phoneNumber": (text(30), 'Rec."Phone No." Text[30]'),
    "email": (text(80), 'Rec."E-Mail" Text[80]'),
    "website": (text(80), 'Rec."Home Page" Text[80]'),
    "salespersonCode": (text(20), 'Rec."Salesperson Code" Code[20]'),
    "balanceDue": (DECIMAL, 'Rec."Balance Due" (Editable = false)'),
    "creditLimit": (DECIMAL, 'Rec."Credit Limit (LCY)"'),
    "taxLiable": (bool, 'Rec."Tax Liable"'),
    "taxAreaId": (GUID, 'Rec."Tax Area ID"'),
    "taxAreaDisplayName": (str, "TaxAreaDisplayNameGlobal (a page variable, Editable = false)"),
    "taxRegistrationNumber": (
        text(20),
        'TaxRegistrationNumber (a page variable: Customer."VAT Registration No." Text[20])',
    ),
    "currencyId": (GUID, 'Rec."Currency Id"'),
    "currencyCode": (text(10), "CurrencyCodeTxt (a page variable)"),
    "paymentTermsId": (GUID, 'Rec."Payment Terms Id"'),
    "shipmentMethodId": (GUID, 'Rec."Shipment Method Id"'),
    "paymentMethodId": (GUID, 'Rec."Payment Method Id"'),
    "blocked": (enum(" ", "Ship", "Invoice", "All"), "Rec.Blocked (enum Customer Blocked)"),
    "lastModifiedDateTime": (DATETIME, "Rec.SystemModifiedAt"),
}
READ_ONLY = {"id", "balanceDue", "taxAreaDisplayName", "lastModifiedDateTime"}
WRITABLE = {k: v for k, v in FIELDS.items() if k not in READ_ONLY}

Customer = described("customer", PAGE, {"@odata.etag": (str, "OData entity tag"), **FIELDS})
# POST: "displayName" must be provided (OnInsertRecord: 'A "displayName" must be provided.').
CustomerCreate = described("customerCreate", PAGE, WRITABLE, required=("displayName",))
# PATCH: what changes, with If-Match (api-reference/v2.0/api/dynamics_customer_update).
CustomerPatch = described("customerPatch", PAGE, WRITABLE)
