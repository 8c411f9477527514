"""`akar`: the project's command line (run the stack, the bot, the support desk, a terminal chat,
migrations)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from bot.config import Settings
from bot.content.publish import CONTENT_DIR
from bot.logging_setup import configure_logging

log = logging.getLogger("akar")


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.content.loader import ContentError
    from bot.content.publish import publish
    from bot.db.migrate import upgrade
    from bot.stack import run_stack

    upgrade(settings.database_url)
    try:
        report = publish(settings.database_url)
        log.info("training modules synced: %s", report.summary())
    except ContentError as exc:
        # The assistant still answers questions; only the modules stay as they were.
        log.error("training modules not synced:\n%s", exc.format_message())
    chat = args.chat or settings.telegram_bot_token is None
    return asyncio.run(run_stack(settings, chat=chat))


def cmd_bot(settings: Settings, args: argparse.Namespace) -> int:
    from bot.observability import bot_process
    from bot.runtime import build_assistant
    from bot.telegram_app import build_application, run

    if settings.telegram_bot_token is None:
        print("TELEGRAM_BOT_TOKEN belum diisi (lihat README: cara membuat bot di @BotFather).")
        return 2
    webhook = None
    if settings.telegram_webhook_url:
        from bot.webhook.runner import WebhookConfig, WebhookConfigError

        secret = settings.telegram_webhook_secret
        try:
            webhook = WebhookConfig(
                url=settings.telegram_webhook_url,
                secret=secret.get_secret_value() if secret else "",
                listen=settings.telegram_webhook_listen,
                port=settings.telegram_webhook_port,
                max_connections=settings.webhook_max_connections,
                concurrency=settings.webhook_concurrency,
                lease_seconds=settings.webhook_lease_seconds,
                poll_seconds=settings.webhook_poll_seconds,
            )
        except WebhookConfigError as exc:
            print(exc)
            return 2
    assistant = build_assistant(settings)
    app = build_application(
        settings.telegram_bot_token.get_secret_value(),
        settings.telegram_api_base_url,
        assistant,
        broadcast_rate=settings.broadcast_messages_per_second,
        allow_paid_broadcast=settings.allow_paid_broadcast,
        redis_url=settings.redis_url,
        webhook=webhook is not None,
    )
    bot_process.configure(app, settings)
    run(app, webhook=webhook)
    return 0


def cmd_chat(settings: Settings, args: argparse.Namespace) -> int:
    from bot.terminal_chat import run_terminal_chat

    asyncio.run(run_terminal_chat(settings))
    return 0


def cmd_web(settings: Settings, args: argparse.Namespace) -> int:
    from bot.desk.server import serve

    return serve(settings)


def cmd_db(settings: Settings, args: argparse.Namespace) -> int:
    from bot.db import migrate

    if args.action == "upgrade":
        migrate.upgrade(settings.database_url, args.revision or "head")
    elif args.action == "downgrade":
        migrate.downgrade(settings.database_url, args.revision or "-1")
    else:
        print(migrate.current(settings.database_url) or "(empty database)")
    return 0


DEFAULT_CONTENT_DIR = CONTENT_DIR
DEFAULT_DOMAIN_DIR = CONTENT_DIR.parent.parent / "domain"


def cmd_content(settings: Settings, args: argparse.Namespace) -> int:
    """`akar content check|sync`: validate the module files and the answers' sources, then
    (sync) import the modules."""
    from bot.content.answers import check_answers
    from bot.content.loader import ContentError, load_catalogue

    answers, problems = check_answers(args.domain)
    try:
        catalogue = load_catalogue(args.path)
    except ContentError as exc:
        print(ContentError([*exc.problems, *problems]).format_message(), file=sys.stderr)
        return 1
    if problems:
        print(ContentError(problems).format_message(), file=sys.stderr)
        return 1
    lessons = sum(len(m.lessons) for m in catalogue.modules)
    print(
        f"Konten valid: {len(catalogue.modules)} modul, {lessons} pelajaran, "
        f"{answers} jawaban bersumber."
    )
    if args.action == "check":
        return 0

    from bot.content.publish import publish
    from bot.db.migrate import upgrade

    upgrade(settings.database_url)
    report = publish(settings.database_url, args.path)
    print(f"Sinkron selesai: {report.summary()}.")
    for line in report.added + report.updated + report.retired:
        print(f"  {line}")
    return 0


def cmd_certificate(settings: Settings, args: argparse.Namespace) -> int:
    """`akar certificate verify CODE`: is this certificate real, and whose is it?"""
    from bot.db.session import make_engine, make_session_factory, session_scope
    from bot.learning.certificate import find, indonesian_date

    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            found = find(session, args.code)
            if found is None:
                print(f"TIDAK VALID: kode {args.code} tidak terdaftar.")
                return 1
            print(
                f"VALID: {found.code} · {found.seller_name} · {found.module_title} · "
                f"diterbitkan {indonesian_date(found.issued_at)}"
            )
            return 0
    finally:
        engine.dispose()


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
    sub.add_parser(
        "web", help="run only the support desk web app on WEB_HOST:WEB_PORT"
    ).set_defaults(func=cmd_web)
    db = sub.add_parser("db", help="database migrations")
    db.add_argument("action", choices=["upgrade", "downgrade", "current"])
    db.add_argument("revision", nargs="?", help="target revision (default: head / one step back)")
    db.set_defaults(func=cmd_db)
    content = sub.add_parser("content", help="training modules: check the files, import them")
    content.add_argument("action", choices=["check", "sync"])
    content.add_argument(
        "--path", type=Path, default=DEFAULT_CONTENT_DIR, help="folder with one folder per module"
    )
    content.add_argument(
        "--domain", type=Path, default=DEFAULT_DOMAIN_DIR, help="folder with the answers (domain/)"
    )
    content.set_defaults(func=cmd_content)
    certificate = sub.add_parser("certificate", help="check a module completion certificate")
    certificate.add_argument("action", choices=["verify"])
    certificate.add_argument(
        "code", help="the code printed on the certificate, e.g. AKAR-7K2M-Q9XA"
    )
    certificate.set_defaults(func=cmd_certificate)
    from bot.broadcast.cli import add_parsers
    from bot.broadcast.drip_cli import add_parsers as add_drip_parsers
    from bot.privacy.cli import add_parsers as add_privacy_parsers
    from bot.support.export_cli import add_parsers as add_nlu_parsers

    add_parsers(sub)
    add_drip_parsers(sub)
    add_nlu_parsers(sub)
    add_privacy_parsers(sub)
    return parser


def service_name(args: argparse.Namespace) -> str:
    """The `service` field of JSON log lines: the subcommand (`bot`, `web`, ...); `akar run`
    writes as the supervisor does (`akar`), `akar broadcast serve` as `sender`."""
    if args.command == "broadcast" and getattr(args, "action", None) == "serve":
        return "sender"
    return "akar" if args.command == "run" else str(args.command)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Read the environment on every call (not the cached get_settings): tests call main() often.
    settings = Settings()
    configure_logging(settings, service_name(args))
    try:
        result: int = args.func(settings, args)
        return result
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
