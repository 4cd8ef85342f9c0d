"""The soak's audit: what the outside world holds at the end, against what the soak did.

Independent of the code it audits: it imports nothing of the integration and reads only the simulators'
state (the ERP's orders and customers, what Norce holds, the events Norce sent), the stack's records as
any operator could read them (the outbox file, the dead-letter queues, the table's e-mail and document
items, through boto3 on moto) and the soak's own journal. It checks:

- every order answered ``OK`` is in the ERP exactly once and Confirmed in Norce exactly once (one ERP order
  number; an identical status sent again is idempotent and counted as a repeat), and a malformed one is in
  neither;
- every distinct document the ERP made (delivery note, invoice, credit) reached Norce exactly once;
- every order event Norce delivered gave at most one e-mail, and exactly one where one was due (the
  received, confirmed and ready-for-pickup events with an e-mail address);
- every customer edited in Norce holds its last edit in the ERP;
- every message left in a dead-letter queue is listed with its reason.

Something missing that is parked (a dead-letter queue, or an e-mail ``IN_DOUBT``: the integration sends
an e-mail at most once) is *parked*, with the reason; missing without a trace is *lost*; more than once is
*doubled*.
"""

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from local.soak.journal import Edit, Journal
from local.stack import LocalStack

NOTIFIED = ("OrderReceivedEvent", "OrderConfirmedEvent", "OrderReadyForPickupEvent")
DEAD_LETTER_QUEUES = (
    "OrdersDeadLetterQueue",
    "WritebackDeadLetterQueue",
    "LifecycleDeadLetterQueue",
    "EventsDeadLetterQueue",
)
DOCUMENT_LISTS = {"deliveryNote": ("DeliveryNotes", "NoteNo"), "invoice": ("Invoices", "InvoiceNo")}
DOCUMENT_LISTS["creditNote"] = ("Credits", "InvoiceNo")
LATER_STATUSES = ("PartlyDelivered", "Delivered", "Invoiced", "Cancelled")


@dataclass
class Row:
    area: str
    checked: int = 0
    ok: int = 0
    lost: int = 0
    doubled: int = 0
    parked: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class Parked:
    queue: str
    what: str
    reason: str
    explained: bool = True


@dataclass
class AuditResult:
    rows: list[Row]
    findings: list[str]  # every lost or doubled item, one line each
    parked: list[Parked]

    @property
    def lost(self) -> int:
        return sum(row.lost for row in self.rows)

    @property
    def doubled(self) -> int:
        return sum(row.doubled for row in self.rows)

    @property
    def unexplained(self) -> int:
        return sum(1 for item in self.parked if not item.explained)

    @property
    def passed(self) -> bool:
        return self.lost == 0 and self.doubled == 0 and self.unexplained == 0

    def table(self) -> str:
        lines = [f"{'':<22}{'checked':>9}{'ok':>9}{'lost':>7}{'doubled':>9}{'parked':>8}  notes"]
        for row in self.rows:
            lines.append(
                f"{row.area:<22}{row.checked:>9}{row.ok:>9}{row.lost:>7}{row.doubled:>9}{row.parked:>8}  "
                + "; ".join(row.notes)
            )
        if self.parked:
            lines.append("\nParked, with the reason:")
            for item in self.parked:
                mark = "" if item.explained else "  (NO REASON)"
                lines.append(f"  {item.queue:<28} {item.what:<34} {item.reason[:120]}{mark}")
        if self.findings:
            lines.append("\nLost or doubled:")
            lines.extend(f"  {finding}" for finding in self.findings[:50])
            if len(self.findings) > 50:
                lines.append(f"  ... and {len(self.findings) - 50} more")
        return "\n".join(lines)


