"""`akar privacy retain|mask-stored|check`: the privacy jobs from the command line.

Output is for the programme's operators, so it is Indonesian; --help is for whoever runs it.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from bot.broadcast.schedule import ZONES
from bot.config import Settings
from bot.db.models import utcnow
from bot.db.session import make_engine, make_session_factory
from bot.privacy.backfill import mask_stored
from bot.privacy.policy import PRIVACY_FILE, PrivacyTextError, load_privacy_text
from bot.privacy.rasa_tracker import from_settings as rasa_tracker_events
from bot.privacy.retention import anonymise_before

WIB = ZONES["WIB"]


def _moment(value: str) -> datetime:
    """An ISO 8601 time with its offset ("2026-12-01T09:00+07:00"); naive times are refused."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("beri zona waktunya, misalnya 2026-12-01T09:00+07:00")
    return moment


def _days(value: str) -> int:
    days = int(value)
    if days <= 0:
        raise argparse.ArgumentTypeError("jumlah hari harus lebih dari 0")
    return days


def _wib(moment: datetime) -> str:
    return moment.astimezone(WIB).strftime("%d-%m-%Y %H.%M WIB")


def _retain(settings: Settings, args: argparse.Namespace) -> int:
    days = args.days or settings.transcript_retention_days
    engine = make_engine(settings.database_url)
    try:
        report = anonymise_before(make_session_factory(engine), now=args.now or utcnow(), days=days)
    finally:
        engine.dispose()
    print(
        f"Masa simpan {days} hari: {report.messages} pesan dari sebelum "
        f"{_wib(report.cutoff)} dianonimkan."
    )
    # Rasa's own copy of the conversations (RASA_TRACKER_STORE_URL), unmasked: deleted.
    tracker = rasa_tracker_events(settings.rasa_tracker_store_url)
    if tracker is not None:
        try:
            events = tracker.delete_before(report.cutoff)
        finally:
            tracker.dispose()
        print(f"Riwayat percakapan di Rasa: {events} event dari sebelum itu dihapus.")
    if report.annotations_kept or report.annotations_removed:
        print(
            f"Anotasi NLU pada pesan itu: {report.annotations_kept} disimpan (disamarkan), "
            f"{report.annotations_removed} dihapus karena menyebut nama penjual."
        )
    return 0


def _mask_stored(settings: Settings, args: argparse.Namespace) -> int:
    engine = make_engine(settings.database_url)
    try:
        report = mask_stored(make_session_factory(engine))
    finally:
        engine.dispose()
    print(
        f"Pesan diperiksa: {report.checked}; disamarkan: {report.masked}; "
        f"contoh anotasi disamarkan: {report.annotations_masked}."
    )
    return 0


def _check(settings: Settings, args: argparse.Namespace) -> int:
    try:
        text = load_privacy_text(args.path, retention_days=settings.transcript_retention_days)
    except PrivacyTextError as exc:
        print(exc.format_message(), file=sys.stderr)
        return 1
    print(
        f"Teks privasi valid (versi {text.version}): ringkas {len(text.notice)} karakter, "
        f"lengkap {len(text.full)} karakter ({len(text.full_parts())} pesan)."
    )
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("privacy", help="privacy: transcript retention, masking, the text")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    retain = actions.add_parser(
        "retain",
        help="anonymise messages older than TRANSCRIPT_RETENTION_DAYS (the bot does it daily)",
    )
    retain.add_argument("--days", type=_days, help="retention in days (default: the setting)")
    retain.add_argument(
        "--now", type=_moment, help="as if it were this time (ISO 8601 with offset)"
    )
    retain.set_defaults(func=_retain)
    actions.add_parser(
        "mask-stored",
        help="mask phone numbers, e-mails, bank accounts and NIK in messages stored earlier",
    ).set_defaults(func=_mask_stored)
    check = actions.add_parser("check", help="validate the privacy text (content/privasi.md)")
    check.add_argument("--path", type=Path, default=PRIVACY_FILE, help="the privacy text file")
    check.set_defaults(func=_check)
