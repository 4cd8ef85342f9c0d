"""Webhooks in the Business Central simulator: subscriptions, their handshake, and the notifications sent.

As Business Central (learn.microsoft.com ``dynamics-subscriptions``; BaseApp ``APIWebhookNotificationSend``):
- creating or renewing a subscription POSTs ``{notificationUrl}?validationToken={token}``; the subscription is
  made only if the answer is 200 with exactly the token as its body (else 400, nothing saved: the message is
  our choice, BC documents none);
- a subscription lives 3 days (``expirationDateTime``) unless renewed; expired ones notify nothing;
- a change of a subscribed entity (a change of a document's line notifies its header) is sent after a
  delay (``delay_seconds``; BC waits 30 s), the notifications of one URL in one POST ``{"value": [...]}``
  with ``clientRequestId``. As BC aggregates them (``GenerateAggregateNotification``): an update merges
  into the entity's pending update, anything else is a notification of its own (a create then an update
  are two); ``max_notifications`` (BC: 1,000) for one subscription in one delay become one ``collection``
  notification whose resource filters ``lastModifiedDateTime``;
- an answer 408, 429 or 5xx (or none) is retried (``retries`` times, ``retry_seconds`` apart; BC tries for
  36 hours); any other non-2xx deletes the subscription.
"""

import threading
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from local.business_central.odata import ODataError

LIFETIME = timedelta(days=3)


@dataclass
class Delivery:
    url: str
    payload: dict[str, Any]
    attempts: list[int | str] = field(default_factory=list)  # status codes, or the error's name
    state: str = "pending"  # delivered, dropped (subscription deleted), failed


@dataclass
class Notifier:
    company_id: str
    delay_seconds: float = 0.3
    max_notifications: int = 1000
    retries: int = 3
    retry_seconds: float = 0.5
    handshake_timeout: float = 10.0
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)  # subscriptionId -> entity
    deliveries: list[Delivery] = field(default_factory=list)
    _pending: list[tuple[str, str, str, str]] = field(default_factory=list)  # set, id, change, when
    _timer: threading.Timer | None = None
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def handshake(self, url: str) -> None:
        token = uuid.uuid4().hex
        try:
            answer = requests.post(url, params={"validationToken": token}, timeout=self.handshake_timeout)
            ok = answer.status_code == 200 and answer.text == token
        except requests.RequestException:
            ok = False
        if not ok:
            raise ODataError(
                400,
                "BadRequest",
                "The subscription was not created: the notification URL did not answer the validation "
                "request with the validationToken.",
            )

    def changed(self, entity_set: str, id_: str, change: str, when: str) -> None:
        with self._lock:
            self._pending.append((entity_set, id_, change, when))
            if self._timer is None:
                self._timer = threading.Timer(self.delay_seconds, self.flush)
                self._timer.daemon = True
                self._timer.start()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending, self._timer = self._pending, [], None
        now = datetime.now(UTC)
        by_url: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for subscription in list(self.subscriptions.values()):
            if datetime.fromisoformat(subscription["expirationDateTime"].replace("Z", "+00:00")) < now:
                continue
            entity_set = subscription["resource"].rstrip("/").rsplit("/", 1)[-1]
            mine = [p for p in pending if p[0] == entity_set]
            by_url[subscription["notificationUrl"]] += self._notifications(subscription, entity_set, mine)
        for url, notifications in by_url.items():
            if notifications:
                self._send(url, {"value": notifications})

    def _notifications(
        self, subscription: dict[str, Any], entity_set: str, changes: list[tuple[str, str, str, str]]
    ) -> list[dict[str, Any]]:
        base = f"api/v2.0/companies({self.company_id})/{entity_set}"
        common = {
            "subscriptionId": subscription["subscriptionId"],
            "clientState": subscription["clientState"],
            "expirationDateTime": subscription["expirationDateTime"],
        }
        aggregated: list[dict[str, Any]] = []
        last_of: dict[str, dict[str, Any]] = {}  # entity -> its latest notification in this batch
        for _, id_, change, when in changes:
            previous = last_of.get(id_)
            if change == "updated" and previous is not None and previous["changeType"] == "updated":
                previous["lastModifiedDateTime"] = (
                    when  # BC merges an update into the entity's pending update
                )
                continue
            if len(aggregated) >= self.max_notifications:  # too many: one collection notification instead
                first = min(when for _, _, _, when in changes)
                resource = f"/{base}?$filter=lastModifiedDateTime%20gt%20{first}"
                return [
                    common | {"resource": resource, "changeType": "collection", "lastModifiedDateTime": first}
                ]
            notification = common | {
                "resource": f"{base}({id_})",
                "changeType": change,
                "lastModifiedDateTime": when,
            }
            aggregated.append(notification)
            last_of[id_] = notification
        return aggregated

    def _send(self, url: str, payload: dict[str, Any]) -> None:
        delivery = Delivery(url, payload)
        self.deliveries.append(delivery)
        threading.Thread(target=self._deliver, args=(delivery,), daemon=True).start()

    def _deliver(self, delivery: Delivery) -> None:
        for attempt in range(self.retries + 1):
            try:
                answer = requests.post(
                    delivery.url,
                    json=delivery.payload,
                    headers={"clientRequestId": str(uuid.uuid4())},
                    timeout=30,
                )
                status: int | str = answer.status_code
            except requests.RequestException as error:
                status = type(error).__name__
            delivery.attempts.append(status)
            if isinstance(status, int) and 200 <= status < 300:
                delivery.state = "delivered"
                return
            if isinstance(status, int) and not (status in (408, 429) or status >= 500):
                delivery.state = "dropped"
                self._delete_subscriptions_of(delivery)
                return
            if attempt < self.retries:
                threading.Event().wait(self.retry_seconds)
        delivery.state = "failed"

    def _delete_subscriptions_of(self, delivery: Delivery) -> None:
        with self._lock:
            for item in delivery.payload["value"]:
                self.subscriptions.pop(item["subscriptionId"], None)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        deadline = threading.Event()
        waited = 0.0
        while waited < timeout:
            with self._lock:
                busy = self._timer is not None or any(d.state == "pending" for d in self.deliveries)
            if not busy:
                return True
            deadline.wait(0.05)
            waited += 0.05
        return False
