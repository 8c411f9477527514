"""The delivery guarantee with a real crash: `akar broadcast send` runs as its own process and is
killed with SIGKILL in the middle of a batch, then started again.

What bot/broadcast/outbox.py promises: no recipient is lost, and a recipient gets the broadcast
twice only if its row was in the claimed, in-flight batch (`sending`) when the process died.
Everything is real: the CLI process with its PTB `Bot`, the Bot API emulator over HTTP (in this
test process), and a database both processes open: a SQLite file, and a PostgreSQL database
(where the killed process's connection drops mid-transaction).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from bot.broadcast import outbox
from bot.broadcast.segments import Segment
from bot.db.models import BroadcastDelivery, Seller
from bot.db.session import make_engine, make_session_factory
from bot.stack import PROJECT_ROOT
from tests.emulator.emulator import TelegramEmulator
from tests.harness import TOKEN

SELLERS = 600
FIRST_CHAT = 8_200_000_001
# High enough that the whole run takes a few seconds. The sender claims `rate` rows per batch,
# so 600 sellers are three batches of 200 and the kill below lands in the middle of the second.
RATE = 200
KILL_AFTER = 300
TIMEOUT = 30.0  # per phase; the whole test takes ~6 s on a 2-core box


@pytest.fixture
def database(database_url: str) -> Iterator[tuple[str, sessionmaker[Session]]]:
    url = database_url
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        session.execute(
            insert(Seller),
            [
                {"telegram_user_id": chat, "chat_id": chat, "first_name": f"S{chat}"}
                for chat in range(FIRST_CHAT, FIRST_CHAT + SELLERS)
            ],
        )
    yield url, sessions
    engine.dispose()


async def start_sender(
    url: str, emulator: TelegramEmulator, log: Path, *extra: str
) -> asyncio.subprocess.Process:
    """`akar broadcast send` in its own process, configured through the environment only."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": emulator.base_url,
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    with log.open("ab") as out:  # a file, not a pipe: nobody reads a pipe while we wait
        return await asyncio.create_subprocess_exec(
            sys.executable,
            *("-m", "bot", "broadcast", "send", "--rate", str(RATE), *extra),
            env=env,
            cwd=log.parent,  # away from a developer's .env in the project root
            stdout=out,
            stderr=out,
        )


def output(log: Path) -> str:
    """What the sender processes printed, for failure messages."""
    return log.read_text(errors="replace")


async def wait_for_sent_count(
    emulator: TelegramEmulator, count: int, process: asyncio.subprocess.Process, log: Path
) -> None:
    """Until the emulator accepted `count` messages; fails at once if the sender exits first."""
    reached = asyncio.ensure_future(
        emulator.state.changed.wait_for(
            lambda: True if len(emulator.sent) >= count else None, TIMEOUT
        )
    )
    exited = asyncio.ensure_future(process.wait())
    await asyncio.wait({reached, exited}, return_when=asyncio.FIRST_COMPLETED)
    if not reached.done():
        reached.cancel()
        pytest.fail(
            f"sender exited ({process.returncode}) after {len(emulator.sent)} messages:\n"
            + output(log)
        )
    exited.cancel()
    reached.result()  # re-raises a timeout


def rows(sessions: sessionmaker[Session], broadcast_id: int) -> list[tuple[int, str]]:
    with sessions.begin() as session:
        return [
            (int(chat), status)
            for chat, status in session.execute(
                select(BroadcastDelivery.chat_id, BroadcastDelivery.status).where(
                    BroadcastDelivery.broadcast_id == broadcast_id
                )
            )
        ]


async def test_a_killed_sender_loses_nobody_and_resends_at_most_its_batch(
    database: tuple[str, sessionmaker[Session]], emulator: TelegramEmulator, tmp_path: Path
) -> None:
    url, sessions = database
    log = tmp_path / "sender.log"
    with sessions.begin() as session:
        broadcast_id = outbox.create(
            session, text="Halo Kak, ada modul baru!", segment=Segment()
        ).id

    first = await start_sender(url, emulator, log)
    try:
        await wait_for_sent_count(emulator, KILL_AFTER, first, log)
    finally:
        if first.returncode is None:
            first.send_signal(signal.SIGKILL)  # no shutdown code runs: a real crash
        await asyncio.wait_for(first.wait(), TIMEOUT)
    assert first.returncode == -signal.SIGKILL

    at_kill = rows(sessions, broadcast_id)
    assert len(at_kill) == SELLERS
    in_flight = {chat for chat, status in at_kill if status == "sending"}
    # The kill fell inside the second batch: some of it claimed and unrecorded, never more than
    # one claim's worth.
    assert 0 < len(in_flight) <= RATE, Counter(status for _, status in at_kill)
    received_before_restart = len(emulator.sent)

    # Restart at once. `--recover-after 0` puts the dead process's fresh claims back to pending
    # (the sender alone would only take back claims older than two minutes).
    second = await start_sender(url, emulator, log, "--recover-after", "0")
    await asyncio.wait_for(second.wait(), TIMEOUT)
    assert second.returncode == 0, output(log)

    final = rows(sessions, broadcast_id)
    assert len(final) == SELLERS and len({chat for chat, _ in final}) == SELLERS
    assert Counter(status for _, status in final) == Counter({"sent": SELLERS})

    per_chat = Counter(m.chat_id for m in emulator.sent if m.method == "sendMessage")
    everyone = set(range(FIRST_CHAT, FIRST_CHAT + SELLERS))
    assert set(per_chat) == everyone  # nobody lost
    twice = {chat for chat, n in per_chat.items() if n > 1}
    assert max(per_chat.values()) <= 2
    # Only rows that were in flight at the kill may have gone out twice, so never more of them.
    assert twice <= in_flight
    assert len(twice) <= len(in_flight)
    print(
        f"\nkilled after {received_before_restart} messages: {len(in_flight)} rows `sending`, "
        f"{len(twice)} sellers received it twice"
    )
