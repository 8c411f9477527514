"""The Bot API emulator, driven by the real python-telegram-bot: if PTB accepts what the
emulator sends and raises the right exceptions for its errors, tests built on it are sound."""

from __future__ import annotations

import asyncio
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, Update
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from tests.emulator import AsyncEmulatorClient, EmulatorClient, TelegramEmulator
from tests.emulator.client import ControlApiError
from tests.emulator.html_check import EntityParseError, parse_html
from tests.emulator.inject import FAKE_JPEG

TOKEN = "123456:TEST"
USER = 7_000_000_123  # new Telegram accounts have ids above 2**32
PROJECT_ROOT = Path(__file__).resolve().parent.parent

App = Application[Any, Any, Any, Any, Any, Any]
Context = ContextTypes.DEFAULT_TYPE
ATTACHMENTS = ["sticker", "photo", "voice", "document", "location", "contact"]


# --- a small bot exercising the update kinds the AKAR bot handles ---------------------------------


async def on_start(update: Update, context: Context) -> None:
    assert update.effective_message and update.effective_user
    buttons = [
        [InlineKeyboardButton("COD", callback_data="topic:cod")],
        [InlineKeyboardButton("Ongkir", callback_data="topic:ongkir")],
    ]
    await update.effective_message.reply_text(
        f"Halo {update.effective_user.first_name}! Pilih topik:",
        reply_markup=InlineKeyboardMarkup(buttons),
    )


async def on_text(update: Update, context: Context) -> None:
    assert update.message and update.message.text
    await update.message.reply_text(f"echo: {update.message.text}")


async def on_edited(update: Update, context: Context) -> None:
    assert update.edited_message
    await update.edited_message.reply_text(f"edited: {update.edited_message.text}")


async def on_attachment(update: Update, context: Context) -> None:
    msg = update.message
    assert msg
    kind = next(kind for kind in ATTACHMENTS if getattr(msg, kind))
    await msg.reply_text(f"got {kind}")


async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query
    await query.answer()
    await query.edit_message_text(f"Kamu memilih {query.data}")


def add_handlers(app: App) -> None:
    app.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, on_edited))
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(~filters.TEXT & ~filters.StatusUpdate.ALL, on_attachment))


# Creating a TLS context costs ~50 ms per HTTP client and PTB makes two per Bot; sharing one
# keeps these tests fast. It changes nothing else: the emulator speaks plain http.
TLS = ssl.create_default_context()


def http() -> HTTPXRequest:
    return HTTPXRequest(httpx_kwargs={"verify": TLS})


def build_app(emulator: TelegramEmulator) -> App:
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(emulator.base_url)
        .base_file_url(emulator.base_file_url)
        .request(http())
        .get_updates_request(http())
        .build()
    )
    add_handlers(app)
    return app


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator() as running:
        yield running


@pytest.fixture
async def bot(emulator: TelegramEmulator) -> AsyncIterator[Bot]:
    async with Bot(
        TOKEN,
        base_url=emulator.base_url,
        base_file_url=emulator.base_file_url,
        request=http(),
        get_updates_request=http(),
    ) as b:
        yield b


@pytest.fixture
async def app(emulator: TelegramEmulator) -> AsyncIterator[App]:
    application = build_app(emulator)
    await application.initialize()
    await application.start()
    assert application.updater
    await application.updater.start_polling(poll_interval=0.0, timeout=5)
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


@pytest.fixture(autouse=True)
def timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB warns on RetryAfter.retry_after unless it may return a timedelta (its future)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the real Application, polling ----------------------------------------------------------------


async def test_get_me_describes_the_akar_bot(bot: Bot) -> None:
    assert bot.id == 123456
    assert bot.username == "akar_test_bot"
    assert bot.first_name == "AKAR Asisten"
    assert bot.can_join_groups is True


