"""Webhook mode as production runs it (issue #7): two real `akar bot` processes behind a
round-robin balancer, the emulator delivering updates with the secret-token header, the real
Rasa and action servers, and one PostgreSQL database holding the webhook inbox.

Shown here: requests without the secret are refused; many sellers writing at once are answered
by both processes, each seller's messages handled one at a time in order; a process killed in
the middle of handling loses nothing (the other takes its updates over once their lease
expires); and a PostgreSQL restart loses nothing (the webhook answers 503, Telegram re-sends)."""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.content.publish import publish
from bot.db.models import InboundUpdate
from bot.db.session import make_engine, make_session_factory
from bot.store import Store
from tests.harness import Stack
from tests.waiting import wait_until
from tests.webhook_harness import SECRET, WebhookWorkers, running_webhook_workers

TIMEOUT = 90.0
FIRST_USER = 7_300_000_001
MESSAGES = ("halo kak", "cara atasi paket cod ditolak gimana", "makasih ya")


@pytest.fixture(scope="module")
def webhook_database(published_database_url: str) -> str:
    return published_database_url


@pytest.fixture(scope="module")
async def workers(stack: Stack, webhook_database: str) -> AsyncIterator[WebhookWorkers]:
    async with running_webhook_workers(webhook_database, stack.settings.rasa_base_url) as running:
        yield running


@functools.cache
def sessions_for(url: str) -> sessionmaker[Session]:
    """One engine per database for the whole module: the polls below run every 50 ms, and an
    engine each time would leave PostgreSQL connections open until its limit."""
    return make_session_factory(make_engine(url))


def store_for(url: str) -> Store:
    return Store(sessions_for(url))


def answered(transcript: list[dict[str, Any]], count: int) -> bool:
    """`count` incoming messages, each answered."""
    incoming = [m["id"] for m in transcript if m["direction"] == "in"]
    replied = {m["in_reply_to_id"] for m in transcript if m["direction"] == "out"}
    return len(incoming) >= count and all(i in replied for i in incoming[:count])


def inbox_rows(url: str) -> int:
    with sessions_for(url)() as session:
        return len(session.scalars(select(InboundUpdate.id)).all())


async def metric(health_url: str, name: str) -> float:
    async with httpx.AsyncClient() as client:
        body = (await client.get(f"{health_url}/metrics")).text
    return sum(
        float(v) for v in re.findall(rf"^{re.escape(name)}(?:{{[^}}]*}})? (\S+)$", body, re.M)
    )


async def test_requests_without_the_secret_are_refused(workers: WebhookWorkers) -> None:
    url = workers.workers[0].webhook_url + "/telegram"
    update = {"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": 1}}}
    async with httpx.AsyncClient() as client:
        missing = await client.post(url, json=update)
        wrong = await client.post(
            url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "x"}
        )
        junk = await client.post(
            url, content=b"{not json", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
        )
    assert (missing.status_code, wrong.status_code, junk.status_code) == (403, 403, 400)
    assert inbox_rows(workers.database_url) == 0


async def test_many_sellers_are_answered_in_order_by_both_processes(
    workers: WebhookWorkers,
) -> None:
    sellers = [FIRST_USER + n for n in range(30)]
    for text in MESSAGES:  # all queued at once: the busiest case for ordering
        for user in sellers:
            workers.emulator.inject_text(user, text)
    store = store_for(workers.database_url)

    async def all_answered() -> bool:
        for user in sellers:
            if not answered(await store.transcript(user), len(MESSAGES)):
                return False
        return True

    await wait_until(all_answered, "every seller's three answers", TIMEOUT)
    for user in sellers:
        transcript = await store.transcript(user)
        assert [m["text"] for m in transcript if m["direction"] == "in"] == list(MESSAGES)
        last_in = None
        for m in transcript:  # strictly one at a time: every reply belongs to the latest message
            if m["direction"] == "in":
                last_in = m["id"]
            else:
                assert m["in_reply_to_id"] == last_in
    for worker in workers.workers:  # the balancer spread the work; both processes handled some
        assert await metric(worker.health_url, "akar_webhook_requests_total") > 0
        assert await metric(worker.health_url, "akar_updates_received_total") > 0
    await wait_until(
        lambda: asyncio.to_thread(lambda: inbox_rows(workers.database_url) == 0),
        "an empty inbox",
        TIMEOUT,
    )