class Audit:
    def __init__(self, stack: LocalStack, journal: Journal) -> None:
        self.stack, self.journal = stack, journal
        self.findings: list[str] = []

    def run(self) -> AuditResult:
        parked = self._dead_letters()
        mail_states, document_states = self._table_items()
        parked_refs = {item.what for item in parked}
        rows = [
            self._orders(parked_refs),
            self._documents(parked_refs, document_states),
            *self._emails(parked_refs, mail_states, parked),
            self._edits(parked),
        ]
        return AuditResult(rows, self.findings, parked)

    # -- what the world holds
    def _dead_letters(self) -> list[Parked]:
        """Every message in every DLQ (received, not deleted), with its FailureReason or SQS's own."""
        sqs = self.stack.aws.client("sqs")
        found: list[Parked] = []
        for name in DEAD_LETTER_QUEUES:
            url, seen = self.stack.resource(name), set()
            while True:
                messages = sqs.receive_message(
                    QueueUrl=url,
                    MaxNumberOfMessages=10,
                    VisibilityTimeout=300,
                    MessageAttributeNames=["All"],
                    AttributeNames=["All"],
                ).get("Messages", [])
                fresh = [m for m in messages if m["MessageId"] not in seen]
                if not fresh:
                    break
                for message in fresh:
                    seen.add(message["MessageId"])
                    found.append(_parked(name, message))
        return found

    def _table_items(self) -> tuple[dict[tuple[str, str], str], dict[str, str]]:
        """The e-mail ledger (``MAIL#{type}#{ref}`` -> state) and the document ledger (number -> state)."""
        dynamodb = self.stack.aws.client("dynamodb")
        mail: dict[tuple[str, str], str] = {}
        documents: dict[str, str] = {}
        kwargs: dict[str, Any] = {"TableName": self.stack.resource("OrdersTable")}
        while True:
            page = dynamodb.scan(**kwargs)
            for item in page.get("Items", []):
                key, state = item["pk"]["S"], item.get("state", {}).get("S", "")
                if key.startswith("MAIL#"):
                    _, event_type, ref = key.split("#", 2)
                    mail[(event_type, ref)] = state
                elif key.startswith("DOC#"):
                    documents[key.rsplit("#", 1)[-1]] = state
            if "LastEvaluatedKey" not in page:
                return mail, documents
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _norce(self) -> tuple[dict[str, list[dict[str, Any]]], dict[str, dict[str, list[dict[str, Any]]]]]:
        with self.stack.norce.state.lock:
            statuses = {ref: [dict(s) for s in held] for ref, held in self.stack.norce.orders.items()}
            documents = {
                ref: {kind: list(items) for kind, items in held.items()}
                for ref, held in self.stack.norce.documents.items()
            }
        return statuses, documents

    # -- the checks
    def _orders(self, parked_refs: set[str]) -> Row:
        row = Row("orders")
        erp = Counter(order["externalRef"] for order in self.stack.erp.orders())
        erp_numbers = {order["externalRef"]: order["orderNo"] for order in self.stack.erp.orders()}
        statuses, _ = self._norce()
        repeats = failed = malformed = duplicates = 0
        for ref, sent in sorted(self.journal.orders.items()):
            row.checked += 1
            duplicates += sum(1 for push in sent.pushes if push.duplicate)
            if sent.kind == "malformed":
                malformed += 1
                if erp[ref] or statuses.get(ref):
                    row.doubled += 1
                    self.findings.append(f"order {ref}: malformed, yet in the ERP or Norce")
                elif all(push.outcome == "Failed" for push in sent.pushes):
                    row.ok += 1
                else:
                    row.lost += 1
                    self.findings.append(
                        f"order {ref}: malformed, answered {[p.outcome for p in sent.pushes]}"
                    )
                continue
            if not sent.accepted:
                failed += 1
                row.lost += 1
                self.findings.append(f"order {ref}: never answered OK ({[p.outcome for p in sent.pushes]})")
                continue
            if any(push.outcome != "OK" for push in sent.pushes):
                row.lost += 1
                self.findings.append(f"order {ref}: a copy was answered {[p.outcome for p in sent.pushes]}")
                continue
            confirmed = [s for s in statuses.get(ref, []) if s.get("OrderStatus") == "Confirmed"]
            numbers = {str(s.get("ErpOrderNo")) for s in confirmed}
            if erp[ref] > 1 or len(numbers) > 1:
                row.doubled += 1
                self.findings.append(f"order {ref}: {erp[ref]} ERP orders, confirmed as {sorted(numbers)}")
            elif erp[ref] == 0 or not confirmed:
                if ref in parked_refs:
                    row.parked += 1
                else:
                    row.lost += 1
                    self.findings.append(
                        f"order {ref}: {erp[ref]} ERP orders, {len(confirmed)} confirmations"
                    )
            elif numbers != {erp_numbers[ref]}:
                row.doubled += 1
                self.findings.append(f"order {ref}: confirmed as {numbers}, the ERP's is {erp_numbers[ref]}")
            else:
                row.ok += 1
                repeats += len(confirmed) - 1
        row.notes.append(f"{malformed} malformed (Failed, as they must be)")
        row.notes.append(f"{duplicates} pushed again (5 %)")
        if repeats:
            row.notes.append(f"{repeats} Confirmed sent again after a lost answer (idempotent)")
        return row

    def _documents(self, parked_refs: set[str], states: dict[str, str]) -> Row:
        row = Row("documents")
        statuses, documents = self._norce()
        pushed = skipped = 0
        for number, made in sorted(self.journal.documents.items()):
            row.checked += 1
            pushed += made.pushes > 0
            if made.kind == "status":
                held = [s.get("OrderStatus") for s in statuses.get(made.ref, [])]
                if made.status in held:
                    row.ok += 1
                elif any(later in held for later in LATER_STATUSES):
                    row.ok += 1
                    skipped += 1  # it would have gone backwards: recorded, not sent (docs/lifecycle.md)
                elif number in parked_refs or states.get(number) == "PARKED":
                    row.parked += 1
                else:
                    row.lost += 1
                    self.findings.append(f"status {number} of {made.ref}: not in Norce ({held})")
                continue
            kind, key = DOCUMENT_LISTS[made.kind]
            count = sum(1 for d in documents.get(made.ref, {}).get(kind, []) if str(d.get(key)) == number)
            if count == 1:
                row.ok += 1
            elif count > 1:
                row.doubled += 1
                self.findings.append(f"{number} of order {made.ref}: {count} times in Norce")
            elif number in parked_refs or states.get(number) == "PARKED":
                row.parked += 1
            else:
                row.lost += 1
                self.findings.append(
                    f"{number} of order {made.ref}: not in Norce (ledger: {states.get(number)})"
                )
        stats = dict(self.stack.norce.stats)
        for name in ("double captures", "double refunds"):
            if stats.get(name):
                row.doubled += int(stats[name])
                self.findings.append(f"Norce counted {stats[name]} {name}")
        row.notes.append(f"{pushed} pushed (some twice), all read by the poll too")
        if skipped:
            row.notes.append(f"{skipped} statuses skipped as backwards, by design")
        return row

    def _recipient(self, event_type: str, payload: dict[str, Any]) -> str | None:
        """Who an order event's e-mail is due to: OrderReceivedEvent names its ``Email``; Norce's other order
        events carry none, and the buyer Norce holds for the order (as the soak placed it) is due one."""
        if event_type == "OrderReceivedEvent":
            return payload.get("Email")
        order = self.journal.orders.get(str(payload.get("ClientOrderRef")))
        return order.email if order else None

    def _emails(
        self, parked_refs: set[str], states: dict[tuple[str, str], str], parked: list[Parked]
    ) -> list[Row]:
        events = Row("order events")
        emails = Row("e-mails")
        sent = Counter((m["event_type"], str(m["client_order_ref"])) for m in _outbox(self.stack))
        due: dict[tuple[str, str], list[str]] = defaultdict(list)
        dead = 0
        for delivery in self.stack.norce.events.deliveries:
            if not delivery.event_type.startswith("Order"):
                continue
            events.checked += 1
            if delivery.state == "delivered":
                events.ok += 1
            else:
                dead += delivery.state == "dead"
                events.lost += 1
                self.findings.append(
                    f"{delivery.event_type} {delivery.payload.get('ClientOrderRef')}: {delivery.state}"
                )
            ref = delivery.payload.get("ClientOrderRef")
            recipient = self._recipient(delivery.event_type, delivery.payload)
            if delivery.event_type in NOTIFIED and ref and recipient:
                due[(delivery.event_type, str(ref))].append(delivery.state)
        in_doubt = 0
        for key, _ in sorted(due.items()):
            emails.checked += 1
            count = sent.get(key, 0)
            if count == 1:
                emails.ok += 1
            elif count > 1:
                emails.doubled += 1
                self.findings.append(f"{key[0]} {key[1]}: {count} e-mails")
            elif states.get(key) == "IN_DOUBT" or (states.get(key) == "SENDING" and key[1] in parked_refs):
                emails.parked += 1
                in_doubt += 1
                parked.append(
                    Parked("MAIL# (in doubt)", f"{key[0]} {key[1]}", "an attempt died while sending")
                )
            elif key[1] in parked_refs:
                emails.parked += 1
            else:
                emails.lost += 1
                self.findings.append(f"{key[0]} {key[1]}: no e-mail (ledger: {states.get(key)})")
        for key, count in sent.items():
            if key not in due:
                emails.doubled += count
                self.findings.append(f"{key[0]} {key[1]}: {count} e-mail(s) nobody was due")
        redelivered = len(self.journal.redelivered)
        events.notes.append(f"{redelivered} sent again by Norce on purpose, {dead} dead")
        emails.notes.append("received, confirmed, ready for pickup; at most once by design")
        if in_doubt:
            emails.notes.append(f"{in_doubt} in doubt (a worker died while sending: never resent, alarmed)")
        return [events, emails]

    def _edits(self, parked: list[Parked]) -> Row:
        row = Row("customer edits")
        last: dict[str, Edit] = {}
        for edit in sorted(self.journal.edits, key=lambda e: e.at):
            last[edit.code] = edit
        erp = {customer["code"]: customer for customer in self.stack.erp.parties("customers")}
        parked_ids = {item.what for item in parked if item.queue == "EventsDeadLetterQueue"}
        overwritten = 0
        for code, edit in sorted(last.items()):
            row.checked += 1
            held, changes = erp.get(code, {}), edit.changes
            if held.get("firstName") == changes["FirstName"] and held.get("lastName") == changes["LastName"]:
                row.ok += 1
            elif f"customer {edit.norce_id}" in parked_ids:
                row.parked += 1
            else:
                row.lost += 1
                holds = f"{held.get('firstName')} {held.get('lastName')}"
                edited = f"{changes['FirstName']} {changes['LastName']}"
                cause = self._imported_after(code, edit.at)
                overwritten += bool(cause)
                self.findings.append(
                    f"customer {code}: the ERP holds {holds}, the last edit was {edited}{cause}"
                )
        edits = len(self.journal.edits)
        row.notes.append(f"{edits} edits in Norce of {len(last)} customers; the last one counts")
        if overwritten:
            row.notes.append(f"{overwritten} overwritten in Norce by a delta import before reaching the ERP")
        return row

    def _imported_after(self, code: str, moment: float) -> str:
        """Why an edit may be gone: an ImportCustomers after it that carried the customer (Norce's log)."""
        with self.stack.norce.state.lock:
            imports = [dict(c) for c in self.stack.norce.calls if c["path"] == "Customer/ImportCustomers"]
        for call in imports:
            at = datetime.fromisoformat(call["at"]).timestamp()
            records: list[Any] = call["body"] if isinstance(call.get("body"), list) else []
            if at > moment and any(isinstance(r, dict) and r.get("Code") == code for r in records):
                return f" (a delta import {at - moment:.1f} s after the edit carried the ERP's data over it)"
        return ""


