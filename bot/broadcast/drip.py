"""Drip series: a module's lessons, one by one, counted from each seller's own enrolment.

A trainer attaches a series to a module ("lesson 1 on day 0, lesson 2 on day 2, ..."). A seller
enrols by opening any lesson of the module (their first `LessonProgress.started_at` there).
Step N reaches them `day_offset` days after the enrolment date, at `local_hour` in their own
zone (WIB/WITA/WIT from their profile's city, bot/broadcast/city_zone.py). Day 0 before that
hour waits for it; day 0 after it goes at once, since the seller is reading right now.

No new sending machinery: every step owns a `Broadcast` with status "drip" (sendable, never
finished by the outbox), and `schedule_due` adds that broadcast's delivery rows seller by
seller as each one's time comes. The outbox's unique (broadcast, seller) row is what makes a
step reach a seller at most once, however often `schedule_due` runs. A finished lesson gets a
final "skipped" row, an opted-out seller an "opted_out" row, so they are decided once too.

Two deliberate limits, so a series never floods a chat:
* a step whose time came before the series existed is never sent (a new series does not
  replay old lessons to sellers who enrolled months ago);
* a step more than LATE_LIMIT overdue (the bot was down, the seller had blocked it) is dropped
  rather than sent late in a burst with the next ones.

Every function takes the caller's session and never commits.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import pairwise
from typing import Any, Final

from sqlalchemy import Result, and_, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from bot.broadcast.city_zone import zone_info, zone_of_city
from bot.broadcast.segments import Segment
from bot.db.models import (
    Broadcast,
    BroadcastDelivery,
    ContentLesson,
    ContentModule,
    DripSeries,
    DripStep,
    LessonProgress,
    Seller,
    SellerProfile,
    utcnow,
)

STATUS: Final = "drip"  # outbox.SENDABLE includes it
SKIPPED: Final = "skipped"  # the seller had finished the lesson: final, never sent
LATE_LIMIT: Final = timedelta(hours=12)
DEFAULT_HOUR: Final = 9
DEFAULT_GAP_DAYS: Final = 2
_DAY: Final = timedelta(days=1)


class DripError(ValueError):
    """A series that cannot be created; the message is for the trainer (Indonesian)."""


def default_days(count: int) -> list[int]:
    """0, 2, 4, ...: a lesson every other day leaves time to practise in between."""
    return [DEFAULT_GAP_DAYS * i for i in range(count)]


def lesson_text(module: ContentModule, lesson: ContentLesson) -> str:
    """The step's message; the sender adds the button to the lesson and the opt-out footer."""
    return (
        f"Pelajaran hari ini, Kak: {lesson.title} 📚\n\n"
        f"Dari modul {module.title}, cukup sekitar {lesson.minutes} menit. "
        "Tekan tombol di bawah untuk mulai belajar. Semangat!"
    )


def _live_module(session: Session, module_key: str) -> ContentModule:
    module = session.scalars(
        select(ContentModule).where(
            ContentModule.key == module_key, ContentModule.retired_at.is_(None)
        )
    ).first()
    if module is None:
        raise DripError(f"Modul {module_key!r} tidak ditemukan atau sudah tidak aktif.")
    return module


def _check_days(days: list[int], lesson_count: int) -> None:
    example = ",".join(str(d) for d in default_days(lesson_count))
    if len(days) != lesson_count:
        raise DripError(
            f"Modul ini punya {lesson_count} pelajaran aktif, jadi jadwal harinya perlu "
            f"{lesson_count} angka (misalnya {example})."
        )
    if any(d < 0 for d in days) or any(b < a for a, b in pairwise(days)):
        raise DripError(f"Hari dihitung dari 0 dan tidak boleh mundur (misalnya {example}).")


def create_series(
    session: Session,
    module_key: str,
    *,
    days: list[int] | None,
    local_hour: int = DEFAULT_HOUR,
    name: str | None = None,
    created_by: int | None = None,
    now: datetime | None = None,
) -> DripSeries:
    """One step per live lesson of the module, in lesson order, each with its own broadcast.

    `days` are the offsets from enrolment (default 0, 2, 4, ...). One active series per module:
    two would send every lesson twice.
    """
    now = now or utcnow()
    if not 0 <= local_hour <= 23:
        raise DripError("Jam kirim harus antara 0 dan 23.")
    module = _live_module(session, module_key)
    running = session.scalar(
        select(DripSeries.id).where(
            DripSeries.module_key == module.key, DripSeries.active.is_(True)
        )
    )
    if running is not None:
        raise DripError(
            f"Modul {module.key} sudah punya seri aktif #{running}. "
            f"Hentikan dulu dengan: akar drip stop {running}"
        )
    lessons = [lesson for lesson in module.lessons if lesson.retired_at is None]
    if not lessons:
        raise DripError(f"Modul {module.key} belum punya pelajaran aktif.")
    offsets = default_days(len(lessons)) if days is None else list(days)
    _check_days(offsets, len(lessons))

    series = DripSeries(
        name=(name or "").strip() or f"Seri {module.title}",
        module_key=module.key,
        local_hour=local_hour,
        active=True,
        created_by=created_by,
        created_at=now,
    )
    for position, (lesson, offset) in enumerate(zip(lessons, offsets, strict=True), start=1):
        broadcast = Broadcast(
            text=lesson_text(module, lesson),
            segment=Segment(enrolled_in=module.key).to_json(),
            module_key=module.key,
            lesson_id=lesson.id,
            created_by=created_by,
            status=STATUS,
            scheduled_at=now,
            created_at=now,
            started_at=now,
        )
        session.add(broadcast)
        session.flush()
        series.steps.append(
            DripStep(
                position=position,
                day_offset=offset,
                lesson_id=lesson.id,
                broadcast_id=broadcast.id,
            )
        )
    session.add(series)
    session.flush()
    return series


