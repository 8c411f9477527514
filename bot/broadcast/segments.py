"""Who receives a broadcast. A segment is a small JSON object stored with the broadcast, so
the audience is decided when sending starts (sellers who joined meanwhile are included)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, and_, exists, select
from sqlalchemy.orm import Session

from bot.broadcast.city_zone import city_key, province_of_city
from bot.db.models import (
    ContentLesson,
    ContentModule,
    LessonProgress,
    Seller,
    SellerProfile,
    utcnow,
)


@dataclass(frozen=True)
class Segment:
    cluster: str | None = None  # fes, kul, kra, lain (bot/learning/profile.py)
    city: str | None = None  # the profile's city, ignoring case, punctuation and "Kota"/"Kab."
    province: str | None = None  # Kemendagri code ("32"); the profile's city resolved to it
    platform: str | None = None  # canonical name, e.g. "Lazada"
    experience: str | None = None  # belum, baru, jalan
    enrolled_in: str | None = None  # module key: opened at least one of its lessons
    not_finished: str | None = None  # module key: enrolled but not every lesson finished
    active_days: int | None = None  # wrote to the bot within the last N days

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Segment:
        known = {k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in self.to_json().items()]
        return ", ".join(parts) or "semua penjual"


def _enrolled(module_key: str) -> Any:
    return exists().where(
        LessonProgress.seller_id == Seller.id,
        LessonProgress.lesson_id == ContentLesson.id,
        ContentLesson.module_id == ContentModule.id,
        ContentModule.key == module_key,
    )


def _finished_all(module_key: str) -> Any:
    open_lesson = (
        select(ContentLesson.id)
        .join(ContentModule, ContentModule.id == ContentLesson.module_id)
        .where(ContentModule.key == module_key, ContentLesson.retired_at.is_(None))
        .where(
            ~exists().where(
                LessonProgress.seller_id == Seller.id,
                LessonProgress.lesson_id == ContentLesson.id,
                LessonProgress.completed_at.is_not(None),
            )
        )
    )
    return ~exists(open_lesson)


def audience(segment: Segment) -> Select[int, int, bool]:
    """(seller id, chat id, opted out) of every active seller in the segment."""
    query = (
        select(Seller.id, Seller.chat_id, Seller.broadcast_opt_out)
        .outerjoin(SellerProfile, SellerProfile.seller_id == Seller.id)
        .where(Seller.is_active.is_(True))
    )
    if segment.cluster:
        query = query.where(SellerProfile.cluster == segment.cluster)
    if segment.experience:
        query = query.where(SellerProfile.experience == segment.experience)
    if segment.active_days:
        since = utcnow() - timedelta(days=segment.active_days)
        query = query.where(Seller.last_seen_at >= since)
    if segment.enrolled_in:
        query = query.where(_enrolled(segment.enrolled_in))
    if segment.not_finished:
        query = query.where(
            and_(_enrolled(segment.not_finished), ~_finished_all(segment.not_finished))
        )
    return query.order_by(Seller.id)


def recipients(session: Session, segment: Segment) -> list[tuple[int, int, bool]]:
    rows = [(int(a), int(b), bool(c)) for a, b, c in session.execute(audience(segment))]
    if segment.city or segment.province:
        # Free-text cities are compared and resolved in Python (city_zone), not in SQL.
        cities = dict(session.execute(select(SellerProfile.seller_id, SellerProfile.city)).all())
        if segment.city:
            wanted_city = city_key(segment.city)
            rows = [r for r in rows if city_key(cities.get(r[0])) == wanted_city]
        if segment.province:
            rows = [r for r in rows if province_of_city(cities.get(r[0])) == segment.province]
    if segment.platform:
        # JSON list membership is not portable SQL; the profile list is short, filter here.
        wanted = segment.platform.lower()
        platforms = dict(
            session.execute(select(SellerProfile.seller_id, SellerProfile.platforms)).all()
        )
        rows = [r for r in rows if wanted in {p.lower() for p in platforms.get(r[0]) or []}]
    return rows
