"""Run the emulator on its own, to try the bot without Telegram or to drive it from a test.

    python -m tests.emulator --port 8081            # prints TELEGRAM_API_BASE_URL=...
    python -m tests.emulator --port 8081 --chat 42  # ... and chat as user 42 in this terminal

Then start the bot against it, e.g. `TELEGRAM_BOT_TOKEN=123456:TEST
TELEGRAM_API_BASE_URL=http://127.0.0.1:8081/bot make run`. The first line printed is always
`TELEGRAM_API_BASE_URL=<url>` so scripts can read it (with --port 0 a free port is chosen).
In --chat mode a line is sent as a message (or a command if it starts with "/"), and `#N`
taps the N-th button of the bot's last message. Ctrl-C (or Ctrl-D in --chat mode) stops.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from tests.emulator.emulator import TelegramEmulator
from tests.emulator.records import ApiCall, SentMessage


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--chat", type=int, metavar="USER_ID", help="chat as this user on stdin")
    parser.add_argument("--name", default="Sari", help="first name of the --chat user")
    parser.add_argument("--quiet", action="store_true", help="do not print what the bot sends")
    return parser.parse_args(argv)


def show_sent(message: SentMessage) -> None:
    text = message.plain_text if message.plain_text is not None else message.text
    print(f"bot → {message.chat_id}: {text or f'({message.method})'}", flush=True)
    if message.buttons:
        labels = " ".join(f"[#{n} {b.get('text', '')}]" for n, b in enumerate(message.buttons, 1))
        print(f"      {labels}", flush=True)


def show_failure(call: ApiCall) -> None:
    print(f"bot ✗ {call.method} chat={call.params.get('chat_id')}: {call.description}", flush=True)


async def echo(emulator: TelegramEmulator) -> None:
    """Print what the bot sends (and calls that failed) as it happens."""
    seen = [0, 0]  # how many sent messages and calls were shown

    def news() -> bool | None:
        return True if [len(emulator.sent), len(emulator.calls)] != seen else None

    while True:
        await emulator.state.changed.wait_for(news, None)
        for message in emulator.sent[seen[0] :]:
            show_sent(message)
        for call in emulator.calls[seen[1] :]:
            if not call.ok and call.method != "getUpdates":
                show_failure(call)
        seen[:] = [len(emulator.sent), len(emulator.calls)]


async def chat(emulator: TelegramEmulator, user_id: int, name: str) -> None:
    """Read lines from stdin and inject them as user `user_id`."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    print(f"chatting as user {user_id} ({name}); /start to begin, #N taps a button", flush=True)
    while line := (await reader.readline()).decode().strip():
        if line.startswith("#") and line[1:].isdigit():
            last = emulator.sent_to(user_id)
            buttons = [b for b in last[-1].buttons if "callback_data" in b] if last else []
            index = int(line[1:]) - 1
            if 0 <= index < len(buttons):
                emulator.inject_callback(
                    user_id, buttons[index]["callback_data"], message_id=last[-1].message_id
                )
            else:
                print("no such button", flush=True)
        elif line.startswith("/"):
            command, _, args = line.partition(" ")
            emulator.inject_command(user_id, command, args, first_name=name)
        else:
            emulator.inject_text(user_id, line, first_name=name)


async def serve(args: argparse.Namespace) -> None:
    emulator = TelegramEmulator()
    await emulator.start(args.host, args.port)
    print(f"TELEGRAM_API_BASE_URL={emulator.base_url}", flush=True)
    print(f"control API: {emulator.control_url}/health (inject, sent, wait, fault)", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    tasks = []
    if not args.quiet:
        tasks.append(asyncio.create_task(echo(emulator)))
    if args.chat is not None:
        chatting = asyncio.create_task(chat(emulator, args.chat, args.name))
        chatting.add_done_callback(lambda _: stop.set())
        tasks.append(chatting)
    try:
        await stop.wait()
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await emulator.stop()


def main(argv: list[str] | None = None) -> None:
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
