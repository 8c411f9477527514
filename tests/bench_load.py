"""`make bench-load`: many sellers at once through the production shape, with 1 and 2 Rasa
servers (issue #7).

Per configuration: a throwaway PostgreSQL cluster (the app's database and Rasa's tracker
store), a throwaway Redis (Rasa's lock store), the action server, N Rasa servers sharing them,
two `akar bot` processes in webhook mode behind a round-robin balancer, and the Bot API
emulator delivering updates to the balancer. Every simulated seller (default 200) writes a
message, waits for the answer, and writes the next one (no think time: the offered load is as
high as the stack can take, so throughput and queueing show). The questions are ones answered
in exactly one message, so "answered" is unambiguous; anything else (no answer within the
timeout, the service-down apology, an unexpected second message) counts as an error.

Reports messages/s, reply latency p50/p95/p99 (update injected -> the answer at the emulator)
and errors, then the 2-vs-1 scaling ratio. Results go in docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bot import texts
from bot.content.publish import publish
from bot.stack import PROJECT_ROOT
from tests.bench import cpu_model, percentile
from tests.emulator.emulator import TelegramEmulator
from tests.harness import running_stack
from tests.webhook_harness import running_webhook_workers

# Everyday questions answered in exactly one message each (some by custom actions, some by
# responses; checked against the trained model when this list was made).
QUESTIONS = (
    "kak cod itu apa sih?",
    "kenapa toko saya sepi banget",
    "gmn cara aktifin cod di toko sy",
    "berat volume itu apa kak",
    "produk sy ga muncul di pencarian knp ya",
    "paket cod saya ditolak pembeli, gimana?",
    "apa itu akar indonesia",
    "cara daftar jadi seller gimana",
    "foto produk yang bagus gimana",
    "makasih kak",
)
FIRST_SELLER = 9_500_000_000
REPLY_TIMEOUT = 60.0


PROCESS_KINDS = (
    ("rasa", "rasa run"),
    ("actions", "rasa_sdk"),
    ("bot", "-m bot bot"),
    ("postgresql", "postgres"),
    ("redis", "redis-server"),
)


def cpu_seconds_by_process() -> dict[int, tuple[str, float]]:
    """CPU time (user + system) used so far by each process of a kind we know, from /proc (the
    bench itself, which runs the emulator, is `bench`). Other work on the machine running the
    same programs would be counted too: run the benchmark on a quiet machine."""
    ticks = os.sysconf("SC_CLK_TCK")
    found: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        pid = int(entry.name)
        if pid == os.getpid():
            found[pid] = ("bench", used)
            continue
        for kind, marker in PROCESS_KINDS:
            if marker in cmdline:
                found[pid] = (kind, used)
                break
    return found


def cpu_used_between(
    before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]
) -> dict[str, float]:
    totals = dict.fromkeys([kind for kind, _ in PROCESS_KINDS] + ["bench"], 0.0)
    for pid, (kind, used) in after.items():
        totals[kind] += used - before.get(pid, (kind, 0.0))[1]
    return totals


class ReplyWatcher:
    """Resolves one future per seller when the bot's next message to that seller arrives.

    One task follows the emulator's record of sent messages with a cursor, so 200 waiting
    sellers cost O(1) per message (the emulator's `wait_for_sent` re-scans for every waiter).
    """

    def __init__(self, emulator: TelegramEmulator) -> None:
        self._emulator = emulator
        self._cursor = len(emulator.sent)
        self._waiting: dict[int, asyncio.Future[tuple[float, str]]] = {}
        self.unexpected = 0

    def expect(self, chat_id: int) -> asyncio.Future[tuple[float, str]]:
        future: asyncio.Future[tuple[float, str]] = asyncio.get_running_loop().create_future()
        self._waiting[chat_id] = future
        return future

    async def run(self) -> None:
        state = self._emulator.state
        while True:
            await state.changed.wait_for(
                lambda: True if len(state.sent) > self._cursor else None, None
            )
            for message in state.sent[self._cursor :]:
                future = self._waiting.pop(message.chat_id, None)
                if future is None or future.done():
                    self.unexpected += 1  # a second message for one question
                else:
                    future.set_result((message.time, message.plain_text or message.text or ""))
            self._cursor = len(state.sent)


@dataclass
class Result:
    rasa_servers: int
    sellers: int
    shared_stores: bool = True
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    unexpected: int = 0
    seconds: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def messages_per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        ms = [v * 1000 for v in self.latencies] or [0.0]
        return (
            f"{self.rasa_servers} Rasa server(s) "
            f"({'PostgreSQL tracker + Redis lock' if self.shared_stores else 'in-memory stores'}), "
            f"{self.sellers} sellers: "
            f"{len(self.latencies)} answers in {self.seconds:.1f} s = "
            f"{self.messages_per_second:.1f} msg/s; latency p50 {percentile(ms, 50):.0f} ms, "
            f"p95 {percentile(ms, 95):.0f} ms, p99 {percentile(ms, 99):.0f} ms; "
            f"errors {self.errors + self.unexpected}\n  CPU core-seconds during the run "
            f"({self.seconds * (os.cpu_count() or 1):.0f} available): "
            + ", ".join(f"{kind} {used:.1f}" for kind, used in self.cpu.items())
        )


async def seller(
    emulator: TelegramEmulator,
    watcher: ReplyWatcher,
    chat_id: int,
    turns: int,
    offset: int,
    result: Result | None,
) -> None:
    for turn in range(turns):
        text = QUESTIONS[(offset + turn) % len(QUESTIONS)]
        reply = watcher.expect(chat_id)
        sent_at = time.time()
        emulator.inject_text(chat_id, text)
        try:
            answered_at, answer = await asyncio.wait_for(reply, REPLY_TIMEOUT)
        except TimeoutError:
            if result is not None:
                result.errors += 1
            continue
        if result is None:
            continue
        if answer == texts.SERVICE_DOWN or answer == texts.DELAYED_ANSWER:
            result.errors += 1
        else:
            result.latencies.append(answered_at - sent_at)


@asynccontextmanager
async def production_shape(
    rasa_servers: int, bot_workers: int, *, shared_stores: bool = True
) -> AsyncIterator[TelegramEmulator]:
    from tests import postgres
    from tests.redis_server import throwaway_redis

    async with AsyncExitStack() as stack:
        admin = stack.enter_context(postgres.throwaway_cluster())
        app_url = stack.enter_context(postgres.fresh_database(admin, None))
        tracker_url = stack.enter_context(postgres.fresh_database(admin, None))
        lock_url = stack.enter_context(throwaway_redis())
        from bot.db.migrate import upgrade

        upgrade(app_url)
        publish(app_url)
        rasa = await stack.enter_async_context(
            running_stack(
                app_url,
                quiet=True,
                rasa_workers=rasa_servers,
                rasa_tracker_store_url=tracker_url if shared_stores else None,
                rasa_lock_store_url=lock_url if shared_stores else None,
            )
        )
        hooks = await stack.enter_async_context(
            running_webhook_workers(
                app_url,
                rasa.settings.rasa_base_url,
                workers=bot_workers,
                log_dir=PROJECT_ROOT / "logs" / "bench",
            )
        )
        yield hooks.emulator


async def measure(
    rasa_servers: int, sellers: int, turns: int, bot_workers: int, *, shared_stores: bool = True
) -> Result:
    async with production_shape(rasa_servers, bot_workers, shared_stores=shared_stores) as emulator:
        watcher = ReplyWatcher(emulator)
        watching = asyncio.create_task(watcher.run())
        ids = [FIRST_SELLER + rasa_servers * 100_000 + n for n in range(sellers)]
        # Warm-up: every seller's first message (the first turns pay for lazy start-up).
        await asyncio.gather(*(seller(emulator, watcher, c, 1, n, None) for n, c in enumerate(ids)))
        result = Result(rasa_servers, sellers, shared_stores)
        watcher.unexpected = 0
        cpu_before = cpu_seconds_by_process()
        started = time.monotonic()
        await asyncio.gather(
            *(seller(emulator, watcher, c, turns, n + 1, result) for n, c in enumerate(ids))
        )
        result.seconds = time.monotonic() - started
        result.cpu = cpu_used_between(cpu_before, cpu_seconds_by_process())
        result.unexpected = watcher.unexpected
        watching.cancel()
        return result


async def bench(
    sellers: int, turns: int, bot_workers: int, servers: list[int], in_memory: bool
) -> int:
    print(
        f"machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{sellers} sellers x {turns} messages, {bot_workers} bot processes (webhook mode)"
    )
    results = []
    if in_memory:  # the development shape, for the cost of the shared stores (not in the ratio)
        print((await measure(1, sellers, turns, bot_workers, shared_stores=False)).line())
    for count in servers:
        result = await measure(count, sellers, turns, bot_workers)
        print(result.line(), flush=True)
        results.append(result)
    if len(results) == 2 and results[0].messages_per_second:
        ratio = results[1].messages_per_second / results[0].messages_per_second
        print(f"scaling ratio (2 vs 1 Rasa servers, msg/s): {ratio:.2f}")
    return 1 if any(r.errors or r.unexpected for r in results) else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sellers", type=int, default=int(os.environ.get("BENCH_SELLERS", 200)))
    parser.add_argument("--turns", type=int, default=int(os.environ.get("BENCH_TURNS", 5)))
    parser.add_argument("--bot-workers", type=int, default=2)
    parser.add_argument("--rasa-servers", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--in-memory",
        action="store_true",
        help="first also run 1 Rasa server with in-memory stores (what sharing costs)",
    )
    args = parser.parse_args()
    code = asyncio.run(
        bench(args.sellers, args.turns, args.bot_workers, args.rasa_servers, args.in_memory)
    )
    raise SystemExit(code)


if __name__ == "__main__":
    main()
