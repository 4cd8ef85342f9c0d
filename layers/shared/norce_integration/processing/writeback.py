"""ERP codes back to Norce: batched ImportCustomers / ImportCompanies with just the code (delta import).

Norce warns that many single-item imports overload its job queue, so codes are collected on a queue
and sent in batches. Each import is matched in Norce by e-mail (customers) or organisation number
(companies) and writes only ``Code``; the job id is recorded so its outcome can be followed.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from norce_integration.contracts.connect import ImportHeader, NorceCompany, NorceCustomer
from norce_integration.norce.ports import NorceConnect
from norce_integration.processing.ports import Writeback

MAX_ENTITIES_PER_IMPORT = 1000


class JobTracker(Protocol):
    def record(self, job_id: int, kind: str, at: float, **fields: Any) -> None: ...


@dataclass(frozen=True, slots=True)
class ImportJob:
    kind: str
    job_id: int
    codes: list[str]


@dataclass
class WritebackService:
    norce: NorceConnect
    jobs: JobTracker
    account_id: int
    clock: Callable[[], float] = time.time
    batch_size: int = MAX_ENTITIES_PER_IMPORT
    sent: list[ImportJob] = field(default_factory=list)

    def send(self, items: list[Writeback]) -> list[ImportJob]:
        """One import per kind (and per 1,000 entities); the same code twice in a batch is sent once."""
        jobs: list[ImportJob] = []
        customers = {item.code: item for item in items if item.kind == "customer"}
        companies = {item.code: item for item in items if item.kind == "company"}
        for chunk in _chunks(list(customers.values()), self.batch_size):
            entities = [NorceCustomer(Code=item.code, EmailAddress=item.match_value) for item in chunk]
            header = ImportHeader(AccountId=self.account_id, CustomerFieldsThatAreSet=["Code"])
            jobs.append(self._record("customers", self.norce.import_customers(entities, header), chunk))
        for chunk in _chunks(list(companies.values()), self.batch_size):
            companies_out = [NorceCompany(Code=item.code, OrganizationNo=item.match_value) for item in chunk]
            header = ImportHeader(AccountId=self.account_id, CompanyFieldsThatAreSet=["Code"])
            jobs.append(self._record("companies", self.norce.import_companies(companies_out, header), chunk))
        return jobs

    def _record(self, kind: str, job_id: int, items: list[Writeback]) -> ImportJob:
        refs = sorted({item.client_order_ref for item in items if item.client_order_ref})
        self.jobs.record(
            job_id, kind, self.clock(), count=len(items), client_order_refs=refs[:100], status="Queued"
        )
        return ImportJob(kind, job_id, [item.code for item in items])


def _chunks(items: list[Writeback], size: int) -> list[list[Writeback]]:
    return [items[start : start + size] for start in range(0, len(items), size)]
