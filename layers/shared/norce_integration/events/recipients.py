"""Is this one e-mail address we may send to? Checked before anything is claimed or sent.

OrderReceivedEvent's ``Email`` comes from the body of a webhook, and Query's from what a buyer typed: neither
is trusted. One syntactically valid address (RFC 5321's dot-atom local part, ASCII, a domain of DNS labels,
also an internationalised one given as Unicode) and nothing else: no display name, no second address, no
quoted local part, no comment, and no control character or line break anywhere, so no header of any kind can
get through (``a@example.com\\r\\nBcc: evil@example.org`` is refused). The reason names what is wrong, never
the address (no personal data in a log line).
"""

import re
import unicodedata
from dataclasses import dataclass

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
LOCAL_PART = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")
LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
MAX_LENGTH = 254  # RFC 5321's path limit, less the angle brackets


@dataclass(frozen=True, slots=True)
class Recipient:
    address: str | None  # the address to send to (its domain in ASCII), or None when refused
    reason: str | None = None  # why it was refused


def check_recipient(value: object) -> Recipient:
    """``value`` as one address we may send to, or the reason it is refused."""
    if not isinstance(value, str):
        return Recipient(None, "the e-mail address is not text")
    text = value.strip(" ")
    if not text:
        return Recipient(None, "there is no e-mail address")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in text):
        return Recipient(None, "the e-mail address has a control character or a line break")
    if any(c.isspace() for c in text):
        return Recipient(None, "the e-mail address has a space in it")
    if text.count("@") != 1:
        return Recipient(None, "the e-mail address must have exactly one @")
    local, domain = text.split("@")
    if not 1 <= len(local) <= 64 or LOCAL_PART.fullmatch(local) is None:
        return Recipient(
            None, "the e-mail address's local part is not a plain address (letters, digits, . _ + - …)"
        )
    ascii_domain = _ascii_domain(domain)
    if ascii_domain is None:
        return Recipient(None, "the e-mail address's domain is not a domain name")
    address = f"{local}@{ascii_domain}"
    if len(address) > MAX_LENGTH:
        return Recipient(None, f"the e-mail address is longer than {MAX_LENGTH} characters")
    return Recipient(address)


def _ascii_domain(domain: str) -> str | None:
    try:
        ascii_domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        return None
    labels = ascii_domain.rstrip(".").split(".") if ascii_domain else []
    if len(labels) < 2 or any(LABEL.fullmatch(label) is None for label in labels):
        return None
    if labels[-1].isdigit():  # an IP address is not a mail domain here
        return None
    return ascii_domain.rstrip(".")
