"""Figures for the desk's /analitik page: pure functions on the caller's session (nothing is
written), frozen dataclasses out.

Days are calendar days in WIB (UTC+7 all year, `bot/broadcast/schedule.ZONES`), computed in
SQL by `wib_day` (`date(created_at, '+7 hours')` on SQLite, `to_char((created_at AT TIME ZONE
'UTC') + INTERVAL '7 hours', 'YYYY-MM-DD')` on PostgreSQL), so every figure is one grouped
query over an indexed `created_at` range, whatever the number of messages. A `DateRange` is
two inclusive WIB dates; days without any row are filled with zeros here, not in SQL.

Definitions (the same as the rest of the project, so the inbox filters find the same messages):

* questions: incoming messages the seller typed (`kind` text or edited); `incoming` counts
  every incoming message (buttons, commands, quiz answers too);
* top intents and the fallback rate are about questions the NLU classified (typed, with an
  intent): a button's intent is its payload, not something understood, and the fallback
  menu's "Bukan keduanya" (`/nlu_fallback`) follows a typed message that already counted;
  fallback: intent `nlu_fallback` or status `fallback` (`inbox`'s filter); `bot/conversation.py`
  sets no fallback status of its own (its `rasa_unavailable` and `no_reply` are outages, not
  misunderstandings);
* handoff requests: incoming messages with status `handoff_requested`, the one
  `facade.start_handoff` gives the message that starts a handoff (a paused seller's messages
  are held before Rasa, so a running handoff is not counted again); staff replies: outgoing
  messages with `sent_by_account_id`. A staff take-over of a chat that had not asked for a
  person leaves no request, only staff replies;
* module funnel: the cohort of sellers whose first lesson of the module started in the range;
  of them, who finished every active lesson of the module and who got its certificate (both
  counted up to now);
* broadcast delivery: broadcasts scheduled in the range that have delivery rows, drip steps
  left out as on /laporan-siaran.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from bot.broadcast.schedule import ZONES
from bot.db.models import (
    Broadcast,
    BroadcastDelivery,
    Certificate,
    ContentLesson,
    ContentModule,
    Direction,
    LessonProgress,
    Message,
)
from bot.support import handoff
from bot.support.inbox import FALLBACK_INTENT, FALLBACK_STATUS

WIB: Final = ZONES["WIB"]
WIB_OFFSET_HOURS: Final = 7
DEFAULT_DAYS: Final = 30
MAX_DAYS: Final = 366
TYPED_KINDS: Final = ("text", "edited")
TOP_INTENTS: Final = 10
MAX_BROADCASTS: Final = 30
DRIP_STATUS: Final = "drip"


# --- dates ---------------------------------------------------------------------------------------


class InvalidRange(ValueError):
    """A date range the page cannot show; the message is Indonesian, for the form."""


@dataclass(frozen=True)
class DateRange:
    """Inclusive WIB dates `first`..`last`, at most `MAX_DAYS` days."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.first > self.last:
            raise InvalidRange("Tanggal awal harus sebelum atau sama dengan tanggal akhir.")
        if self.day_count > MAX_DAYS:
            raise InvalidRange(f"Rentang paling panjang {MAX_DAYS} hari.")

    @classmethod
    def last_days(cls, days: int, today: date) -> DateRange:
        """`days` days ending with `today` (inclusive)."""
        return cls(today - timedelta(days=days - 1), today)

    @property
    def day_count(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def since(self) -> datetime:
        """The first instant of the range (00.00 WIB of `first`), aware."""
        return datetime.combine(self.first, time(), tzinfo=WIB)

    @property
    def until(self) -> datetime:
        """The first instant after the range (00.00 WIB of the day after `last`), exclusive."""
        return datetime.combine(self.last + timedelta(days=1), time(), tzinfo=WIB)

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(self.day_count)]


def today_wib(now: datetime) -> date:
    return now.astimezone(WIB).date()


class wib_day(FunctionElement[str]):  # named like the SQL function it stands for
    """The WIB calendar day of a UTC timestamp column, as 'YYYY-MM-DD' text on every backend.

    The SQL holds no bound parameters, so the same expression in SELECT and GROUP BY is one
    expression to PostgreSQL too."""

    type = sa.String()
    name = "wib_day"
    inherit_cache = True


