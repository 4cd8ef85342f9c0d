"""The order as Norce sent it (its archived OrderRequest, which the order record's ``archive_key`` names), and
the terms the lifecycle holds every document against.

An archive key is derived from the body's fingerprint, so what it names never changes: the terms of the
last orders read are kept per instance (``cache_size``), and a burst of documents for one order reads its
archive once. The poll takes documents from several threads, so the cache is kept under a lock.
"""

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from norce_integration.codec.errors import ForbiddenXml, MalformedBody
from norce_integration.codec.json_codec import parse_json
from norce_integration.codec.xml_codec import parse_xml
from norce_integration.contracts import OrderRequest
from norce_integration.failures import PermanentFailure
from norce_integration.lifecycle.bounds import OrderTerms, terms_of
from norce_integration.orders.records import OrderArchive

# What of an order's record ``order`` and ``terms`` read (a projection, without the growing trail).
RECORD_FIELDS = ("archive_key", "wire_format")


@dataclass
class ArchivedOrders:
    archive: OrderArchive
    cache_size: int = 64
    _terms: "OrderedDict[str, OrderTerms]" = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def order(self, record: dict[str, Any]) -> OrderRequest | None:
        """The order as Norce sent it; None for a record without an archive key (an order taken before
        its key was kept). Raises ``PermanentFailure`` when the archived body cannot be read as an order."""
        archive_key = record.get("archive_key")
        if not archive_key:
            return None
        body = self.archive.get(archive_key)
        try:
            if record.get("wire_format") == "xml" or archive_key.endswith(".xml"):
                return parse_xml(body, OrderRequest)[0]
            return parse_json(body, OrderRequest)[0]
        except (MalformedBody, ForbiddenXml) as error:
            raise PermanentFailure(f"the archived order cannot be read: {error}") from error

    def terms(self, record: dict[str, Any]) -> OrderTerms | None:
        """The order's terms (None: no archive key, so no lines to hold documents against)."""
        archive_key = record.get("archive_key")
        with self._lock:
            if archive_key and archive_key in self._terms:
                self._terms.move_to_end(archive_key)
                return self._terms[archive_key]
        order = self.order(record)  # outside the lock: other orders' documents go on meanwhile
        if order is None:
            return None
        terms = terms_of(order)
        with self._lock:
            self._terms[str(archive_key)] = terms
            while len(self._terms) > self.cache_size:
                self._terms.popitem(last=False)
        return terms
