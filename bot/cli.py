"""`akar`: the project's command line (run the stack, the bot, a terminal chat, migrations)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.config import Settings, get_settings
from bot.logging_setup import configure_logging

log = logging.getLogger("akar")


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.db.migrate import upgrade
    from bot.stack import run_stack

    upgrade(settings.database_url)
    chat = args.chat or settings.telegram_bot_token is None
    return asyncio.run(run_stack(settings, chat=chat))


def cmd_bot(settings: Settings, args: argparse.Namespace) -> int:
    from bot.runtime import build_assistant
    from bot.telegram_app import build_application, run

    if settings.telegram_bot_token is None:
        print("TELEGRAM_BOT_TOKEN belum diisi (lihat README: cara membuat bot di @BotFather).")
        return 2
    assistant = build_assistant(settings)
    app = build_application(
        settings.telegram_bot_token.get_secret_value(), settings.telegram_api_base_url, assistant
    )
    secret = settings.telegram_webhook_secret
    run(
        app,
        webhook_url=settings.telegram_webhook_url,
        webhook_port=settings.telegram_webhook_port,
        secret=secret.get_secret_value() if secret else None,
    )
    return 0


def cmd_chat(settings: Settings, args: argparse.Namespace) -> int:
    from bot.terminal_chat import run_terminal_chat

    asyncio.run(run_terminal_chat(settings))
    return 0


def cmd_db(settings: Settings, args: argparse.Namespace) -> int:
    from bot.db import migrate

    if args.action == "upgrade":
        migrate.upgrade(settings.database_url, args.revision or "head")
    elif args.action == "downgrade":
        migrate.downgrade(settings.database_url, args.revision or "-1")
    else:
        print(migrate.current(settings.database_url) or "(empty database)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="akar", description="AKAR Indonesia seller assistant")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run",
        help="start Rasa, the action server and the bot (a terminal chat without a bot token)",
    )
    run.add_argument("--chat", action="store_true", help="terminal chat even if a token is set")
    run.set_defaults(func=cmd_run)
    sub.add_parser("bot", help="run only the Telegram bot (Rasa must be running)").set_defaults(
        func=cmd_bot
    )
    sub.add_parser("chat", help="terminal chat against a running Rasa").set_defaults(func=cmd_chat)
    db = sub.add_parser("db", help="database migrations")
    db.add_argument("action", choices=["upgrade", "downgrade", "current"])
    db.add_argument("revision", nargs="?", help="target revision (default: head / one step back)")
    db.set_defaults(func=cmd_db)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = get_settings()
    configure_logging(settings)
    try:
        result: int = args.func(settings, args)
        return result
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
