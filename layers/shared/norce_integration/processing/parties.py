"""Make sure the order's buyer exists in the ERP: use its code, else find it, else create it, once.

Norce sends a company the ERP does not know yet with just ``Name`` and ``VatNo``, and a new person
with what the checkout asked (often an e-mail, sometimes nothing unique). Each entity we create gets
an **external reference**, our idempotency key, which the ERP keeps and refuses to create twice:

- a company with a VAT number: ``vat:{normalised VatNo}``, so two orders of one new company, even at
  the same instant, make one ERP company; without one, with an organisation number the setup adds:
  ``org:{OrganizationNo}``;
- a person with an e-mail: ``email:{lower-case e-mail}``, likewise;
- an entity with no natural key: derived from the order (``order:{application}:{ClientOrderRef}:...``),
  so a retry of that order, also after a crash between the ERP create and our record, finds what the
  first attempt created instead of creating it again.

The person of a company order becomes (or is linked as) that company's contact. New codes are written
back to Norce in batches, the company before its contacts, each by Norce's own Id (``writeback``). What
Norce could never be given (a customer of an order whose reference is not a Norce basket id to find the
buyer by in Query; a company with no VAT or organisation number and no such basket id) is not written
back, and the order's trail says so.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from norce_integration.contracts import Company, OrderRequest, Person
from norce_integration.erp.model import ErpCompany, ErpCustomer
from norce_integration.erp.ports import Erp
from norce_integration.failures import PermanentFailure
from norce_integration.processing.mapping import erp_address
from norce_integration.processing.ports import Writeback
from norce_integration.processing.vat import VatRule, normalise_vat_no, organization_no_from_vat
from norce_integration.processing.writeback import basket_id


@dataclass
class Parties:
    customer_code: str | None = None
    company_code: str | None = None
    created: list[str] = field(default_factory=list)  # "customer C10001", for the trail
    linked: list[str] = field(default_factory=list)  # "customer C10001 -> company B20001"
    writebacks: list[Writeback] = field(default_factory=list)
    not_written_back: list[str] = field(default_factory=list)  # codes Norce cannot be given, and why


def order_scope(order: OrderRequest) -> str:
    """``order:{application}:{ClientOrderRef}``: unique per order, short enough for an ERP reference
    field (the application key, a GUID, is shortened to 8 hex digits of its hash)."""
    application = order.application_key
    scope = hashlib.sha256(application.encode()).hexdigest()[:8] if application else "-"
    return f"order:{scope}:{order.ClientOrderRef}"


def _found_or_created[E: ErpCustomer | ErpCompany](
    kind: str, find: Callable[[], E | None], create: Callable[[], E], parties: Parties
) -> E:
    found = find()
    if found is not None and found.code:
        return found
    created = create()
    parties.created.append(f"{kind} {created.code}")
    return created


def _company_code(
    company: Company, erp: Erp, parties: Parties, order: OrderRequest, rules: dict[str, VatRule] | None
) -> str:
    if company.Code:
        return company.Code
    vat_no = normalise_vat_no(company.VatNo)
    if not vat_no and not (company.Name or "").strip():
        raise PermanentFailure(
            "SellTo.Company has no Code, Name or VatNo: there is nothing to find or create the ERP company by"
        )
    organization_no = company.organization_no or organization_no_from_vat(vat_no, rules)
    if vat_no:
        external_ref = f"vat:{vat_no}"
    elif company.organization_no:
        external_ref = f"org:{company.organization_no}"
    else:
        external_ref = f"{order_scope(order)}:company"
    new = ErpCompany(
        name=company.Name, vat_no=vat_no, organization_no=organization_no, external_ref=external_ref
    )
    found = _found_or_created(
        "company",
        lambda: erp.find_company(external_ref=external_ref, vat_no=vat_no, organization_no=organization_no),
        lambda: erp.create_company(new),
        parties,
    )
    code = found.code or ""
    if not (vat_no or organization_no or basket_id(order.ClientOrderRef) is not None):
        parties.not_written_back.append(
            f"company {code}: no VatNo, no OrganizationNo and no Norce basket id to find it in Norce by"
        )
        return code
    parties.writebacks.append(
        Writeback(
            "company",
            code,
            organization_no or vat_no or "",
            order.application_key,
            order.ClientOrderRef,
            vat_no=(company.VatNo or "").strip() or None,  # as Norce holds it, for the Query look-up
            organization_no=organization_no,
        )
    )
    return code


def _customer_code(
    person: Person,
    *,
    company_code: str | None,
    company_is_new: bool,
    erp: Erp,
    parties: Parties,
    order: OrderRequest,
) -> str:
    if person.CustomerCode:
        return person.CustomerCode
    email = (person.Email or "").strip() or None
    if not email and not ((person.FirstName or "").strip() or (person.LastName or "").strip()):
        raise PermanentFailure(
            "SellTo.Person has no CustomerCode, Email, FirstName or LastName: "
            "there is nothing to find or create the ERP customer by"
        )
    external_ref = f"email:{email.lower()}" if email else f"{order_scope(order)}:customer"
    new = ErpCustomer(
        email=email,
        first_name=person.FirstName,
        last_name=person.LastName,
        phone=person.PrivatePhone or person.WorkPhone,
        cell_phone=person.CellPhone,
        company_code=company_code,
        address=erp_address(person.Address),
        external_ref=external_ref,
    )
    found = _found_or_created(
        "customer",
        lambda: erp.find_customer(external_ref=external_ref, email=email),
        lambda: erp.create_customer(new),
        parties,
    )
    if company_code and not found.company_code:  # a known person buying for a company: its contact now
        erp.update_customer(found.model_copy(update={"company_code": company_code}))
        parties.linked.append(f"customer {found.code} -> company {company_code}")
    elif company_code and found.company_code != company_code:  # one ERP company per contact: left as it is
        parties.linked.append(
            f"customer {found.code} stays the contact of company {found.company_code}, not {company_code}"
        )
    code = found.code or ""
    if basket_id(order.ClientOrderRef) is None:  # Norce's Id of the buyer is found by the basket id only
        parties.not_written_back.append(
            f"customer {code}: the order's reference is no Norce basket id, so Norce's Id of the customer "
            "cannot be found (a code sent with the e-mail would make a second customer in Norce)"
        )
        return code
    # A contact links to its company in Norce only once Norce holds the company's code.
    company_goes_back = any(writeback.kind == "company" for writeback in parties.writebacks)
    linkable = company_code if (not company_is_new or company_goes_back) else None
    if company_code and not linkable:
        parties.not_written_back.append(
            f"customer {code}: written back without its link to company {company_code}"
        )
    parties.writebacks.append(
        Writeback(
            "customer",
            code,
            "",  # the write-back finds the customer by Norce's Id, as its order's buyer in Query
            order.application_key,
            order.ClientOrderRef,
            company_code=linkable,
            company_pending=company_is_new and linkable is not None,
        )
    )
    return code


def ensure_parties(order: OrderRequest, erp: Erp, vat_rules: dict[str, VatRule] | None = None) -> Parties:
    """The ERP codes of the order's SellTo company and person, creating what the ERP lacks."""
    parties = Parties()
    sell_to = order.SellTo
    if sell_to is None:
        raise PermanentFailure("the order has no SellTo")
    company_is_new = False
    if sell_to.Company is not None:
        parties.company_code = _company_code(sell_to.Company, erp, parties, order, vat_rules)
        company_is_new = not sell_to.Company.Code
    if sell_to.Person is not None:
        person_company = sell_to.Person.CompanyCode or parties.company_code
        parties.customer_code = _customer_code(
            sell_to.Person,
            company_code=person_company,
            company_is_new=company_is_new,
            erp=erp,
            parties=parties,
            order=order,
        )
    return parties
