"""Customer e-mails for order events: every event in every language, safe HTML, sparse orders, and the
local outbox that captures them."""

import json
import threading
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from norce_integration.adapters.outbox_notifier import OutboxNotifier, faults_path, read_outbox
from norce_integration.events.ports import Email, NotifierUnavailable
from norce_integration.events.rendering import NOTIFICATION_EVENTS, TEMPLATES, TemplateRenderer, language_of
from norce_integration.events.views import AddressView, OrderLineView, OrderView

REF = "CO-1001"
ORDER_NO = "ERP-4711"
ORDER_EVENTS = [event for event in NOTIFICATION_EVENTS if event != "OrderReceivedEvent"]


def order(**changes: Any) -> OrderView:
    values: dict[str, Any] = {
        "order_id": 7,
        "order_no": ORDER_NO,
        "client_order_ref": REF,
        "culture": "sv-SE",
        "currency": "SEK",
        "email": "anna@example.com",
        "first_name": "Anna",
        "last_name": "Svensson",
        "delivery_mode": "PostNord MyPack",
        "delivery_address": AddressView(
            line1="Storgatan 1", zip_code="111 22", city="Stockholm", country="SE"
        ),
        "total": Decimal("448.50"),
        "lines": [
            OrderLineView("P-100", "Mug", Decimal("2.000"), Decimal("398.00")),
            OrderLineView("P-200", "Saucer", Decimal("1.50"), Decimal("50.50")),
        ],
    }
    return OrderView(**(values | changes))


def context(event_type: str, view: Any = None, **changes: Any) -> dict[str, Any]:
    received = event_type == "OrderReceivedEvent"
    values = {
        "event_type": event_type,
        "client_order_ref": REF,
        "order_no": None if received else ORDER_NO,
        "first_name": "Anna",
        "last_name": "Svensson",
        "shop_name": "Butiken",
        "order": None if received else (view if view is not None else order()),
    }
    return values | changes


@pytest.fixture(scope="module")
def renderer() -> TemplateRenderer:
    return TemplateRenderer()


def test_templates_exist_in_english_and_swedish(renderer: TemplateRenderer) -> None:
    assert {"en", "sv"} <= renderer.languages
    for language in ("en", "sv"):
        for event_type in NOTIFICATION_EVENTS:
            for part in ("subject.txt", "txt", "html"):
                assert (TEMPLATES / language / f"{event_type}.{part}").is_file()


@pytest.mark.parametrize("culture", ["en-GB", "sv-SE"])
@pytest.mark.parametrize("event_type", NOTIFICATION_EVENTS)
def test_every_event_renders_in_every_language(
    renderer: TemplateRenderer, event_type: str, culture: str
) -> None:
    mail = renderer.render(event_type, culture, context(event_type))

    assert mail.language == culture[:2]
    assert mail.subject and mail.text.strip() and mail.html.strip()
    assert "\n" not in mail.subject
    for part in (mail.subject, mail.text, mail.html):
        assert REF in part
    if event_type != "OrderReceivedEvent":
        for part in (mail.text, mail.html):
            assert ORDER_NO in part
            assert "P-100" in part
            assert "Storgatan 1" in part


def test_an_order_shows_lines_quantities_total_and_delivery(renderer: TemplateRenderer) -> None:
    english = renderer.render("OrderConfirmedEvent", "en-US", context("OrderConfirmedEvent"))
    swedish = renderer.render("OrderConfirmedEvent", "sv-SE", context("OrderConfirmedEvent"))

    assert "- 2 x Mug (item no. P-100): 398.00 SEK" in english.text
    assert "1.5 x Saucer" in english.text
    assert "2.000" not in english.text
    assert "Total excl. VAT: 448.50 SEK" in english.text
    assert "PostNord MyPack" in english.text
    assert "111 22 Stockholm" in english.text
    assert "1,5 st Saucer" in swedish.text
    assert "Totalt exkl. moms: 448,50 SEK" in swedish.text
    assert "448,50 SEK" in swedish.html


@pytest.mark.parametrize(
    ("event_type", "english", "swedish"),
    [
        ("OrderReadyForPickupEvent", "picked up", "hämtas"),
        ("OrderCancelledEvent", "cancelled", "avbrutits"),
        ("OrderPartlyDeliveredEvent", "Part of your order", "En del av din order"),
        ("OrderDeliveredEvent", "on its way", "på väg"),
        ("OrderReceivedEvent", "received", "tagit emot"),
    ],
)
def test_each_event_says_what_happened(
    renderer: TemplateRenderer, event_type: str, english: str, swedish: str
) -> None:
    assert english in renderer.render(event_type, "en", context(event_type)).text
    assert swedish in renderer.render(event_type, "sv-SE", context(event_type)).text


