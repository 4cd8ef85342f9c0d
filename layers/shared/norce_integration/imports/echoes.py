"""A delta's ERP records less the ones that are only our own write of Norce's data (erp/own_writes.py).

Our writes are looked up a page of records at a time (one batch read per 100), so a delta of a million
records costs ten thousand reads, not a million. A left-out record still moves the watermark past it.
"""

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from norce_integration.erp.model import ErpCompany, ErpCustomer
from norce_integration.erp.own_writes import Kind, OwnWrites, is_echo
from norce_integration.imports.config import Entity

PAGE = 100  # DynamoDB's BatchGetItem takes at most 100 keys
ECHO_REASON = "the ERP's change is our own write of Norce's data"


@dataclass(frozen=True, slots=True)
class Echo:
    """An ERP record left out of the delta: Norce already holds what it says."""

    code: str
    changed_at: datetime


def kind_of(entity: Entity) -> Kind:
    return "customer" if entity is Entity.CUSTOMERS else "company"


def without_echoes(
    source: Iterator[ErpCustomer | ErpCompany], own_writes: OwnWrites, kind: Kind, since: datetime
) -> Iterator[ErpCustomer | ErpCompany | Echo]:
    while page := list(itertools.islice(source, PAGE)):
        codes = {entity.code for entity in page if entity.code}
        writes = own_writes.find(kind, codes) if codes else {}
        for entity in page:
            write = writes.get(entity.code) if entity.code else None
            if entity.code and entity.changed_at and is_echo(write, entity.changed_at, since):
                yield Echo(entity.code, entity.changed_at)
            else:
                yield entity