async def test_text_round_trip_through_polling(app: App, emulator: TelegramEmulator) -> None:
    incoming = emulator.inject_text(USER, "halo kak")
    [reply] = await emulator.wait_for_sent(USER)
    assert reply.text == "echo: halo kak"
    assert reply.method == "sendMessage"
    assert reply.message["chat"]["id"] == USER
    assert reply.message_id == incoming["message_id"] + 1  # ids are shared within a chat


async def test_group_chat_message(app: App, emulator: TelegramEmulator) -> None:
    group = -1001234567890
    emulator.inject_text(USER, "halo grup", chat_id=group)
    [reply] = await emulator.wait_for_sent(group)
    assert reply.text == "echo: halo grup"
    assert reply.message["chat"] == {
        "id": group,
        "type": "supergroup",
        "title": "Grup Penjual AKAR",
    }


async def test_command_then_button_press(app: App, emulator: TelegramEmulator) -> None:
    emulator.inject_command(USER, "/start", first_name="Budi")
    [menu] = await emulator.wait_for_sent(USER)
    assert menu.text == "Halo Budi! Pilih topik:"
    assert menu.callback_data == ["topic:cod", "topic:ongkir"]

    emulator.inject_callback(USER, "topic:cod", message_id=menu.message_id)
    answer = await emulator.wait_for_call("answerCallbackQuery")
    edit = await emulator.wait_for_call("editMessageText")
    assert answer.ok and edit.ok
    edited = emulator.message(USER, menu.message_id)
    assert edited is not None
    assert edited["text"] == "Kamu memilih topic:cod"
    assert "reply_markup" not in edited  # an edit without reply_markup removes the keyboard


async def test_typed_command_gets_a_command_entity(app: App, emulator: TelegramEmulator) -> None:
    emulator.inject_text(USER, "/start@akar_test_bot")
    [menu] = await emulator.wait_for_sent(USER)
    assert menu.text == "Halo Sari! Pilih topik:"


async def test_button_on_a_message_the_emulator_never_saw(
    app: App, emulator: TelegramEmulator
) -> None:
    query = emulator.inject_callback(USER, "topic:lama")
    await emulator.wait_for_call("editMessageText")
    edited = emulator.message(USER, query["message"]["message_id"])
    assert edited is not None and edited["text"] == "Kamu memilih topic:lama"


@pytest.mark.parametrize("kind", ATTACHMENTS)
async def test_attachments_are_valid_updates(
    app: App, emulator: TelegramEmulator, kind: str
) -> None:
    getattr(emulator, f"inject_{kind}")(USER)
    [reply] = await emulator.wait_for_sent(USER)
    assert reply.text == f"got {kind}"


async def test_edited_message_arrives_as_edited_message(
    app: App, emulator: TelegramEmulator
) -> None:
    original = emulator.inject_text(USER, "halo")
    await emulator.wait_for_sent(USER)
    emulator.inject_edited_text(USER, original["message_id"], "halo kak, cod itu apa?")
    [reply] = await emulator.wait_for_sent(USER)
    assert reply.text == "edited: halo kak, cod itu apa?"


async def test_wait_for_sent_explains_what_happened_instead(
    app: App, emulator: TelegramEmulator
) -> None:
    emulator.block_chat(USER)
    emulator.inject_text(USER, "halo")
    await emulator.wait_for_call("sendMessage")
    with pytest.raises(TimeoutError, match="403 Forbidden: bot was blocked by the user"):
        await emulator.wait_for_sent(USER, timeout=0.2)


async def test_webhook_mode_delivers_updates_to_ptb(emulator: TelegramEmulator) -> None:
    application = build_app(emulator)
    port = free_port()
    await application.initialize()
    await application.start()
    assert application.updater
    await application.updater.start_webhook(
        listen="127.0.0.1",
        port=port,
        url_path="telegram",
        webhook_url=f"http://127.0.0.1:{port}/telegram",
        secret_token="rahasia-akar",
    )
    try:
        info = await application.bot.get_webhook_info()
        assert info.url == f"http://127.0.0.1:{port}/telegram"
        with pytest.raises(Conflict):
            await application.bot.get_updates()
        emulator.inject_text(USER, "lewat webhook")
        [reply] = await emulator.wait_for_sent(USER)
        assert reply.text == "echo: lewat webhook"
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


