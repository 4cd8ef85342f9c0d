"""Norce's customer and job services held to their published descriptions (``norce.connect_customers``),
from both sides: every import request the integration sends (the write-back's and the scheduled imports',
body and header, taken from the local Norce's ``/_calls`` log) keeps the description; every answer the
local Norce gives (JobResponse, Job/Get, Job/GetLog) keeps it; and the local Norce refuses what the
description refuses, and takes what it allows."""

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from local.erp_simulator import ErpSimulator
from local.norce import NorceConnectSimulator
from local.norce.connect import CONNECT
from norce_integration.adapters.http import norce_connect
from norce_integration.adapters.http.caller import HttpCaller
from norce_integration.adapters.http.erp_client import HttpErp
from norce_integration.adapters.http.norce_connect import HttpNorceConnect, NorceHttp
from norce_integration.adapters.http.norce_query import HttpNorceQuery
from norce_integration.adapters.memory.imports import InMemoryImportStore
from norce_integration.adapters.memory.jobs import InMemoryCodeJobs
from norce_integration.imports.config import Entity, ImportConfig, Mode, RunRequest
from norce_integration.imports.service import ImportRunner
from norce_integration.processing.ports import Writeback
from norce_integration.processing.writeback import WritebackService
from tests.contracts.norce.base import Published, violations
from tests.contracts.norce.connect_customers import (
    Company,
    Customer,
    CustomerHeader,
    Job,
    JobLogLine,
    JobResponse,
)

APP = "123e4567-e89b-12d3-a456-426614174000"


@pytest.fixture
def norce() -> Iterator[NorceConnectSimulator]:
    with NorceConnectSimulator(port=0) as simulator:
        yield simulator


def connect(norce: NorceConnectSimulator, **options: Any) -> HttpNorceConnect:
    caller = HttpCaller(norce_connect._unavailable, norce_connect._rejected, sleep=lambda _: None)
    basic = (norce.application_id, "connect-local-secret")
    return HttpNorceConnect(norce.connect_url, basic=basic, caller=caller, **options)


def query(norce: NorceConnectSimulator) -> HttpNorceQuery:
    basic = (norce.application_id, "connect-local-secret")
    return HttpNorceQuery(NorceHttp(norce.query_url, basic=basic, application_id=norce.application_id))


def assert_keeps(model: type[Published], payload: Any) -> None:
    assert violations(model, payload) == [], f"{model.__name__} {payload!r}"


def sent_imports(norce: NorceConnectSimulator) -> list[tuple[str, dict[str, Any], list[Any]]]:
    """(path, parsed X-StormConnect-Header, records) of every import the integration sent."""
    found = []
    for call in norce.calls:
        if call["path"] in ("Customer/ImportCustomers", "Customer/ImportCompanies"):
            headers = {name.lower(): value for name, value in call["headers"].items()}
            found.append((call["path"], json.loads(headers["x-stormconnect-header"]), call["body"] or []))
    return found


def assert_requests_keep_the_description(norce: NorceConnectSimulator, flag: str | None = None) -> int:
    """Every import request sent so far keeps CustomerHeader and Customer / Company; how many records."""
    records = 0
    for path, header, body in sent_imports(norce):
        if flag is not None:  # the one property a configured full-import flag adds: nothing else
            assert isinstance(header.pop(flag), bool)
        assert_keeps(CustomerHeader, header)
        entity = Customer if path.endswith("Customers") else Company
        for record in body:
            assert_keeps(entity, record)
        records += len(body)
    return records


# -- our client
def test_every_write_back_request_keeps_the_published_description(norce):
    held = norce.checkout(
        {
            "ClientOrderRef": "700100",
            "SellTo": {
                "Company": {"Name": "Nya Bygg AB", "VatNo": "SE556677889901"},
                "Person": {"Email": "anna@nyabygg.example", "FirstName": "Anna"},
            },
        }
    )
    items = [
        Writeback("company", "B20001", "", APP, "700100", vat_no="SE556677889901"),
        Writeback("customer", "C10001", "", APP, "700100", company_code="B20001", company_pending=True),
    ]

    result = WritebackService(connect(norce), InMemoryCodeJobs(), 7, query=query(norce)).send(items)

    assert result.deferred == {} and result.not_written_back == {}
    assert assert_requests_keep_the_description(norce) == 2
    company, person = norce.companies[held["BuyerCompanyId"]], norce.customers[held["BuyerCustomerId"]]
    assert (company["Code"], person["Code"], person["Companies"]) == ("B20001", "C10001", [company["Id"]])


