"""`akar broadcast ...` and `akar users ...`: the scriptable side of broadcasts and roles."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from telegram import Bot

from bot.broadcast import outbox, roles, schedule
from bot.broadcast.city_zone import find_province
from bot.broadcast.message import TEXT_LIMIT, html_problem, telegram_length
from bot.broadcast.segments import Segment, recipients
from bot.broadcast.sender import DEFAULT_RATE, BroadcastSender
from bot.broadcast.shared_limiter import make_limiter
from bot.config import Settings
from bot.db.models import Broadcast, ContentLesson, ContentModule, Role, StaffRole, utcnow
from bot.db.session import make_engine, make_session_factory, transaction


def parse_when(text: str | None) -> datetime | None:
    """ "2026-12-01 09:00 WIB" (zone optional, WIB by default); None means now."""
    if not text:
        return None
    try:
        return schedule.parse_when(text)
    except ValueError as exc:
        raise SystemExit(str(exc)) from None


def _button_problem(session: Session, module: str | None, lesson: int | None) -> str | None:
    if (
        module is not None
        and session.scalars(
            select(ContentModule.id).where(
                ContentModule.key == module, ContentModule.retired_at.is_(None)
            )
        ).first()
        is None
    ):
        return f"modul {module!r} tidak ada (lihat kunci modul di content/modules/)"
    if lesson is not None:
        found = session.get(ContentLesson, lesson)
        if found is None or found.retired_at is not None:
            return f"pelajaran dengan id {lesson} tidak ada"
    return None


def _province(text: str | None) -> str | None:
    if not text:
        return None
    code = find_province(text)
    if code is None:
        print(
            f"provinsi tidak dikenali: {text!r} (contoh: Jawa Barat, jabar, NTT)", file=sys.stderr
        )
        raise SystemExit(2)
    return code


def segment_from(args: argparse.Namespace) -> Segment:
    return Segment(
        cluster=args.cluster,
        city=args.city,
        province=_province(args.province),
        platform=args.platform,
        experience=args.experience,
        enrolled_in=args.enrolled_in,
        not_finished=args.not_finished,
        active_days=args.active_days,
    )


def cmd_broadcast(settings: Settings, args: argparse.Namespace) -> int:
    if args.action == "create":
        text = Path(args.text_file).read_text(encoding="utf-8").strip() if args.text_file else ""
        text = text or (args.text or "").strip()
        if not text:
            print("isi siaran kosong: pakai --text atau --text-file", file=sys.stderr)
            return 2
        if (length := telegram_length(text)) > TEXT_LIMIT:
            print(f"isi siaran {length} huruf; maksimal {TEXT_LIMIT}", file=sys.stderr)
            return 2
        when = parse_when(args.at)
        if when is not None and when <= utcnow():
            print(f"waktu {args.at!r} sudah lewat; tanpa --at berarti sekarang", file=sys.stderr)
            return 2
        if args.html and (problem := html_problem(text)):
            print(f"HTML tidak valid untuk Telegram: {problem}", file=sys.stderr)
            return 2
        segment = segment_from(args)
        with transaction(settings.database_url) as session:
            if problem := _button_problem(session, args.module, args.lesson):
                print(problem, file=sys.stderr)
                return 2
            audience = recipients(session, segment)
            broadcast = outbox.create(
                session,
                text=text,
                segment=segment,
                module_key=args.module,
                scheduled_at=when,
            )
            broadcast.parse_mode = "HTML" if args.html else None
            broadcast.lesson_id = args.lesson
            broadcast.report_chat_id = args.report_chat
            # A private chat's id is its user's id: the trainer may then stop it in Telegram.
            broadcast.created_by = args.by or args.report_chat
            opted_out = sum(1 for r in audience if r[2])
            when_text = (
                f"dijadwalkan {schedule.format_when_everywhere(broadcast.scheduled_at)}"
                if when is not None
                else "dikirim sekarang (oleh bot yang berjalan, atau `akar broadcast send`)"
            )
            print(
                f"Siaran #{broadcast.id} {when_text} untuk {segment.describe()}: "
                f"{len(audience) - opted_out} penjual akan menerima "
                f"({opted_out} lainnya sudah /berhenti)."
            )
        return 0
    if args.action == "list":
        with transaction(settings.database_url) as session:
            recent = (
                select(Broadcast)
                .where(Broadcast.status != "drip")  # drip steps: `akar drip list`
                .order_by(Broadcast.id.desc())
                .limit(20)
            )
            for b in session.scalars(recent):
                first_line = b.text.splitlines()[0][:50]
                status = outbox.STATUS_NAMES.get(b.status, b.status)
                local = b.scheduled_at.astimezone(schedule.ZONES["WIB"])
                print(f"#{b.id} {status:<14} {local:%Y-%m-%d %H:%M} WIB  {first_line}")
        return 0
    if args.action in ("status", "cancel"):
        if args.id is None:
            print("sebutkan nomor siaran", file=sys.stderr)
            return 2
        with transaction(settings.database_url) as session:
            if args.action == "cancel" and not outbox.cancel(session, args.id):
                print(f"Siaran #{args.id} tidak bisa dibatalkan (tidak ada atau sudah selesai).")
                return 1
            report = outbox.report(session, args.id)
            if report is None:
                print(f"Siaran #{args.id} tidak ada.")
                return 1
            print(report.summary())
        return 0
    # send: work through everything that is due, then stop; serve: keep sending until stopped.
    if settings.telegram_bot_token is None:
        print("TELEGRAM_BOT_TOKEN belum diisi.", file=sys.stderr)
        return 2
    rate = settings.broadcast_messages_per_second if args.rate is None else args.rate
    if args.action == "serve":
        from bot.broadcast.service import serve

        return asyncio.run(serve(settings, rate))
    if args.recover_after is not None:
        # The sender itself only takes back claims older than STALE_CLAIM (another sender may
        # still be working on younger ones). Right after a crash the operator knows better, and
        # waiting two minutes would leave those rows `sending` for this whole run.
        with transaction(settings.database_url) as session:
            recovered = outbox.recover(session, timedelta(seconds=args.recover_after))
        print(f"{recovered} kiriman yang tertahan dikembalikan ke antrean.")
    return asyncio.run(_send(settings, rate))


async def _send(settings: Settings, rate: float) -> int:
    assert settings.telegram_bot_token is not None
    engine = make_engine(settings.database_url)
    try:
        token = settings.telegram_bot_token.get_secret_value()
        async with Bot(token, base_url=settings.telegram_api_base_url) as bot:
            sender = BroadcastSender(
                bot,
                make_session_factory(engine),
                rate=rate,
                allow_paid_broadcast=settings.allow_paid_broadcast,
                limiter=make_limiter(rate, settings.redis_url, token),
            )
            try:
                await sender.run_until_idle()
            finally:
                await sender.aclose()
    finally:
        engine.dispose()
    return 0


def cmd_users(settings: Settings, args: argparse.Namespace) -> int:
    with transaction(settings.database_url) as session:
        if args.action == "list":
            for row in session.scalars(select(StaffRole).order_by(StaffRole.role)):
                print(f"{row.telegram_user_id}\t{row.role}")
            return 0
        if args.user_id is None:
            print("sebutkan Telegram user id", file=sys.stderr)
            return 2
        if args.action == "revoke":
            removed = roles.revoke(session, args.user_id)
            if removed is None:
                print(f"{args.user_id} tidak punya peran.")
                return 1
            print(f"Peran {removed.value} untuk {args.user_id} dicabut.")
            return 0
        if args.role is None:
            print("sebutkan peran: admin, trainer atau support", file=sys.stderr)
            return 2
        roles.grant(session, args.user_id, Role(args.role), granted_by=None)
        print(f"{args.user_id} sekarang {args.role}.")
        return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    broadcast = sub.add_parser(
        "broadcast",
        help="trainer broadcasts: create, list, status, cancel, send, serve",
        description=(
            "Create a broadcast for a segment of sellers (all filters optional and combined), "
            "follow it, cancel it, or send what is due (send: then exit; serve: as a service "
            "until SIGTERM). `akar run` sends due broadcasts too."
        ),
    )
    broadcast.add_argument(
        "action", choices=["create", "list", "status", "cancel", "send", "serve"]
    )
    broadcast.add_argument("id", nargs="?", type=int, help="broadcast number (status, cancel)")
    broadcast.add_argument("--text", help="message text (plain text)")
    broadcast.add_argument("--text-file", help="read the message text from this file")
    broadcast.add_argument(
        "--html",
        action="store_true",
        help="the text is Telegram HTML (<b>, <i>, <a href=...>); checked before saving",
    )
    broadcast.add_argument("--module", help="add a button to this module (e.g. cod)")
    broadcast.add_argument(
        "--lesson", type=int, metavar="ID", help="add a button to this lesson (its database id)"
    )
    broadcast.add_argument(
        "--by",
        type=int,
        metavar="TELEGRAM_ID",
        help="the trainer who owns it (may stop it in Telegram; default: --report-chat)",
    )
    broadcast.add_argument(
        "--report-chat",
        type=int,
        metavar="CHAT_ID",
        help="Telegram chat that gets the progress message and the final report",
    )
    broadcast.add_argument("--at", help='schedule, e.g. "2026-12-01 09:00 WIB" (WIB/WITA/WIT)')
    broadcast.add_argument("--cluster", choices=["fes", "kul", "kra", "lain"])
    broadcast.add_argument("--city")
    broadcast.add_argument(
        "--province", help="e.g. 'Jawa Barat' or 'jabar' (sellers whose profile city is there)"
    )
    broadcast.add_argument("--platform", help="e.g. Lazada")
    broadcast.add_argument("--experience", choices=["belum", "baru", "jalan"])
    broadcast.add_argument("--enrolled-in", metavar="MODULE")
    broadcast.add_argument("--not-finished", metavar="MODULE")
    broadcast.add_argument("--active-days", type=int, metavar="N")
    broadcast.add_argument(
        "--rate",
        type=float,
        help=(
            f"messages per second (send; default BROADCAST_RATE, else {DEFAULT_RATE:g}, "
            "or 1000 with ALLOW_PAID_BROADCAST)"
        ),
    )
    broadcast.add_argument(
        "--recover-after",
        type=float,
        metavar="SECONDS",
        help=(
            "send: first put rows claimed more than SECONDS ago back to pending (default: "
            "only those older than 2 minutes). After a crash, 0 resends the interrupted batch "
            "at once; only when no other sender is running"
        ),
    )
    broadcast.set_defaults(func=cmd_broadcast)

    # Roles and support desk accounts share `akar users` (bot/desk/accounts_cli.py).
    from bot.desk.accounts_cli import add_users_parser

    add_users_parser(sub, roles_command=cmd_users)
