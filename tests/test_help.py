"""/bantuan and /help (issue #14 point 5): both are answered locally with what the assistant can
do, in Telegram (`bot.handlers.on_command`, including `/help@BotName`) and in the terminal chat,
and the text only names commands that exist and buttons whose payloads the bot handles.

The assistant here is real, on a real database, but its Rasa address answers nothing: a help
command that leaked to the NLU would come back as the outage apology, not the overview."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from ruamel.yaml import YAML
from telegram import Chat, Message, MessageEntity, Update, User

from bot import handlers, texts
from bot.conversation import PAYLOAD_PATTERN, Assistant, Turn
from bot.db.session import make_engine, make_session_factory
from bot.learning import callbacks as learning_callbacks
from bot.rasa_client import RasaClient
from bot.rendering import SHORT_TITLE
from bot.store import SellerIdentity, Store
from bot.telegram_app import BOT_COMMANDS
from bot.terminal_chat import chat_session
from tests.harness import free_port

ROOT = Path(__file__).resolve().parent.parent
SARI = SellerIdentity(telegram_user_id=7_400_000_001, chat_id=7_400_000_001, first_name="Sari")
HELP_TEXTS = [texts.HELP_QUESTIONS, texts.HELP_MORE]


@pytest.fixture
async def assistant(database_url: str) -> AsyncIterator[Assistant]:
    engine = make_engine(database_url)
    rasa = RasaClient(f"http://127.0.0.1:{free_port()}", connect_retries=0, timeout=2.0)
    running = Assistant(rasa, Store(make_session_factory(engine)))
    yield running
    await running.aclose()
    engine.dispose()


def command_update(text: str, who: SellerIdentity = SARI) -> Update:
    """A command as Telegram delivers it: a `bot_command` entity over the first word."""
    word = text.split()[0]
    message = Message(
        message_id=11,
        date=datetime.now(UTC),
        chat=Chat(id=who.chat_id, type=Chat.PRIVATE),
        from_user=User(id=who.telegram_user_id, first_name=who.first_name, is_bot=False),
        text=text,
        entities=(MessageEntity(MessageEntity.BOT_COMMAND, 0, len(word)),),
    )
    return Update(update_id=1, message=message)


# --- the text --------------------------------------------------------------------------------


def test_first_bubble_is_phone_sized_and_names_the_topics() -> None:
    assert len(texts.HELP_QUESTIONS) <= 400
    for topic in ("COD", "ongkir", "algoritma", "listing produk", "harga", "pembayaran"):
        assert topic in texts.HELP_QUESTIONS
    for topic in ("retur & komplain", "keamanan akun", "pajak", "buka toko", "program AKAR"):
        assert topic in texts.HELP_QUESTIONS
    assert "Kak" in texts.HELP_QUESTIONS


def test_only_existing_menu_commands_are_named() -> None:
    """A command in the help text that the bot does not know would answer "Perintah itu belum
    saya kenal": every one must be in the menu Telegram shows."""
    menu = {command.command for command in BOT_COMMANDS}
    named = set(re.findall(r"(?<!\w)/([a-z_]+)", " ".join(HELP_TEXTS)))
    assert named <= menu, f"not in BOT_COMMANDS: {sorted(named - menu)}"
    assert {"modul", "progres", "privasi", "hapusdata"} <= named
    assert "sertifikat" in texts.HELP_MORE
    assert "bantuan" in menu


def test_buttons_reuse_payloads_the_bot_handles() -> None:
    with (ROOT / "domain" / "base.yml").open(encoding="utf-8") as f:
        intents = set(YAML(typ="safe", pure=True).load(f)["intents"])
    for row in texts.HELP_BUTTONS:
        for button in row:
            assert len(button.title) <= SHORT_TITLE
            match = PAYLOAD_PATTERN.match(button.payload)
            if match is None:  # not for Rasa: it must be a learning screen
                assert learning_callbacks.parse(button.payload) is not None, button
            else:
                assert match["intent"] in intents, button


# --- the routing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["/help", "/bantuan", "/help@akar_test_bot", "/Bantuan@AkarBot", "/help tolong dong"]
)
async def test_telegram_help_commands_get_the_overview_without_the_nlu(
    assistant: Assistant, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    delivered: list[Turn] = []

    async def deliver(context: Any, who: SellerIdentity, turn: Turn) -> None:
        delivered.append(turn)

    monkeypatch.setattr(handlers, "_deliver", deliver)
    context: Any = SimpleNamespace(bot_data={"assistant": assistant})
    await handlers.on_command(command_update(text), context)

    [turn] = delivered
    assert [m.text for m in turn.messages] == HELP_TEXTS
    assert turn.messages[-1].buttons == texts.HELP_BUTTONS
    [incoming] = await assistant.store.transcript(SARI.telegram_user_id)
    assert (incoming["kind"], incoming["delivery_status"]) == ("command", "help")
    assert incoming["text"] == text.split()[0].split("@")[0]


def test_bantuan_is_no_longer_a_rasa_shortcut() -> None:
    assert "bantuan" not in handlers.COMMAND_PAYLOADS
    assert "help" not in handlers.COMMAND_PAYLOADS


async def test_terminal_chat_routes_help_and_bantuan(assistant: Assistant) -> None:
    lines: asyncio.Queue[str | None] = asyncio.Queue()
    for line in ["/help", "/BANTUAN", "/keluar"]:
        lines.put_nowait(line)
    output: list[str] = []
    await chat_session(assistant, lines, output.append, who=SARI)

    shown = "\n".join(output)
    assert shown.count(texts.HELP_QUESTIONS) == 2
    assert shown.count(texts.HELP_MORE) == 2
    assert "[1] Contoh pertanyaan" in shown  # buttons numbered, as everywhere in the chat
    incoming = [m for m in await assistant.store.transcript(SARI.telegram_user_id)]
    statuses = [(m["text"], m["delivery_status"]) for m in incoming if m["direction"] == "in"]
    # /start asked the (absent) NLU; the help commands never did.
    assert statuses == [
        ("/start", "rasa_unavailable"),
        ("/help", "help"),
        ("/BANTUAN", "help"),
    ]
