"""The order intake service: from raw request body to a durable, de-duplicated queue message.

The guarantee: Norce gets ``OK`` only after the order is archived *and* queued; a repeated
ClientOrderRef gets the first answer and is never queued again; a crash at any point either lets
Norce's retry finish the job or leaves a queued message that the ledger recognises as the one
to process (see ``IntakeLedger.admit``). The algorithm is documented in docs/architecture.md.
"""

import functools
import hashlib
import time
import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import quote

from norce_integration.codec import ForbiddenXml, MalformedBody, WireFormat
from norce_integration.codec.json_codec import parse_json
from norce_integration.codec.xml_codec import model_from_root, parse_root, parse_xml
from norce_integration.contracts import OrderRequest, OrderResponse
from norce_integration.failures import DependencyUnavailable
from norce_integration.intake.ports import OrderQueue
from norce_integration.intake.validation import business_problems, failure_description
from norce_integration.orders.ledger import IntakeLedger, LedgerEntry, LedgerState, QueuedOrder
from norce_integration.orders.records import OrderArchive

NO_APPLICATION = "-"
BUSY_MESSAGE = "The order is being received by another request; retry later"
UNAVAILABLE_MESSAGE = "Temporarily unavailable, retry later"


class Outcome(StrEnum):
    ACCEPTED = "accepted"  # new order, archived and queued
    DUPLICATE = "duplicate"  # same ClientOrderRef and content as an accepted order
    REJECTED = "rejected"  # business error: Failed OrderResponse
    CONFLICT = "conflict"  # same ClientOrderRef, different content: Failed OrderResponse
    FORBIDDEN = "forbidden"  # unsafe XML: HTTP 400
    BUSY = "busy"  # another copy is being received right now: HTTP 503, Norce retries
    UNAVAILABLE = "unavailable"  # a dependency failed: HTTP 503, Norce retries


@dataclass(frozen=True, slots=True)
class IntakeResult:
    outcome: Outcome
    http_status: int
    response: OrderResponse | None = None
    message: str | None = None  # for non-200 answers: what Norce sees
    reason: str | None = None  # for our logs only (which dependency failed)
    client_order_ref: str | None = None
    namespace: str | None = None  # XML namespace to answer in


@dataclass(slots=True)
class IntakeSettings:
    lease_seconds: float = 60.0  # must exceed the receiver's timeout: a live attempt is never taken over
    busy_wait_seconds: float = 5.0  # how long a concurrent copy waits for the first one to finish
    busy_poll_seconds: float = 0.1
    record_ttl_days: int = 90
    allowed_currencies: frozenset[str] | None = None


@dataclass(slots=True)
class Clock:
    now: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep


@dataclass(slots=True)
class OrderIntake:
    ledger: IntakeLedger
    archive: OrderArchive
    queue: OrderQueue
    settings: IntakeSettings = field(default_factory=IntakeSettings)
    clock: Clock = field(default_factory=Clock)
    new_token: Callable[[], str] = lambda: uuid.uuid4().hex

    def receive(self, body: bytes, wire_format: WireFormat) -> IntakeResult:
        """Read, validate and accept one OrderRequest body; never raises for bad input."""
        namespace: str | None = None
        lines_known_valid = False
        try:
            if wire_format is WireFormat.XML:
                from norce_integration.codec import xml_screen  # noqa: PLC0415 - not on a JSON cold start

                root = parse_root(body)
                # Lines libxml2 finds certainly valid are not read into Python (most of a large order).
                lines_known_valid = xml_screen.items_certainly_valid(root)
                skip = frozenset({xml_screen.ITEMS}) if lines_known_valid else frozenset()
                order, type_problems, namespace = model_from_root(root, OrderRequest, skip)
                whole_order = functools.partial(_whole_xml_order, root) if lines_known_valid else None
            else:
                order, type_problems = parse_json(body, OrderRequest)
                whole_order = None
        except ForbiddenXml as error:
            return IntakeResult(Outcome.FORBIDDEN, 400, message=str(error))
        except MalformedBody as error:
            return self._rejected([str(error)], None, namespace)

        reported = frozenset(problem.split(":", 1)[0] for problem in type_problems)
        problems = type_problems + business_problems(
            order, self.settings.allowed_currencies, reported, lines_known_valid
        )
        if problems:
            return self._rejected(problems, order.ClientOrderRef, namespace)
        ref = order.ClientOrderRef or ""
        try:
            attempt = _Attempt.of(order, ref, self.new_token(), body, wire_format)
            outcome, response = self._accept_once(attempt, whole_order or (lambda: order), body, wire_format)
        except DependencyUnavailable as error:
            return IntakeResult(
                Outcome.UNAVAILABLE, 503, message=UNAVAILABLE_MESSAGE, reason=str(error), client_order_ref=ref
            )
        if response is None:
            return IntakeResult(outcome, 503, message=BUSY_MESSAGE, client_order_ref=ref)
        return IntakeResult(outcome, 200, response=response, client_order_ref=ref, namespace=namespace)

    def _rejected(self, problems: list[str], ref: str | None, namespace: str | None) -> IntakeResult:
        response = OrderResponse.failed(failure_description(problems))
        return IntakeResult(
            Outcome.REJECTED, 200, response=response, client_order_ref=ref, namespace=namespace
        )

    def _entry(self, attempt: "_Attempt", now: float) -> LedgerEntry:
        return LedgerEntry(
            attempt.key,
            LedgerState.IN_PROGRESS,
            attempt.fingerprint,
            attempt.token,
            now + self.settings.lease_seconds,
            archive_key=attempt.archive_key,
        )

    def _claim(self, attempt: "_Attempt") -> LedgerEntry | None:
        """Claim the ref for this attempt; the existing entry when someone else has it."""
        now = self.clock.now()
        return self.ledger.claim(
            self._entry(attempt, now), expires_at=int(now + self.settings.record_ttl_days * 86400)
        )

    def _accept_once(
        self, attempt: "_Attempt", order: Callable[[], OrderRequest], body: bytes, wire_format: WireFormat
    ) -> tuple[Outcome, OrderResponse | None]:
        """Claim, then archive and queue; or answer as the existing entry says. ``None``: busy.

        ``order``: the whole order, read only to compare it with an accepted one in other bytes."""
        existing = self._claim(attempt)
        deadline = self.clock.now() + self.settings.busy_wait_seconds
        while existing is not None:
            if existing.state is LedgerState.ACCEPTED and existing.response is not None:
                if existing.fingerprint == attempt.fingerprint or self._same_order(existing, order):
                    return Outcome.DUPLICATE, OrderResponse.model_validate(existing.response)
                return Outcome.CONFLICT, OrderResponse.failed(
                    f"Order rejected: ClientOrderRef {attempt.ref} was already received with different "
                    "content; a changed order needs a new ClientOrderRef."
                )
            now = self.clock.now()
            if existing.lease_until <= now:
                # The attempt that claimed it died before anyone was told OK: finish the job with this body.
                if self.ledger.take_over(existing.token, self._entry(attempt, now), now):
                    break
            elif now >= deadline:
                return Outcome.BUSY, None
            else:
                self.clock.sleep(self.settings.busy_poll_seconds)
            existing = self.ledger.get(attempt.key) or self._claim(attempt)  # released: claim afresh
        return self._archive_and_queue(attempt, body, wire_format)

    def _same_order(self, accepted: LedgerEntry, order: Callable[[], OrderRequest]) -> bool:
        """Same content in other bytes (other format, whitespace, field order)? Compares the parsed orders;
        only runs for a duplicate whose body differs from the accepted one, which is rare."""
        if not accepted.archive_key:
            return False
        original_body = self.archive.get(accepted.archive_key)
        try:
            if accepted.archive_key.endswith(".xml"):
                original, _, _ = parse_xml(original_body, OrderRequest)
            else:
                original, _ = parse_json(original_body, OrderRequest)
        except (MalformedBody, ForbiddenXml):
            return False
        return original.model_dump(exclude_none=True) == order().model_dump(exclude_none=True)

    def _archive_and_queue(
        self, attempt: "_Attempt", body: bytes, wire_format: WireFormat
    ) -> tuple[Outcome, OrderResponse | None]:
        response = OrderResponse.allocated()
        try:
            self.archive.put(attempt.archive_key, body, wire_format.media_type)
            self.queue.send(
                QueuedOrder(
                    key=attempt.key,
                    client_order_ref=attempt.ref,
                    application_key=attempt.application_key,
                    token=attempt.token,
                    archive_key=attempt.archive_key,
                    wire_format=wire_format.value,
                    fingerprint=attempt.fingerprint,
                    received_at=self.clock.now(),
                )
            )
        except DependencyUnavailable:
            with suppress(DependencyUnavailable):  # if this fails too, the lease runs out on its own
                self.ledger.release(attempt.key, attempt.token)
            raise
        if self.ledger.complete(attempt.key, attempt.token, response.model_dump(mode="json")):
            return Outcome.ACCEPTED, response
        # Our claim was taken over (this attempt outlived its lease): the other attempt's outcome wins.
        current = self.ledger.get(attempt.key)
        if current is not None and current.state is LedgerState.ACCEPTED and current.response is not None:
            return Outcome.DUPLICATE, OrderResponse.model_validate(current.response)
        return Outcome.BUSY, None


@dataclass(frozen=True, slots=True)
class _Attempt:
    """One request's identity in the ledger, and where its body is archived."""

    key: str
    ref: str
    application_key: str | None
    fingerprint: str
    token: str
    archive_key: str

    @classmethod
    def of(
        cls, order: OrderRequest, ref: str, token: str, body: bytes, wire_format: WireFormat
    ) -> "_Attempt":
        fingerprint = body_fingerprint(body)
        archive_key = (
            f"orders/{quote(order.application_key or NO_APPLICATION, safe='')}/"
            f"{quote(ref, safe='')}/{fingerprint[:32]}.{wire_format.value}"
        )
        return cls(
            ledger_key(order.application_key, ref),
            ref,
            order.application_key,
            fingerprint,
            token,
            archive_key,
        )


def _whole_xml_order(root: object) -> OrderRequest:
    """The order with its lines, from the parsed root (only needed for a duplicate in other bytes)."""
    return model_from_root(root, OrderRequest)[0]


def ledger_key(application_key: str | None, client_order_ref: str) -> str:
    """Duplicates are detected per application: two applications may use the same ref."""
    return f"ORDER#{application_key or NO_APPLICATION}#{client_order_ref}"


def body_fingerprint(body: bytes) -> str:
    """Identity of the exact bytes: cheap (1 ms for a 2 MB order), so the common duplicate, a byte-identical
    retry, needs no parsing; a duplicate in other bytes is compared as parsed orders (``_same_order``)."""
    return hashlib.sha256(body).hexdigest()
