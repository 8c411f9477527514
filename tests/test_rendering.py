"""Reply rendering: splitting, button layout and the callback-data limit."""

from __future__ import annotations

from bot.rasa_client import RasaButton, RasaReply
from bot.rendering import (
    CALLBACK_DATA_LIMIT,
    TELEGRAM_TEXT_LIMIT,
    layout_buttons,
    render_replies,
    split_text,
)


def test_short_text_is_one_part() -> None:
    assert split_text("Halo Kak") == ["Halo Kak"]


def test_empty_text_has_no_parts() -> None:
    assert split_text("   \n ") == []


def test_long_text_splits_on_paragraphs_within_limit() -> None:
    paragraph = "Ongkir dihitung dari berat. " * 60  # ~1,700 chars
    text = "\n\n".join([paragraph.strip()] * 5)
    parts = split_text(text)
    assert len(parts) > 1
    assert all(len(p) <= TELEGRAM_TEXT_LIMIT for p in parts)
    # Nothing lost but the whitespace at the cuts.
    assert "".join(parts).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace(
        "\n", ""
    )


def test_text_without_spaces_is_hard_cut() -> None:
    parts = split_text("x" * (TELEGRAM_TEXT_LIMIT * 2 + 10))
    assert [len(p) for p in parts] == [TELEGRAM_TEXT_LIMIT, TELEGRAM_TEXT_LIMIT, 10]


def test_short_buttons_pair_up_and_long_ones_stand_alone() -> None:
    rows = layout_buttons(
        [
            RasaButton("Soal COD", "/tanya_cod"),
            RasaButton("Soal ongkir", "/tanya_ongkir"),
            RasaButton("Kenapa toko saya sepi sekali", "/tanya_algoritma"),
            RasaButton("Tanya lagi", "/tanya_lagi"),
        ]
    )
    assert [[b.title for b in row] for row in rows] == [
        ["Soal COD", "Soal ongkir"],
        ["Kenapa toko saya sepi sekali"],
        ["Tanya lagi"],
    ]


def test_payload_over_64_bytes_is_dropped() -> None:
    too_long = "/tanya_ongkir" + '{"kota":"' + "é" * 30 + '"}'
    assert len(too_long.encode()) > CALLBACK_DATA_LIMIT
    rows = layout_buttons([RasaButton("Ok", too_long), RasaButton("Lihat modul", "/lihat_modul")])
    assert [b.payload for row in rows for b in row] == ["/lihat_modul"]


def test_buttons_go_on_the_last_part_of_a_long_reply() -> None:
    reply = RasaReply(text="kata " * 2000, buttons=(RasaButton("Tanya lagi", "/tanya_lagi"),))
    messages = render_replies([reply])
    assert len(messages) == 3
    assert [bool(m.buttons) for m in messages] == [False, False, True]


def test_html_like_text_is_passed_through_unchanged() -> None:
    """Plain text is sent without a parse mode, so `< > &` need no escaping and stay as typed."""
    messages = render_replies([RasaReply(text="Harga <b>100</b> & ongkir > 0")])
    assert messages[0].text == "Harga <b>100</b> & ongkir > 0"


def test_image_only_reply_keeps_its_buttons() -> None:
    reply = RasaReply(image="https://example.org/a.png", buttons=(RasaButton("Ok", "/setuju"),))
    [message] = render_replies([reply])
    assert message.image_url == "https://example.org/a.png"
    assert message.flat_buttons[0].payload == "/setuju"


def test_buttons_without_text_join_the_previous_message() -> None:
    replies = [RasaReply(text="Halo Kak"), RasaReply(buttons=(RasaButton("Ok", "/setuju"),))]
    [message] = render_replies(replies)
    assert message.text == "Halo Kak"
    assert message.flat_buttons[0].title == "Ok"
