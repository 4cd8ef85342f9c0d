"""ERP codes back to Norce: batched ImportCustomers / ImportCompanies with just the code (delta import).

Norce warns that many single-item imports overload its job queue, so codes are collected on a queue
and sent in batches, one import per kind (and per 1,000 entities); the job id and Norce's validation
summary are recorded, on the job and on the trail of each order whose codes it carried.

Norce matches a customer by ``Id``, then ``Code``, and by e-mail only when both are omitted; a company by
``Id``, then ``Code``, then OrganizationNo. A new ERP code matches nothing, so an import naming the code
and an e-mail (or a VAT number) would make Norce create a **second** customer (or company). So every
write-back names Norce's own ``Id``:
- a **company**: looked up in Query, first as the buyer of the order itself (``Orders/Orders`` by basket
  id: exact, and the only way for a company without a VAT number), else by VAT number (else organisation
  number). A company Query does not find yet is deferred, never imported blind.
  (``norce_company_match = "organization_no"`` sends the derived OrganizationNo instead, for setups where
  Norce holds it.) Norce requires ``ApplicationKey`` on every company: the order's own.
- a **customer**: the buyer of its order in Query (``BuyerCustomerId``), whatever else is known of it. An
  order Query does not hold yet is deferred; an order whose buyer is no Norce customer (a guest), or a
  reference that is no basket id, is not written back, and the order's trail says why.
A contact is imported with ``Companies`` naming its company's code and ``IsCompanyListDelta: true`` (else
Norce would unlink it from every other company it is a contact of). Norce links only to a company that
already holds that code, so such a customer waits until the company's import job has succeeded
(``company_pending``).

Nothing here raises for Norce's errors: what could not be sent is returned as deferred with the reason,
and comes back later (the queue's retries, then its DLQ and alarm); on its last attempt the order's
trail says why it was not written back.
"""

import functools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from norce_integration.contracts.connect import (
    CompanyIdentifier,
    ImportHeader,
    JobResponse,
    JobStatus,
    NorceCompany,
    NorceCustomer,
    is_guid,
)
from norce_integration.failures import DependencyUnavailable
from norce_integration.jobs.ports import CodeJobs
from norce_integration.norce.ports import NorceConnect, NorceError, NorceQuery, OrderBuyer
from norce_integration.orders.records import OrderRecords
from norce_integration.processing.ports import Writeback

MAX_ENTITIES_PER_IMPORT = 1000
Kind = Literal["customer", "company"]


def basket_id(client_order_ref: str | None) -> int | None:
    """The Norce basket id a Norce order's ``ClientOrderRef`` is; ``None`` for other references (an
    external order's), which Query cannot find an order by."""
    ref = (client_order_ref or "").strip()
    return int(ref) if ref.isascii() and ref.isdigit() and len(ref) <= 18 else None


class _Buyers:
    """Query's buyer Ids per order, read at most once per batch (a company and its contact share one)."""

    def __init__(self, query: NorceQuery | None) -> None:
        self._query = query
        self._seen: dict[int, OrderBuyer | None] = {}

    def of(self, item: "Writeback") -> OrderBuyer | None:
        basket = basket_id(item.client_order_ref)
        if basket is None or self._query is None:
            return None
        if basket not in self._seen:
            self._seen[basket] = self._query.order_buyer(basket)
        return self._seen[basket]


class _NotWrittenBack(Exception):
    """This code can never be written back (nothing Norce could match it by): done, the trail says why."""


@dataclass(frozen=True, slots=True)
class ImportJob:
    kind: str
    job_id: int
    codes: list[str]
    validation: dict[str, Any] | None = None  # the JobResponse's ValidationSummary


@dataclass
class WritebackResult:
    jobs: list[ImportJob] = field(default_factory=list)
    deferred: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, code) -> why not sent now
    not_written_back: dict[tuple[str, str], str] = field(default_factory=dict)  # never sent, and why
    trails_not_noted: list[str] = field(default_factory=list)  # orders whose trail could not be written


