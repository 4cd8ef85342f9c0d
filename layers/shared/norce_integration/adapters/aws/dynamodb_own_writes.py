"""Our own writes to the ERP in the orders table (``ECHO#{kind}#{code}``, erp/own_writes.py): put by the
event sync after each ERP write, read by a delta import a page of codes at a time (BatchGetItem)."""

import time
from collections.abc import Callable, Collection
from typing import Any

from norce_integration.adapters.aws.errors import unavailable_on_aws_error
from norce_integration.erp.own_writes import Kind, OwnWrite

RETENTION_SECONDS = 30 * 86400  # far longer than between two delta imports
BATCH_ROUNDS = 5  # unprocessed keys asked again this often; what is left is read as "not ours" (sent)


def _key(kind: Kind, code: str) -> str:
    return f"ECHO#{kind}#{code}"


class DynamoDbOwnWrites:
    def __init__(
        self,
        client: Any,
        table_name: str,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._table = table_name
        self._clock = clock
        self._sleep = sleep

    def remember(self, kind: Kind, code: str, write: OwnWrite) -> None:
        item: dict[str, Any] = {
            "pk": {"S": _key(kind, code)},
            "changed_at": {"S": write.changed_at},
            "expires_at": {"N": str(int(self._clock() + RETENTION_SECONDS))},
        }
        if write.erp_before:
            item["erp_before"] = {"S": write.erp_before}
        with unavailable_on_aws_error("Remembering our ERP write"):
            self._client.put_item(TableName=self._table, Item=item)

    def find(self, kind: Kind, codes: Collection[str]) -> dict[str, OwnWrite]:
        wanted: list[dict[str, Any]] = [{"pk": {"S": _key(kind, code)}} for code in codes]
        prefix = len(_key(kind, ""))
        found: dict[str, OwnWrite] = {}
        for round_ in range(BATCH_ROUNDS):
            if not wanted:
                break
            if round_:
                self._sleep(0.05 * 2**round_)  # what DynamoDB could not read now, it may read in a moment
            with unavailable_on_aws_error("Reading our ERP writes"):
                answer = self._client.batch_get_item(
                    RequestItems={
                        self._table: {
                            "Keys": wanted,
                            "ConsistentRead": True,
                            "ProjectionExpression": "pk, changed_at, erp_before",
                        }
                    }
                )
            for item in answer.get("Responses", {}).get(self._table, []):
                before = item.get("erp_before", {}).get("S")
                found[item["pk"]["S"][prefix:]] = OwnWrite(item["changed_at"]["S"], before)
            wanted = answer.get("UnprocessedKeys", {}).get(self._table, {}).get("Keys", [])
        return found
