"""Make sure the order's buyer exists in the ERP: use its code, else find it, else create it.

The ERP code of a person is Norce's Customer.Code (the order's CustomerCode), of a company its
Company.Code. When Norce sent none, the code we find or create is written back to Norce (batched).
Finding before creating keeps a redelivered message from creating the customer twice.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

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


def _find_or_create(
    kind: Literal["customer", "company"],
    *,
    match_value: str,
    find: Callable[[], ErpCustomer | ErpCompany | None],
    create: Callable[[], ErpCustomer | ErpCompany],
    parties: Parties,
    order: OrderRequest,
) -> str:
    """The ERP code of an entity Norce knows no code for; Norce learns it through the write-back."""
    found = find()
    if found is None or not found.code:
        found = create()
        parties.created.append(f"{kind} {found.code}")
    code = found.code or ""
    parties.writebacks.append(Writeback(kind, code, match_value, order.application_key, order.ClientOrderRef))
    return code


def _company_code(company: Company, erp: Erp, parties: Parties, order: OrderRequest) -> str:
    if company.Code:
        return company.Code
    organization_no = company.OrganizationNo
    if not organization_no:
        raise PermanentFailure(
            "SellTo.Company has neither Code nor OrganizationNo: cannot find or create it safely"
        )
    new = ErpCompany(
        name=company.Name,
        organization_no=organization_no,
        vat_no=company.VatNo,
        email=company.Email,
        phone=company.Phone,
        address=erp_address(company.Address),
    )
    return _find_or_create(
        "company",
        match_value=organization_no,
        find=lambda: erp.find_company(organization_no=organization_no),
        create=lambda: erp.create_company(new),
        parties=parties,
        order=order,
    )


def _customer_code(
    person: Person, company_code: str | None, erp: Erp, parties: Parties, order: OrderRequest
) -> str:
    if person.CustomerCode:
        return person.CustomerCode
    email = person.Email
    if not email:
        raise PermanentFailure(
            "SellTo.Person has neither CustomerCode nor Email: cannot find or create it safely"
        )
    new = ErpCustomer(
        email=email,
        first_name=person.FirstName,
        last_name=person.LastName,
        phone=person.PrivatePhone or person.WorkPhone,
        cell_phone=person.CellPhone,
        company_code=company_code,
        address=erp_address(person.Address),
    )
    return _find_or_create(
        "customer",
        match_value=email,
        find=lambda: erp.find_customer(email=email),
        create=lambda: erp.create_customer(new),
        parties=parties,
        order=order,
    )


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