def test_the_language_follows_the_culture_or_falls_back_to_the_default(renderer: TemplateRenderer) -> None:
    assert renderer.render("OrderConfirmedEvent", "sv-SE", context("OrderConfirmedEvent")).language == "sv"
    assert renderer.render("OrderConfirmedEvent", "de-DE", context("OrderConfirmedEvent")).language == "en"
    assert renderer.render("OrderConfirmedEvent", None, context("OrderConfirmedEvent")).language == "en"
    swedish_default = TemplateRenderer(default_language="sv")
    assert (
        swedish_default.render("OrderConfirmedEvent", "fi-FI", context("OrderConfirmedEvent")).language
        == "sv"
    )


def test_language_of() -> None:
    available = {"en", "sv"}
    assert language_of("sv-SE", available, "en") == "sv"
    assert language_of("sv_se", available, "en") == "sv"
    assert language_of("en-GB", available, "sv") == "en"
    assert language_of("SV", available, "en") == "sv"
    assert language_of("de-DE", available, "en") == "en"
    assert language_of(None, available, "en") == "en"
    assert language_of("", available, "sv") == "sv"


def test_a_missing_template_falls_back_to_the_default_language(tmp_path: Path) -> None:
    for part in ("subject.txt", "txt", "html"):
        (tmp_path / "en").mkdir(exist_ok=True)
        (tmp_path / "en" / f"OrderConfirmedEvent.{part}").write_text("Order {{ client_order_ref }}")
    (tmp_path / "sv").mkdir()
    (tmp_path / "sv" / "OrderConfirmedEvent.subject.txt").write_text("Order {{ client_order_ref }} (sv)")

    mail = TemplateRenderer(directory=tmp_path).render(
        "OrderConfirmedEvent", "sv-SE", {"client_order_ref": "1"}
    )

    assert (mail.language, mail.subject) == ("en", "Order 1")


def test_html_hostile_names_are_escaped_in_html_and_kept_in_text(renderer: TemplateRenderer) -> None:
    hostile = "<script>alert(1)</script>"
    view = order(
        delivery_mode='<img src=x onerror="alert(1)">',
        lines=[OrderLineView("P-1", "<b>Mug</b> & co", Decimal(1), Decimal(10))],
    )
    for event_type in NOTIFICATION_EVENTS:
        mail = renderer.render(event_type, "en", context(event_type, view, first_name=hostile))

        assert hostile not in mail.html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in mail.html
        assert hostile in mail.text
        assert "<img" not in mail.html
        assert "<b>Mug</b>" not in mail.html


def test_the_subject_is_one_line_even_when_the_reference_is_not(renderer: TemplateRenderer) -> None:
    mail = renderer.render(
        "OrderReceivedEvent", "en", context("OrderReceivedEvent", client_order_ref="A\r\nBcc: x")
    )
    assert "\n" not in mail.subject and "\r" not in mail.subject


def test_order_received_renders_without_an_order(renderer: TemplateRenderer) -> None:
    mail = renderer.render(
        "OrderReceivedEvent",
        None,
        {"event_type": "OrderReceivedEvent", "client_order_ref": REF, "order": None, "shop_name": ""},
    )
    assert REF in mail.text and REF in mail.html
    assert "None" not in mail.text and "None" not in mail.html
    assert mail.text.startswith("Hi,")


def test_missing_order_fields_render_empty(renderer: TemplateRenderer) -> None:
    sparse = SimpleNamespace(lines=[SimpleNamespace(part_no="P-9")])  # no name, quantity, total, address
    for event_type in ORDER_EVENTS:
        mail = renderer.render(event_type, "sv-SE", {"client_order_ref": REF, "order": sparse})
        assert "P-9" in mail.text and "P-9" in mail.html
        assert "None" not in mail.text and "Undefined" not in mail.text

    bare = order(
        order_no=None, currency=None, total=None, delivery_mode=None, delivery_address=None, lines=[]
    )
    mail = renderer.render("OrderDeliveredEvent", "en", context("OrderDeliveredEvent", bare, order_no=None))
    assert "None" not in mail.text and "None" not in mail.html
    assert "Order number" not in mail.text


def test_no_order_at_all_still_renders_an_order_event(renderer: TemplateRenderer) -> None:
    mail = renderer.render("OrderCancelledEvent", "en", {"client_order_ref": REF, "order": None})
    assert REF in mail.text


def test_an_unknown_event_type_is_refused(renderer: TemplateRenderer) -> None:
    with pytest.raises(ValueError, match="PaymentReceivedEvent"):
        renderer.render("PaymentReceivedEvent", "en", context("OrderConfirmedEvent"))


def test_the_default_language_must_have_templates() -> None:
    with pytest.raises(ValueError, match="fr"):
        TemplateRenderer(default_language="fr")