def deactivate(session: Session, series_id: int, now: datetime | None = None) -> int | None:
    """Stops the series: no new rows, and rows not sent yet are cancelled. Returns how many
    were cancelled, or None when there is no such active series."""
    series = session.get(DripSeries, series_id)
    if series is None or not series.active:
        return None
    now = now or utcnow()
    series.active = False
    broadcast_ids = [step.broadcast_id for step in series.steps]
    cancelled = session.execute(
        update(BroadcastDelivery)
        .where(
            BroadcastDelivery.broadcast_id.in_(broadcast_ids),
            BroadcastDelivery.status == "pending",
        )
        .values(status="cancelled")
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Broadcast)
        .where(Broadcast.id.in_(broadcast_ids), Broadcast.status == STATUS)
        .values(status="cancelled", finished_at=now)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return int(cancelled.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class StepInfo:
    position: int
    day_offset: int
    lesson_id: int
    lesson_title: str
    lesson_live: bool
    broadcast_id: int
    counts: dict[str, int]


@dataclass(frozen=True)
class SeriesInfo:
    id: int
    name: str
    module_key: str
    local_hour: int
    active: bool
    created_at: datetime
    steps: tuple[StepInfo, ...]


def list_series(session: Session) -> list[SeriesInfo]:
    """Every series, newest first, with delivery counts per step (one grouped query)."""
    series = session.scalars(
        select(DripSeries)
        .options(selectinload(DripSeries.steps).selectinload(DripStep.lesson))
        .order_by(DripSeries.id.desc())
    ).all()
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    broadcast_ids = [step.broadcast_id for s in series for step in s.steps]
    if broadcast_ids:
        for broadcast_id, status, count in session.execute(
            select(BroadcastDelivery.broadcast_id, BroadcastDelivery.status, func.count())
            .where(BroadcastDelivery.broadcast_id.in_(broadcast_ids))
            .group_by(BroadcastDelivery.broadcast_id, BroadcastDelivery.status)
        ):
            counts[broadcast_id][status] = int(count)
    return [
        SeriesInfo(
            s.id,
            s.name,
            s.module_key,
            s.local_hour,
            s.active,
            s.created_at,
            tuple(
                StepInfo(
                    step.position,
                    step.day_offset,
                    step.lesson_id,
                    step.lesson.title,
                    step.lesson.retired_at is None,
                    step.broadcast_id,
                    counts[step.broadcast_id],
                )
                for step in s.steps
            ),
        )
        for s in series
    ]


# --- scheduling -----------------------------------------------------------------------------


def due_at(enrolled_at: datetime, day_offset: int, local_hour: int, zone: tzinfo) -> datetime:
    """When a step reaches a seller: the enrolment's local date + `day_offset` days, at
    `local_hour` local time; never before the enrolment itself (day 0 after the hour: now)."""
    local_date: date = enrolled_at.astimezone(zone).date() + timedelta(days=day_offset)
    target = datetime.combine(local_date, time(local_hour), tzinfo=zone).astimezone(UTC)
    return max(enrolled_at, target)


@dataclass(frozen=True)
class _Step:
    id: int
    day_offset: int
    broadcast_id: int


def _live_steps(session: Session, series_id: int) -> list[_Step]:
    """Steps whose lesson (and module) is still live and whose broadcast was not stopped."""
    rows = session.execute(
        select(DripStep.id, DripStep.day_offset, DripStep.broadcast_id)
        .join(ContentLesson, ContentLesson.id == DripStep.lesson_id)
        .join(ContentModule, ContentModule.id == ContentLesson.module_id)
        .join(Broadcast, Broadcast.id == DripStep.broadcast_id)
        .where(
            DripStep.series_id == series_id,
            ContentLesson.retired_at.is_(None),
            ContentModule.retired_at.is_(None),
            Broadcast.status == STATUS,
        )
        .order_by(DripStep.position)
    ).all()
    return [_Step(int(a), int(b), int(c)) for a, b, c in rows]


def _candidates(
    session: Session, series: DripSeries, steps: list[_Step], floor: datetime, now: datetime
) -> Result[int, int, bool, str | None, datetime, int, bool]:
    """(seller, step) pairs that may be due and have no row yet, in one query.

    The exact due time depends on the seller's zone, which lives in free text, so SQL only
    narrows: a step is due within a day either side of enrolment + offset in any zone, so
    enrolments outside [floor - offset - 1 day, now - offset + 1 day] cannot be due in the
    window [floor, now], and Python decides for the rest. Everyone else already has their row
    or is too early or too late, so the result stays small however many sellers there are.
    """
    windows = {
        step.id: (floor - (step.day_offset + 1) * _DAY, now - (step.day_offset - 1) * _DAY)
        for step in steps
    }
    enrolment = (
        select(
            LessonProgress.seller_id.label("seller_id"),
            func.min(LessonProgress.started_at).label("enrolled_at"),
        )
        .join(ContentLesson, ContentLesson.id == LessonProgress.lesson_id)
        .join(ContentModule, ContentModule.id == ContentLesson.module_id)
        .where(ContentModule.key == series.module_key)
        .group_by(LessonProgress.seller_id)
        .having(
            func.min(LessonProgress.started_at) >= min(lo for lo, _ in windows.values()),
            func.min(LessonProgress.started_at) <= max(hi for _, hi in windows.values()),
        )
        .subquery()
    )
    finished = exists().where(
        LessonProgress.seller_id == Seller.id,
        LessonProgress.lesson_id == DripStep.lesson_id,
        LessonProgress.completed_at.is_not(None),
    )
    has_row = exists().where(
        BroadcastDelivery.broadcast_id == DripStep.broadcast_id,
        BroadcastDelivery.seller_id == Seller.id,
    )
    in_window = or_(
        *(
            and_(
                DripStep.id == step_id,
                enrolment.c.enrolled_at >= lo,
                enrolment.c.enrolled_at <= hi,
            )
            for step_id, (lo, hi) in windows.items()
        )
    )
    return session.execute(
        select(
            Seller.id,
            Seller.chat_id,
            Seller.broadcast_opt_out,
            SellerProfile.city,
            enrolment.c.enrolled_at,
            DripStep.id,
            finished,
        )
        .select_from(enrolment)
        .join(Seller, Seller.id == enrolment.c.seller_id)
        .outerjoin(SellerProfile, SellerProfile.seller_id == Seller.id)
        .join(DripStep, DripStep.id.in_(list(windows)))
        .where(Seller.is_active.is_(True), in_window, ~has_row)
    )


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> int:
    """Inserts delivery rows, leaving out any another scheduler wrote meanwhile (the unique
    (broadcast, seller) constraint decides); returns how many were written."""
    if not rows:
        return 0
    table = BroadcastDelivery.metadata.tables[BroadcastDelivery.__tablename__]
    unique = ["broadcast_id", "seller_id"]
    dialect = session.get_bind().dialect.name
    statement: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        statement = postgresql.insert(table).on_conflict_do_nothing(index_elements=unique)
    elif dialect == "sqlite":
        statement = sqlite.insert(table).on_conflict_do_nothing(index_elements=unique)
    else:
        raise NotImplementedError(f"drip scheduling supports PostgreSQL and SQLite, not {dialect}")
    return len(session.execute(statement.returning(table.c.id), rows).all())


def schedule_due(session: Session, now: datetime | None = None) -> int:
    """Adds a delivery row for every (active series step, enrolled active seller) whose time
    has come: "pending" (the sender sends it), "skipped" (lesson already finished) or
    "opted_out". Returns how many rows were written.

    Two queries per active series (plus the insert), whatever the number of sellers; with
    10,000 enrolled sellers an idle run takes some 40 ms on SQLite. Steps are due on the hour,
    so once a minute is often enough.
    """
    now = now or utcnow()
    written = 0
    for series in session.scalars(select(DripSeries).where(DripSeries.active.is_(True))).all():
        steps = _live_steps(session, series.id)
        if not steps:
            continue
        floor = max(series.created_at, now - LATE_LIMIT)
        by_id = {step.id: step for step in steps}
        zones: dict[str | None, tzinfo] = {}
        rows: list[dict[str, Any]] = []
        for seller_id, chat_id, opted_out, city, enrolled_at, step_id, finished in _candidates(
            session, series, steps, floor, now
        ):
            if city not in zones:
                zones[city] = zone_info(zone_of_city(city))
            step = by_id[step_id]
            due = due_at(enrolled_at, step.day_offset, series.local_hour, zones[city])
            if not floor <= due <= now:
                continue
            status = "opted_out" if opted_out else SKIPPED if finished else "pending"
            rows.append(
                {
                    "broadcast_id": step.broadcast_id,
                    "seller_id": seller_id,
                    "chat_id": chat_id,
                    "status": status,
                    "attempts": 0,
                    "next_attempt_at": now,
                }
            )
        written += _insert_new(session, rows)
    session.flush()
    return written