@pytest.fixture
def own_database(postgres_server: str) -> Iterator[str]:
    """A database of the test's own: the module's running workers would otherwise take the
    test's updates from the shared inbox (as they should)."""
    from tests.postgres import published_database

    with published_database(postgres_server) as url:
        yield url


async def test_a_process_killed_while_handling_loses_nothing(
    stack: Stack, own_database: str
) -> None:
    """Worker 1 is SIGKILLed while it holds claimed updates (its replies are held up by a slow
    Bot API); worker 2 takes them over when their lease expires. At least once: a seller may
    see a reply twice, never none, and every message is in the transcript."""
    sellers = [FIRST_USER + 100 + n for n in range(8)]
    async with running_webhook_workers(
        own_database, stack.settings.rasa_base_url, lease_seconds=3.0
    ) as hooks:
        first, _ = hooks.workers
        hooks.emulator.delay_next("sendMessage", 2.0, times=1000)
        for user in sellers:
            hooks.emulator.inject_text(user, "halo kak")

        def claimed_by_first() -> bool:
            with sessions_for(own_database)() as session:
                workers = session.scalars(
                    select(InboundUpdate.worker).where(InboundUpdate.status == "working")
                ).all()
            return any(w and w.endswith(f":{first.pid}") for w in workers)

        await wait_until(
            lambda: asyncio.to_thread(claimed_by_first), "a claim by worker 1", TIMEOUT
        )
        first.kill()
        hooks.emulator.clear_faults()
        store = store_for(own_database)

        async def all_answered() -> bool:
            # A message worker 1 recorded before it died is recorded again by worker 2 (at
            # least once), and the reply goes with the second record.
            for user in sellers:
                transcript = await store.transcript(user)
                if not transcript or transcript[-1]["direction"] != "out":
                    return False
            return True

        await wait_until(all_answered, "every seller answered after the crash", TIMEOUT)
        for user in sellers:
            assert hooks.emulator.sent_to(user), user
            incoming = [m["text"] for m in await store.transcript(user) if m["direction"] == "in"]
            assert set(incoming) == {"halo kak"}
        await wait_until(
            lambda: asyncio.to_thread(lambda: inbox_rows(own_database) == 0),
            "an empty inbox",
            TIMEOUT,
        )


async def test_a_postgresql_restart_loses_no_message(stack: Stack) -> None:
    """While PostgreSQL is down the webhook answers 503 and Telegram keeps re-sending; the
    processes stay up (alive, not ready) and, once it is back, every message is stored in
    order and answered."""
    from tests.faults.pg_restart import restartable_postgres

    user = FIRST_USER + 200
    with restartable_postgres() as pg:
        publish(pg.url)
        async with running_webhook_workers(pg.url, stack.settings.rasa_base_url) as hooks:
            store = store_for(pg.url)
            hooks.emulator.inject_text(user, "halo kak")
            await wait_until(lambda: _answered_async(store, user, 1), "the first answer", TIMEOUT)

            await asyncio.to_thread(pg.stop)
            sent_before = len(hooks.emulator.sent_to(user))
            hooks.emulator.inject_text(user, "cara atasi paket cod ditolak gimana")
            hooks.emulator.inject_text(user, "makasih ya")

            async def refused_and_not_ready() -> bool:
                if (
                    not hooks.emulator.state.webhook
                    or not hooks.emulator.state.webhook.last_error_message
                ):
                    return False
                async with httpx.AsyncClient() as client:
                    ready = await client.get(f"{hooks.workers[0].health_url}/readyz")
                    alive = await client.get(f"{hooks.workers[0].health_url}/healthz")
                return ready.status_code == 503 and alive.status_code == 200

            await wait_until(
                refused_and_not_ready, "503s to Telegram and /readyz not ready", TIMEOUT
            )
            assert len(hooks.emulator.sent_to(user)) == sent_before  # nothing handled meanwhile

            await asyncio.to_thread(pg.start)
            await wait_until(
                lambda: _answered_async(store, user, 3), "answers after the restart", TIMEOUT
            )
            transcript = await store.transcript(user)
            assert [m["text"] for m in transcript if m["direction"] == "in"] == list(MESSAGES)


async def _answered_async(store: Store, user: int, count: int) -> bool:
    return answered(await store.transcript(user), count)
