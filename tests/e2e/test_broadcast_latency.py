"""A broadcast must not slow down sellers' conversations.

The bot process sends broadcasts on a `Bot` of its own, paced at the configured rate, next to the
Application that answers sellers. Here the running bot's sender works through a broadcast to
10,000 sellers at the default rate while sellers keep asking questions, and their reply latency
is compared with the same questions asked while nothing is being broadcast.

Latency is measured as in `make bench`: from injecting a text update into the emulator to the
emulator receiving the bot's first message for that chat, one question at a time, each from a new
seller. The figures themselves belong in docs/BENCHMARKS.md; this test asserts a safety margin.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from bot.broadcast import outbox
from bot.broadcast.segments import Segment
from bot.db.models import Seller, SellerProfile
from bot.db.session import make_engine, make_session_factory
from bot.handlers import chat_idle
from tests.bench import QUESTIONS, percentile
from tests.harness import RunningBot

RECIPIENTS = 10_000
FIRST_RECIPIENT = 7_900_000_001
FIRST_ASKER = 7_800_000_001  # the sellers whose replies are timed: never in the segment
CITY = "Kota Uji Beban"  # only the synthetic recipients live here
WARM_UP = 5
ROUNDS = 30


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


def add_recipients(sessions: sessionmaker[Session]) -> None:
    """10,000 sellers with a profile in CITY, in two multi-row INSERTs (not 20,000 ORM objects)."""
    last = FIRST_RECIPIENT + RECIPIENTS - 1
    with sessions.begin() as session:
        session.execute(
            insert(Seller),
            [
                {"telegram_user_id": chat, "chat_id": chat, "first_name": "Penjual"}
                for chat in range(FIRST_RECIPIENT, last + 1)
            ],
        )
        ids = session.scalars(
            select(Seller.id).where(Seller.telegram_user_id.between(FIRST_RECIPIENT, last))
        ).all()
        session.execute(
            insert(SellerProfile), [{"seller_id": i, "city": CITY, "platforms": []} for i in ids]
        )


def remove_recipients(sessions: sessionmaker[Session]) -> None:
    """Later tests broadcast to every seller and wait for the end: the 10,000 must go. Their
    profiles and delivery rows go with them (ON DELETE CASCADE). The cancelled broadcast row
    stays: SQLite would hand a deleted id to the next broadcast, and the sender caches each
    broadcast's message by id."""
    last = FIRST_RECIPIENT + RECIPIENTS - 1
    with sessions.begin() as session:
        session.execute(
            delete(Seller).where(Seller.telegram_user_id.between(FIRST_RECIPIENT, last))
        )


async def reply_latencies(bot: RunningBot, first_user: int, rounds: int) -> list[float]:
    """Seconds from each question to the first message of its answer, one question at a time."""
    latencies = []
    for i in range(rounds):
        user = first_user + i
        start = time.perf_counter()
        bot.emulator.inject_text(user, QUESTIONS[i % len(QUESTIONS)])
        await bot.emulator.wait_for_sent(user, timeout=30)
        latencies.append(time.perf_counter() - start)
        await chat_idle(user)  # the next question starts once this one is fully handled
    return latencies


async def test_replies_stay_fast_while_a_broadcast_is_sending(
    bot: RunningBot, sessions: sessionmaker[Session]
) -> None:
    await reply_latencies(bot, FIRST_ASKER, WARM_UP)  # lazy initialisation on the dialogue path
    idle = percentile(await reply_latencies(bot, FIRST_ASKER + WARM_UP, ROUNDS), 95)

    await asyncio.to_thread(add_recipients, sessions)
    try:
        mark = len(bot.emulator.calls)
        started = time.perf_counter()
        with sessions.begin() as session:
            broadcast_id = outbox.create(
                session, text="Promo ongkir minggu ini!", segment=Segment(city=CITY)
            ).id
        # Measure once the running bot's sender has written the delivery rows and is sending.
        await bot.emulator.wait_for_call(
            "sendMessage", lambda c: (c.chat_id or 0) >= FIRST_RECIPIENT, timeout=30, since=mark
        )
        first_after = time.perf_counter() - started
        during = percentile(await reply_latencies(bot, FIRST_ASKER + 1_000, ROUNDS), 95)
        with sessions.begin() as session:
            report = outbox.report(session, broadcast_id)
            assert report is not None and report.counts.get("sent", 0) > 0  # it was sending
            assert outbox.cancel(session, broadcast_id)
    finally:
        await asyncio.to_thread(remove_recipients, sessions)

    print(
        f"\nreply p95 idle {idle * 1000:.0f} ms, during a broadcast {during * 1000:.0f} ms "
        f"(first broadcast message {first_after:.1f} s after creating it)"
    )
    # Twice the idle p95, but at least 0.25 s more than it. p95 of 30 samples is the
    # second-slowest reply, and on a 2-core CI box Rasa, the action server and this one event
    # loop (bot, sender and emulator together) share the cores: a single scheduling hiccup moves
    # it by ~100 ms, as large as the idle p95 itself. What this guards against costs far more:
    # conversations waiting on the broadcast (a 429 pausing the shared bot, the database locked
    # across a batch) shows up as a second or more.
    assert during <= max(2 * idle, idle + 0.25), (idle, during)
