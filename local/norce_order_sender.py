"""Norce's order sender, simulated: POST an OrderRequest and follow Norce's retry rule.

Norce expects HTTP 200 with a well-formed OrderResponse. Anything else (another status, a timeout,
a connection error) is retried every 10 minutes for up to 6 hours, then Norce alerts its support. A
``Failed`` answer is logged and not retried. ``time_scale`` compresses the waits (0.001: 10 min = 0.6 s).
"""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from defusedxml.ElementTree import ParseError, fromstring

RETRY_EVERY_MINUTES = 10
GIVE_UP_AFTER_MINUTES = 6 * 60


@dataclass(frozen=True)
class Attempt:
    minute: int  # simulated minutes since the first attempt
    status: int | None
    answer: dict[str, Any] | None = None
    error: str | None = None


@dataclass
class Delivery:
    attempts: list[Attempt] = field(default_factory=list)
    outcome: str = "escalated to support"  # "OK", "Failed" or "escalated to support"

    @property
    def answer(self) -> dict[str, Any] | None:
        return self.attempts[-1].answer if self.attempts else None


def parse_order_response(body: bytes, content_type: str) -> dict[str, Any] | None:
    """The OrderResponse fields, from JSON or XML in any namespace; None if not well-formed."""
    try:
        if "xml" in content_type:
            root = fromstring(body)
            if not root.tag.endswith("OrderResponse"):
                return None
            return {child.tag.rsplit("}", 1)[-1]: child.text for child in root}
        parsed = json.loads(body)
        return parsed if isinstance(parsed, dict) and "StatusCode" in parsed else None
    except (ValueError, ParseError):
        return None


@dataclass
class NorceOrderSender:
    endpoint: str
    authorization: str
    time_scale: float = 0.001
    timeout_seconds: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    between_attempts: Callable[[int], None] | None = None  # called with the attempt number (demo faults)

    def send(
        self, body: bytes, content_type: str = "application/json", authorization: str | None = None
    ) -> Delivery:
        delivery = Delivery()
        for minute in range(0, GIVE_UP_AFTER_MINUTES + 1, RETRY_EVERY_MINUTES):
            attempt = self._attempt(minute, body, content_type, authorization or self.authorization)
            delivery.attempts.append(attempt)
            if attempt.status == 200 and attempt.answer is not None:
                delivery.outcome = "OK" if str(attempt.answer.get("StatusCode")).upper() == "OK" else "Failed"
                return delivery
            if minute < GIVE_UP_AFTER_MINUTES:
                if self.between_attempts:
                    self.between_attempts(len(delivery.attempts))
                self.sleep(RETRY_EVERY_MINUTES * 60 * self.time_scale)
        return delivery

    def _attempt(self, minute: int, body: bytes, content_type: str, authorization: str) -> Attempt:
        headers = {"Content-Type": content_type, "Authorization": authorization}
        try:
            response = requests.post(self.endpoint, data=body, headers=headers, timeout=self.timeout_seconds)
        except requests.RequestException as error:
            return Attempt(minute, None, error=type(error).__name__)
        answer = parse_order_response(response.content, response.headers.get("Content-Type", ""))
        return Attempt(minute, response.status_code, answer, None if answer else response.text[:200])
