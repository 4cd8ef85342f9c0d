"""The lifecycle flow: the ERP's push API (``erp_push``), the poll of its change feed (``erp_poll``) and the
processor that sends each document to Norce (``lifecycle_processor``)."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from norce_integration.api.api_keys import ApiKeyAuthenticator
from norce_integration.lifecycle import validation
from norce_integration.lifecycle.archived import ArchivedOrders
from norce_integration.lifecycle.bounds import Bounds, QuantityBasis
from norce_integration.lifecycle.documents import Kind
from norce_integration.lifecycle.intake import Accepted, DocumentIntake, Refused
from norce_integration.settings import (
    DocumentRules,
    ErpPollSettings,
    ErpPushSettings,
    ErpWebhookSettings,
    LifecycleSettings,
)
from norce_integration.snapstart import Hook, merged, rehearse_calls

if TYPE_CHECKING:
    from norce_integration.adapters.aws.sqs_documents import SqsDocumentDeadLetters
    from norce_integration.erp.ports import Erp
    from norce_integration.lifecycle.poll import DocumentPoll
    from norce_integration.lifecycle.service import LifecycleProcessor
    from norce_integration.norce.ports import NorceConnect, NorceQuery


# The AWS and HTTP adapters (boto3, botocore, requests) are imported on first use: the push API's cold start.


def document_rules(rules: DocumentRules) -> tuple[Bounds, frozenset[str]]:
    """The configured bounds and accepted statuses; ``ValueError`` naming the variable that is wrong."""
    try:
        basis = QuantityBasis(rules.invoice_quantity_basis)
    except ValueError:
        raise ValueError(
            f"INVOICE_QUANTITY_BASIS is {rules.invoice_quantity_basis!r}: it must be ordered or delivered"
        ) from None
    tolerances = []
    for name, text in (
        ("INVOICE_FREIGHT_TOLERANCE", rules.invoice_freight_tolerance),
        ("INVOICE_ROUNDING_TOLERANCE", rules.invoice_rounding_tolerance),
    ):
        try:
            amount = Decimal(text)
        except InvalidOperation:
            amount = Decimal("NaN")
        if not amount.is_finite() or amount < 0:
            raise ValueError(f"{name} is {text!r}: it must be an amount of 0 or more")
        tolerances.append(amount)
    unknown = sorted(set(rules.extra_order_statuses) - set(validation.LEGACY_STATUSES))
    if unknown:
        raise ValueError(
            f"EXTRA_ORDER_STATUSES names {', '.join(unknown)}: only Norce's older statuses may be added "
            f"({', '.join(validation.LEGACY_STATUSES)})"
        )
    statuses = validation.statuses_accepted(frozenset(rules.extra_order_statuses))
    return Bounds(basis, tolerances[0], tolerances[1]), statuses


def document_intake(
    dynamodb: Any, sqs: Any, s3: Any, settings: "ErpPushSettings | ErpPollSettings | ErpWebhookSettings"
) -> DocumentIntake:
    """The door every ERP document passes, pushed, polled or notified: the same rules for all three."""
    from norce_integration.adapters.aws.dynamodb_documents import (  # noqa: PLC0415
        DynamoDbAcceptedBooks,
        DynamoDbOrderIndex,
    )
    from norce_integration.adapters.aws.dynamodb_records import DynamoDbOrderRecords  # noqa: PLC0415
    from norce_integration.adapters.aws.s3_archive import S3Archive  # noqa: PLC0415
    from norce_integration.adapters.aws.sqs_documents import SqsDocumentQueue  # noqa: PLC0415

    rules, statuses = document_rules(settings.rules)
    return DocumentIntake(
        index=DynamoDbOrderIndex(dynamodb, settings.orders_table),
        queue=SqsDocumentQueue(sqs, settings.lifecycle_queue_url),
        records=DynamoDbOrderRecords(dynamodb, settings.orders_table),
        books=DynamoDbAcceptedBooks(dynamodb, settings.orders_table),
        orders=ArchivedOrders(S3Archive(s3, settings.archive_bucket)),
        rules=rules,
        statuses=statuses,
    )


REHEARSAL_REF = "900000001"  # a basket id, as Norce's ClientOrderRef is
REHEARSAL_ORDER = {
    "ClientOrderRef": REHEARSAL_REF,
    "CurrencyCode": "SEK",
    "Items": [{"LineNo": 1, "PartNo": "REHEARSAL", "Quantity": 2, "UnitPrice": 100.0, "UnitVat": 25.0}],
}
_REHEARSAL_ITEM = {"LineNo": 1, "PartNo": "REHEARSAL", "Quantity": 1, "UnitPrice": 100.0, "UnitVat": 25.0}
_REHEARSAL_INVOICE = {
    "ClientOrderRef": REHEARSAL_REF,
    "InvoiceDate": "2026-01-01T00:00:00Z",
    "CurrencyCode": "SEK",
    "Items": [{**_REHEARSAL_ITEM, "VatRate": 25.0, "LineAmount": 100.0}],
    "Vat": 25.0,
    "TotalAmount": 125.0,
}
# One document of each kind, for the init phase to take through the intake (nothing is queued).
REHEARSALS: dict[Kind, dict[str, Any]] = {
    Kind.STATUS: {"ClientOrderRef": REHEARSAL_REF, "OrderStatus": "Confirmed"},
    Kind.DELIVERY_NOTE: {
        "ClientOrderRef": REHEARSAL_REF,
        "NoteNo": "DN-REHEARSAL",
        "DeliveryDate": "2026-01-01T00:00:00Z",
        "DeliverynoteItems": [{"RowNumber": 1, "ItemNo": "REHEARSAL", "Qty": 1}],
    },
    Kind.INVOICE: {**_REHEARSAL_INVOICE, "InvoiceNo": "INV-REHEARSAL"},
    Kind.CREDIT: {**_REHEARSAL_INVOICE, "InvoiceNo": "CN-REHEARSAL", "CreditedInvoiceNo": "INV-REHEARSAL"},
}


@dataclass
class PushComponents:
    intake: DocumentIntake
    authenticator: ApiKeyAuthenticator


def build_push(settings: ErpPushSettings) -> PushComponents:
    from norce_integration.bootstrap.auth import api_key_authenticator  # noqa: PLC0415
    from norce_integration.bootstrap.aws import aws_client  # noqa: PLC0415

    intake = document_intake(aws_client("dynamodb"), aws_client("sqs"), aws_client("s3"), settings)
    keys = api_key_authenticator(
        settings.api_keys_secret_arn, settings.secrets_cache_seconds, "ERP push API keys"
    )
    return PushComponents(intake, keys)


def push_priming(
    settings: Callable[[], ErpPushSettings],
    components: Callable[[], PushComponents],
    answer: "Callable[[Accepted | Refused], object]",
) -> tuple[Hook, ...]:
    """The init phase's steps (``snapstart.prime``): build the clients, read the API keys, take one document
    of each kind through a ``DocumentIntake`` with in-memory ports (nothing is queued) and shape its answer
    with the handler's ``answer``, and rehearse the intake's AWS calls."""

    def read_keys() -> None:
        components().authenticator.is_authorized(None)  # reads the API keys secret; answers False

    def rehearse_request() -> None:
        from norce_integration.adapters.memory.intake import InMemoryArchive  # noqa: PLC0415
        from norce_integration.adapters.memory.lifecycle import (  # noqa: PLC0415
            InMemoryAcceptedBooks,
            InMemoryDocumentQueue,
            InMemoryOrderIndex,
        )
        from norce_integration.adapters.memory.processing import InMemoryOrderRecords  # noqa: PLC0415
        from norce_integration.lifecycle.screen import read_json  # noqa: PLC0415
        from norce_integration.orders.records import IndexedOrder  # noqa: PLC0415

        order_key, archive_key = f"ORDER#-#{REHEARSAL_REF}", "orders/rehearsal.json"
        index, records, archive = InMemoryOrderIndex(), InMemoryOrderRecords(), InMemoryArchive()
        index.remember(IndexedOrder(order_key, REHEARSAL_REF, "ERP-REHEARSAL"))
        archive.put(archive_key, json.dumps(REHEARSAL_ORDER).encode(), "application/json")
        records.note(order_key, "confirmed", 0.0, archive_key=archive_key)
        rehearsal = DocumentIntake(
            index, InMemoryDocumentQueue(), records, InMemoryAcceptedBooks(), ArchivedOrders(archive)
        )
        for kind, body in REHEARSALS.items():
            answer(rehearsal.accept(kind, read_json(json.dumps(body).encode()), source="push"))

    def rehearse_aws_calls() -> None:
        from norce_integration.adapters.aws.dynamodb_documents import (  # noqa: PLC0415
            DynamoDbAcceptedBooks,
            DynamoDbOrderIndex,
        )
        from norce_integration.adapters.aws.dynamodb_records import DynamoDbOrderRecords  # noqa: PLC0415
        from norce_integration.adapters.aws.sqs_documents import SqsDocumentQueue  # noqa: PLC0415

        calls = merged(
            DynamoDbOrderIndex.rehearsals(),
            DynamoDbOrderRecords.rehearsals(),
            DynamoDbAcceptedBooks.rehearsals(),
            SqsDocumentQueue.rehearsals(settings().lifecycle_queue_url),
        )
        rehearse_calls(calls, components())

    return (settings, components, read_keys, rehearse_request, rehearse_aws_calls)


def build_poll(settings: ErpPollSettings, erp: "Erp | None" = None) -> "DocumentPoll":
    from norce_integration.adapters.aws.dynamodb_documents import DynamoDbWatermarks  # noqa: PLC0415
    from norce_integration.bootstrap.aws import aws_client  # noqa: PLC0415
    from norce_integration.bootstrap.erp import erp_for  # noqa: PLC0415
    from norce_integration.lifecycle.poll import DocumentPoll  # noqa: PLC0415

    dynamodb = aws_client("dynamodb")
    return DocumentPoll(
        erp=erp or erp_for(settings.erp, settings.secrets_cache_seconds),
        intake=document_intake(dynamodb, aws_client("sqs"), aws_client("s3"), settings),
        watermarks=DynamoDbWatermarks(dynamodb, settings.orders_table),
        max_documents=settings.max_documents,
        workers=settings.workers,
        unknown_order_grace_seconds=settings.unknown_order_grace_seconds,
    )


@dataclass
class LifecycleComponents:
    processor: "LifecycleProcessor"
    dead_letters: "SqsDocumentDeadLetters"
    sqs: Any
    settings: LifecycleSettings


def build_lifecycle(
    settings: LifecycleSettings,
    norce: "NorceConnect | None" = None,
    norce_query: "NorceQuery | None" = None,
    clock: Callable[[], float] | None = None,
) -> LifecycleComponents:
    """AWS adapters from ``settings``; Norce over HTTP unless given (tests)."""
    from norce_integration.adapters.aws.dynamodb_documents import (  # noqa: PLC0415
        DynamoDbAcceptedBooks,
        DynamoDbDocumentLedger,
    )
    from norce_integration.adapters.aws.dynamodb_records import DynamoDbOrderRecords  # noqa: PLC0415
    from norce_integration.adapters.aws.s3_archive import S3Archive  # noqa: PLC0415
    from norce_integration.adapters.aws.sqs_documents import SqsDocumentDeadLetters  # noqa: PLC0415
    from norce_integration.bootstrap.aws import aws_client  # noqa: PLC0415
    from norce_integration.bootstrap.norce import norce_clients  # noqa: PLC0415
    from norce_integration.lifecycle.service import LifecycleProcessor  # noqa: PLC0415

    dynamodb, sqs = aws_client("dynamodb"), aws_client("sqs")
    connect: NorceConnect
    query: NorceQuery | None
    if norce is None:
        clients = norce_clients(settings, dynamodb)
        connect, query = clients.connect, clients.query
    else:
        connect, query = norce, norce_query
    rules, statuses = document_rules(settings.rules)
    processor = LifecycleProcessor(
        ledger=DynamoDbDocumentLedger(dynamodb, settings.orders_table),
        records=DynamoDbOrderRecords(dynamodb, settings.orders_table),
        archive=S3Archive(aws_client("s3"), settings.archive_bucket),
        norce=connect,
        query=query,
        account_id=settings.norce.account_id,
        wait_seconds=settings.wait_seconds,
        retry_wait_seconds=settings.retry_base_seconds,
        rules=rules,
        statuses=statuses,
        books=DynamoDbAcceptedBooks(dynamodb, settings.orders_table),
        lease_seconds=settings.lease_seconds,
    )
    if clock is not None:
        processor.clock = clock
    return LifecycleComponents(
        processor, SqsDocumentDeadLetters(sqs, settings.lifecycle_dlq_url), sqs, settings
    )
