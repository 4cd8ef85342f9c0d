"""Order processing (``order_processor``) and the write-back of ERP codes (``norce_writeback``)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from norce_integration.bootstrap.aws import aws_client
from norce_integration.bootstrap.erp import erp_for
from norce_integration.bootstrap.norce import norce_clients
from norce_integration.settings import ErpTarget, ProcessorSettings

if TYPE_CHECKING:
    from norce_integration.adapters.aws.sqs_processing import SqsDeadLetters
    from norce_integration.erp.ports import Erp
    from norce_integration.norce.ports import NorceConnect, NorceQuery
    from norce_integration.processing.service import OrderProcessor
    from norce_integration.processing.writeback import WritebackService


@dataclass
class ProcessingComponents:
    """What the processor and write-back handlers use, built once per Lambda instance."""

    processor: "OrderProcessor"
    writeback: "WritebackService"
    dead_letters: "SqsDeadLetters"
    sqs: Any
    settings: ProcessorSettings


def processing_from_env() -> ProcessingComponents:
    """Processing components from the environment; each handler module caches its own (one per instance)."""
    return build_processing(ProcessorSettings.from_env())


def build_processing(
    settings: ProcessorSettings,
    erp_factory: "Callable[[ErpTarget], Erp] | None" = None,
    norce: "NorceConnect | None" = None,
    norce_query: "NorceQuery | None" = None,
) -> ProcessingComponents:
    """AWS adapters from ``settings``; the ERP (``erp_for``, per routing target) and Norce over HTTP
    unless given (tests)."""
    from norce_integration.adapters.aws.dynamodb_documents import DynamoDbOrderIndex  # noqa: PLC0415
    from norce_integration.adapters.aws.dynamodb_jobs import DynamoDbJobRecords  # noqa: PLC0415
    from norce_integration.adapters.aws.dynamodb_ledger import DynamoDbLedger  # noqa: PLC0415
    from norce_integration.adapters.aws.dynamodb_records import DynamoDbOrderRecords  # noqa: PLC0415
    from norce_integration.adapters.aws.s3_archive import S3Archive  # noqa: PLC0415
    from norce_integration.adapters.aws.sqs_processing import SqsDeadLetters, SqsWritebackQueue  # noqa: PLC0415
    from norce_integration.processing.config import ProcessingConfig  # noqa: PLC0415
    from norce_integration.processing.service import OrderProcessor  # noqa: PLC0415
    from norce_integration.processing.writeback import WritebackService  # noqa: PLC0415

    dynamodb, sqs = aws_client("dynamodb"), aws_client("sqs")
    make_erp = erp_factory or (lambda target: erp_for(target, settings.secrets_cache_seconds))
    config = ProcessingConfig.from_json(settings.processing_config)
    connect: NorceConnect
    query: NorceQuery | None
    if norce is None:
        clients = norce_clients(settings, dynamodb)
        connect, query = clients.connect, clients.query
    else:
        connect, query = norce, norce_query
    records = DynamoDbOrderRecords(dynamodb, settings.orders_table)
    processor = OrderProcessor(
        ledger=DynamoDbLedger(dynamodb, settings.orders_table),
        archive=S3Archive(aws_client("s3"), settings.archive_bucket),
        erps={name: make_erp(target) for name, target in settings.erp_targets.items()},
        norce=connect,
        writebacks=SqsWritebackQueue(sqs, settings.writeback_queue_url),
        records=records,
        config=config,
        account_id=settings.norce.account_id,
        index=DynamoDbOrderIndex(dynamodb, settings.orders_table),
        lock_seconds=settings.lock_seconds,
    )
    writeback = WritebackService(
        connect,
        DynamoDbJobRecords(dynamodb, settings.orders_table),
        settings.norce.account_id,
        query=query,
        company_match=config.norce_company_match,
        records=records,
    )
    return ProcessingComponents(
        processor, writeback, SqsDeadLetters(sqs, settings.orders_dlq_url), sqs, settings
    )
