"""An OrderProcessor on in-memory adapters, fed by a real OrderIntake: the whole order flow in memory."""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from norce_integration.adapters.memory.intake import InMemoryArchive, InMemoryLedger, InMemoryQueue
from norce_integration.adapters.memory.processing import (
    InMemoryErp,
    InMemoryNorceConnect,
    InMemoryOrderRecords,
    InMemoryWritebackQueue,
)
from norce_integration.codec import WireFormat
from norce_integration.intake.service import OrderIntake
from norce_integration.orders.ledger import QueuedOrder
from norce_integration.processing.config import ProcessingConfig
from norce_integration.processing.service import OrderProcessor

EXAMPLE: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[2] / "events/payloads/order-request.json").read_text()
)
CONFIG = ProcessingConfig(payment_methods={"*": "CARD"}, delivery_methods={"*": "STD"})


def example_order(ref: str = "REF12345", **changes: Any) -> bytes:
    data = json.loads(json.dumps(EXAMPLE))
    data["ClientOrderRef"] = ref
    data.update(changes)
    return json.dumps(data).encode()


@dataclass
class Flow:
    ledger: InMemoryLedger = field(default_factory=InMemoryLedger)
    archive: InMemoryArchive = field(default_factory=InMemoryArchive)
    queue: InMemoryQueue = field(default_factory=InMemoryQueue)
    erp: InMemoryErp = field(default_factory=InMemoryErp)
    norce: InMemoryNorceConnect = field(default_factory=InMemoryNorceConnect)
    records: InMemoryOrderRecords = field(default_factory=InMemoryOrderRecords)
    writebacks: InMemoryWritebackQueue = field(default_factory=InMemoryWritebackQueue)
    config: ProcessingConfig = field(default_factory=lambda: CONFIG)

    @property
    def intake(self) -> OrderIntake:
        return OrderIntake(ledger=self.ledger, archive=self.archive, queue=self.queue)

    def processor(self, **options: Any) -> OrderProcessor:
        return OrderProcessor(
            ledger=self.ledger,
            archive=self.archive,
            erps={"default": self.erp},
            norce=self.norce,
            writebacks=self.writebacks,
            records=self.records,
            config=self.config,
            **options,
        )

    def receive(self, body: bytes) -> QueuedOrder:
        result = self.intake.receive(body, WireFormat.JSON)
        assert result.http_status == 200 and result.response and result.response.StatusCode == "OK", result
        return self.queue.messages[-1]
