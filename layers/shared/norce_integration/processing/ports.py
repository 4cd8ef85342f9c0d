"""What order processing needs besides the ERP, Norce and the order's records: the write-back queue."""

from dataclasses import dataclass
from typing import Literal, Protocol


@dataclass(frozen=True, slots=True)
class Writeback:
    """An ERP code Norce must learn: sent later, batched, with ImportCustomers / ImportCompanies.

    Norce gets the code by its own Id, looked up in Query: a customer as its order's buyer (by basket id,
    ``client_order_ref``); a company likewise, else by ``vat_no`` (as Norce sent it) or
    ``organization_no``. ``match_value``: a company's organisation number (or VAT number); empty for a
    customer (messages queued by earlier versions hold its e-mail, which is not used: Norce would not
    match by it). A customer with ``company_code`` is imported as that company's contact;
    ``company_pending``: the company is new to Norce too, so the customer waits until the company's
    import has succeeded (Norce links only to companies it already holds). ``order_key``: the order's
    record, whose trail tells what became of the code.
    """

    kind: Literal["customer", "company"]
    code: str
    match_value: str
    application_key: str | None = None
    client_order_ref: str | None = None
    vat_no: str | None = None
    organization_no: str | None = None
    company_code: str | None = None
    company_pending: bool = False
    order_key: str | None = None


class WritebackQueue(Protocol):
    def enqueue(self, items: list[Writeback]) -> None: ...
