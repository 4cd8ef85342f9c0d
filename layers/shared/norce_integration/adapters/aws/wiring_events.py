"""Building the Norce Event flow (webhook receiver, event processor) from AWS and HTTP adapters."""

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.config import Config

from norce_integration.adapters.aws.sqs_events import SqsEventDeadLetters, SqsEventQueue
from norce_integration.adapters.aws.wiring import (
    _AWS_CONFIG,
    api_key_authenticator,
    aws_client,
    http_erp,
    norce_auth,
)
from norce_integration.events.intake import EventIntake
from norce_integration.events.types import notification_types
from norce_integration.intake.api_keys import ApiKeyAuthenticator
from norce_integration.settings import EventProcessorSettings, EventReceiverSettings

if TYPE_CHECKING:
    from norce_integration.erp.ports import Erp
    from norce_integration.events.ports import EventQuery, Notifier
    from norce_integration.events.service import EventProcessor
    from norce_integration.jobs.ports import JobLog

CHANGE_NOTIFICATIONS = ("CustomerChangedNotification", "CompanyChangedNotification")


@dataclass
class ReceiverComponents:
    intake: EventIntake
    authenticator: ApiKeyAuthenticator


def build_event_receiver(settings: EventReceiverSettings) -> ReceiverComponents:
    sqs = aws_client("sqs")
    intake = EventIntake(
        queue=SqsEventQueue(sqs, settings.events_queue_url),
        dead_letters=SqsEventDeadLetters(sqs, settings.events_dlq_url),
        notify=notification_types(settings.optional_notifications),
        delays=dict.fromkeys(CHANGE_NOTIFICATIONS, settings.change_delay_seconds),
    )
    keys = api_key_authenticator(
        settings.api_keys_secret_arn, settings.keys_cache_seconds, "Norce Event API keys"
    )
    return ReceiverComponents(intake, keys)


@dataclass
class ProcessorComponents:
    processor: "EventProcessor"
    dead_letters: SqsEventDeadLetters
    sqs: Any
    settings: EventProcessorSettings


def notifier_from(settings: EventProcessorSettings) -> "Notifier":
    if settings.notifier == "outbox":
        from norce_integration.adapters.outbox_notifier import OutboxNotifier  # noqa: PLC0415

        return OutboxNotifier(Path(settings.outbox_path or "/tmp/norce-outbox.jsonl"))  # noqa: S108
    if settings.notifier != "ses":
        raise ValueError(f"NOTIFIER must be 'ses' or 'outbox', not {settings.notifier!r}")
    import boto3  # noqa: PLC0415

    from norce_integration.adapters.aws.ses_notifier import SesNotifier  # noqa: PLC0415

    # No SDK retries: a retried send after a lost answer could send the e-mail twice. The queue retries.
    once = _AWS_CONFIG.merge(Config(retries={"max_attempts": 1, "mode": "standard"}))
    client = boto3.session.Session().client("sesv2", config=once)
    return SesNotifier(client, settings.sender, list(settings.reply_to), settings.configuration_set)


def build_event_processor(
    settings: EventProcessorSettings,
    erp: "Erp | None" = None,
    query: "EventQuery | None" = None,
    job_log: "JobLog | None" = None,
    notifier: "Notifier | None" = None,
) -> ProcessorComponents:
    """AWS adapters from ``settings``; the ERP, Norce and the mail service are real unless given (tests)."""
    from norce_integration.adapters.aws.dynamodb_events import DynamoDbNotificationLedger, DynamoDbSyncStates  # noqa: PLC0415
    from norce_integration.adapters.aws.dynamodb_imports import DynamoDbImportStore  # noqa: PLC0415
    from norce_integration.adapters.aws.dynamodb_jobs import DynamoDbJobRecords  # noqa: PLC0415
    from norce_integration.events.notifications import TemplateRenderer  # noqa: PLC0415
    from norce_integration.events.notify import NotificationService  # noqa: PLC0415
    from norce_integration.events.service import EventProcessor  # noqa: PLC0415
    from norce_integration.events.sync import ChangeSync  # noqa: PLC0415
    from norce_integration.jobs.completion import JobCompletion  # noqa: PLC0415

    dynamodb, sqs = aws_client("dynamodb"), aws_client("sqs")
    if query is None or job_log is None:
        from norce_integration.adapters.http.event_query import HttpEventQuery  # noqa: PLC0415
        from norce_integration.adapters.http.norce_connect import HttpNorceConnect, NorceHttp  # noqa: PLC0415

        norce = settings.norce
        auth = norce_auth(norce, dynamodb, settings.orders_table, settings.secrets_cache_seconds)
        query = query or HttpEventQuery(
            NorceHttp(norce.query_url, application_id=norce.application_id, **auth), settings.query_version
        )
        job_log = job_log or HttpNorceConnect(norce.connect_url, application_id=norce.application_id, **auth)
    notify = notification_types(settings.optional_notifications)
    processor = EventProcessor(
        notify=notify,
        notifications=NotificationService(
            query=query,
            renderer=TemplateRenderer(settings.default_language, shop_name=settings.shop_name),
            notifier=notifier or notifier_from(settings),
            ledger=DynamoDbNotificationLedger(dynamodb, settings.orders_table),
            shop_name=settings.shop_name,
        ),
        changes=ChangeSync(
            query=query,
            erp=erp or http_erp(settings.erp, settings.secrets_cache_seconds),
            states=DynamoDbSyncStates(dynamodb, settings.orders_table),
            customer_entities=settings.customer_entities,
            company_entities=settings.company_entities,
        ),
        jobs=JobCompletion(
            DynamoDbJobRecords(dynamodb, settings.orders_table),
            job_log,
            full_imports=DynamoDbImportStore(dynamodb, settings.orders_table),
        ),
    )
    return ProcessorComponents(processor, SqsEventDeadLetters(sqs, settings.events_dlq_url), sqs, settings)
