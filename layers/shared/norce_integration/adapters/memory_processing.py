"""In-memory ERP, Norce Connect, order records and write-back queue: unit tests and benchmarks."""

import itertools
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from norce_integration.contracts.connect import (
    ImportHeader,
    Job,
    NorceCompany,
    NorceCustomer,
    OrderStatusUpdate,
)
from norce_integration.erp.model import ErpCompany, ErpCustomer, ErpOrder, ErpOrderRef
from norce_integration.erp.ports import ErpRejected, ErpUnavailable
from norce_integration.intake.ports import QueuedOrder
from norce_integration.norce.ports import NorceUnavailable
from norce_integration.processing.ports import Writeback


@dataclass
class InMemoryErp:
    """An ERP that, like a well-behaved one, refuses a second order with the same external reference."""

    orders: dict[str, tuple[str, ErpOrder]] = field(default_factory=dict)
    customers: dict[str, ErpCustomer] = field(default_factory=dict)
    companies: dict[str, ErpCompany] = field(default_factory=dict)
    down: bool = False
    reject_orders_reason: str | None = None
    calls: list[str] = field(default_factory=list)
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if self.down:
            raise ErpUnavailable("ERP answered 503", retry_after=60)

    def find_order(self, external_ref: str) -> ErpOrderRef | None:
        self._call("find_order")
        with self._lock:
            found = self.orders.get(external_ref)
        return ErpOrderRef(external_ref=external_ref, order_no=found[0], created=False) if found else None

    def create_order(self, order: ErpOrder) -> ErpOrderRef:
        self._call("create_order")
        if self.reject_orders_reason:
            raise ErpRejected(self.reject_orders_reason)
        with self._lock:
            if order.external_ref in self.orders:
                return ErpOrderRef(
                    external_ref=order.external_ref,
                    order_no=self.orders[order.external_ref][0],
                    created=False,
                )
            number = f"SO-{next(self._numbers):06d}"
            self.orders[order.external_ref] = (number, order)
        return ErpOrderRef(external_ref=order.external_ref, order_no=number, created=True)

    def find_customer(self, *, code: str | None = None, email: str | None = None) -> ErpCustomer | None:
        self._call("find_customer")
        return next(
            (c for c in self.customers.values() if (code and c.code == code) or (email and c.email == email)),
            None,
        )

    def create_customer(self, customer: ErpCustomer) -> ErpCustomer:
        self._call("create_customer")
        with self._lock:
            created = customer.model_copy(update={"code": f"C{10000 + len(self.customers) + 1}"})
            self.customers[created.code or ""] = created
        return created

    def update_customer(self, customer: ErpCustomer) -> None:
        self._call("update_customer")
        self.customers[customer.code or ""] = customer

    def find_company(
        self, *, code: str | None = None, organization_no: str | None = None
    ) -> ErpCompany | None:
        self._call("find_company")
        return next(
            (
                c
                for c in self.companies.values()
                if (code and c.code == code) or (organization_no and c.organization_no == organization_no)
            ),
            None,
        )

    def create_company(self, company: ErpCompany) -> ErpCompany:
        self._call("create_company")
        with self._lock:
            created = company.model_copy(update={"code": f"B{20000 + len(self.companies) + 1}"})
            self.companies[created.code or ""] = created
        return created

    def update_company(self, company: ErpCompany) -> None:
        self._call("update_company")
        self.companies[company.code or ""] = company

    def export_customers(self, changed_since: datetime | None) -> Iterator[ErpCustomer]:
        return iter(list(self.customers.values()))

    def export_companies(self, changed_since: datetime | None) -> Iterator[ErpCompany]:
        return iter(list(self.companies.values()))


@dataclass
class InMemoryNorceConnect:
    statuses: list[OrderStatusUpdate] = field(default_factory=list)
    imports: list[tuple[str, list[Any], ImportHeader]] = field(default_factory=list)
    unavailable_calls: int = 0  # the next N calls answer like a 503
    _jobs: Iterator[int] = field(default_factory=lambda: itertools.count(5001))

    def _call(self) -> None:
        if self.unavailable_calls > 0:
            self.unavailable_calls -= 1
            raise NorceUnavailable("Norce Connect answered 503", retry_after=5)

    def send_order_status(self, update: OrderStatusUpdate) -> None:
        self._call()
        self.statuses.append(update)

    def import_customers(
        self, customers: list[NorceCustomer], header: ImportHeader, full_file: bool = False
    ) -> int:
        self._call()
        self.imports.append(("customers", customers, header))
        return next(self._jobs)

    def import_companies(
        self, companies: list[NorceCompany], header: ImportHeader, full_file: bool = False
    ) -> int:
        self._call()
        self.imports.append(("companies", companies, header))
        return next(self._jobs)

    def get_job(self, job_id: int) -> Job:
        return Job(JobId=job_id, StatusId=2, IsFinished=True)


@dataclass
class InMemoryOrderRecords:
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            record = self.records.get(key)
            return dict(record) if record is not None else None

    def note(self, key: str, event: str, at: float, **fields: Any) -> None:
        with self._lock:
            record = self.records.setdefault(key, {"trail": []})
            record["trail"].append(
                {"at": at, "event": event, **{k: v for k, v in fields.items() if v is not None}}
            )
            record.update(fields)

    def lock(self, key: str, owner: str, now: float, until: float) -> bool:
        with self._lock:
            record = self.records.setdefault(key, {"trail": []})
            holder, held_until = record.get("lock_owner"), record.get("lock_until", 0.0)
            if holder not in (None, owner) and held_until > now:
                return False
            record["lock_owner"], record["lock_until"] = owner, until
            return True

    def unlock(self, key: str, owner: str) -> None:
        with self._lock:
            record = self.records.get(key)
            if record is not None and record.get("lock_owner") == owner:
                record["lock_owner"], record["lock_until"] = None, 0.0


@dataclass
class InMemoryWritebackQueue:
    items: list[Writeback] = field(default_factory=list)

    def enqueue(self, items: list[Writeback]) -> None:
        self.items.extend(items)


@dataclass
class InMemoryDeadLetters:
    parked: list[tuple[QueuedOrder, str]] = field(default_factory=list)

    def park(self, order: QueuedOrder, reason: str) -> None:
        self.parked.append((order, reason))


@dataclass
class InMemoryJobTracker:
    jobs: dict[int, dict[str, Any]] = field(default_factory=dict)

    def record(self, job_id: int, kind: str, at: float, **fields: Any) -> None:
        self.jobs[job_id] = {"kind": kind, "started_at": at, **fields}
