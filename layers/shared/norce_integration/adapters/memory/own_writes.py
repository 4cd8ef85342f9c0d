"""In memory: our own writes to the ERP (same rules as ``adapters/aws/dynamodb_own_writes``)."""

from collections.abc import Collection

from norce_integration.erp.own_writes import Kind, OwnWrite


class InMemoryOwnWrites:
    def __init__(self) -> None:
        self.items: dict[tuple[Kind, str], OwnWrite] = {}
        self.lookups = 0  # batch reads made (one per page of a delta)

    def remember(self, kind: Kind, code: str, write: OwnWrite) -> None:
        self.items[(kind, code)] = write

    def find(self, kind: Kind, codes: Collection[str]) -> dict[str, OwnWrite]:
        self.lookups += 1
        if len(codes) > 100:
            raise ValueError("at most 100 codes per look-up, as DynamoDB's BatchGetItem")
        return {code: self.items[(kind, code)] for code in codes if (kind, code) in self.items}
