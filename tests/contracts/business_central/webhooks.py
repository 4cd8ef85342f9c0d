"""Business Central's webhook subscriptions and notifications.

learn.microsoft.com api-reference/v2.0/dynamics-subscriptions ("Working with webhooks"),
api-reference/v2.0/resources/dynamics_subscriptions and api/dynamics_subscriptions_{create,update,delete};
the notification's fields: BaseApp ``APIWebhookNotificationSend.Codeunit.al`` (microsoft/BCApps
src/Layers/W1/BaseApp/System/API/Webhooks), which writes subscriptionId, clientState, expirationDateTime,
resource, changeType and lastModifiedDateTime.
"""

from typing import Any

from tests.contracts.business_central.base import DATETIME, GUID, described, enum, text

SOURCE = (
    "learn.microsoft.com/dynamics365/business-central/dev-itpro/api-reference/v2.0/dynamics-subscriptions"
)
FIELDS: dict[str, tuple[Any, str]] = {
    "subscriptionId": (str, "resources/dynamics_subscriptions: Unique key for the subscription"),
    "notificationUrl": (str, "URL to which webhook notifications are sent"),
    "resource": (str, "URL for the resource being subscribed to (relative or absolute)"),
    "timestamp": (int, "int64"),
    "userId": (GUID, "The ID of user that has created the subscription"),
    "lastModifiedDateTime": (DATETIME, "Read-Only"),
    "clientState": (text(2048), '"optionalValueOf2048"'),
    "expirationDateTime": (DATETIME, "three days after it was created or renewed"),
    "systemCreatedAt": (DATETIME, ""),
    "systemCreatedBy": (GUID, ""),
    "systemModifiedAt": (DATETIME, ""),
    "systemModifiedBy": (GUID, ""),
}
Subscription = described("subscription", SOURCE, {"@odata.etag": (str, "OData entity tag"), **FIELDS})
# POST creates and PATCH renews (both make BC do the handshake): notificationUrl, resource, clientState.
SubscriptionWrite = described(
    "subscriptionWrite",
    SOURCE,
    {k: FIELDS[k] for k in ("notificationUrl", "resource", "clientState")},
    required=("notificationUrl", "resource"),
)

NOTIFICATION_FIELDS: dict[str, tuple[Any, str]] = {
    "subscriptionId": (str, "APIWebhookNotificationSend: 'subscriptionId'"),
    "clientState": (str, "'clientState'"),
    "expirationDateTime": (DATETIME, "'expirationDateTime'"),
    "resource": (
        str,
        "'resource': the entity, or for a collection the set with a lastModifiedDateTime filter",
    ),
    "changeType": (enum("created", "updated", "deleted", "collection"), "'changeType'"),
    "lastModifiedDateTime": (DATETIME, "'lastModifiedDateTime'"),
}
Notification = described("notification", SOURCE, NOTIFICATION_FIELDS, required=tuple(NOTIFICATION_FIELDS))
NotificationBody = described(
    "notificationBody",
    SOURCE,
    {"value": (list[Notification], '{"value": [...]}')},
    required=("value",),  # type: ignore[valid-type]
)