@pytest.mark.parametrize("flag", [None, "FullFile"])
def test_every_scheduled_import_request_keeps_the_published_description(flag):
    with ErpSimulator(port=0) as erp, NorceConnectSimulator(port=0, full_file_key=flag) as norce:
        erp.seed(customers=1200, companies=40, anonymised=["C0000002"])
        client = connect(norce, full_file_in="stormconnect-header" if flag else "off")
        config = ImportConfig(account_id=1, application_key=APP, accounts=False)
        runner = ImportRunner(HttpErp(erp.url, "erp-local-key"), client, InMemoryImportStore(), config)

        summaries = [
            runner.run(RunRequest(Entity.COMPANIES, Mode.FULL)),
            runner.run(RunRequest(Entity.CUSTOMERS, Mode.FULL)),
            runner.run(RunRequest(Entity.CUSTOMERS, Mode.DELTA)),
        ]

        assert [s.outcome for s in summaries] == ["sent", "sent", "sent"]
        assert assert_requests_keep_the_description(norce, flag) >= 40 + 1000  # calls keep 1,000 records
        _, header, companies = sent_imports(norce)[0]
        assert all("Contacts" in record and "Customers" not in record for record in companies)
        assert "Contacts" in header["CompanyFieldsThatAreSet"]


# -- the local Norce's answers
def test_the_answers_of_the_local_norce_keep_the_published_description(norce):
    body = [{"Code": "C1"}, {"Id": 424242, "Code": "C2"}, {"FirstName": "nobody"}]
    answer = requests.post(
        f"{norce.connect_url}Customer/ImportCustomers",
        json=body,
        headers={
            "Authorization": norce.basic,
            "X-StormConnect-Header": json.dumps(
                {"AccountId": 1, "CustomerFieldsThatAreSet": ["Code"], "CompanyFieldsThatAreSet": []}
            ),
        },
        timeout=10,
    ).json()
    job_id = answer["JobId"]
    norce.job_seconds = 60.0  # a second job, still running
    running = requests.post(
        f"{norce.connect_url}Customer/ImportCustomers",
        json=[{"Code": "C3"}],
        headers={
            "Authorization": norce.basic,
            "X-StormConnect-Header": json.dumps(
                {"AccountId": 1, "CustomerFieldsThatAreSet": [2], "CompanyFieldsThatAreSet": [2]}
            ),
        },
        timeout=10,
    ).json()

    def get(what: str, job: str) -> Any:
        return requests.get(
            f"{norce.connect_url}Job/{what}",
            params={"id": job},
            headers={"Authorization": norce.basic},
            timeout=10,
        ).json()

    assert_keeps(JobResponse, answer)
    assert answer["ValidationSummary"]["NrOfValidationFailures"] == 1
    assert_keeps(JobResponse, running)
    for job in (job_id, running["JobId"]):
        assert_keeps(Job, get("Get", job))
    assert get("Get", running["JobId"])["StatusId"] == 1
    log = get("GetLog", job_id)
    assert len(log) == 2
    for line in log:
        assert_keeps(JobLogLine, line)


# -- what the description refuses, the local Norce refuses
GOOD_HEADER = {"AccountId": 1, "CustomerFieldsThatAreSet": ["Code"], "CompanyFieldsThatAreSet": ["Code"]}
FULL_CUSTOMER = {
    "Accounts": [
        {"ApplicationKey": APP, "LoginName": "anna", "Password": "x", "Roles": [{"Code": "R"}], "Status": 1}
    ],
    "AdditionalInfo": [{"Code": "k", "Value": "v"}],
    "ApplicationKey": APP,
    "CellPhoneNumber": "070",
    "Code": "C1",
    "Companies": [],
    "CrmId": "crm",
    "DeliveryAddresses": [{"AddressLine1": "Storgatan 1", "CountryCode": "SE", "IsPrimary": True}],
    "EmailAddress": "anna@example.com",
    "FirstName": "Anna",
    "Flags": [{"Code": "F", "IsActive": True}],
    "InvoiceAddress": {"AddressLine1": "Storgatan 1", "City": "Stockholm", "ZipCode": "11122"},
    "IsActive": True,
    "IsCompanyListDelta": True,
    "LastName": "Berg",
    "MiddleName": None,
    "PhoneNumber": "08",
    "PriceLists": [{"Code": "PL1"}],
    "SocialSecurityNumber": None,
    "Title": "Dr",
    "Type": 1,
}
FULL_COMPANY = {
    "ApplicationKey": APP,
    "AdditionalInfo": [{"Code": "k", "Value": "v"}],
    "Code": "B1",
    "Contacts": [{"Code": "C1", "IsActive": True}],
    "Customers": [{"Code": "C1"}],
    "DeliveryAddresses": [],
    "DeliveryMethods": [{"Code": "PN"}],
    "Discounts": [],
    "EmailAddress": "info@b1.example",
    "Flags": [],
    "InvoiceAddress": None,
    "IsActive": True,
    "IsCustomerListDelta": True,
    "LogoImage": None,
    "Name": "B1 AB",
    "OrganizationNo": "556000-0000",
    "ParentCompanyCode": None,
    "PaymentMethods": [],
    "PhoneNumber": "08",
    "PriceLists": [],
    "VatNo": "SE556000000001",
}