@compiles(wib_day, "sqlite")
def _wib_day_sqlite(element: wib_day, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps UtcDateTime as naive UTC text ('2026-11-02 02:00:00.000000').
    return f"date({compiler.process(element.clauses, **kw)}, '+{WIB_OFFSET_HOURS} hours')"


@compiles(wib_day, "postgresql")
def _wib_day_postgresql(element: wib_day, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return (
        f"to_char(({column} AT TIME ZONE 'UTC') + INTERVAL '{WIB_OFFSET_HOURS} hours', "
        "'YYYY-MM-DD')"
    )


@compiles(wib_day)
def _wib_day_other(element: wib_day, compiler: SQLCompiler, **kw: Any) -> str:
    raise CompileError(f"wib_day supports SQLite and PostgreSQL, not {compiler.dialect.name}")


def _in_range(column: QueryableAttribute[datetime], rng: DateRange) -> sa.ColumnElement[bool]:
    return sa.and_(column >= rng.since, column < rng.until)


# --- per day: questions, fallback, handoff -------------------------------------------------------


@dataclass(frozen=True)
class DayActivity:
    day: date
    incoming: int = 0  # every incoming message
    questions: int = 0  # typed by the seller
    nlu: int = 0  # questions classified by the NLU (they have an intent)
    fallbacks: int = 0
    handoff_requests: int = 0
    staff_replies: int = 0

    @property
    def fallback_rate(self) -> float | None:
        """Share of classified questions that fell back, 0..1; None on a day without any."""
        return self.fallbacks / self.nlu if self.nlu else None


def _count_where(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    """COUNT of the rows meeting `condition` (portable conditional count)."""
    return sa.func.count(sa.case((condition, 1)))


def daily_activity(session: Session, rng: DateRange) -> list[DayActivity]:
    """One row per day of the range (zeros included), from one grouped scan of `messages`."""
    incoming = Message.direction == Direction.IN
    typed = sa.and_(incoming, Message.kind.in_(TYPED_KINDS))
    fallback = sa.or_(Message.intent == FALLBACK_INTENT, Message.delivery_status == FALLBACK_STATUS)
    day = wib_day(Message.created_at).label("day")
    query = (
        sa.select(
            day,
            _count_where(incoming),
            _count_where(typed),
            _count_where(sa.and_(typed, sa.or_(Message.intent.is_not(None), fallback))),
            _count_where(sa.and_(typed, fallback)),
            _count_where(sa.and_(incoming, Message.delivery_status == handoff.REQUEST_STATUS)),
            _count_where(
                sa.and_(Message.direction == Direction.OUT, Message.sent_by_account_id.is_not(None))
            ),
        )
        .where(_in_range(Message.created_at, rng))
        .group_by(day)
    )
    found = {
        date.fromisoformat(row[0]): DayActivity(date.fromisoformat(row[0]), *map(int, row[1:]))
        for row in session.execute(query)
    }
    return [found.get(d, DayActivity(d)) for d in rng.days()]


# --- top intents ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class IntentCount:
    intent: str
    count: int
    share: float  # of all classified questions in the range, 0..1


@dataclass(frozen=True)
class TopIntents:
    total: int  # questions with an intent in the range
    top: list[IntentCount]
    others: int  # messages whose intent is not among `top`


def top_intents(session: Session, rng: DateRange, limit: int = TOP_INTENTS) -> TopIntents:
    """The most frequent intents of typed questions, with their share of all classified ones."""
    count = sa.func.count().label("n")
    rows = session.execute(
        sa.select(Message.intent, count)
        .where(
            Message.direction == Direction.IN,
            Message.kind.in_(TYPED_KINDS),
            Message.intent.is_not(None),
            _in_range(Message.created_at, rng),
        )
        .group_by(Message.intent)
        .order_by(count.desc(), Message.intent)
    ).all()
    total = sum(int(n) for _, n in rows)
    top = [IntentCount(str(i), int(n), int(n) / total) for i, n in rows[:limit]]
    return TopIntents(total, top, total - sum(c.count for c in top))


# --- module funnel -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModuleFunnel:
    key: str
    number: int
    title: str
    lessons: int  # active lessons
    started: int  # sellers whose first lesson of the module started in the range
    finished: int  # of them, finished every active lesson (up to now)
    certified: int  # of them, with the module's certificate
    retired: bool = False


def module_funnel(session: Session, rng: DateRange) -> list[ModuleFunnel]:
    """Per module (active ones, and retired ones someone started in the range), in order."""
    progress, lesson = LessonProgress, ContentLesson
    cohort = (
        sa.select(progress.seller_id, lesson.module_id)
        .join(lesson, lesson.id == progress.lesson_id)
        .group_by(progress.seller_id, lesson.module_id)
        .having(
            sa.func.min(progress.started_at) >= rng.since,
            sa.func.min(progress.started_at) < rng.until,
        )
        .subquery("cohort")
    )
    active = (
        sa.select(lesson.module_id, sa.func.count().label("n"))
        .where(lesson.retired_at.is_(None))
        .group_by(lesson.module_id)
        .subquery("active")
    )
    done = (
        sa.select(progress.seller_id, lesson.module_id, sa.func.count().label("n"))
        .join(lesson, lesson.id == progress.lesson_id)
        .where(progress.completed_at.is_not(None), lesson.retired_at.is_(None))
        .group_by(progress.seller_id, lesson.module_id)
        .subquery("done")
    )
    module = ContentModule
    lessons = sa.func.coalesce(active.c.n, 0)
    started = sa.func.count(cohort.c.seller_id)
    query = (
        sa.select(
            module.key,
            module.number,
            module.title,
            module.retired_at.is_not(None),
            lessons,
            started,
            _count_where(sa.and_(active.c.n > 0, done.c.n >= active.c.n)),
            sa.func.count(Certificate.id),
        )
        .select_from(module)
        .outerjoin(active, active.c.module_id == module.id)
        .outerjoin(cohort, cohort.c.module_id == module.id)
        .outerjoin(
            done,
            sa.and_(done.c.module_id == module.id, done.c.seller_id == cohort.c.seller_id),
        )
        .outerjoin(
            Certificate,
            sa.and_(
                Certificate.module_id == module.id, Certificate.seller_id == cohort.c.seller_id
            ),
        )
        .group_by(module.id, module.key, module.number, module.title, module.retired_at, active.c.n)
        .having(sa.or_(module.retired_at.is_(None), started > 0))
        .order_by(module.number, module.key)
    )
    return [
        ModuleFunnel(
            key=key,
            number=int(number),
            title=title,
            lessons=int(n_lessons),
            started=int(n_started),
            finished=int(n_finished),
            certified=int(n_certified),
            retired=bool(retired),
        )
        for key, number, title, retired, n_lessons, n_started, n_finished, n_certified in (
            session.execute(query)
        )
    ]


# --- broadcast delivery --------------------------------------------------------------------------

WAITING: Final = frozenset({"pending", "sending"})


@dataclass(frozen=True)
class BroadcastDeliveryFigures:
    broadcast_id: int
    preview: str
    status: str
    scheduled_at: datetime
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def count(self, status: str) -> int:
        return self.counts.get(status, 0)

    @property
    def waiting(self) -> int:
        return sum(self.counts.get(s, 0) for s in WAITING)

    @property
    def other(self) -> int:
        """Final rows that are none of sent, blocked, failed, opted out (cancelled, skipped)."""
        named = {"sent", "blocked", "failed", "opted_out", *WAITING}
        return sum(n for s, n in self.counts.items() if s not in named)


_TAG: Final = re.compile(r"<[^>]*>")


def broadcast_preview(text: str, parse_mode: str | None, limit: int = 60) -> str:
    """The first line of a broadcast as plain text (Telegram HTML tags removed)."""
    if (parse_mode or "").upper() == "HTML":
        text = html.unescape(_TAG.sub("", text))
    first = (text.strip().splitlines() or [""])[0].strip()
    return first if len(first) <= limit else first[: limit - 1] + "…"


def broadcast_delivery(
    session: Session, rng: DateRange, limit: int = MAX_BROADCASTS
) -> list[BroadcastDeliveryFigures]:
    """Delivery outcomes of the latest `limit` broadcasts scheduled in the range, oldest first."""
    has_rows = sa.exists().where(BroadcastDelivery.broadcast_id == Broadcast.id)
    broadcasts = session.execute(
        sa.select(
            Broadcast.id,
            Broadcast.text,
            Broadcast.parse_mode,
            Broadcast.status,
            Broadcast.scheduled_at,
        )
        .where(
            Broadcast.status != DRIP_STATUS,
            _in_range(Broadcast.scheduled_at, rng),
            has_rows,
        )
        .order_by(Broadcast.scheduled_at.desc(), Broadcast.id.desc())
        .limit(limit)
    ).all()
    counts: dict[int, dict[str, int]] = {row.id: {} for row in broadcasts}
    if counts:
        for broadcast_id, status, n in session.execute(
            sa.select(BroadcastDelivery.broadcast_id, BroadcastDelivery.status, sa.func.count())
            .where(BroadcastDelivery.broadcast_id.in_(counts))
            .group_by(BroadcastDelivery.broadcast_id, BroadcastDelivery.status)
        ):
            counts[broadcast_id][status] = int(n)
    return [
        BroadcastDeliveryFigures(
            broadcast_id=row.id,
            preview=broadcast_preview(row.text, row.parse_mode),
            status=row.status,
            scheduled_at=row.scheduled_at,
            counts=counts[row.id],
        )
        for row in reversed(broadcasts)
    ]


# --- everything for the page ---------------------------------------------------------------------


@dataclass(frozen=True)
class Analytics:
    range: DateRange
    days: list[DayActivity]
    intents: TopIntents
    modules: list[ModuleFunnel]
    broadcasts: list[BroadcastDeliveryFigures]

    @property
    def questions(self) -> int:
        return sum(d.questions for d in self.days)

    @property
    def incoming(self) -> int:
        return sum(d.incoming for d in self.days)

    @property
    def fallback_rate(self) -> float | None:
        nlu = sum(d.nlu for d in self.days)
        return sum(d.fallbacks for d in self.days) / nlu if nlu else None

    @property
    def handoff_requests(self) -> int:
        return sum(d.handoff_requests for d in self.days)

    @property
    def staff_replies(self) -> int:
        return sum(d.staff_replies for d in self.days)


def overview(session: Session, rng: DateRange) -> Analytics:
    """Every figure of the page for one range: five queries (six with broadcasts)."""
    return Analytics(
        range=rng,
        days=daily_activity(session, rng),
        intents=top_intents(session, rng),
        modules=module_funnel(session, rng),
        broadcasts=broadcast_delivery(session, rng),
    )
