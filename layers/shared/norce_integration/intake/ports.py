"""What order intake needs besides the order's own records (``norce_integration.orders``): the queue.

Adapters for AWS live in ``norce_integration.adapters.aws``, in-memory ones for tests and
benchmarks in ``norce_integration.adapters.memory``.
"""

from typing import Protocol

from norce_integration.orders.ledger import QueuedOrder


class OrderQueue(Protocol):
    def send(self, order: QueuedOrder) -> None: ...
