"""Sending orders to the local stack over HTTP and waiting for what the system does with them."""

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from local.stack import LocalStack
from norce_integration.adapters.http.business_central.references import external_document_number

PAYLOADS = Path(__file__).resolve().parents[2] / "events" / "payloads"


def order_body(ref: str, **changes: Any) -> bytes:
    order = json.loads((PAYLOADS / "order-request.json").read_text())
    order["ClientOrderRef"] = ref
    order.update(changes)
    return json.dumps(order).encode()


def post_order(
    stack: LocalStack, body: bytes, content_type: str = "application/json", authorization: str | None = None
) -> requests.Response:
    headers = {"Content-Type": content_type, "Authorization": authorization or stack.authorization}
    return requests.post(f"{stack.api_url}/orders", data=body, headers=headers, timeout=30)


def wait_until(condition: Callable[[], Any], seconds: float = 20.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def erp_orders_for(stack: LocalStack, ref: str) -> list[dict[str, Any]]:
    """The ERP's orders of our order ``ref`` (Business Central holds it as its externalDocumentNumber)."""
    external = external_document_number(ref) if stack.business_central else ref
    return [order for order in stack.erp.orders() if order["externalRef"] == external]


def norce_statuses_for(stack: LocalStack, ref: str) -> list[dict[str, Any]]:
    """The statuses Norce holds for our order ``ref``: under its ClientOrderRef when that is a basket id,
    else under its ERP order number (SendOrderStatus's ClientOrderRef is an int32: an external order
    number is named by ErpOrderNo alone)."""
    statuses = list(stack.norce.orders.get(ref, []))
    if not statuses:
        for order in erp_orders_for(stack, ref):
            statuses += stack.norce.orders.get(order["orderNo"], [])
    return statuses


def confirmations_for(stack: LocalStack, ref: str) -> list[dict[str, Any]]:
    return [s for s in norce_statuses_for(stack, ref) if s["OrderStatus"] == "Confirmed"]
