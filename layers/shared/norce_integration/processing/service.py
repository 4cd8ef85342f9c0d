"""The order processor: one queued order -> exactly one ERP order -> Confirmed in Norce.

Steps (each safe to repeat, so a redelivered or replayed message never does anything twice):
admit the message (ledger token), lock the order, load it from the archive, route it, make sure its
customer/company exist in the ERP, create the ERP order unless the ERP already has one for this
ClientOrderRef, queue the ERP codes Norce lacks for a batched write-back, confirm in Norce.
"""

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

from norce_integration.codec import ForbiddenXml, MalformedBody
from norce_integration.codec.json_codec import parse_json
from norce_integration.codec.xml_codec import parse_xml
from norce_integration.contracts import OrderRequest, OrderResponse
from norce_integration.contracts.connect import OrderStatusUpdate
from norce_integration.erp.ports import Erp, ErpRejected, ErpUnavailable
from norce_integration.failures import DependencyUnavailable, PermanentFailure, TransientFailure
from norce_integration.norce.ports import NorceConnect, NorceRejected, NorceUnavailable
from norce_integration.orders.ledger import IntakeLedger, QueuedOrder
from norce_integration.orders.records import IndexedOrder, OrderArchive, OrderIndex, OrderRecords
from norce_integration.processing.config import ProcessingConfig
from norce_integration.processing.mapping import map_order
from norce_integration.processing.parties import ensure_parties
from norce_integration.processing.ports import WritebackQueue
from norce_integration.processing.routing import route

CONFIRMED = "confirmed"
FAILED = "failed"


class Processed(StrEnum):
    CONFIRMED = "confirmed"  # this call made sure the ERP order exists and Norce knows it
    ALREADY_CONFIRMED = "already_confirmed"  # a redelivery of an order already done
    STALE = "stale"  # a message from a receiver attempt that lost its claim: never processed


@dataclass(frozen=True, slots=True)
class ProcessResult:
    outcome: Processed
    erp_order_no: str | None = None
    created: bool = False


@dataclass
class OrderProcessor:
    ledger: IntakeLedger
    archive: OrderArchive
    erps: Mapping[str, Erp]
    norce: NorceConnect
    writebacks: WritebackQueue
    records: OrderRecords
    config: ProcessingConfig = field(default_factory=ProcessingConfig)
    account_id: int | None = None
    index: OrderIndex | None = None  # lets the ERP's documents find the order (lifecycle)
    lock_seconds: float = 120.0  # longer than the processor's timeout
    clock: Callable[[], float] = time.time
    owner: str = field(default_factory=lambda: uuid.uuid4().hex)

    def process(self, message: QueuedOrder) -> ProcessResult:
        """Raises ``TransientFailure`` (retry later) or ``PermanentFailure`` (park, alarm, replay)."""
        try:
            if not self.ledger.admit(
                message.key, message.token, OrderResponse.allocated().model_dump(mode="json")
            ):
                return ProcessResult(Processed.STALE)
            record = self.records.get(message.key) or {}
            if record.get("processing_state") == CONFIRMED:
                return ProcessResult(Processed.ALREADY_CONFIRMED, record.get("erp_order_no"))
            if not record.get("trail"):  # the support trail starts when Norce's request was accepted
                self.records.note(
                    message.key, "received", message.received_at, wire_format=message.wire_format
                )
            now = self.clock()
            if not self.records.lock(message.key, self.owner, now, now + self.lock_seconds):
                busy = "another delivery of this order is being processed"
                raise TransientFailure(busy, retry_after=min(30.0, self.lock_seconds))  # its lock runs out
            try:
                return self._process_locked(message)
            finally:
                self.records.unlock(message.key, self.owner)
        except DependencyUnavailable as error:
            raise TransientFailure(str(error)) from error

    def _process_locked(self, message: QueuedOrder) -> ProcessResult:
        try:
            order = self._load(message)
            target = route(order, self.config.routes)
            erp = self.erps.get(target)
            if erp is None:
                raise PermanentFailure(f"route target {target!r} has no ERP configured")
            return self._to_erp_and_norce(message, order, target, erp)
        except (ErpUnavailable, NorceUnavailable) as error:
            self.records.note(message.key, "retrying", self.clock(), last_error=str(error))
            raise TransientFailure(str(error), retry_after=error.retry_after) from error
        except (ErpRejected, NorceRejected) as error:
            reason = f"{'ERP' if isinstance(error, ErpRejected) else 'Norce'} rejected it: {error}"
            self._fail(message, reason)
            raise PermanentFailure(reason) from error
        except PermanentFailure as error:
            self._fail(message, error.reason)
            raise

    def _to_erp_and_norce(
        self, message: QueuedOrder, order: OrderRequest, target: str, erp: Erp
    ) -> ProcessResult:
        key, ref = message.key, message.client_order_ref
        parties = ensure_parties(order, erp, self.config.vat_rules)
        if parties.created:
            self.records.note(key, "erp_parties_created", self.clock(), created=parties.created)
        if parties.linked:
            self.records.note(key, "erp_contact_linked", self.clock(), linked=parties.linked)
        if parties.not_written_back:
            self.records.note(key, "codes_not_written_back", self.clock(), reasons=parties.not_written_back)
        erp_ref = erp.find_order(ref)
        created = False
        if erp_ref is None:
            erp_order = map_order(
                order,
                self.config,
                target=target,
                customer_code=parties.customer_code,
                company_code=parties.company_code,
            )
            erp_ref = erp.create_order(erp_order)
            created = erp_ref.created
        self.records.note(
            key,
            "erp_order_created" if created else "erp_order_found",
            self.clock(),
            erp_order_no=erp_ref.order_no,
            target=target,
        )
        if self.index is not None:  # before Norce hears of it: the ERP may push documents at once
            self.index.remember(IndexedOrder(key, ref, erp_ref.order_no))
        if parties.writebacks:  # each names the order's record, whose trail tells what became of it
            self.writebacks.enqueue([replace(item, order_key=key) for item in parties.writebacks])
            self.records.note(
                key,
                "codes_queued_for_norce",
                self.clock(),
                codes=[f"{item.kind} {item.code}" for item in parties.writebacks],
            )
        self.norce.send_order_status(
            OrderStatusUpdate(
                ClientOrderRef=OrderStatusUpdate.ref(ref),
                ErpOrderNo=erp_ref.order_no,
                OrderStatus=self.config.confirm_status,
                AccountId=self.account_id,
            )
        )
        self.records.note(
            key,
            CONFIRMED,
            self.clock(),
            processing_state=CONFIRMED,
            last_error=None,
            archive_key=message.archive_key,  # the lifecycle counts delivered lines against the order
        )
        return ProcessResult(Processed.CONFIRMED, erp_ref.order_no, created)

    def _load(self, message: QueuedOrder) -> OrderRequest:
        body = self.archive.get(message.archive_key)
        try:
            if message.wire_format == "xml":
                order, problems, _ = parse_xml(body, OrderRequest)
            else:
                order, problems = parse_json(body, OrderRequest)
        except (MalformedBody, ForbiddenXml) as error:
            raise PermanentFailure(f"the archived order cannot be read: {error}") from error
        if problems:
            raise PermanentFailure(f"the archived order has invalid fields: {'; '.join(problems)}")
        return order

    def _fail(self, message: QueuedOrder, reason: str) -> None:
        self.records.note(message.key, FAILED, self.clock(), processing_state=FAILED, last_error=reason)
