"""Documents the ERP told us about (a webhook), read and queued at once, as the poll would queue them later.

The notification says only *what* changed; the ERP's own ``ErpChangeReader`` reads it back. Each document
goes to the same intake as a push or a poll, so one read twice (by the webhook and by the poll) reaches
Norce once: the ledger knows its number. The poll stays the safety net: what the webhook leaves (its time
budget ran out, an order not indexed yet, the ERP failing) is read by the next poll from its watermark.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from norce_integration.erp.model import ErpChange
from norce_integration.erp.ports import ErpChangeReader
from norce_integration.lifecycle.intake import Accepted, DocumentIntake
from norce_integration.lifecycle.mapping import UnknownDocumentKind, to_norce


@dataclass
class NotifiedResult:
    queued: list[str] = field(default_factory=list)  # document numbers
    refused: dict[str, str] = field(default_factory=dict)  # document number -> why (the poll sees it again)
    left_to_poll: bool = False  # the time budget ran out before every change was read


@dataclass
class NotifiedDocuments:
    reader: ErpChangeReader
    intake: DocumentIntake
    budget_seconds: float = 20.0  # well within API Gateway's 29 s: the ERP waits for our answer
    clock: Callable[[], float] = time.monotonic

    def take(self, changes: list[ErpChange]) -> NotifiedResult:
        """Read and queue what ``changes`` stand for. Raises ``ErpUnavailable`` (the ERP could not be read:
        the notification should come again) or ``DependencyUnavailable`` (our queue or table failed)."""
        result = NotifiedResult()
        deadline = self.clock() + self.budget_seconds
        for document in self.reader.documents_for(changes):
            if self.clock() > deadline:
                result.left_to_poll = True
                break
            try:
                kind, body = to_norce(document)
            except UnknownDocumentKind as error:
                result.refused[document.document_no] = str(error)
                continue
            outcome = self.intake.accept(kind, body, source="webhook")
            if isinstance(outcome, Accepted):
                result.queued.append(document.document_no)
            else:
                result.refused[document.document_no] = "; ".join(outcome.problems)
        return result
