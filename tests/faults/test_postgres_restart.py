"""PostgreSQL restarted under a running broadcast: the real BroadcastSender (its own PTB `Bot`,
the Bot API emulator over HTTP) sends one broadcast to 200 sellers, and the database is stopped
in the middle of it and started again on the same port.

What must hold: the sender (the bot's `run_forever` loop, or the CLI's `run_until_idle`)
survives the outage, resumes once the database is back, and every recipient gets the broadcast
exactly once: the outcomes of a batch already with Telegram are kept and recorded when the
database returns, so the outage costs no duplicate (docs/ARCHITECTURE.md allows at most the
claimed batch twice only when the sender itself dies).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot

from bot.broadcast import outbox
from bot.broadcast.segments import Segment
from bot.broadcast.sender import BroadcastSender
from bot.db.models import Broadcast, BroadcastDelivery, Seller
from bot.db.session import make_engine, make_session_factory
from tests.emulator.emulator import TelegramEmulator
from tests.faults.pg_restart import RestartablePostgres, restartable_postgres
from tests.waiting import wait_until

RECIPIENTS = 200
FIRST_CHAT = 8_300_000_001
# The sender claims `rate` rows per batch: five batches of 40, about 5 s of sending.
RATE = 40
# Once the database is back, the rest of the broadcast takes seconds; a sender that dropped the
# outcomes of its batch would only get the rows back after STALE_CLAIM (2 minutes).
RESUME_TIMEOUT = 60.0
TEXT = "Halo Kak, modul baru sudah bisa dibuka!"


def seed(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as session:
        session.execute(
            insert(Seller),
            [
                {"telegram_user_id": chat, "chat_id": chat, "first_name": f"S{chat}"}
                for chat in range(FIRST_CHAT, FIRST_CHAT + RECIPIENTS)
            ],
        )
        return outbox.create(session, text=TEXT, segment=Segment()).id


def finished(sessions: sessionmaker[Session], broadcast_id: int) -> bool:
    """Every row final and the broadcast marked done (by the sender's next empty claim)."""
    with sessions.begin() as session:
        broadcast = session.get(Broadcast, broadcast_id)
        open_rows = session.scalar(
            select(func.count())
            .select_from(BroadcastDelivery)
            .where(
                BroadcastDelivery.broadcast_id == broadcast_id,
                BroadcastDelivery.status.in_(("pending", "sending")),
            )
        )
        return broadcast is not None and broadcast.status == "done" and open_rows == 0


def final_state(sessions: sessionmaker[Session], broadcast_id: int) -> tuple[str, Counter[str]]:
    with sessions.begin() as session:
        broadcast = session.get(Broadcast, broadcast_id)
        assert broadcast is not None
        statuses = Counter(
            session.scalars(
                select(BroadcastDelivery.status).where(
                    BroadcastDelivery.broadcast_id == broadcast_id
                )
            )
        )
        return broadcast.status, statuses


@pytest.mark.parametrize(
    ("loop", "stop_mode"),
    [("run_forever", "fast"), ("run_until_idle", "immediate")],
    ids=["bot-loop-clean-restart", "cli-loop-crash-restart"],
)
async def test_broadcast_survives_a_postgres_restart(
    emulator: TelegramEmulator,
    bot: Bot,
    caplog: pytest.LogCaptureFixture,
    loop: str,
    stop_mode: str,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.broadcast.sender")
    with restartable_postgres() as pg:
        engine = make_engine(pg.url)
        sessions = make_session_factory(engine)
        try:
            broadcast_id = seed(sessions)
            await send_through_a_restart(
                pg, sessions, broadcast_id, emulator, bot, caplog, loop, stop_mode
            )
            status, statuses = final_state(sessions, broadcast_id)
        finally:
            engine.dispose()

    assert status == "done"
    assert statuses == Counter({"sent": RECIPIENTS})
    per_chat = Counter(m.chat_id for m in emulator.sent if m.method == "sendMessage")
    assert set(per_chat) == set(range(FIRST_CHAT, FIRST_CHAT + RECIPIENTS))  # nobody lost
    assert [chat for chat, n in per_chat.items() if n > 1] == []  # nobody got it twice
    assert all((m.text or "").startswith(TEXT) for m in emulator.sent)


async def send_through_a_restart(
    pg: RestartablePostgres,
    sessions: sessionmaker[Session],
    broadcast_id: int,
    emulator: TelegramEmulator,
    bot: Bot,
    caplog: pytest.LogCaptureFixture,
    loop: str,
    stop_mode: str,
) -> None:
    sender = BroadcastSender(bot, sessions, rate=RATE)
    stop = asyncio.Event()
    if loop == "run_forever":
        task = asyncio.create_task(sender.run_forever(stop, poll=0.2))
    else:
        task = asyncio.create_task(sender.run_until_idle())

    async def sent_a_batch() -> bool:
        return len(emulator.sent) >= RATE

    async def sender_hit_the_outage() -> bool:
        return any(
            r.name == "bot.broadcast.sender" and r.levelno >= logging.WARNING
            for r in caplog.records
        )

    try:
        # The first batch is out and the next is claimed or in flight when the database goes.
        await wait_until(sent_a_batch, "the first batch")
        await asyncio.to_thread(pg.stop, stop_mode)
        # Down until the sender has met the outage (a failed claim or record, logged).
        await wait_until(sender_hit_the_outage, "the sender noticing the database is down")
        assert not task.done(), task.exception()
        await asyncio.to_thread(pg.start)

        async def all_sent() -> bool:
            if task.done() and loop == "run_forever":
                raise AssertionError(f"the sender stopped: {task.exception()!r}")
            return await asyncio.to_thread(finished, sessions, broadcast_id) and (
                loop == "run_forever" or task.done()
            )

        await wait_until(all_sent, "the rest of the broadcast", RESUME_TIMEOUT)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings, "the outage left no trace in the sender's log"


async def test_stopping_the_sender_during_an_outage_keeps_the_duplicate_bound(
    emulator: TelegramEmulator, bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    """The bot shut down while the database is away: the sender stops at once instead of
    waiting for the database with a batch in hand, and that batch (claimed, sent, not recorded)
    is sent again after recovery: at most the claimed batch twice, nobody lost."""
    caplog.set_level(logging.INFO, logger="bot.broadcast.sender")
    with restartable_postgres() as pg:
        engine = make_engine(pg.url)
        sessions = make_session_factory(engine)
        try:
            broadcast_id = seed(sessions)
            sender = BroadcastSender(bot, sessions, rate=RATE)
            stop = asyncio.Event()
            task = asyncio.create_task(sender.run_forever(stop, poll=0.2))

            async def sent_a_batch() -> bool:
                return len(emulator.sent) >= RATE

            async def sender_hit_the_outage() -> bool:
                return any(r.levelno >= logging.WARNING for r in caplog.records)

            await wait_until(sent_a_batch, "the first batch")
            await asyncio.to_thread(pg.stop, "fast")
            await wait_until(sender_hit_the_outage, "the sender noticing the database is down")
            stop.set()
            await asyncio.wait_for(task, timeout=5.0)  # not OUTAGE_LIMIT, not STALE_CLAIM
            await asyncio.to_thread(pg.start)

            # Started again after a known crash (`akar broadcast send --recover-after 0`).
            with sessions.begin() as session:
                outbox.recover(session, timedelta(0))
            await BroadcastSender(bot, sessions, rate=RATE).run_until_idle()
            status, statuses = final_state(sessions, broadcast_id)
        finally:
            engine.dispose()

    assert status == "done"
    assert statuses == Counter({"sent": RECIPIENTS})
    per_chat = Counter(m.chat_id for m in emulator.sent if m.method == "sendMessage")
    assert set(per_chat) == set(range(FIRST_CHAT, FIRST_CHAT + RECIPIENTS))
    assert max(per_chat.values()) <= 2
    assert sum(n - 1 for n in per_chat.values()) <= RATE  # at most the claimed batch twice


@pytest.mark.parametrize("loop", ["run_forever", "run_until_idle"])
async def test_a_sender_started_while_the_database_is_down_waits_for_it(
    emulator: TelegramEmulator, bot: Bot, caplog: pytest.LogCaptureFixture, loop: str
) -> None:
    """The database is away when the sender starts (a host reboot brings the bot up first):
    the sender waits instead of dying, then sends the broadcast once."""
    caplog.set_level(logging.INFO, logger="bot.broadcast.sender")
    with restartable_postgres() as pg:
        engine = make_engine(pg.url)
        sessions = make_session_factory(engine)
        try:
            broadcast_id = seed(sessions)
            await asyncio.to_thread(pg.stop, "fast")
            stop = asyncio.Event()
            sender = BroadcastSender(bot, sessions, rate=RATE)
            if loop == "run_forever":
                task = asyncio.create_task(sender.run_forever(stop, poll=0.2))
            else:
                task = asyncio.create_task(sender.run_until_idle())

            async def waiting_for_the_database() -> bool:
                return any("waiting for it" in r.getMessage() for r in caplog.records)

            async def done() -> bool:
                if task.done():
                    task.result()  # raises what ended it
                    return True
                return await asyncio.to_thread(finished, sessions, broadcast_id)

            try:
                await wait_until(waiting_for_the_database, "the sender noticing the outage")
                assert not task.done(), task.exception()
                await asyncio.to_thread(pg.start)
                await wait_until(done, "the broadcast", RESUME_TIMEOUT)
                assert loop == "run_until_idle" or not task.done()
            finally:
                stop.set()
                await asyncio.wait_for(task, timeout=30)
            status, statuses = final_state(sessions, broadcast_id)
        finally:
            engine.dispose()

    assert status == "done"
    assert statuses == Counter({"sent": RECIPIENTS})
    per_chat = Counter(m.chat_id for m in emulator.sent if m.method == "sendMessage")
    assert per_chat == Counter(range(FIRST_CHAT, FIRST_CHAT + RECIPIENTS))  # each exactly once
    assert any("database is back" in r.getMessage() for r in caplog.records)