def test_the_shop_name_comes_from_the_renderer_when_the_context_has_none() -> None:
    mail = TemplateRenderer(shop_name="Acme Shop").render(
        "OrderReceivedEvent", "en", context("OrderReceivedEvent", shop_name="")
    )
    assert "Acme Shop" in mail.text and "Acme Shop" in mail.html


def test_html_mails_load_nothing_from_outside(renderer: TemplateRenderer) -> None:
    for event_type in NOTIFICATION_EVENTS:
        html = renderer.render(event_type, "sv", context(event_type)).html.lower()
        assert "<img" not in html and "http" not in html and "<link" not in html and "<script" not in html


# --- the local outbox ------------------------------------------------------------------------------------


def email(n: int = 0, **changes: Any) -> Email:
    values: dict[str, Any] = {
        "to": f"customer{n}@example.com",
        "subject": f"Din order {n} är bekräftad",
        "html": f"<p>Order {n}</p>",
        "text": f"Order {n}\nRad två",
        "event_type": "OrderConfirmedEvent",
        "client_order_ref": f"CO-{n}",
        "language": "sv",
    }
    return Email(**(values | changes))


def test_the_outbox_captures_each_email_as_one_line(tmp_path: Path) -> None:
    path = tmp_path / "mail" / "outbox.jsonl"
    notifier = OutboxNotifier(path)

    first = notifier.send(email(1))
    second = notifier.send(email(2))

    assert first.startswith("local-") and first != second
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    records = read_outbox(path)
    assert [r["message_id"] for r in records] == [first, second]
    assert records[0] | {"sent_at": "t"} == {
        "message_id": first,
        "sent_at": "t",
        "to": "customer1@example.com",
        "subject": "Din order 1 är bekräftad",
        "event_type": "OrderConfirmedEvent",
        "client_order_ref": "CO-1",
        "language": "sv",
        "text": "Order 1\nRad två",
        "html": "<p>Order 1</p>",
    }
    assert records[0]["sent_at"].endswith("+00:00")


def test_the_outbox_throttled_like_ses_refuses_with_a_retryable_error_and_counts_it(tmp_path: Path) -> None:
    path = tmp_path / "outbox.jsonl"
    notifier = OutboxNotifier(path)
    faults_path(path, "faults").write_text(json.dumps({"throttleRate": 1.0}))

    with pytest.raises(NotifierUnavailable, match="TooManyRequestsException"):
        notifier.send(email(1))

    assert read_outbox(path) == []  # nothing was sent
    [refused] = [json.loads(line) for line in faults_path(path, "throttled").read_text().splitlines()]
    assert refused["event_type"] == "OrderConfirmedEvent" and "customer" not in json.dumps(refused)

    faults_path(path, "faults").write_text(json.dumps({"throttleRate": 0}))  # the knob turned off
    notifier.send(email(1))
    assert [r["client_order_ref"] for r in read_outbox(path)] == ["CO-1"]


def test_reading_a_missing_outbox_gives_nothing(tmp_path: Path) -> None:
    assert read_outbox(tmp_path / "none.jsonl") == []


def test_a_torn_last_line_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "outbox.jsonl"
    message_id = OutboxNotifier(path).send(email())
    with path.open("a", encoding="utf-8") as file:
        file.write('{"message_id": "local-torn", "to": "cust')

    assert [r["message_id"] for r in read_outbox(path)] == [message_id]


def test_concurrent_sends_keep_every_line_whole(tmp_path: Path) -> None:
    path = tmp_path / "outbox.jsonl"
    notifier = OutboxNotifier(path)
    big = "x" * 20_000  # larger than a pipe buffer: a split write would show

    def send_many(thread: int) -> None:
        for n in range(25):
            notifier.send(email(thread * 100 + n, html=big))

    threads = [threading.Thread(target=send_many, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b""
    assert len(lines) - 1 == 200
    assert all(json.loads(line)["html"] == big for line in lines[:-1])
    records = read_outbox(path)
    assert len({r["message_id"] for r in records}) == 200
    assert {r["client_order_ref"] for r in records} == {
        f"CO-{t * 100 + n}" for t in range(8) for n in range(25)
    }


def test_two_notifiers_on_one_file_append_without_tearing(tmp_path: Path) -> None:
    """Two notifiers stand in for two processes: each has its own lock, so only flock/O_APPEND protect."""
    path = tmp_path / "outbox.jsonl"
    notifiers = [OutboxNotifier(path), OutboxNotifier(path)]
    threads = [
        threading.Thread(target=lambda n=n: [notifiers[n % 2].send(email(n * 50 + i)) for i in range(50)])
        for n in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(read_outbox(path)) == 200
