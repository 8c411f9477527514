"""`make bench`: question → first reply latency through the whole stack, and Rasa's parse latency.

Whole stack = Bot API emulator → python-telegram-bot (long polling) → Rasa REST channel →
action server where a custom action runs → SQLite transcript writes → sendMessage back to the
emulator. Measured one question at a time (latency, not throughput; load tests come later).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

from bot.db.migrate import upgrade
from bot.rasa_client import RasaClient
from tests.harness import running_bot, running_stack

QUESTIONS = [
    "kak cod itu apa sih?",
    "ongkir ke medan dari bandung brp ya",
    "kenapa toko saya sepi banget",
    "gmn cara aktifin cod di toko sy",
    "berat volume itu apa kak",
    "produk sy ga muncul di pencarian knp ya",
    "halo kak",
    "makasih kak",
]


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(name: str, millis: list[float]) -> str:
    return (
        f"{name:<38} n={len(millis):<4} p50={percentile(millis, 50):7.1f} ms  "
        f"p95={percentile(millis, 95):7.1f} ms  mean={statistics.fmean(millis):7.1f} ms"
    )


async def bench(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        async with running_stack(url, quiet=True) as stack, running_bot(stack.settings) as bot:
            rasa = RasaClient(stack.settings.rasa_base_url)
            for text in QUESTIONS:  # warm-up: first calls pay for lazy initialisation
                await rasa.parse(text)
            parse_ms: list[float] = []
            for i in range(rounds):
                text = QUESTIONS[i % len(QUESTIONS)]
                start = time.perf_counter()
                await rasa.parse(text)
                parse_ms.append((time.perf_counter() - start) * 1000)
            await rasa.aclose()

            reply_ms: list[float] = []
            for i in range(rounds + 5):
                user = 8_000_000_000 + i
                start = time.perf_counter()
                bot.emulator.inject_text(user, QUESTIONS[i % len(QUESTIONS)])
                await bot.emulator.wait_for_sent(user, timeout=30)
                if i >= 5:  # the first few include warm-up of the dialogue path
                    reply_ms.append((time.perf_counter() - start) * 1000)

    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(summary("Rasa /model/parse", parse_ms))
    print(summary("question -> first reply (full stack)", reply_ms))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()
    asyncio.run(bench(args.rounds))


if __name__ == "__main__":
    main()