# --- Telegram's errors become PTB's exceptions ----------------------------------------------------


async def test_429_raises_retry_after(bot: Bot, emulator: TelegramEmulator) -> None:
    emulator.fail_next("sendMessage", status=429, retry_after=7)
    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(USER, "promo")
    assert raised.value.retry_after == timedelta(seconds=7)
    await bot.send_message(USER, "promo")  # only the next call failed
    assert [c.status for c in emulator.calls_of("sendMessage")] == [429, 200]


async def test_fault_can_target_one_chat(bot: Bot, emulator: TelegramEmulator) -> None:
    emulator.fail_next("sendMessage", status=502, chat_id=USER)
    await bot.send_message(USER + 1, "untuk orang lain")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(USER, "gagal sekali")


async def test_slow_telegram_times_out(bot: Bot, emulator: TelegramEmulator) -> None:
    emulator.delay_next("sendMessage", 0.3)
    with pytest.raises(TimedOut):
        await bot.send_message(USER, "lambat", read_timeout=0.05)


async def test_blocked_user_raises_forbidden(bot: Bot, emulator: TelegramEmulator) -> None:
    emulator.block_chat(USER)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER, "halo")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(USER, "typing")
    emulator.unblock_chat(USER)
    await bot.send_message(USER, "halo lagi")
    assert [m.text for m in emulator.sent] == ["halo lagi"]


async def test_missing_chat_raises_bad_request(bot: Bot, emulator: TelegramEmulator) -> None:
    emulator.fail_chat_not_found(USER)
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(USER, "halo")


async def test_rate_limit_answers_429(bot: Bot, emulator: TelegramEmulator) -> None:
    emulator.set_rate_limit(3)
    for n in range(3):
        await bot.send_message(USER + n, "siaran")
    with pytest.raises(RetryAfter):
        await bot.send_message(USER + 3, "siaran")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "Message text is empty"),
        ("  \n ", "Message text is empty"),
        ("a" * 4097, "Message is too long"),
        ("😀" * 2049, "Message is too long"),  # 4098 UTF-16 code units
    ],
)
async def test_text_limits(bot: Bot, text: str, error: str) -> None:
    with pytest.raises(BadRequest, match=error):
        await bot.send_message(USER, text)


