"""In-memory ERP, Norce Connect, order records and write-back queue: unit tests and benchmarks."""

import itertools
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from norce_integration.contracts.connect import (
    ImportHeader,
    Job,
    JobResponse,
    NorceCompany,
    NorceCustomer,
    OrderStatusUpdate,
)
from norce_integration.contracts.lifecycle import DeliveryNote, Invoice
from norce_integration.erp.model import ErpCompany, ErpCustomer, ErpDocument, ErpOrder, ErpOrderRef
from norce_integration.erp.ports import ErpRejected, ErpUnavailable
from norce_integration.norce.ports import NorceUnavailable, OrderBuyer
from norce_integration.processing.ports import Writeback
from norce_integration.processing.vat import normalise_vat_no


@dataclass
class InMemoryErp:
    """An ERP that, like a well-behaved one, refuses a second order with the same external reference."""

    orders: dict[str, tuple[str, ErpOrder]] = field(default_factory=dict)
    customers: dict[str, ErpCustomer] = field(default_factory=dict)
    companies: dict[str, ErpCompany] = field(default_factory=dict)
    documents: list[ErpDocument] = field(default_factory=list)
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

    def find_customer(
        self, *, code: str | None = None, email: str | None = None, external_ref: str | None = None
    ) -> ErpCustomer | None:
        self._call("find_customer")
        with self._lock:
            return _first_match(
                self.customers.values(), ("code", code), ("external_ref", external_ref), ("email", email)
            )

    def create_customer(self, customer: ErpCustomer) -> ErpCustomer:
        self._call("create_customer")
        with self._lock:
            existing = _first_match(self.customers.values(), ("external_ref", customer.external_ref))
            if existing is not None:  # the ERP refuses a second customer with this external reference
                return existing
            created = customer.model_copy(update={"code": f"C{10000 + len(self.customers) + 1}"})
            self.customers[created.code or ""] = created
        return created

    def update_customer(self, customer: ErpCustomer) -> None:
        self._call("update_customer")
        self.customers[customer.code or ""] = customer

    def find_company(
        self,
        *,
        code: str | None = None,
        organization_no: str | None = None,
        vat_no: str | None = None,
        external_ref: str | None = None,
    ) -> ErpCompany | None:
        self._call("find_company")
        with self._lock:
            return _first_match(
                self.companies.values(),
                ("code", code),
                ("external_ref", external_ref),
                ("vat_no", normalise_vat_no(vat_no)),
                ("organization_no", organization_no),
            )

    def create_company(self, company: ErpCompany) -> ErpCompany:
        self._call("create_company")
        with self._lock:
            existing = _first_match(self.companies.values(), ("external_ref", company.external_ref))
            if existing is not None:
                return existing
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

    def changed_documents(self, changed_since: datetime | None) -> Iterator[ErpDocument]:
        self._call("changed_documents")
        since = changed_since or datetime.min.replace(tzinfo=UTC)
        return iter(sorted((d for d in self.documents if d.changed_at >= since), key=lambda d: d.changed_at))


def _first_match[E: ErpCustomer | ErpCompany](
    entities: Iterable[E], *keys: tuple[str, str | None]
) -> E | None:
    """The first entity equal on the first given key that finds one (VAT numbers compared normalised)."""
    candidates = list(entities)
    for name, value in keys:
        if not value:
            continue
        for entity in candidates:
            own = getattr(entity, name)
            if (normalise_vat_no(own) if name == "vat_no" else own) == value:
                return entity
    return None


