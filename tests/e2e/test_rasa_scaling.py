"""Rasa for many users (issue #7), end to end: two real Rasa servers sharing one SQL tracker
store (a throwaway PostgreSQL cluster) and one Redis lock store (a throwaway redis-server),
the real action server, and the real bot in front spreading messages over both servers.

What must hold: a conversation keeps its context whichever server takes each turn, and its
events land in PostgreSQL; a server killed mid-conversation costs the seller nothing (the bot
fails over to the other one); Redis down means an apology, never silence, and answers again
once Redis is back; /hapusdata and the retention job delete Rasa's rows too.

The stack starts once for this module (two Rasa servers load their models in ~40 s together on
two cores); tests that break something (a killed server, stopped Redis) restore it themselves.
"""

from __future__ import annotations

import itertools
import logging
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest
import sqlalchemy as sa
from prometheus_client import REGISTRY

from bot import texts as bot_texts
from bot.privacy import texts as privacy_texts
from bot.rasa_client import RasaClient, RasaTurn
from tests.emulator import SentMessage
from tests.harness import RunningBot, Stack, running_bot, running_stack
from tests.postgres import fresh_database
from tests.redis_server import free_port
from tests.redis_server import unavailable_reason as redis_unavailable

ASK_WEIGHT = "Berapa berat paketnya setelah dikemas, Kak?"
FORM = "hitung_berat_form"
DAY = 86_400.0

_users = itertools.count(7_200_000_001)


@pytest.fixture
def user_id() -> int:
    return next(_users)


class RestartableRedis:
    """redis-server on a fixed loopback port that a test can stop and start again, as an
    outage and a recovery (tests/redis_server.py's server lives for one `with` block)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="akar-lock-redis-"))
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        # Database 1: the app's broadcast limiter uses 0 in the deployment files.
        return f"redis://127.0.0.1:{self.port}/1"

    def start(self) -> None:
        self._log = (self.folder / "log").open("ab")
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.folder)),
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10.0
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((self.folder / "log").read_text(errors="replace"))
            time.sleep(0.05)

    def answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="module")
def lock_redis() -> Iterator[RestartableRedis]:
    reason = redis_unavailable()
    if reason is not None:
        pytest.skip(reason)
    server = RestartableRedis()
    server.start()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture(scope="module")
def tracker_url(postgres_server: str) -> Iterator[str]:
    """An empty database of its own for Rasa's `events` table (Rasa creates the table)."""
    with fresh_database(postgres_server, None) as url:
        yield url


@pytest.fixture(scope="module")
def app_url(published_database_url: str) -> str:
    return published_database_url


@pytest.fixture(scope="module")
async def scaled(
    app_url: str, tracker_url: str, lock_redis: RestartableRedis
) -> AsyncIterator[Stack]:
    started = time.monotonic()
    async with running_stack(
        app_url,
        rasa_workers=2,
        rasa_tracker_store_url=tracker_url,
        rasa_lock_store_url=lock_redis.url,
    ) as stack:
        print(f"two Rasa servers and the action server ready in {time.monotonic() - started:.0f} s")
        yield stack


@pytest.fixture(scope="module")
async def bot(scaled: Stack) -> AsyncIterator[RunningBot]:
    async with running_bot(scaled.settings) as running:
        yield running


def server_urls(stack: Stack) -> list[str]:
    return stack.settings.rasa_base_url.split(",")


def tracker_rows(tracker_url: str, sender_id: int | str) -> list[tuple[str, str]]:
    """(type_name, data) of one conversation's rows in Rasa's events table, in order."""
    engine = sa.create_engine(tracker_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT type_name, data FROM events WHERE sender_id = :s ORDER BY id"),
                {"s": str(sender_id)},
            ).all()
    finally:
        engine.dispose()
    return [(row[0], row[1]) for row in rows]


def user_texts(tracker_url: str, sender_id: int | str) -> list[str]:
    import json

    return [
        json.loads(data)["text"]
        for kind, data in tracker_rows(tracker_url, sender_id)
        if kind == "user"
    ]


def no_replies() -> float:
    """akar_rasa_errors_total{operation="message", reason="no_reply"} in this process."""
    labels = {"operation": "message", "reason": "no_reply"}
    return REGISTRY.get_sample_value("akar_rasa_errors_total", labels) or 0.0


async def say(bot: RunningBot, user_id: int, text: str) -> list[SentMessage]:
    bot.emulator.inject_text(user_id, text)
    return await bot.reply(user_id, timeout=30.0)


def last_text(sent: list[SentMessage]) -> str:
    assert sent, "the bot stayed silent"
    return sent[-1].text or ""


async def test_turns_alternating_between_servers_keep_the_form(
    scaled: Stack, tracker_url: str, user_id: int
) -> None:
    first, second = (RasaClient(url) for url in server_urls(scaled))
    sender = str(user_id)
    try:
        turns: list[RasaTurn] = [
            await first.send(sender, "kardus sy 30x20x10 cm, nanti kena brp kg ya"),
            await second.send(sender, "1,5 kg"),  # the other server finishes the form
            await first.send(sender, "kalau kardus 20x20x20 cm kena brp kg"),
            await second.send(sender, "batal"),
        ]
    finally:
        await first.aclose()
        await second.aclose()
    texts = [turn.replies[-1].text or "" for turn in turns]
    assert texts[0].startswith(ASK_WEIGHT) and turns[0].nlu and turns[0].nlu.active_loop == FORM
    assert "Berat asli: 1,5 kg" in texts[1] and "ditagih 2 kg" in texts[1]
    assert texts[2].startswith(ASK_WEIGHT)
    assert "batal" in texts[3].lower() and (turns[3].nlu is None or not turns[3].nlu.active_loop)
    # Every turn is in PostgreSQL, in order, whichever server wrote it.
    assert user_texts(tracker_url, sender) == [
        "kardus sy 30x20x10 cm, nanti kena brp kg ya",
        "1,5 kg",
        "kalau kardus 20x20x20 cm kena brp kg",
        "batal",
    ]