async def test_longest_allowed_text_is_sent(bot: Bot, emulator: TelegramEmulator) -> None:
    await bot.send_message(USER, "a" * 4096)
    await bot.send_message(USER, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")
    assert len(emulator.sent) == 2


@pytest.mark.parametrize(
    "html",
    [
        "<b>tebal tanpa penutup",
        "harga < 10rb",
        "S&K berlaku",
        "<script>alert(1)</script>",
        "<b><i>silang</b></i>",
        '<span class="x">bukan spoiler</span>',
        "</b>",
    ],
)
async def test_malformed_html_raises_bad_request(bot: Bot, html: str) -> None:
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(USER, html, parse_mode="HTML")


async def test_html_becomes_entities_ptb_can_read(bot: Bot, emulator: TelegramEmulator) -> None:
    html = '😀 <b>Halo</b> &amp; <a href="https://akar.id/modul">modul</a> <i>kak</i> &lt;3'
    message = await bot.send_message(USER, html, parse_mode="HTML")
    assert message.text == "😀 Halo & modul kak <3"
    parsed = {entity.type: text for entity, text in message.parse_entities().items()}
    assert parsed == {
        MessageEntity.BOLD: "Halo",
        MessageEntity.TEXT_LINK: "modul",
        MessageEntity.ITALIC: "kak",
    }
    [sent] = emulator.sent
    assert sent.text == html and sent.plain_text == message.text and sent.parse_mode == "HTML"


@pytest.mark.parametrize(
    ("data", "ok"),
    [("x" * 64, True), ("x" * 65, False), ("é" * 32, True), ("é" * 33, False)],
)
async def test_callback_data_is_limited_to_64_bytes(bot: Bot, data: str, ok: bool) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Pilih", callback_data=data)]])
    if ok:
        message = await bot.send_message(USER, "menu", reply_markup=markup)
        assert message.reply_markup == markup
    else:
        with pytest.raises(BadRequest, match="Button_data_invalid"):
            await bot.send_message(USER, "menu", reply_markup=markup)


async def test_edit_errors(bot: Bot, emulator: TelegramEmulator) -> None:
    message = await bot.send_message(USER, "sama")
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("sama", USER, message.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("baru", USER, message.message_id + 10)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Lanjut", callback_data="next")]])
    await bot.edit_message_reply_markup(USER, message.message_id, reply_markup=markup)
    current = emulator.message(USER, message.message_id)
    assert current is not None and current["reply_markup"] == markup.to_dict()
    assert await bot.delete_message(USER, message.message_id)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(USER, message.message_id)


async def test_stale_callback_answer_is_rejected(bot: Bot, emulator: TelegramEmulator) -> None:
    query = emulator.inject_callback(USER, "topic:cod")
    assert await bot.answer_callback_query(query["id"])
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query["id"])


async def test_unknown_method_is_404(bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendPigeon", api_kwargs={"chat_id": USER})


# --- updates, files and settings ------------------------------------------------------------------


async def test_long_polling_waits_and_offset_confirms(bot: Bot, emulator: TelegramEmulator) -> None:
    polling = asyncio.create_task(bot.get_updates(timeout=5))
    await emulator.wait_for_polling()
    started = time.monotonic()
    emulator.inject_text(USER, "halo")
    [update] = await polling
    assert time.monotonic() - started < 1  # woken by the update, not by the timeout
    assert update.message and update.message.text == "halo"
    assert len(await bot.get_updates(timeout=0)) == 1  # not confirmed yet
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()
    assert emulator.pending_updates == []


async def test_empty_long_poll_honours_timeout(emulator: TelegramEmulator) -> None:
    async with httpx.AsyncClient() as http:
        started = time.monotonic()
        response = await http.get(f"{emulator.base_url}{TOKEN}/getUpdates?timeout=0.3")
    assert response.json() == {"ok": True, "result": []}
    assert time.monotonic() - started >= 0.3


async def test_allowed_updates_filters_kinds(bot: Bot, emulator: TelegramEmulator) -> None:
    emulator.inject_callback(USER, "topic:cod")
    emulator.inject_text(USER, "halo")
    [update] = await bot.get_updates(allowed_updates=["message"])
    assert update.message and update.message.text == "halo"


async def test_files_upload_and_download(bot: Bot, emulator: TelegramEmulator) -> None:
    image = FAKE_JPEG + b"produk"
    message = await bot.send_photo(USER, image, caption="<b>Foto</b> produk", parse_mode="HTML")
    assert message.caption == "Foto produk"
    [sent] = emulator.sent
    assert sent.method == "sendPhoto" and sent.caption == "<b>Foto</b> produk"
    [call] = emulator.calls_of("sendPhoto")
    assert call.files["photo"].content == image
    downloaded = await (await message.photo[-1].get_file()).download_as_bytearray()
    assert bytes(downloaded) == image

    document = await bot.send_document(USER, b"%PDF-1.4 katalog", filename="katalog.pdf")
    assert document.document and document.document.file_name == "katalog.pdf"

    received = emulator.inject_photo(USER)
    user_file = await bot.get_file(received["photo"][-1]["file_id"])
    assert bytes(await user_file.download_as_bytearray()) == FAKE_JPEG

    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(USER, image, caption="x" * 1025)


async def test_commands_and_menu(bot: Bot, emulator: TelegramEmulator) -> None:
    assert await bot.set_my_commands([("start", "Mulai"), ("modul", "Lihat modul")])
    commands = await bot.get_my_commands()
    assert [(c.command, c.description) for c in commands] == [
        ("start", "Mulai"),
        ("modul", "Lihat modul"),
    ]
    assert emulator.commands()[1]["command"] == "modul"
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([("Mulai Sekarang", "spasi tidak boleh")])
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    assert await bot.set_chat_menu_button()
    assert await bot.send_chat_action(USER, "typing")


# --- the control HTTP API -------------------------------------------------------------------------


async def test_control_api_in_process(app: App, emulator: TelegramEmulator) -> None:
    async with AsyncEmulatorClient(emulator.base_url) as client:
        health = await client.health()
        assert health["ok"] and health["base_url"] == emulator.base_url

        await client.inject_text(USER, "halo dari luar")
        [reply] = await client.wait(USER)
        assert reply.text == "echo: halo dari luar"
        assert [m.text for m in await client.sent(chat_id=USER)] == ["echo: halo dari luar"]

        await client.inject_command(USER, "/start")
        [menu] = await client.wait(USER)
        await client.inject_callback(USER, menu.callback_data[0])
        await emulator.wait_for_call("answerCallbackQuery")
        [call] = await client.calls("answerCallbackQuery")
        assert call.ok and call.params["callback_query_id"]

        await client.fault("block_chat", chat_id=USER)
        with pytest.raises(Forbidden):
            await app.bot.send_message(USER, "diblokir")
        await client.fault("clear")
        with pytest.raises(TimeoutError, match="expected 1 message"):
            await client.wait(USER + 1, timeout=0.1)
        with pytest.raises(ControlApiError, match="unknown type"):
            await client.inject("telepathy", user_id=USER)

        await client.reset()
        assert await client.sent() == []


def test_standalone_process_with_sync_client() -> None:
    """`python -m tests.emulator` as a newcomer or a subprocess test would run it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.emulator", "--port", "0", "--quiet"],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout
        first = process.stdout.readline().strip()
        assert first.startswith("TELEGRAM_API_BASE_URL=http://127.0.0.1:")
        base_url = first.split("=", 1)[1]
        with EmulatorClient(base_url) as client:
            assert client.health()["ok"]
            client.inject_text(USER, "halo")
            # A bot would now poll; answer the way it would, with a JSON body this time.
            updates = httpx.post(f"{base_url}{TOKEN}/getUpdates", json={"timeout": 0}).json()
            assert updates["result"][0]["message"]["text"] == "halo"
            httpx.post(
                f"{base_url}{TOKEN}/sendMessage", json={"chat_id": USER, "text": "halo juga"}
            )
            [reply] = client.wait(USER, timeout=5)
            assert reply.text == "halo juga"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            assert process.wait(timeout=10) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


# --- the HTML checker on its own ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "plain", "entities"),
    [
        ("plain > text", "plain > text", []),
        ("<b>a</b><i></i>", "a", [("bold", 0, 1)]),
        ("&#128512;<u>x</u>", "😀x", [("underline", 2, 1)]),
        ("<tg-spoiler>s</tg-spoiler>", "s", [("spoiler", 0, 1)]),
        ('<pre><code class="language-python">x=1</code></pre>', "x=1", [("pre", 0, 3)]),
        ("<blockquote expandable>q</blockquote>", "q", [("expandable_blockquote", 0, 1)]),
        ("<B>caps</B>", "caps", [("bold", 0, 4)]),
    ],
)
def test_parse_html(html: str, plain: str, entities: list[tuple[str, int, int]]) -> None:
    text, found = parse_html(html)
    assert text == plain
    assert [(e["type"], e["offset"], e["length"]) for e in found] == entities


def test_parse_html_error_messages_point_at_the_problem() -> None:
    with pytest.raises(EntityParseError, match='Unsupported start tag "br" at byte offset 5'):
        parse_html("halo <br> kak")
    with pytest.raises(EntityParseError, match="byte offset 6"):
        parse_html("é é <b")  # byte offsets, like Telegram's
    assert parse_html("S&K", strict_ampersand=False)[0] == "S&K"
