"""Make sure the order's buyer exists in the ERP: use its code, else find it, else create it.

The ERP code of a person is Norce's Customer.Code (the order's CustomerCode), of a company its
Company.Code. When Norce sent none, the code we find or create is written back to Norce (batched).
Finding before creating keeps a redelivered message from creating the customer twice.
"""

from dataclasses import dataclass, field

from norce_integration.contracts import Company, OrderRequest, Person
from norce_integration.erp.model import ErpCompany, ErpCustomer
from norce_integration.erp.ports import Erp
from norce_integration.processing.errors import PermanentFailure
from norce_integration.processing.mapping import erp_address
from norce_integration.processing.ports import Writeback


@dataclass
class Parties:
    customer_code: str | None = None
    company_code: str | None = None
    created: list[str] = field(default_factory=list)  # "customer C10001", for the trail
    writebacks: list[Writeback] = field(default_factory=list)


def _company_code(company: Company, erp: Erp, parties: Parties, order: OrderRequest) -> str:
    if company.Code:
        return company.Code
    if not company.OrganizationNo:
        raise PermanentFailure(
            "SellTo.Company has neither Code nor OrganizationNo: cannot find or create it safely"
        )
    found = erp.find_company(organization_no=company.OrganizationNo)
    if found is None or not found.code:
        found = erp.create_company(
            ErpCompany(
                name=company.Name,
                organization_no=company.OrganizationNo,
                vat_no=company.VatNo,
                email=company.Email,
                phone=company.Phone,
                address=erp_address(company.Address),
            )
        )
        parties.created.append(f"company {found.code}")
    code = found.code or ""
    parties.writebacks.append(
        Writeback("company", code, company.OrganizationNo, order.application_key, order.ClientOrderRef)
    )
    return code


def _customer_code(
    person: Person, company_code: str | None, erp: Erp, parties: Parties, order: OrderRequest
) -> str:
    if person.CustomerCode:
        return person.CustomerCode
    if not person.Email:
        raise PermanentFailure(
            "SellTo.Person has neither CustomerCode nor Email: cannot find or create it safely"
        )
    found = erp.find_customer(email=person.Email)
    if found is None or not found.code:
        found = erp.create_customer(
            ErpCustomer(
                email=person.Email,
                first_name=person.FirstName,
                last_name=person.LastName,
                phone=person.PrivatePhone or person.WorkPhone,
                cell_phone=person.CellPhone,
                company_code=company_code,
                address=erp_address(person.Address),
            )
        )
        parties.created.append(f"customer {found.code}")
    code = found.code or ""
    parties.writebacks.append(
        Writeback("customer", code, person.Email, order.application_key, order.ClientOrderRef)
    )
    return code


def ensure_parties(order: OrderRequest, erp: Erp) -> Parties:
    """The ERP codes of the order's SellTo company and person, creating what the ERP lacks."""
    parties = Parties()
    sell_to = order.SellTo
    if sell_to is None:
        raise PermanentFailure("the order has no SellTo")
    if sell_to.Company is not None:
        parties.company_code = _company_code(sell_to.Company, erp, parties, order)
    if sell_to.Person is not None:
        person_company = sell_to.Person.CompanyCode or parties.company_code
        parties.customer_code = _customer_code(sell_to.Person, person_company, erp, parties, order)
    return parties
