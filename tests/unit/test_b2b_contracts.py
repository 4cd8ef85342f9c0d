"""Contract tests of the B2B calls against the simulators: the ERP's unique external references and VAT
look-up (HttpErp), Norce Query's company look-up and Connect's company/contact imports."""

from collections.abc import Iterator

import pytest

from local.erp_simulator import ErpSimulator
from local.norce import NorceConnectSimulator
from norce_integration.adapters.http import norce_connect
from norce_integration.adapters.http.caller import HttpCaller
from norce_integration.adapters.http.erp_client import HttpErp
from norce_integration.adapters.http.norce_connect import NorceHttp, oauth_token_fetcher
from norce_integration.adapters.http.norce_query import HttpNorceQuery
from norce_integration.adapters.http.token_cache import InMemoryTokenStore, TokenCache
from norce_integration.contracts.connect import CompanyIdentifier, ImportHeader, NorceCompany, NorceCustomer
from norce_integration.erp.model import ErpCompany, ErpCustomer
from norce_integration.norce.ports import NorceRejected
from tests.unit.test_norce_connect_client import oauth_client

APPLICATION_KEY = "123e4567-e89b-12d3-a456-426614174000"


@pytest.fixture
def erp_sim() -> Iterator[ErpSimulator]:
    with ErpSimulator(port=0) as simulator:
        yield simulator


@pytest.fixture
def norce_sim() -> Iterator[NorceConnectSimulator]:
    with NorceConnectSimulator(port=0) as simulator:
        yield simulator


def query_client(sim: NorceConnectSimulator, application_id: str | None = "1001") -> HttpNorceQuery:
    fetch = oauth_token_fetcher(sim.identity_url, "norce-local-client", "norce-local-secret", "playground")
    caller = HttpCaller(norce_connect._unavailable, norce_connect._rejected, sleep=lambda _: None)
    http = NorceHttp(
        f"{sim.url}/commerce/query/2.0/",
        tokens=TokenCache(fetch, InMemoryTokenStore()),
        application_id=application_id,
        caller=caller,
    )
    return HttpNorceQuery(http)


def test_the_erp_creates_one_company_per_external_reference(erp_sim):
    erp = HttpErp(erp_sim.url, "erp-local-key")
    company = ErpCompany(name="Nya Bygg AB", vat_no="SE556677889901", external_ref="vat:SE556677889901")

    first = erp.create_company(company)
    second = erp.create_company(company.model_copy(update={"name": "Nya Bygg (again)"}))

    assert first.code == second.code and second.name == "Nya Bygg AB"
    assert len(erp_sim.parties("companies")) == 1
    assert erp.find_company(external_ref="vat:SE556677889901").code == first.code
    assert erp.find_company(vat_no="se 556677-8899 01").code == first.code, "VAT compared normalised"
    assert erp.find_company(vat_no="SE000000000001") is None


def test_the_erp_creates_one_customer_per_external_reference(erp_sim):
    erp = HttpErp(erp_sim.url, "erp-local-key")
    person = ErpCustomer(first_name="Anna", company_code="B20001", external_ref="order:-:B2B-7:customer")

    assert erp.create_customer(person).code == erp.create_customer(person).code
    [held] = erp_sim.parties("customers")
    assert held["companyCode"] == "B20001" and held["externalRef"] == "order:-:B2B-7:customer"
    assert erp.find_customer(external_ref="order:-:B2B-7:customer").code == held["code"]


def test_query_finds_the_company_norce_created_at_checkout(norce_sim):
    held = norce_sim.hold("companies", {"Name": "Nya Bygg AB", "VatNo": "SE 556677-8899 01"})
    other = norce_sim.hold("companies", {"Name": "Acme AB", "OrganizationNo": "556000-0000"})
    query = query_client(norce_sim)

    # The order carries the VatNo exactly as Norce holds it: that is what the write-back asks for.
    assert query.find_company_id(vat_no="SE 556677-8899 01", organization_no=None) == held["Id"]
    assert query.find_company_id(vat_no=None, organization_no="556000-0000") == other["Id"]
    assert query.find_company_id(vat_no="SE999999999901", organization_no="556000-0001") is None
    assert norce_sim.calls == [], "Query calls are not Connect calls"


def test_query_finds_the_buyer_of_an_order_by_its_basket_id(norce_sim):
    order = {
        "ClientOrderRef": "500123",
        "SellTo": {"Company": {"Name": "Utan Moms AB"}, "Person": {"FirstName": "Bo"}},
    }
    held = norce_sim.checkout(order)
    query = query_client(norce_sim)

    buyer = query.order_buyer(500123)

    assert buyer is not None and buyer.company_id == held["BuyerCompanyId"] is not None
    assert buyer.customer_id == held["BuyerCustomerId"] is not None
    assert query.order_buyer(500124) is None, "an order Query does not hold (yet)"


def test_query_wants_the_application_id(norce_sim):
    with pytest.raises(NorceRejected, match="400"):
        query_client(norce_sim, application_id=None).find_company_id(vat_no="SE1", organization_no=None)


def test_a_company_imported_by_its_norce_id_gets_its_code_and_no_second_company_appears(norce_sim):
    held = norce_sim.hold("companies", {"Name": "Nya Bygg AB", "VatNo": "SE556677889901"})
    connect = oauth_client(norce_sim)

    job = connect.import_companies(
        [NorceCompany(Id=held["Id"], Code="B20001", ApplicationKey=APPLICATION_KEY)],
        ImportHeader(AccountId=1, CompanyFieldsThatAreSet=["Code"]),
    )

    assert connect.get_job(job.job_id).succeeded
    [company] = norce_sim.companies.values()
    assert (company["Id"], company["Code"], company["Name"]) == (held["Id"], "B20001", "Nya Bygg AB")


def test_a_contact_links_only_to_a_company_norce_already_holds(norce_sim):
    buyer = norce_sim.hold("customers", {"EmailAddress": "anna@nyabygg.example", "FirstName": "Anna"})
    connect = oauth_client(norce_sim)
    header = ImportHeader(AccountId=1, CustomerFieldsThatAreSet=["Code", "Companies"])
    contact = NorceCustomer(
        Id=buyer["Id"],
        Code="C10001",
        Companies=[CompanyIdentifier(Code="B20001")],
        IsCompanyListDelta=True,
    )

    too_early = connect.import_customers([contact], header).job_id
    company = norce_sim.hold("companies", {"Name": "Nya Bygg AB", "Code": "B20001"})
    in_order = connect.import_customers([contact], header).job_id

    assert connect.get_job(too_early).failed
    assert "Company B20001 does not exist" in norce_sim.jobs[too_early]["log"][0]["Message"]
    assert connect.get_job(in_order).succeeded
    [customer] = norce_sim.customers.values()
    assert (customer["Code"], customer["Companies"], customer["FirstName"]) == (
        "C10001",
        [company["Id"]],
        "Anna",
    )
