"""Broadcast outbox and sender against the Bot API emulator (real HTTP, real PTB `Bot`, real
databases: SQLite and PostgreSQL): segments, final states under 429/403/400, crash recovery,
cancellation, and claims that never overlap (FOR UPDATE SKIP LOCKED on PostgreSQL)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot

from bot.broadcast import outbox
from bot.broadcast.segments import Segment, recipients
from bot.broadcast.sender import FOOTER, BroadcastSender
from bot.db import repository
from bot.db.models import BroadcastDelivery, Seller, SellerProfile, utcnow
from bot.db.session import make_engine, make_session_factory
from tests.emulator.emulator import TelegramEmulator

SELLERS = 30
FIRST_CHAT = 8_100_000_001


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        for n in range(SELLERS):
            seller = repository.upsert_seller(
                session, telegram_user_id=FIRST_CHAT + n, chat_id=FIRST_CHAT + n, first_name=f"S{n}"
            )
            session.flush()
            session.add(
                SellerProfile(
                    seller_id=seller.id,
                    cluster="kul" if n % 3 == 0 else "fes",
                    platforms=["Lazada"] if n % 2 == 0 else ["Shopee"],
                    city="Bandung" if n < 10 else "Garut",
                )
            )
            seller.broadcast_opt_out = n == 5
    yield factory
    engine.dispose()


def create(sessions: sessionmaker[Session], segment: Segment | None = None) -> int:
    with sessions.begin() as session:
        return outbox.create(
            session, text="Halo Kak, ada modul baru!", segment=segment or Segment()
        ).id


def final_states(sessions: sessionmaker[Session], broadcast_id: int) -> Counter[str]:
    with sessions.begin() as session:
        rows = session.scalars(
            select(BroadcastDelivery.status).where(BroadcastDelivery.broadcast_id == broadcast_id)
        )
        return Counter(rows)


def test_segments_select_the_right_sellers(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        assert len(recipients(session, Segment())) == SELLERS
        kuliner = recipients(session, Segment(cluster="kul"))
        assert len(kuliner) == 10
        assert len(recipients(session, Segment(city="bandung", platform="lazada"))) == 5
        opted = [r for r in recipients(session, Segment()) if r[2]]
        assert len(opted) == 1


async def test_every_recipient_ends_in_exactly_one_final_state(
    sessions: sessionmaker[Session], emulator: TelegramEmulator, bot: Bot
) -> None:
    blocked, missing = FIRST_CHAT + 3, FIRST_CHAT + 4
    emulator.block_chat(blocked)
    emulator.fail_chat_not_found(missing)
    emulator.fail_next("sendMessage", status=429, retry_after=1, times=2)
    broadcast_id = create(sessions)

    await BroadcastSender(bot, sessions, rate=50).run_until_idle()

    states = final_states(sessions, broadcast_id)
    assert states == Counter({"sent": SELLERS - 3, "blocked": 1, "failed": 1, "opted_out": 1})
    sent = [m for m in emulator.sent if m.method == "sendMessage"]
    assert len(sent) == SELLERS - 3
    assert len({m.chat_id for m in sent}) == len(sent)  # nobody got it twice
    assert all((m.text or "").endswith(FOOTER) for m in sent)
    with sessions.begin() as session:
        assert (
            session.scalars(select(Seller).where(Seller.chat_id == blocked)).one().is_active
            is False
        )
        report = outbox.report(session, broadcast_id)
        assert report is not None and report.status == "done"
        assert "terkirim 27" in report.summary()


async def test_a_crashed_batch_is_resent_and_nothing_is_lost(
    sessions: sessionmaker[Session], emulator: TelegramEmulator, bot: Bot
) -> None:
    broadcast_id = create(sessions)
    # A sender claimed 10 rows and died before recording anything.
    with sessions.begin() as session:
        outbox.start_due(session)
        crashed = outbox.claim(session, 10, now=utcnow() + timedelta(seconds=1))
        assert len(crashed) == 10
        session.execute(
            update(BroadcastDelivery)
            .where(BroadcastDelivery.id.in_([c.id for c in crashed]))
            .values(claimed_at=utcnow() - timedelta(minutes=5))
        )
    await BroadcastSender(bot, sessions, rate=100).run_until_idle()
    assert final_states(sessions, broadcast_id) == Counter({"sent": SELLERS - 1, "opted_out": 1})
    per_chat = Counter(m.chat_id for m in emulator.sent)
    assert max(per_chat.values()) == 1  # the dead sender never reached Telegram here


async def test_a_cancelled_broadcast_stops(
    sessions: sessionmaker[Session], emulator: TelegramEmulator, bot: Bot
) -> None:
    broadcast_id = create(sessions, Segment(cluster="fes"))
    with sessions.begin() as session:
        outbox.start_due(session)
        assert outbox.cancel(session, broadcast_id)
        assert not outbox.cancel(session, broadcast_id)
    await BroadcastSender(bot, sessions).run_until_idle()
    assert emulator.sent == []
    states = final_states(sessions, broadcast_id)
    assert set(states) <= {"cancelled", "opted_out"} and states["cancelled"] >= 19


# The pace is the sender's, not the database's: SQLite only (saves ~3 s).
@pytest.mark.parametrize("migrated_database_url", ["sqlite"], indirect=True)
async def test_the_global_rate_is_respected(
    sessions: sessionmaker[Session], emulator: TelegramEmulator, bot: Bot
) -> None:
    # Telegram answers 429 above its limit; the sender paces messages evenly at its own rate, a
    # little under the limit (the emulator shares this event loop, so a stall can bunch a few).
    emulator.set_rate_limit(12)
    broadcast_id = create(sessions)
    await BroadcastSender(bot, sessions, rate=10).run_until_idle()
    assert final_states(sessions, broadcast_id)["sent"] == SELLERS - 1
    calls = [c for c in emulator.calls if c.method == "sendMessage"]
    assert [c for c in calls if c.status == 429] == []
    times = sorted(c.time for c in calls)
    busiest = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    assert busiest <= 12  # 10/s plus arrival jitter, never a burst
    assert times[-1] - times[0] >= 2.0  # 29 messages at 10/s cannot take less


def test_two_senders_never_claim_the_same_row(sessions: sessionmaker[Session]) -> None:
    create(sessions)
    with sessions.begin() as session:
        outbox.start_due(session)
    later = utcnow() + timedelta(seconds=1)
    with sessions.begin() as session:
        first = outbox.claim(session, 10, now=later)
    with sessions.begin() as session:
        second = outbox.claim(session, 100, now=later)
    assert len(first) == 10 and len(second) == SELLERS - 1 - 10
    assert not {c.id for c in first} & {c.id for c in second}


def test_a_claim_skips_rows_another_open_claim_holds(sessions: sessionmaker[Session]) -> None:
    """Two senders at the same moment: while the first claim's transaction is still open, the
    second gets the other rows at once (SKIP LOCKED) instead of waiting or getting nothing.
    SQLite has one writer at a time, so there the second would wait; PostgreSQL only."""
    if sessions.kw["bind"].dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL only (SQLite serialises writers)")
    create(sessions)
    with sessions.begin() as session:
        outbox.start_due(session)
    later = utcnow() + timedelta(seconds=1)
    with sessions.begin() as first_session:
        first = outbox.claim(first_session, 10, now=later)
        with sessions.begin() as second_session:
            second_session.execute(text("SET LOCAL lock_timeout = '2s'"))
            second = outbox.claim(second_session, 100, now=later)
    assert len(first) == 10 and len(second) == SELLERS - 1 - 10
    assert not {c.id for c in first} & {c.id for c in second}
