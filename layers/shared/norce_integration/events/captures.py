"""InvoiceCaptureCompletedEvent: the payment provider's answer to an invoice we sent (CreateInvoice).

``State: Error`` means the money was not collected and nobody else will say so: it is noted on the order's
trail (``invoice_capture_failed``, shown by ``norce-ops trail``), counted and alarmed. ``Captured`` is noted
(``invoice_captured``) and counted, not alarmed.

The event names only Norce's invoice id, so the order is found through Norce Query: ``Orders/Invoices`` by
Id -> its ``ReferenceOrderId`` -> ``Orders/Orders`` -> ``QuotationId`` (our ClientOrderRef) and ``OrderNo``
-> the order index -> the order's record. An invoice Query does not hold yet (Query caches a while) is
asked again for ``wait_seconds``; after that, or for an order that is not ours, the outcome is still counted
(and a failed capture alarmed), with the invoice named in the log.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from norce_integration.events.contracts import InvoiceCaptureCompletedEvent
from norce_integration.events.outcomes import Handled, Outcome
from norce_integration.events.ports import EventQuery
from norce_integration.events.views import InvoiceOrder
from norce_integration.failures import PermanentFailure, TransientFailure
from norce_integration.norce.ports import NorceRejected, NorceUnavailable
from norce_integration.orders.records import OrderIndex, OrderRecords

FAILED, CAPTURED = "invoice_capture_failed", "invoice_captured"


@dataclass
class CaptureResults:
    query: EventQuery
    index: OrderIndex
    records: OrderRecords
    wait_seconds: float = 3600.0  # how long an invoice Query does not hold yet is asked for again
    clock: Callable[[], float] = field(default=time.time)

    def handle(self, event: InvoiceCaptureCompletedEvent, received_at: float) -> Handled:
        failed = event.State == "Error"
        outcome = Outcome.CAPTURE_FAILED if failed else Outcome.CAPTURED
        invoice = self._invoice(event.CapturedInvoiceId)
        if invoice is None:
            if self.clock() - received_at < self.wait_seconds:
                raise TransientFailure(f"Norce Query does not hold invoice {event.CapturedInvoiceId} yet")
            return Handled(outcome, f"invoice {event.CapturedInvoiceId} is not in Norce Query: on no trail")
        what = f"invoice {invoice.invoice_no or '?'} (Norce invoice {invoice.invoice_id})"
        found = self.index.find(client_order_ref=invoice.client_order_ref, erp_order_no=invoice.order_no)
        if found is None:
            return Handled(outcome, f"{what} of Norce order {invoice.order_id}, not an order of ours")
        entry = FAILED if failed else CAPTURED
        record = self.records.get(found.order_key) or {}
        noted = any(
            isinstance(step, dict)
            and step.get("event") == entry
            and step.get("capture_invoice_id") == invoice.invoice_id
            for step in record.get("trail") or []
        )
        if noted:  # Norce redelivers until we answer 2xx: one line on the trail, counted once
            return Handled(Outcome.REPEATED, f"{what}: {event.State} is already on the order's trail")
        self.records.note(  # the fields are the entry's and the record's last capture
            found.order_key,
            entry,
            self.clock(),
            capture_state=event.State,
            capture_invoice_no=invoice.invoice_no,
            capture_invoice_id=invoice.invoice_id,
            capture_norce_order_id=invoice.order_id,
        )
        return Handled(outcome, f"{what} of order {found.client_order_ref}: {event.State}")

    def _invoice(self, invoice_id: int) -> InvoiceOrder | None:
        try:
            return self.query.invoice_order(invoice_id)
        except NorceUnavailable as error:
            raise TransientFailure(str(error), error.retry_after) from error
        except NorceRejected as error:
            raise PermanentFailure(str(error)) from error
