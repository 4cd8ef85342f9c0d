"""Business Central's webhooks (``erp_webhook``): the notifications read into the lifecycle's intake, and the
subscriptions renewed on a schedule. Built only when ``ErpKind`` is ``business-central``."""

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from norce_integration.bootstrap.aws import aws_client
from norce_integration.bootstrap.erp import bc_api_for, bc_client_secret
from norce_integration.bootstrap.lifecycle import document_intake
from norce_integration.settings import ErpWebhookSettings

if TYPE_CHECKING:
    from norce_integration.adapters.http.business_central.webhooks import BcSubscriptions
    from norce_integration.lifecycle.notified import NotifiedDocuments

WEBHOOK_SLEEP_BUDGET = 3.0  # seconds a call may wait on Business Central's 429s: BC is waiting for our answer


@dataclass
class WebhookComponents:
    notified: "NotifiedDocuments"
    subscriptions: "BcSubscriptions"
    client_state: str


def build_webhook(settings: ErpWebhookSettings) -> WebhookComponents:
    from norce_integration.adapters.http.business_central.documents import BcDocuments  # noqa: PLC0415
    from norce_integration.adapters.http.business_central.webhooks import (  # noqa: PLC0415
        BcChanges,
        BcSubscriptions,
        client_state,
    )
    from norce_integration.lifecycle.notified import NotifiedDocuments  # noqa: PLC0415

    api = bc_api_for(settings.erp, settings.secrets_cache_seconds)
    api.caller.max_total_sleep = WEBHOOK_SLEEP_BUDGET
    state = client_state(bc_client_secret(settings.erp, settings.secrets_cache_seconds))
    intake = document_intake(aws_client("dynamodb"), aws_client("sqs"), aws_client("s3"), settings)
    notified = NotifiedDocuments(
        BcChanges(api, BcDocuments(api)), intake, budget_seconds=settings.read_budget_seconds
    )
    subscriptions = BcSubscriptions(
        api, settings.notification_url, state, renew_within=timedelta(hours=settings.renew_within_hours)
    )
    return WebhookComponents(notified, subscriptions, state)