@dataclass
class InMemoryNorceConnect:
    statuses: list[OrderStatusUpdate] = field(default_factory=list)
    imports: list[tuple[str, list[Any], ImportHeader]] = field(default_factory=list)
    documents: list[tuple[str, Any]] = field(default_factory=list)  # (Connect method, document)
    unavailable_calls: int = 0  # the next N calls answer like a 503
    lost_responses: int = 0  # the next N documents reach Norce, but their answer is lost (a timeout)
    _jobs: Iterator[int] = field(default_factory=lambda: itertools.count(5001))

    def _call(self) -> None:
        if self.unavailable_calls > 0:
            self.unavailable_calls -= 1
            raise NorceUnavailable("Norce Connect answered 503", retry_after=5)

    def _maybe_lose_response(self) -> None:
        if self.lost_responses > 0:
            self.lost_responses -= 1
            raise NorceUnavailable("Norce Connect timed out (the document was taken)")

    def numbers(self, method: str) -> list[str]:
        """The NoteNo / InvoiceNo of every ``method`` call Norce took, repeats included."""
        return [
            str(getattr(d, "NoteNo", None) or getattr(d, "InvoiceNo", ""))
            for m, d in self.documents
            if m == method
        ]

    def send_order_status(self, update: OrderStatusUpdate) -> None:
        self._call()
        self.statuses.append(update)

    def import_customers(
        self, customers: list[NorceCustomer], header: ImportHeader, full_file: bool = False
    ) -> JobResponse:
        self._call()
        self.imports.append(("customers", customers, header))
        return _job_response(next(self._jobs), len(customers))

    def import_companies(
        self, companies: list[NorceCompany], header: ImportHeader, full_file: bool = False
    ) -> JobResponse:
        self._call()
        self.imports.append(("companies", companies, header))
        return _job_response(next(self._jobs), len(companies))

    def get_job(self, job_id: int) -> Job:
        return Job(JobId=job_id, StatusId=2, IsFinished=True)

    def create_delivery_note(self, note: DeliveryNote) -> None:
        self._call()
        self.documents.append(("CreateDeliveryNote", note))
        self._maybe_lose_response()

    def create_invoice(self, invoice: Invoice) -> None:
        self._call()
        self.documents.append(("CreateInvoice", invoice))
        self._maybe_lose_response()

    def credit_payment(self, credit: Invoice) -> None:
        self._call()
        self.documents.append(("CreditPayment", credit))
        self._maybe_lose_response()


@dataclass
class InMemoryOrderRecords:
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def get(self, key: str, fields: Iterable[str] | None = None) -> dict[str, Any] | None:
        with self._lock:
            record = self.records.get(key)
            if record is None:
                return None
            return dict(record) if fields is None else {n: record[n] for n in fields if n in record}

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
class InMemoryNorceQuery:
    """Companies as Norce holds them: ``{Id: {"Id", "VatNo", "OrganizationNo", ...}}``; orders by basket id:
    ``{QuotationId: {"BuyerCompanyId", "BuyerCustomerId"}}``."""

    companies: dict[int, dict[str, Any]] = field(default_factory=dict)
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    delivery_notes: set[str] = field(default_factory=set)
    invoices: set[str] = field(default_factory=set)
    connect: InMemoryNorceConnect | None = None  # when set, its documents are what Norce holds
    down: bool = False
    calls: int = 0

    def has_delivery_note(self, note_no: str) -> bool:
        self._call()
        held = self.connect.numbers("CreateDeliveryNote") if self.connect else []
        return note_no in self.delivery_notes or note_no in held

    def has_invoice(self, invoice_no: str) -> bool:
        self._call()
        held = (
            self.connect.numbers("CreateInvoice") + self.connect.numbers("CreditPayment")
            if self.connect
            else []
        )
        return invoice_no in self.invoices or invoice_no in held

    def _call(self) -> None:
        self.calls += 1
        if self.down:
            raise NorceUnavailable("Norce Query answered 503")

    def order_buyer(self, basket_id: int) -> OrderBuyer | None:
        self._call()
        order = self.orders.get(basket_id)
        if order is None:
            return None
        return OrderBuyer(order.get("BuyerCompanyId"), order.get("BuyerCustomerId"))

    def find_company_id(self, *, vat_no: str | None, organization_no: str | None) -> int | None:
        self._call()
        for field_name, wanted in (("VatNo", normalise_vat_no(vat_no)), ("OrganizationNo", organization_no)):
            for company in self.companies.values():
                own = company.get(field_name)
                if wanted and (normalise_vat_no(own) if field_name == "VatNo" else own) == wanted:
                    return int(company["Id"])
        return None


def _job_response(job_id: int, items: int) -> JobResponse:
    """Norce's answer to an import that its validation took whole."""
    return JobResponse.model_validate(
        {
            "StatusCode": "OK",
            "JobId": str(job_id),
            "ValidationSummary": {"NrOfItemsInTotal": items, "NrOfValidationFailures": 0, "Messages": []},
        }
    )
