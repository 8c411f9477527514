"""The Redis-backed global broadcast pace (bot/broadcast/shared_limiter.py) with a real
throwaway redis-server (tests/redis_server.py), real PTB `Bot`s and the Bot API emulator:
two `akar broadcast send` processes sharing REDIS_URL stay at one rate together (and without it
they do not: the measure can fail), a 429 seen by one sender pauses the other, the per-chat
spacing is global, and with Redis down a sender goes on alone at its own rate with a warning."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot

from bot.broadcast import outbox
from bot.broadcast.segments import Segment
from bot.broadcast.sender import BroadcastSender
from bot.broadcast.shared_limiter import RedisPacedLimiter, bot_key_prefix, make_limiter
from bot.db.migrate import upgrade
from bot.db.models import BroadcastDelivery, Seller
from bot.db.session import make_engine, make_session_factory
from bot.stack import PROJECT_ROOT
from tests.emulator.emulator import TelegramEmulator
from tests.harness import TOKEN
from tests.redis_server import free_port, throwaway_redis, unavailable_reason

pytestmark = pytest.mark.skipif(unavailable_reason() is not None, reason=unavailable_reason() or "")

FIRST_CHAT = 8_400_000_001
RATE = 20
# Arrivals at the emulator bunch when the box is busy (its event loop is this test's): allow
# 30% over the rate. Two senders that do not share the pace reach about 2 x RATE.
JITTER = RATE * 3 // 10
TIMEOUT = 60.0


@pytest.fixture
def redis_url() -> Iterator[str]:
    with throwaway_redis() as url:
        yield url


def make_database(path: Path, sellers: int) -> tuple[str, sessionmaker[Session]]:
    url = f"sqlite:///{path}"
    upgrade(url)
    sessions = make_session_factory(make_engine(url))
    with sessions.begin() as session:
        session.execute(
            insert(Seller),
            [
                {"telegram_user_id": chat, "chat_id": chat, "first_name": f"S{chat}"}
                for chat in range(FIRST_CHAT, FIRST_CHAT + sellers)
            ],
        )
    return url, sessions


def create(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as session:
        return outbox.create(session, text="Halo Kak, ada modul baru!", segment=Segment()).id


def busiest_second(times: list[float]) -> int:
    times = sorted(times)
    return max(sum(1 for t in times if start <= t < start + 1.0) for start in times)


def sent_times(emulator: TelegramEmulator) -> list[float]:
    return [c.time for c in emulator.calls if c.method == "sendMessage" and c.status == 200]


def statuses(sessions: sessionmaker[Session], broadcast_id: int) -> Counter[str]:
    with sessions.begin() as session:
        return Counter(
            session.scalars(
                select(BroadcastDelivery.status).where(
                    BroadcastDelivery.broadcast_id == broadcast_id
                )
            )
        )


async def run_senders(
    url: str, emulator: TelegramEmulator, folder: Path, count: int, redis: str | None
) -> None:
    """`count` `akar broadcast send --rate RATE` processes at once; each must exit 0."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": emulator.base_url,
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    env.pop("REDIS_URL", None)
    if redis:
        env["REDIS_URL"] = redis
    logs = [folder / f"sender{n}.log" for n in range(count)]
    processes = []
    for log in logs:
        with log.open("wb") as out:
            processes.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    *("-m", "bot", "broadcast", "send", "--rate", str(RATE)),
                    env=env,
                    cwd=folder,  # away from a developer's .env in the project root
                    stdout=out,
                    stderr=out,
                )
            )
    try:
        codes = await asyncio.wait_for(asyncio.gather(*(p.wait() for p in processes)), TIMEOUT)
    finally:
        for p in processes:
            if p.returncode is None:
                p.kill()
                await p.wait()
    output = "\n".join(log.read_text(errors="replace") for log in logs)
    assert codes == [0] * count, output


# --- the limiter itself --------------------------------------------------------------------


async def test_two_limiters_share_one_schedule(redis_url: str) -> None:
    first = RedisPacedLimiter.from_url(redis_url, 50, prefix="t")
    second = RedisPacedLimiter.from_url(redis_url, 50, prefix="t")
    times: list[float] = []

    async def take(limiter: RedisPacedLimiter, n: int) -> None:
        for _ in range(n):
            await limiter.acquire()
            times.append(time.monotonic())

    try:
        await asyncio.gather(*(take(limiter, 25) for limiter in (first, second) for _ in range(4)))
    finally:
        await first.aclose()
        await second.aclose()
    assert len(times) == 200
    assert busiest_second(times) <= 51  # one schedule: 50/s, not 2 x 50/s
    assert times[-1] - times[0] >= 3.8  # 200 slots 20 ms apart


