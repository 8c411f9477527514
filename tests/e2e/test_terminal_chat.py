"""The terminal chat (what `make run` opens without a bot token) on the real stack."""

from __future__ import annotations

import asyncio

from bot.config import Settings
from bot.runtime import build_assistant
from bot.store import SellerIdentity
from bot.terminal_chat import chat_session


async def test_terminal_chat_answers_and_buttons_are_numbered(settings: Settings) -> None:
    assistant = build_assistant(settings)
    lines: asyncio.Queue[str | None] = asyncio.Queue()
    for line in ["kak cod itu apa sih?", "1", "/keluar"]:
        lines.put_nowait(line)
    output: list[str] = []
    who = SellerIdentity(telegram_user_id=-2, chat_id=-2, first_name="Tester")
    await chat_session(assistant, lines, output.append, who=who)
    transcript = await assistant.store.transcript(-2)
    await assistant.aclose()

    shown = "\n".join(output)
    assert "[1]" in shown
    kinds = [(m["kind"], m["intent"]) for m in transcript if m["direction"] == "in"]
    assert kinds[1] == ("text", "tanya_cod")
    assert kinds[2][0] == "callback"  # "1" pressed the first button
    assert shown.rstrip().endswith("Sampai jumpa, Kak! 👋")