@dataclass
class WritebackService:
    norce: NorceConnect
    jobs: CodeJobs
    account_id: int
    query: NorceQuery | None = None
    company_match: Literal["query", "organization_no"] = "query"
    records: OrderRecords | None = None  # the orders' trails (what went to Norce, what did not, and why)
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    batch_size: int = MAX_ENTITIES_PER_IMPORT
    job_wait_seconds: float = 5.0  # how long a contact waits for its company's job within one call

    def send(
        self, items: Iterable[Writeback], last_attempt: Callable[[Writeback], bool] = lambda item: False
    ) -> WritebackResult:
        """Companies first, then customers; the same code twice in a batch is sent once. ``last_attempt``:
        whether an item that is deferred now will not come back (its trail then says why)."""
        result = WritebackResult()
        batch = list(items)
        companies = {item.code: item for item in batch if item.kind == "company"}
        customers = {item.code: item for item in batch if item.kind == "customer"}
        buyers = _Buyers(self.query)
        self._send_companies(list(companies.values()), result, buyers)
        self._send_customers(list(customers.values()), result, buyers)
        self._note_trails(batch, result, last_attempt)
        return result

    # -- companies
    def _send_companies(self, items: list[Writeback], result: WritebackResult, buyers: _Buyers) -> None:
        entities: list[tuple[Writeback, NorceCompany]] = []
        for item in items:
            entity = _entity_or_deferred(
                "company", item, functools.partial(self._company_entity, item, buyers), result
            )
            if entity is not None:
                entities.append((item, entity))
        header = ImportHeader(AccountId=self.account_id, CompanyFieldsThatAreSet=["Code"])
        for chunk in _chunks(entities, self.batch_size):
            self._import("companies", chunk, result, lambda e: self.norce.import_companies(e, header))

    def _company_entity(self, item: Writeback, buyers: _Buyers) -> tuple[NorceCompany | None, str]:
        """The entity to import, or None and why it cannot be imported without risking a second company."""
        key = (item.application_key or "").strip()
        if not is_guid(key):
            raise _NotWrittenBack(
                "its order has no ApplicationKey (a GUID), which Norce's ImportCompanies requires on every "
                "company"
            )
        # Messages queued before VAT numbers were carried hold the organisation number in match_value.
        organization_no = item.organization_no or (None if item.vat_no else item.match_value) or None
        if self.company_match == "organization_no" or self.query is None:
            if organization_no:
                return NorceCompany(Code=item.code, OrganizationNo=organization_no, ApplicationKey=key), ""
            return None, "no organisation number to match the company in Norce by (and Query is off)"
        buyer = buyers.of(item)
        norce_id = buyer.company_id if buyer else None
        if norce_id is None and (item.vat_no or organization_no):
            norce_id = self.query.find_company_id(vat_no=item.vat_no, organization_no=organization_no)
        if norce_id is None:
            return None, (
                "Norce Query does not know the company yet (as its order's buyer, by VatNo or by "
                "OrganizationNo): not imported, so Norce never gets a second company"
            )
        return NorceCompany(Id=norce_id, Code=item.code, ApplicationKey=key), ""

    # -- customers
    def _send_customers(self, items: list[Writeback], result: WritebackResult, buyers: _Buyers) -> None:
        plain: list[tuple[Writeback, NorceCustomer]] = []
        contacts: list[tuple[Writeback, NorceCustomer]] = []
        for item in items:
            entity = _entity_or_deferred(
                "customer", item, functools.partial(self._customer_entity, item, buyers), result
            )
            if entity is None:
                continue
            if not item.company_code:
                plain.append((item, entity))
                continue
            waiting = self._company_not_ready(item) if item.company_pending else None
            if waiting:
                result.deferred[("customer", item.code)] = waiting
                continue
            # Norce's default (false) would unlink the customer from every company not listed here.
            entity.Companies = [CompanyIdentifier(Code=item.company_code)]
            entity.IsCompanyListDelta = True
            contacts.append((item, entity))
        for group, fields in ((plain, ["Code"]), (contacts, ["Code", "Companies"])):
            header = ImportHeader(AccountId=self.account_id, CustomerFieldsThatAreSet=fields)
            send = functools.partial(self._import_customers, header=header)
            for chunk in _chunks(group, self.batch_size):
                self._import("customers", chunk, result, send)

    def _customer_entity(self, item: Writeback, buyers: _Buyers) -> tuple[NorceCustomer | None, str]:
        """By its Norce Id, the buyer of its order in Query: a code sent with an e-mail would match nothing
        (Norce matches by e-mail only without a Code) and make a second customer."""
        if basket_id(item.client_order_ref) is None:
            raise _NotWrittenBack(
                "its order reference is not a Norce basket id, so Norce's Id of the customer cannot be "
                "found (a code sent without it would make a second customer in Norce)"
            )
        if self.query is None:
            raise _NotWrittenBack("Norce Query is not set up: Norce's Id of the customer cannot be found")
        buyer = buyers.of(item)
        if buyer is None:
            return None, "Norce Query does not hold its order yet, so not the Id of its buyer either"
        if buyer.customer_id is None:
            raise _NotWrittenBack(
                "its order's buyer is no customer in Norce (a guest checkout): there is nobody to give the "
                "code to"
            )
        return NorceCustomer(Id=buyer.customer_id, Code=item.code), ""

    def _import_customers(self, entities: list[NorceCustomer], header: ImportHeader) -> JobResponse:
        return self.norce.import_customers(entities, header)

    def _company_not_ready(self, item: Writeback) -> str | None:
        """Why the customer's company is not in Norce with its code yet; None when it is."""
        code = item.company_code or ""
        job = self.jobs.job_of_code("company", code)
        if job is None:
            return f"company {code} has not been imported into Norce yet"
        if job.get("status") == JobStatus.SUCCEEDED.label:
            return None
        job_id = int(job["job_id"])
        deadline = self.clock() + self.job_wait_seconds
        while True:
            try:
                status = self.norce.get_job(job_id)
            except NorceError as error:
                return f"the import job {job_id} of company {code} cannot be read: {error}"
            if status.succeeded or status.failed:
                final = JobStatus(status.StatusId or 0).label
                self.jobs.set_status(job_id, final)
                return None if status.succeeded else f"the import job {job_id} of company {code} {final}"
            if self.clock() >= deadline:
                return f"the import job {job_id} of company {code} is still running"
            self.sleep(1.0)

    # -- both
    def _import[E: NorceCustomer | NorceCompany](
        self,
        kind: str,
        chunk: list[tuple[Writeback, E]],
        result: WritebackResult,
        send: Callable[[list[E]], JobResponse],
    ) -> None:
        items = [item for item, _ in chunk]
        singular = "company" if kind == "companies" else "customer"
        try:
            answer = send([entity for _, entity in chunk])
        except NorceError as error:
            for item in items:
                result.deferred[(singular, item.code)] = f"the import failed: {error}"
            return
        job_id, validation = answer.job_id, answer.summary()
        refs = sorted({item.client_order_ref for item in items if item.client_order_ref})
        codes = [item.code for item in items]
        self.jobs.record(
            job_id,
            kind,
            self.clock(),
            count=len(items),
            client_order_refs=refs[:100],
            status=JobStatus.QUEUED.label,
            validation=validation,
        )
        self.jobs.record_codes(singular, codes, job_id)
        result.jobs.append(ImportJob(kind, job_id, codes, validation))

    def _note_trails(
        self, batch: list[Writeback], result: WritebackResult, last_attempt: Callable[[Writeback], bool]
    ) -> None:
        """On each order's trail: the import that carried its codes (with Norce's validation summary), and
        the codes that will never reach Norce, with why."""
        if self.records is None:
            return
        carried = {
            ("company" if job.kind == "companies" else "customer", code): job
            for job in result.jobs
            for code in job.codes
        }
        orders: dict[str, list[Writeback]] = {}
        for item in batch:
            if item.order_key:
                orders.setdefault(item.order_key, []).append(item)
        now = self.clock()
        for key, items in orders.items():
            by_job: dict[int, tuple[ImportJob, list[str]]] = {}
            reasons = []
            for item in items:
                found = (item.kind, item.code)
                job = carried.get(found)
                if job is not None:
                    by_job.setdefault(job.job_id, (job, []))[1].append(f"{item.kind} {item.code}")
                deferred = result.deferred.get(found) if last_attempt(item) else None
                why = result.not_written_back.get(found) or deferred
                if why:
                    reasons.append(f"{item.kind} {item.code}: {why}")
            try:  # best effort: Norce took the imports, a retry would only send them again
                for job, codes in by_job.values():
                    self.records.note(
                        key,
                        "codes_sent_to_norce",
                        now,
                        codes=codes,
                        norce_job=job.job_id,
                        validation=job.validation,
                    )
                if reasons:
                    self.records.note(key, "codes_not_written_back", now, reasons=reasons)
            except DependencyUnavailable:
                result.trails_not_noted.append(key)


def _entity_or_deferred[E](
    kind: Kind, item: Writeback, entity_of: Callable[[], tuple[E | None, str]], result: WritebackResult
) -> E | None:
    """The entity ``entity_of`` gives for ``item``; else None, with why in ``result.deferred`` (or in
    ``result.not_written_back`` when it can never be written back)."""
    try:
        entity, why_not = entity_of()
    except NorceError as error:
        entity, why_not = None, f"Norce Query failed: {error}"
    except _NotWrittenBack as never:
        result.not_written_back[(kind, item.code)] = str(never)
        return None
    if entity is None:
        result.deferred[(kind, item.code)] = why_not
    return entity


def _chunks[T](items: list[T], size: int) -> list[list[T]]:
    return [items[start : start + size] for start in range(0, len(items), size)]