async def test_per_chat_spacing_and_pauses_are_global(redis_url: str) -> None:
    first = RedisPacedLimiter.from_url(redis_url, 100, prefix="t")
    second = RedisPacedLimiter.from_url(redis_url, 100, prefix="t")
    try:
        await first.turn(42, 1.0)
        started = time.monotonic()
        await second.turn(42, 1.0)  # the same chat through another process: a second later
        assert time.monotonic() - started >= 0.9
        await second.turn(43, 1.0)  # another chat: at once
        assert time.monotonic() - started < 1.3

        await first.pause(1.0)  # a 429 seen by `first`
        started = time.monotonic()
        await second.acquire()
        assert time.monotonic() - started >= 0.9
    finally:
        await first.aclose()
        await second.aclose()


def test_without_redis_url_the_limiter_is_the_local_one() -> None:
    assert type(make_limiter(25, None)).__name__ == "PacedLimiter"
    assert bot_key_prefix(TOKEN) == "akar:broadcast:123456"


# --- two sender processes --------------------------------------------------------------------


async def test_two_sender_processes_sharing_redis_stay_at_the_rate(
    redis_url: str, emulator: TelegramEmulator, tmp_path: Path
) -> None:
    sellers = 200
    url, sessions = make_database(tmp_path / "akar.db", sellers)
    broadcast_id = create(sessions)

    await run_senders(url, emulator, tmp_path, 2, redis_url)

    assert statuses(sessions, broadcast_id) == Counter({"sent": sellers})
    per_chat = Counter(m.chat_id for m in emulator.sent if m.method == "sendMessage")
    assert per_chat == Counter({chat: 1 for chat in range(FIRST_CHAT, FIRST_CHAT + sellers)})
    times = sent_times(emulator)
    # RATE plus arrival jitter (the emulator shares this test's event loop), never 2 x RATE.
    assert busiest_second(times) <= RATE + JITTER, busiest_second(times)
    assert max(times) - min(times) >= (sellers - RATE - JITTER) / RATE


async def test_without_redis_two_sender_processes_exceed_the_rate(
    emulator: TelegramEmulator, tmp_path: Path
) -> None:
    """The measure above can fail: two senders pacing themselves alone send at twice RATE."""
    sellers = 160
    url, sessions = make_database(tmp_path / "akar.db", sellers)
    broadcast_id = create(sessions)

    await run_senders(url, emulator, tmp_path, 2, None)

    assert statuses(sessions, broadcast_id) == Counter({"sent": sellers})
    assert busiest_second(sent_times(emulator)) > RATE + JITTER


# --- 429s and Redis outages ------------------------------------------------------------------


async def test_a_429_seen_by_one_sender_pauses_the_other(
    redis_url: str, emulator: TelegramEmulator, bot: Bot, tmp_path: Path
) -> None:
    sellers = 80
    url, sessions = make_database(tmp_path / "akar.db", sellers)
    broadcast_id = create(sessions)
    other_sessions = make_session_factory(make_engine(url))
    senders = [
        BroadcastSender(bot, s, rate=RATE, limiter=make_limiter(RATE, redis_url, TOKEN))
        for s in (sessions, other_sessions)
    ]

    async def inject_429() -> None:
        await emulator.state.changed.wait_for(
            lambda: True if len(emulator.sent) >= 20 else None, TIMEOUT
        )
        emulator.fail_next("sendMessage", status=429, retry_after=2)

    try:
        await asyncio.wait_for(
            asyncio.gather(inject_429(), *(s.run_until_idle() for s in senders)), TIMEOUT
        )
    finally:
        for sender in senders:
            await sender.aclose()

    assert statuses(sessions, broadcast_id) == Counter({"sent": sellers})
    [refused] = [c.time for c in emulator.calls if c.status == 429]
    during_pause = [t for t in sent_times(emulator) if refused + 0.25 < t < refused + 1.9]
    assert during_pause == []  # neither sender, not only the one that got the 429
    assert busiest_second(sent_times(emulator)) <= RATE + JITTER


async def test_with_redis_down_a_sender_goes_on_alone_at_its_rate(
    emulator: TelegramEmulator, bot: Bot, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sellers = 30
    _, sessions = make_database(tmp_path / "akar.db", sellers)
    broadcast_id = create(sessions)
    emulator.set_rate_limit(12)
    nobody_listens = f"redis://127.0.0.1:{free_port()}/0"
    limiter = make_limiter(10, nobody_listens, TOKEN)
    sender = BroadcastSender(bot, sessions, rate=10, limiter=limiter)
    with caplog.at_level(logging.WARNING, logger="bot.broadcast.shared_limiter"):
        try:
            await asyncio.wait_for(sender.run_until_idle(), TIMEOUT)
        finally:
            await sender.aclose()

    assert statuses(sessions, broadcast_id) == Counter({"sent": sellers})
    assert [c for c in emulator.calls if c.status == 429] == []
    times = sent_times(emulator)
    assert busiest_second(times) <= 12  # the configured 10/s, never faster
    assert max(times) - min(times) >= 2.5
    warnings = [r.getMessage() for r in caplog.records if "Redis unreachable" in r.getMessage()]
    assert len(warnings) == 1, warnings  # once per outage, not once per message
