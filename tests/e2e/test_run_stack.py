"""`akar run` (what `make run` starts: Rasa, actions, the bot, the support desk) as a newcomer
would try it, then Ctrl-C.

The bot talks to the Bot API emulator through TELEGRAM_API_BASE_URL; the test reads the
supervisor's output to know when the stack is up and which child processes it started.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys

import httpx

from bot.stack import PROJECT_ROOT
from tests.emulator import TelegramEmulator
from tests.harness import TOKEN, free_port

READY = "all services ready"
STARTED = re.compile(r"started (\w+) \(pid (\d+)\)")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def read_until(stream: asyncio.StreamReader, marker: str, seen: list[str]) -> None:
    while True:
        raw = await stream.readline()
        if not raw:
            raise AssertionError("akar run ended before: " + marker + "\n" + "\n".join(seen[-40:]))
        line = raw.decode(errors="replace").rstrip()
        seen.append(line)
        if marker in line:
            return


async def test_akar_run_answers_on_telegram_and_stops_cleanly_on_ctrl_c(
    empty_database_url: str,
) -> None:
    """On an empty database (SQLite and PostgreSQL): `akar run` migrates it itself."""
    emulator = TelegramEmulator()
    await emulator.start()
    web_port, health_port = free_port(), free_port()
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": emulator.base_url,
        "RASA_PORT": str(free_port()),
        "ACTION_SERVER_PORT": str(free_port()),
        "WEB_PORT": str(web_port),
        "HEALTH_PORT": str(health_port),
        # Every line `akar run` prints must then be one JSON object, whichever child wrote it.
        "LOG_FORMAT": "json",
        "DATABASE_URL": empty_database_url,
    }
    env.pop("RASA_URL", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=PROJECT_ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    seen: list[str] = []
    assert process.stdout is not None
    try:
        await asyncio.wait_for(read_until(process.stdout, READY, seen), timeout=240)
        children = {m.group(1): int(m.group(2)) for m in map(STARTED.search, seen) if m}
        assert set(children) == {"actions", "rasa", "bot", "web"}
        async with httpx.AsyncClient() as client:
            health = await client.get(f"http://127.0.0.1:{web_port}/healthz")
            assert health.json() == {"status": "ok"}
            desk_ready = await client.get(f"http://127.0.0.1:{web_port}/readyz")
            assert desk_ready.json() == {"status": "ready", "checks": {"database": True}}
            # The bot's own health server: ready once polling, with Rasa and the database. The
            # bot prints its ready line from post_init, just before PTB starts polling, so on a
            # busy box the first look may come a moment early.
            bot_ready = await client.get(f"http://127.0.0.1:{health_port}/readyz")
            for _ in range(50):
                if bot_ready.status_code == 200:
                    break
                await asyncio.sleep(0.1)
                bot_ready = await client.get(f"http://127.0.0.1:{health_port}/readyz")
            assert bot_ready.status_code == 200, bot_ready.text
            assert bot_ready.json()["checks"] == {"database": True, "rasa": True, "telegram": True}

        user = 7_100_000_001
        emulator.inject_command(user, "/start", first_name="Budi")
        welcome = await emulator.wait_for_sent(user, timeout=20)
        assert "Budi" in welcome[0].text
        emulator.inject_text(user, "kenapa toko saya sepi banget")
        answer = await emulator.wait_for_sent(user, timeout=20)
        assert answer[0].text
        async with httpx.AsyncClient() as client:
            metrics = (await client.get(f"http://127.0.0.1:{health_port}/metrics")).text
        assert 'akar_updates_received_total{kind="command"}' in metrics
        assert 'akar_updates_received_total{kind="text"}' in metrics

        # Keep draining output so the supervisor never blocks on a full pipe.
        drain = asyncio.create_task(process.stdout.read())
        os.killpg(process.pid, signal.SIGINT)
        code = await asyncio.wait_for(process.wait(), timeout=20)
        rest = (await drain).decode(errors="replace").splitlines()
        assert code == 0
        assert not [name for name, pid in children.items() if alive(pid)]
        records = [json.loads(line) for line in seen + rest if line]
        assert {r["service"] for r in records} >= {"akar", "actions", "rasa", "web", "bot"}
        # The app's processes write JSON themselves (Rasa's lines are wrapped by `akar run`).
        written = {r["service"] for r in records if r.get("logger") != "output"}
        assert written >= {"akar", "actions", "web", "bot"}
        assert "sepi banget" not in "\n".join(seen + rest)
    finally:
        if process.returncode is None:
            os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
        await emulator.stop()