def _outbox(stack: LocalStack) -> list[dict[str, Any]]:
    """The captured e-mails, read from the file itself (a torn last line is skipped)."""
    try:
        data = stack.outbox.read_bytes()
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in data.split(b"\n")[:-1] if line.strip()]


def _parked(queue: str, message: dict[str, Any]) -> Parked:
    attributes = message.get("MessageAttributes") or {}
    reason = (attributes.get("FailureReason") or {}).get("StringValue")
    if not reason:
        receives = (message.get("Attributes") or {}).get("ApproximateReceiveCount", "?")
        reason = f"moved by SQS after {receives} receives (maxReceiveCount)"
    return Parked(queue, _what(message.get("Body") or ""), reason)


def _what(body: str) -> str:
    """The order, document or entity a parked message is about, in the audit's own words: a document's
    number, ``customer {Id}`` / ``company {Id}``, else the ClientOrderRef."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return body[:30]
    if not isinstance(parsed, dict):
        return body[:30]
    sources = [item for item in (parsed.get("body"), parsed) if isinstance(item, dict)]
    for source in sources:
        for key in ("NoteNo", "InvoiceNo"):
            if source.get(key):
                return str(source[key])
    for source in sources:
        for key, label in (("CustomerId", "customer"), ("CompanyId", "company")):
            if source.get(key) is not None:
                return f"{label} {source[key]}"
    for source in sources:
        for key in ("ClientOrderRef", "client_order_ref"):
            if source.get(key):
                return str(source[key])
    return body[:30]
