"""Customer e-mails for Norce order events, rendered from the Jinja2 templates in ``templates/{lang}/``.

Each event has ``{Event}.subject.txt``, ``{Event}.txt`` and ``{Event}.html`` per language. The context the
caller (``NotificationService``) gives:

- ``event_type``: one of ``NOTIFICATION_EVENTS``
- ``client_order_ref``: Norce's order reference (always set)
- ``order_no``: the ERP's order number, or None
- ``first_name``, ``last_name``: the customer's name, or None
- ``drop_point_code``: OrderReadyForPickupEvent's ``DropPointCode`` (where to pick it up), or None
- ``shop_name``: the shop's name ("" falls back to the renderer's ``shop_name``)
- ``order``: an ``OrderView``, or None. OrderReceivedEvent always gets None (Norce sends it before the
  order is complete), so its templates only thank and name the reference. Its amounts are Query's, excluding
  VAT (the templates say so); its ``currency`` and address ``country`` are codes only when configured.

The renderer adds ``language`` and ``subject`` (the rendered subject, for the HTML title). A missing
field renders empty (``ChainableUndefined``, None as ""), so a sparse order never stops an e-mail.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path
from typing import Any

import jinja2

TEMPLATES = Path(__file__).parent / "templates"
NOTIFICATION_EVENTS = (
    "OrderReceivedEvent",
    "OrderConfirmedEvent",
    "OrderReadyForPickupEvent",
    "OrderDeliveredEvent",
    "OrderPartlyDeliveredEvent",
    "OrderCancelledEvent",
)
_PARTS = ("subject.txt", "txt", "html")
_DECIMAL_MARKS = {"sv": ","}  # languages that write 1,5 rather than 1.5


@dataclass(frozen=True, slots=True)
class RenderedMail:
    subject: str
    html: str
    text: str
    language: str


def language_of(culture: str | None, available: Iterable[str], default: str) -> str:
    """ "sv-SE" -> "sv" when templates exist in sv; "en-GB" -> "en"; unknown/None -> default."""
    languages = set(available)
    tag = (culture or "").strip().lower().replace("_", "-")
    for candidate in (tag, tag.split("-", 1)[0]):
        if candidate in languages:
            return candidate
    return default


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, jinja2.Undefined | bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _mark(context: jinja2.runtime.Context, number: str) -> str:
    return number.replace(".", _DECIMAL_MARKS.get(str(context.get("language")), "."))


@jinja2.pass_context
def _quantity(context: jinja2.runtime.Context, value: Any) -> str:
    """2.000 -> "2", 1.50 -> "1.5": the ERP's scale is noise to a customer."""
    number = _decimal(value)
    if number is None:
        return "" if value is None or isinstance(value, jinja2.Undefined) else str(value)
    return _mark(context, format(number.normalize(), "f"))


@jinja2.pass_context
def _money(context: jinja2.runtime.Context, value: Any, currency: Any = None) -> str:
    """An amount with two decimals and the currency when known ("199,00 SEK")."""
    number = _decimal(value)
    if number is None:
        return ""
    amount = _mark(context, format(number.quantize(Decimal("0.01")), "f"))
    code = "" if currency is None or isinstance(currency, jinja2.Undefined) else str(currency).strip()
    return f"{amount} {code}" if code else amount


def _blank_none(value: Any) -> Any:
    return "" if value is None else value


class TemplateRenderer:
    """Renders the e-mail for one event in the customer's language; environments are built once and cache
    the compiled templates (a Lambda container renders many e-mails)."""

    def __init__(
        self, default_language: str = "en", directory: Path = TEMPLATES, shop_name: str = ""
    ) -> None:
        self.directory = directory
        self.languages = frozenset(
            path.name for path in directory.iterdir() if path.is_dir() and path.name[0] not in "._"
        )
        if default_language not in self.languages:
            raise ValueError(f"no templates for the default language {default_language!r}")
        self.default_language = default_language
        self.shop_name = shop_name

    def render(self, event_type: str, culture: str | None, context: dict[str, Any]) -> RenderedMail:
        if event_type not in NOTIFICATION_EVENTS:
            raise ValueError(f"no e-mail for event type {event_type!r}")
        language = self._language(event_type, culture)
        values = context | {
            "event_type": event_type,
            "language": language,
            "shop_name": context.get("shop_name") or self.shop_name,
        }
        base = f"{language}/{event_type}"
        subject = " ".join(self._text.get_template(f"{base}.subject.txt").render(values).split())
        values["subject"] = subject
        text = self._text.get_template(f"{base}.txt").render(values).strip() + "\n"
        html = self._html.get_template(f"{base}.html").render(values)
        return RenderedMail(subject=subject, html=html, text=text, language=language)

    def _language(self, event_type: str, culture: str | None) -> str:
        """The customer's language when all three templates exist in it: one e-mail, one language."""
        language = language_of(culture, self.languages, self.default_language)
        if all(f"{language}/{event_type}.{part}" in self._templates for part in _PARTS):
            return language
        return self.default_language

    @cached_property
    def _templates(self) -> frozenset[str]:
        return frozenset(self._text.list_templates())

    @cached_property
    def _html(self) -> jinja2.Environment:
        return self._environment(autoescape=True)

    @cached_property
    def _text(self) -> jinja2.Environment:
        # Plain text and subjects are never HTML: escaping would put "&amp;" in front of the customer.
        return self._environment(autoescape=False)

    def _environment(self, *, autoescape: bool) -> jinja2.Environment:
        environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(self.directory),
            autoescape=autoescape,  # noqa: S701 - True for HTML; False only for plain text (_html, _text)
            undefined=jinja2.ChainableUndefined,
            finalize=_blank_none,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        environment.filters["quantity"] = _quantity
        environment.filters["money"] = _money
        return environment