async def test_a_killed_server_is_passed_over_and_nothing_is_lost(
    bot: RunningBot, scaled: Stack, tracker_url: str, user_id: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.rasa_client")
    dead = server_urls(scaled)[0]
    assert last_text(
        await say(bot, user_id, "kardus sy 30x20x10 cm, nanti kena brp kg ya")
    ).startswith(ASK_WEIGHT)
    await scaled.kill_rasa(0)
    try:
        # Mid-form: the surviving server knows the form is waiting for the weight.
        answer = last_text(await say(bot, user_id, "1,5 kg"))
        assert "ditagih 2 kg" in answer
        # Two more messages: the client's turn comes round to the dead server at least once.
        for question in ("cod itu apa kak", "berat volume itu apa sih kak"):
            assert last_text(await say(bot, user_id, question)) != bot_texts.SERVICE_DOWN
        assert any(
            dead in r.getMessage() and "refused" in r.getMessage() for r in caplog.records
        ), "no request went to the killed server first: failover not exercised"
        incoming = await bot.incoming(user_id)
        assert [m["text"] for m in incoming] == [
            "kardus sy 30x20x10 cm, nanti kena brp kg ya",
            "1,5 kg",
            "cod itu apa kak",
            "berat volume itu apa sih kak",
        ]
        assert {m["delivery_status"] for m in incoming} == {"answered"}
    finally:
        started = time.monotonic()
        await scaled.restart_rasa(0)
        print(f"a killed Rasa server was back in {time.monotonic() - started:.0f} s")
    # The restarted server loads the conversation from PostgreSQL: it knows the last turn.
    async with httpx.AsyncClient() as client:
        tracker = (await client.get(f"{dead}/conversations/{user_id}/tracker")).json()
    assert tracker["latest_message"]["text"] == "berat volume itu apa sih kak"
    assert user_texts(tracker_url, user_id)[-1] == "berat volume itu apa sih kak"


async def test_redis_down_means_an_apology_then_answers_again(
    bot: RunningBot, lock_redis: RestartableRedis, user_id: int
) -> None:
    assert last_text(await say(bot, user_id, "cod itu apa kak")) != bot_texts.SERVICE_DOWN
    before = no_replies()
    lock_redis.stop()
    try:
        sent = await say(bot, user_id, "berat volume itu apa sih kak")
        # No lock, no answer: Rasa must not handle a conversation two servers might share.
        assert last_text(sent) == bot_texts.SERVICE_DOWN
        assert no_replies() == before + 1  # what the operators' alert sees
    finally:
        lock_redis.start()
    assert last_text(await say(bot, user_id, "berat volume itu apa sih kak")) != (
        bot_texts.SERVICE_DOWN
    )
    [*_, down, again] = await bot.incoming(user_id)
    assert down["delivery_status"] != "answered" and again["delivery_status"] == "answered"


async def test_hapusdata_deletes_the_sellers_tracker_rows(
    bot: RunningBot, tracker_url: str, user_id: int
) -> None:
    other = next(_users)
    for who in (user_id, other):
        await say(bot, who, "kak cod itu apa sih? wa saya 0812-3456-7890")
    # Rasa got the number unmasked (the NLU needs the real words) and stored it.
    assert "0812-3456-7890" in " ".join(user_texts(tracker_url, user_id))
    bot.emulator.inject_command(user_id, "/hapusdata")
    [question] = await bot.reply(user_id)
    bot.emulator.inject_callback(user_id, question.buttons[0]["callback_data"])
    [done] = await bot.reply(user_id)
    assert done.text == privacy_texts.DELETED
    assert tracker_rows(tracker_url, user_id) == []
    assert user_texts(tracker_url, other) != []  # only hers


async def test_retention_deletes_old_tracker_events(
    bot: RunningBot, tracker_url: str, user_id: int
) -> None:
    recent = next(_users)
    for who in (user_id, recent):
        await say(bot, who, "cod itu apa kak")
    privacy = bot.assistant.privacy
    assert privacy is not None
    aged = len(tracker_rows(tracker_url, user_id))
    engine = sa.create_engine(tracker_url)
    try:
        with engine.begin() as connection:  # her conversation, a retention period and a day ago
            connection.execute(
                sa.text("UPDATE events SET timestamp = timestamp - :s WHERE sender_id = :id"),
                {"s": (privacy.retention_days + 1) * DAY, "id": str(user_id)},
            )
    finally:
        engine.dispose()
    report = await privacy.retain()
    assert report.rasa_events == aged > 0
    assert tracker_rows(tracker_url, user_id) == []
    assert user_texts(tracker_url, recent) == ["cod itu apa kak"]
