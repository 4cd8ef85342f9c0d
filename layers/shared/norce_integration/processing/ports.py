"""What order processing needs besides the ERP, Norce and the order's records: the write-back queue."""

from dataclasses import dataclass
from typing import Literal, Protocol


@dataclass(frozen=True, slots=True)
class Writeback:
    """An ERP code Norce must learn: sent later, batched, with ImportCustomers / ImportCompanies.

    ``match_value`` is how Norce finds the entity without a code: the e-mail of a customer; for a
    company the organisation number (or VAT number), while ``vat_no`` (as Norce sent it) and
    ``organization_no`` let the write-back look its Norce Id up in Query. A customer with
    ``company_code`` is imported as that company's contact; ``company_pending``: the company is new
    to Norce too, so the customer waits until the company's import has succeeded (Norce links only
    to companies it already holds).
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


class WritebackQueue(Protocol):
    def enqueue(self, items: list[Writeback]) -> None: ...
