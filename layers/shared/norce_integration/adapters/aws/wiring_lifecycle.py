"""Building the lifecycle flow (push API, poll, processor) from AWS and HTTP adapters, once per instance."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from norce_integration.adapters.aws.dynamodb_documents import (
    DynamoDbDocumentLedger,
    DynamoDbOrderIndex,
    DynamoDbWatermarks,
)
from norce_integration.adapters.aws.dynamodb_records import DynamoDbOrderRecords
from norce_integration.adapters.aws.s3_archive import S3Archive
from norce_integration.adapters.aws.sqs_documents import SqsDocumentDeadLetters, SqsDocumentQueue
from norce_integration.adapters.aws.wiring import (
    api_key_authenticator,
    aws_client,
    http_erp,
    http_norce,
)
from norce_integration.intake.api_keys import ApiKeyAuthenticator
from norce_integration.lifecycle.intake import DocumentIntake
from norce_integration.lifecycle.poll import DocumentPoll
from norce_integration.lifecycle.service import LifecycleProcessor
from norce_integration.settings import ErpPollSettings, ErpPushSettings, LifecycleSettings

if TYPE_CHECKING:
    from norce_integration.erp.ports import Erp
    from norce_integration.norce.ports import NorceConnect, NorceQuery


def _intake(dynamodb: Any, sqs: Any, table: str, queue_url: str) -> DocumentIntake:
    return DocumentIntake(
        index=DynamoDbOrderIndex(dynamodb, table),
        queue=SqsDocumentQueue(sqs, queue_url),
        records=DynamoDbOrderRecords(dynamodb, table),
    )


@dataclass
class PushComponents:
    intake: DocumentIntake
    authenticator: ApiKeyAuthenticator


def build_push(settings: ErpPushSettings) -> PushComponents:
    intake = _intake(
        aws_client("dynamodb"), aws_client("sqs"), settings.orders_table, settings.lifecycle_queue_url
    )
    keys = api_key_authenticator(
        settings.api_keys_secret_arn, settings.keys_cache_seconds, "ERP push API keys"
    )
    return PushComponents(intake, keys)


def build_poll(settings: ErpPollSettings, erp: "Erp | None" = None) -> DocumentPoll:
    dynamodb = aws_client("dynamodb")
    return DocumentPoll(
        erp=erp or http_erp(settings.erp, settings.secrets_cache_seconds),
        intake=_intake(dynamodb, aws_client("sqs"), settings.orders_table, settings.lifecycle_queue_url),
        watermarks=DynamoDbWatermarks(dynamodb, settings.orders_table),
        max_documents=settings.max_documents,
        unknown_order_grace_seconds=settings.unknown_order_grace_seconds,
    )


@dataclass
class LifecycleComponents:
    processor: LifecycleProcessor
    dead_letters: SqsDocumentDeadLetters
    sqs: Any
    settings: LifecycleSettings


def build_lifecycle(
    settings: LifecycleSettings,
    norce: "NorceConnect | None" = None,
    norce_query: "NorceQuery | None" = None,
    clock: Callable[[], float] | None = None,
) -> LifecycleComponents:
    """AWS adapters from ``settings``; Norce over HTTP unless given (tests)."""
    dynamodb, sqs = aws_client("dynamodb"), aws_client("sqs")
    query: NorceQuery | None
    if norce is None:
        connect, query = http_norce(
            settings.norce, dynamodb, settings.orders_table, settings.secrets_cache_seconds
        )
    else:
        connect, query = norce, norce_query
    processor = LifecycleProcessor(
        ledger=DynamoDbDocumentLedger(dynamodb, settings.orders_table),
        records=DynamoDbOrderRecords(dynamodb, settings.orders_table),
        archive=S3Archive(aws_client("s3"), settings.archive_bucket),
        norce=connect,
        query=query,
        account_id=settings.norce.account_id,
        wait_seconds=settings.wait_seconds,
        retry_wait_seconds=settings.retry_base_seconds,
    )
    if clock is not None:
        processor.clock = clock
    return LifecycleComponents(
        processor, SqsDocumentDeadLetters(sqs, settings.lifecycle_dlq_url), sqs, settings
    )
