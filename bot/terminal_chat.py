"""A terminal chat on the real Rasa + actions + database stack, for trying the bot without Telegram.

Buttons are shown as numbered choices; typing the number presses the button.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from bot.config import Settings
from bot.conversation import HELP_COMMANDS, Assistant, Turn
from bot.rendering import Button
from bot.runtime import build_assistant
from bot.store import SellerIdentity

# Not a Telegram id (those are positive): marks the local tester's transcript.
LOCAL_USER = SellerIdentity(telegram_user_id=-1, chat_id=-1, first_name="Kak")
EXIT_WORDS = {"/keluar", "/exit", "/quit"}
PRIVACY_COMMANDS = {"/privasi", "/hapusdata"}


def _start_stdin_reader(loop: asyncio.AbstractEventLoop) -> asyncio.Queue[str | None]:
    """Read stdin in a daemon thread, so Ctrl-C never waits for an Enter key."""
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def read() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(queue.put_nowait, line.rstrip("\n"))
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=read, name="stdin-reader", daemon=True).start()
    return queue


async def show_turn(assistant: Assistant, turn: Turn, write: Callable[[str], None]) -> list[Button]:
    buttons: list[Button] = []
    for message in turn.messages:
        if message.image_url:
            write(f"[gambar: {message.image_url}]")
        if message.document is not None:
            saved = Path.cwd() / message.document.filename
            saved.write_bytes(message.document.content)
            write(f"[dokumen disimpan: {saved}]")
        if message.text:
            write(f"\n🤖 {message.text}")
        for button in message.flat_buttons:
            buttons.append(button)
            write(f"   [{len(buttons)}] {button.title}")
        await assistant.record_sent(turn, message, telegram_message_id=None)
    return buttons


async def chat_session(
    assistant: Assistant,
    lines: asyncio.Queue[str | None],
    write: Callable[[str], None],
    who: SellerIdentity = LOCAL_USER,
) -> None:
    """The loop itself, separate from stdin/stdout so it can be tested with a queue."""
    await assistant.refresh_intents()
    write("Chat lokal AKAR. Ketik pesan, atau angka untuk memilih tombol. /keluar untuk selesai.")
    buttons = await show_turn(
        assistant, await assistant.handle_start(who, telegram_message_id=None), write
    )
    while True:
        write("\nAnda> ")
        line = await lines.get()
        if line is None or line.strip() in EXIT_WORDS:
            write("Sampai jumpa, Kak! 👋")
            return
        choice = line.strip()
        if choice.isdigit() and 1 <= int(choice) <= len(buttons):
            turn = await assistant.handle_button(who, buttons[int(choice) - 1].payload)
        elif choice.startswith("/") and choice[1:].lower() in HELP_COMMANDS:
            turn = await assistant.handle_help(who, choice, telegram_message_id=None)
        elif choice.lower() in PRIVACY_COMMANDS:
            turn = await assistant.handle_privacy_command(who, choice, telegram_message_id=None)
        else:
            turn = await assistant.handle_text(who, line)
        buttons = await show_turn(assistant, turn, write)


async def run_terminal_chat(settings: Settings) -> None:
    assistant = build_assistant(settings)
    lines = _start_stdin_reader(asyncio.get_running_loop())

    def write(text: str) -> None:
        sys.stdout.write(text if text.endswith("> ") else text + "\n")
        sys.stdout.flush()

    try:
        await chat_session(assistant, lines, write)
    finally:
        await assistant.aclose()