def post(norce: NorceConnectSimulator, path: str, header: Any, body: Any) -> requests.Response:
    return requests.post(
        f"{norce.url}{CONNECT}/{path}",
        data=json.dumps(body),
        headers={"Authorization": norce.basic, "X-StormConnect-Header": json.dumps(header)},
        timeout=10,
    )


def test_what_the_description_allows_the_local_norce_takes(norce):
    assert_keeps(Customer, FULL_CUSTOMER)
    assert_keeps(Company, FULL_COMPANY)
    assert_keeps(CustomerHeader, GOOD_HEADER)

    customers = post(norce, "Customer/ImportCustomers", GOOD_HEADER, [FULL_CUSTOMER])
    companies = post(norce, "Customer/ImportCompanies", GOOD_HEADER, [FULL_COMPANY])

    assert (customers.status_code, companies.status_code) == (200, 200), (customers.text, companies.text)


def _without(payload: dict[str, Any], name: str) -> dict[str, Any]:
    return {key: value for key, value in payload.items() if key != name}


REFUSED = [
    (CustomerHeader, "header", _without(GOOD_HEADER, "AccountId"), FULL_CUSTOMER),
    (CustomerHeader, "header", _without(GOOD_HEADER, "CustomerFieldsThatAreSet"), FULL_CUSTOMER),
    (CustomerHeader, "header", {**GOOD_HEADER, "FullFile": True}, FULL_CUSTOMER),
    (CustomerHeader, "header", {**GOOD_HEADER, "AccountId": "1"}, FULL_CUSTOMER),
    (CustomerHeader, "header", {**GOOD_HEADER, "CustomerFieldsThatAreSet": ["Email"]}, FULL_CUSTOMER),
    (CustomerHeader, "header", {**GOOD_HEADER, "SerializationType": 2}, FULL_CUSTOMER),
    (Customer, "customer", GOOD_HEADER, {**FULL_CUSTOMER, "Email": "x"}),
    (Customer, "customer", GOOD_HEADER, {**FULL_CUSTOMER, "Id": "7"}),
    (Customer, "customer", GOOD_HEADER, {**FULL_CUSTOMER, "IsActive": "true"}),
    (Customer, "customer", GOOD_HEADER, {**FULL_CUSTOMER, "ApplicationKey": "not-a-guid"}),
    (Customer, "customer", GOOD_HEADER, {**FULL_CUSTOMER, "Companies": [{"Code": "B1", "Name": "x"}]}),
    (Customer, "customer", GOOD_HEADER, {**FULL_CUSTOMER, "InvoiceAddress": {"CountryCode": "SWE"}}),
    (Customer, "customer", GOOD_HEADER, {**FULL_CUSTOMER, "AdditionalInfo": [{"Code": "k"}]}),
    (Company, "company", GOOD_HEADER, _without(FULL_COMPANY, "ApplicationKey")),
    (Company, "company", GOOD_HEADER, {**FULL_COMPANY, "ApplicationKey": None}),
    (Company, "company", GOOD_HEADER, {**FULL_COMPANY, "Contacts": [{"IsActive": True}]}),
    (Company, "company", GOOD_HEADER, {**FULL_COMPANY, "Customers": [{"Code": "C1", "Nope": 1}]}),
    (Company, "company", GOOD_HEADER, {**FULL_COMPANY, "Customer": []}),
]


@pytest.mark.parametrize(("model", "part", "header", "entity"), REFUSED)
def test_what_the_description_refuses_the_local_norce_refuses(norce, model, part, header, entity):
    payload = header if part == "header" else entity
    assert violations(model, payload), "the description refuses it"
    path = "Customer/ImportCompanies" if part == "company" else "Customer/ImportCustomers"

    answer = post(norce, path, header, [entity])

    assert answer.status_code == 400 and answer.json()["Message"]
    assert norce.jobs == {} and norce.customers == {} and norce.companies == {}
