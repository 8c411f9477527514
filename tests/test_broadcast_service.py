"""`akar broadcast serve`, the sender as a service of its own (the compose file's `sender`), as
a real process: it sends a due broadcast through the Bot API emulator, answers /readyz and
/metrics (outcomes, configured pace) on its health port, writes JSON log lines, and stops
cleanly on SIGTERM with everything recorded."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from bot.broadcast import outbox
from bot.broadcast.segments import Segment
from bot.broadcast.service import READY_LINE
from bot.db.models import BroadcastDelivery, Seller
from bot.db.session import make_engine, make_session_factory
from bot.stack import PROJECT_ROOT
from tests.emulator.emulator import TelegramEmulator
from tests.harness import TOKEN, free_port

CHATS = (8_300_000_001, 8_300_000_002, 8_300_000_003)
BLOCKED = CHATS[2]
RATE = 40
TIMEOUT = 30.0


@pytest.fixture
def database(database_url: str) -> Iterator[tuple[str, sessionmaker[Session]]]:
    """A fresh migrated database (tests/conftest.py), on SQLite and on PostgreSQL."""
    url = database_url
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        session.execute(
            insert(Seller),
            [{"telegram_user_id": c, "chat_id": c, "first_name": f"S{c}"} for c in CHATS],
        )
    yield url, sessions
    engine.dispose()


async def read_until(stream: asyncio.StreamReader, marker: str, seen: list[str]) -> None:
    while line := (await stream.readline()).decode(errors="replace"):
        seen.append(line.rstrip("\n"))
        if marker in line:
            return
    raise AssertionError(f"the sender ended before {marker!r}:\n" + "\n".join(seen))


async def eventually(probe: Callable[[], Awaitable[bool]], timeout: float = TIMEOUT) -> None:
    """Poll an observable endpoint until it says yes (as an orchestrator's probe would)."""
    loop = asyncio.get_running_loop()
    deadline, delay = loop.time() + timeout, 0.05
    while not await probe():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.5)


async def test_serve_sends_reports_health_and_metrics_and_stops_on_sigterm(
    database: tuple[str, sessionmaker[Session]], emulator: TelegramEmulator, tmp_path: Path
) -> None:
    url, sessions = database
    with sessions.begin() as session:
        broadcast_id = outbox.create(session, text="Halo Kak, modul baru!", segment=Segment()).id
    emulator.block_chat(BLOCKED)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": emulator.base_url,
        "PYTHONPATH": str(PROJECT_ROOT),
        "HEALTH_PORT": str(port),
        "LOG_FORMAT": "json",
        "BROADCAST_RATE": str(RATE),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "bot", "broadcast", "serve"),
        env=env,
        cwd=tmp_path,  # away from a developer's .env in the project root
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    seen: list[str] = []
    base = f"http://127.0.0.1:{port}"
    try:
        await asyncio.wait_for(read_until(process.stdout, READY_LINE, seen), TIMEOUT)
        for chat in CHATS[:2]:
            [message] = await emulator.wait_for_sent(chat, after=0, timeout=TIMEOUT)
            assert message.text.startswith("Halo Kak, modul baru!")

        async with httpx.AsyncClient() as client:
            ready = await client.get(f"{base}/readyz")
            assert ready.status_code == 200
            assert ready.json()["checks"] == {"database": True, "sender": True}

            async def all_recorded() -> bool:
                text = (await client.get(f"{base}/metrics")).text
                return (
                    'akar_broadcast_messages_total{outcome="sent"} 2.0' in text
                    and 'akar_broadcast_messages_total{outcome="blocked"} 1.0' in text
                )

            await eventually(all_recorded)
            text = (await client.get(f"{base}/metrics")).text
            assert f"akar_broadcast_rate_limit {RATE:.1f}" in text
            assert 'akar_telegram_errors_total{error="forbidden",source="broadcast"} 1.0' in text
            assert "akar_broadcast_send_rate" in text

        process.send_signal(signal.SIGTERM)
        rest = await asyncio.wait_for(process.stdout.read(), TIMEOUT)
        assert await asyncio.wait_for(process.wait(), TIMEOUT) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    lines = [line for line in seen + rest.decode(errors="replace").splitlines() if line]
    records = [json.loads(line) for line in lines]
    assert {r["service"] for r in records} == {"sender"}
    assert any(r["message"] == "broadcast sender stopped" for r in records)
    assert TOKEN not in "\n".join(lines)
    with sessions.begin() as session:
        statuses = dict(
            session.execute(
                select(BroadcastDelivery.chat_id, BroadcastDelivery.status).where(
                    BroadcastDelivery.broadcast_id == broadcast_id
                )
            ).all()
        )
    assert statuses == {CHATS[0]: "sent", CHATS[1]: "sent", BLOCKED: "blocked"}
