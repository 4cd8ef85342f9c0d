"""The Norce Event flow: the webhook receiver (``event_receiver``) and the event processor
(``event_processor``: e-mails, customer and company changes into the ERP, job ends)."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from norce_integration.api.api_keys import ApiKeyAuthenticator
from norce_integration.events.intake import EventIntake, Taken
from norce_integration.events.types import notification_types
from norce_integration.settings import EventProcessorSettings, EventReceiverSettings
from norce_integration.snapstart import Hook, rehearse_calls

if TYPE_CHECKING:
    from norce_integration.adapters.aws.sqs_events import SqsEventDeadLetters
    from norce_integration.erp.ports import Erp
    from norce_integration.events.ports import EventQuery, Notifier
    from norce_integration.events.service import EventProcessor
    from norce_integration.jobs.ports import JobService

CHANGE_NOTIFICATIONS = ("CustomerChangedNotification", "CompanyChangedNotification")
# One event of each outcome, for the init phase to take (in-memory queues: nothing is sent).
REHEARSAL_EVENTS = {
    "OrderConfirmedEvent": '{"ClientId":1,"ApplicationId":1,"OrderId":1,"OrderNo":"SNAPSTART-REHEARSAL",'
    '"ClientOrderRef":"SNAPSTART-REHEARSAL","Source":"WEB"}',
    "CustomerChangedNotification": '{"ClientId":1,"CustomerId":1,"EntityChanged":"tClientCustomer"}',
    "SkuChangedNotification": "{}",  # a type we do not act on
    "NoSuchEvent": "{}",  # an unknown type
    "OrderReceivedEvent": "[]",  # a body that can never be valid: parked
}


@dataclass
class ReceiverComponents:
    intake: EventIntake
    authenticator: ApiKeyAuthenticator


# The AWS and HTTP adapters (boto3, botocore, requests) are imported on first use: the webhook's cold start.


def build_event_receiver(settings: EventReceiverSettings) -> ReceiverComponents:
    from norce_integration.adapters.aws.sqs_events import SqsEventDeadLetters, SqsEventQueue  # noqa: PLC0415
    from norce_integration.bootstrap.auth import api_key_authenticator  # noqa: PLC0415
    from norce_integration.bootstrap.aws import aws_client  # noqa: PLC0415

    sqs = aws_client("sqs")
    intake = EventIntake(
        queue=SqsEventQueue(sqs, settings.events_queue_url),
        dead_letters=SqsEventDeadLetters(sqs, settings.events_dlq_url),
        notify=notification_types(settings.optional_notifications),
        delays=dict.fromkeys(CHANGE_NOTIFICATIONS, settings.change_delay_seconds),
    )
    keys = api_key_authenticator(
        settings.api_keys_secret_arn, settings.secrets_cache_seconds, "Norce Event API keys"
    )
    return ReceiverComponents(intake, keys)


def receiver_priming(
    settings: Callable[[], EventReceiverSettings],
    components: Callable[[], ReceiverComponents],
    answer: Callable[[Taken], object],
) -> tuple[Hook, ...]:
    """The init phase's steps (``snapstart.prime``): build the clients, read the API keys, take one event of
    each outcome through an ``EventIntake`` with in-memory queues and shape its answer with the handler's
    ``answer``, and rehearse the SQS call."""

    def read_keys() -> None:
        components().authenticator.is_authorized(None)  # reads the API keys secret; answers False

    def rehearse_request() -> None:
        from norce_integration.adapters.memory.events import InMemoryEventDeadLetters, InMemoryEventQueue  # noqa: PLC0415

        live = components().intake
        rehearsal = EventIntake(
            InMemoryEventQueue(), InMemoryEventDeadLetters(), live.notify, dict(live.delays)
        )
        for event_type, body in REHEARSAL_EVENTS.items():
            answer(rehearsal.take(event_type, body))

    def rehearse_aws_calls() -> None:
        from norce_integration.adapters.aws.sqs_events import SqsEventQueue  # noqa: PLC0415

        rehearse_calls(SqsEventQueue.rehearsals(settings().events_queue_url), components())

    return (settings, components, read_keys, rehearse_request, rehearse_aws_calls)


@dataclass
class ProcessorComponents:
    processor: "EventProcessor"
    dead_letters: "SqsEventDeadLetters"
    sqs: Any
    settings: EventProcessorSettings


def notifier_from(settings: EventProcessorSettings) -> "Notifier":
    if settings.notifier == "outbox":
        from norce_integration.adapters.outbox_notifier import OutboxNotifier  # noqa: PLC0415

        return OutboxNotifier(Path(settings.outbox_path or "/tmp/norce-outbox.jsonl"))  # noqa: S108
    if settings.notifier != "ses":
        raise ValueError(f"NOTIFIER must be 'ses' or 'outbox', not {settings.notifier!r}")
    from norce_integration.adapters.aws.ses_notifier import SesNotifier  # noqa: PLC0415
    from norce_integration.bootstrap.aws import AT_MOST_ONCE, aws_client  # noqa: PLC0415

    # No SDK retries: a retried send after a lost answer could send the e-mail twice. The queue retries.
    client = aws_client("sesv2", AT_MOST_ONCE)
    return SesNotifier(client, settings.sender, list(settings.reply_to), settings.configuration_set)


def build_event_processor(
    settings: EventProcessorSettings,
    erp: "Erp | None" = None,
    query: "EventQuery | None" = None,
    job_log: "JobService | None" = None,
    notifier: "Notifier | None" = None,
) -> ProcessorComponents:
    """AWS adapters from ``settings``; the ERP, Norce and the mail service are real unless given (tests)."""
    from norce_integration.adapters.aws.dynamodb_documents import DynamoDbOrderIndex  # noqa: PLC0415
    from norce_integration.adapters.aws.dynamodb_events import (  # noqa: PLC0415
        DynamoDbNotificationLedger,
        DynamoDbSyncStates,
    )
    from norce_integration.adapters.aws.dynamodb_imports import DynamoDbImportStore  # noqa: PLC0415
    from norce_integration.adapters.aws.dynamodb_jobs import DynamoDbJobRecords  # noqa: PLC0415
    from norce_integration.adapters.aws.dynamodb_own_writes import DynamoDbOwnWrites  # noqa: PLC0415
    from norce_integration.adapters.aws.dynamodb_records import DynamoDbOrderRecords  # noqa: PLC0415
    from norce_integration.adapters.aws.sqs_events import SqsEventDeadLetters  # noqa: PLC0415
    from norce_integration.bootstrap.aws import aws_client  # noqa: PLC0415
    from norce_integration.bootstrap.erp import erp_for  # noqa: PLC0415
    from norce_integration.bootstrap.norce import norce_clients  # noqa: PLC0415
    from norce_integration.events.captures import CaptureResults  # noqa: PLC0415
    from norce_integration.events.notifications import NotificationService  # noqa: PLC0415
    from norce_integration.events.rendering import TemplateRenderer  # noqa: PLC0415
    from norce_integration.events.service import EventProcessor  # noqa: PLC0415
    from norce_integration.events.sync import ChangeSync  # noqa: PLC0415
    from norce_integration.jobs.completion import JobCompletion  # noqa: PLC0415

    dynamodb, sqs = aws_client("dynamodb"), aws_client("sqs")
    if query is None or job_log is None:
        clients = norce_clients(settings, dynamodb)
        query = query or clients.event_query(
            settings.query_version, settings.country_codes, settings.currency_codes
        )
        job_log = job_log or clients.connect
    notify = notification_types(settings.optional_notifications)
    processor = EventProcessor(
        notify=notify,
        notifications=NotificationService(
            query=query,
            renderer=TemplateRenderer(settings.default_language, shop_name=settings.shop_name),
            notifier=notifier or notifier_from(settings),
            ledger=DynamoDbNotificationLedger(dynamodb, settings.orders_table, settings.email_lease_seconds),
            shop_name=settings.shop_name,
        ),
        changes=ChangeSync(
            query=query,
            erp=erp or erp_for(settings.erp, settings.secrets_cache_seconds),
            states=DynamoDbSyncStates(dynamodb, settings.orders_table),
            customer_entities=settings.customer_entities,
            company_entities=settings.company_entities,
            own_writes=DynamoDbOwnWrites(dynamodb, settings.orders_table),
            claim_seconds=settings.sync_claim_seconds,
        ),
        jobs=JobCompletion(
            DynamoDbJobRecords(dynamodb, settings.orders_table),
            job_log,
            full_imports=DynamoDbImportStore(dynamodb, settings.orders_table),
        ),
        captures=CaptureResults(
            query=query,
            index=DynamoDbOrderIndex(dynamodb, settings.orders_table),
            records=DynamoDbOrderRecords(dynamodb, settings.orders_table),
        ),
    )
    return ProcessorComponents(processor, SqsEventDeadLetters(sqs, settings.events_dlq_url), sqs, settings)
