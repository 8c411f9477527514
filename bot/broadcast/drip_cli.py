"""`akar drip create|list|stop`: drip series from the command line (bot/broadcast/drip.py).

Output is for trainers, so it is Indonesian; the --help texts are for whoever runs the bot.
"""

from __future__ import annotations

import argparse
import sys

from bot.broadcast import drip
from bot.config import Settings
from bot.db.session import transaction

_STATUS_WORDS = (
    ("sent", "terkirim"),
    ("skipped", "dilewati (sudah selesai)"),
    ("opted_out", "berhenti langganan"),
    ("blocked", "diblokir"),
    ("failed", "gagal"),
    ("cancelled", "dibatalkan"),
)


def parse_days(text: str) -> list[int]:
    """ "0,2,4" -> [0, 2, 4]."""
    try:
        days = [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"jadwal hari tidak terbaca: {text!r} (contoh: 0,2,4)"
        ) from None
    if not days:
        raise argparse.ArgumentTypeError("jadwal hari kosong (contoh: 0,2,4)")
    return days


def _days_text(days: list[int]) -> str:
    return ", ".join(str(d) for d in days)


def _create(settings: Settings, args: argparse.Namespace) -> int:
    with transaction(settings.database_url) as session:
        try:
            series = drip.create_series(
                session, args.module, days=args.days, local_hour=args.hour, name=args.name
            )
        except drip.DripError as exc:
            print(str(exc), file=sys.stderr)
            return 1
        days = [step.day_offset for step in series.steps]
        print(
            f'Seri drip #{series.id} "{series.name}" dibuat untuk modul {series.module_key}: '
            f"{len(days)} pelajaran pada hari ke-{_days_text(days)} setelah penjual mulai "
            f"modul, jam {series.local_hour:02d}.00 waktu setempat (WIB/WITA/WIT)."
        )
    return 0


def _step_line(step: drip.StepInfo) -> str:
    counts = step.counts
    waiting = counts.get("pending", 0) + counts.get("sending", 0)
    shown = [f"{label} {counts[status]}" for status, label in _STATUS_WORDS if counts.get(status)]
    if waiting:
        shown.append(f"menunggu {waiting}")
    retired = "" if step.lesson_live else " [pelajaran sudah tidak aktif]"
    return (
        f"  {step.position}. hari ke-{step.day_offset}: {step.lesson_title}{retired}"
        f" ({', '.join(shown) or 'belum ada kiriman'})"
    )


def _list(settings: Settings, args: argparse.Namespace) -> int:
    with transaction(settings.database_url) as session:
        all_series = drip.list_series(session)
        if not all_series:
            print("Belum ada seri drip. Buat dengan: akar drip create --module KUNCI")
            return 0
        for series in all_series:
            state = "aktif" if series.active else "dihentikan"
            print(
                f'#{series.id} "{series.name}" modul {series.module_key}, '
                f"jam {series.local_hour:02d}.00 waktu setempat, {state}"
            )
            for step in series.steps:
                print(_step_line(step))
    return 0


def _stop(settings: Settings, args: argparse.Namespace) -> int:
    with transaction(settings.database_url) as session:
        cancelled = drip.deactivate(session, args.id)
    if cancelled is None:
        print(f"Seri drip #{args.id} tidak ada atau sudah dihentikan.", file=sys.stderr)
        return 1
    print(
        f"Seri drip #{args.id} dihentikan. Tidak ada pelajaran baru yang dikirim; "
        f"{cancelled} kiriman yang belum terkirim dibatalkan."
    )
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "drip",
        help="drip series: a module's lessons sent day by day after each seller enrols",
        description=(
            "A drip series sends a module's lessons one by one, counted from each seller's own "
            "enrolment (the first time they open a lesson of the module), at a local hour in "
            "their zone (WIB/WITA/WIT, from the city in their profile; WIB when unknown). "
            "Lessons a seller already finished are skipped. The bot's sender delivers them."
        ),
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    create = actions.add_parser(
        "create",
        help="attach a series to a module",
        description=(
            "One step per active lesson of the module, in lesson order. Sellers whose step "
            "time came before the series existed do not get that step."
        ),
    )
    create.add_argument("--module", required=True, metavar="KEY", help="module key, e.g. cod")
    create.add_argument(
        "--days",
        type=parse_days,
        metavar="0,2,4",
        help=(
            "days after enrolment, one per lesson, never going back (default: every other "
            "day, 0,2,4,...)"
        ),
    )
    create.add_argument(
        "--hour",
        type=int,
        default=drip.DEFAULT_HOUR,
        choices=range(24),
        metavar="0-23",
        help=f"local hour to send at (default {drip.DEFAULT_HOUR}); day 0 after this hour "
        "goes out right away",
    )
    create.add_argument("--name", help='name shown in "akar drip list" (default: the module)')
    create.set_defaults(func=_create)

    listing = actions.add_parser("list", help="every series with its steps and delivery counts")
    listing.set_defaults(func=_list)

    stop = actions.add_parser(
        "stop",
        help="stop a series",
        description="No new steps are scheduled and messages not sent yet are cancelled.",
    )
    stop.add_argument("id", type=int, help='series number, as in "akar drip list"')
    stop.set_defaults(func=_stop)
