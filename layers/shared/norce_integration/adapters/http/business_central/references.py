"""Our keys as Business Central holds them, and OData literals.

``externalDocumentNumber`` is the sales header's ``External Document No.``, a ``Code[35]``: Business Central
stores a Code field upper-cased and trimmed, at most 35 characters. A ClientOrderRef that Business Central
would keep exactly as it is (35 characters or fewer, already upper case, no surrounding blanks, no ``~``) is
stored as it is, so a person finds the order in BC by Norce's reference. Any other ref (longer, lower-case
letters, ``~``) becomes its first 18 characters upper-cased, ``~`` and 16 base-32 characters of its
SHA-256: 35 characters, always the same for the same ref, and collision-safe: a kept ref never has a ``~``
and a derived one always has, and two derived numbers are equal only if 80 bits of SHA-256 collide.
"""

import base64
import hashlib

EXTERNAL_DOCUMENT_NUMBER_LENGTH = 35  # Sales Header."External Document No.": Code[35]
MARK = "~"
_HASHED = 16
_PREFIX = EXTERNAL_DOCUMENT_NUMBER_LENGTH - _HASHED - len(MARK)


def kept_as_is(ref: str) -> bool:
    """Whether Business Central holds ``ref`` unchanged in a Code[35] field."""
    return (
        0 < len(ref) <= EXTERNAL_DOCUMENT_NUMBER_LENGTH
        and ref == ref.upper()
        and ref == ref.strip()
        and MARK not in ref
    )


def external_document_number(ref: str) -> str:
    """The ``externalDocumentNumber`` of the sales order made for ClientOrderRef ``ref``."""
    if kept_as_is(ref):
        return ref
    digest = base64.b32encode(hashlib.sha256(ref.encode()).digest()).decode()[:_HASHED]
    prefix = ref.strip().upper().replace(MARK, "-")[:_PREFIX]
    return f"{prefix}{MARK}{digest}"


def client_order_ref(number: str | None) -> str | None:
    """The ClientOrderRef an ``externalDocumentNumber`` is, when it was kept as it is (else ``None``: the
    order is then found by its BC order number)."""
    return number if number and kept_as_is(number) else None


def literal(value: str) -> str:
    """An OData string literal: single quotes, a quote inside doubled."""
    return "'" + value.replace("'", "''") + "'"
