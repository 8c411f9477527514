"""The webhook inbox worker (bot/webhook/worker.py) on a real database (SQLite and
PostgreSQL): a database failure while handling sends the update back for another try (the
seller told once), other errors do not loop, a chat's updates never overlap, and a stop lets
the updates in hand finish."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.db.models import InboundUpdate
from bot.db.session import make_engine, make_session_factory
from bot.webhook import inbox
from bot.webhook.worker import InboxWorker, report_error
from tests.test_webhook_inbox import text_update
from tests.waiting import wait_until

TIMEOUT = 20.0


@pytest.fixture
def sessions(database_url: str) -> sessionmaker[Session]:
    return make_session_factory(make_engine(database_url))


def store(sessions: sessionmaker[Session], *payloads: inbox.JSON) -> None:
    with sessions.begin() as session:
        for payload in payloads:
            inbox.enqueue(session, payload)


def remaining(sessions: sessionmaker[Session]) -> list[int]:
    with sessions() as session:
        return list(session.scalars(select(InboundUpdate.update_id)))


@pytest.fixture
async def running() -> AsyncIterator[list[tuple[InboxWorker, asyncio.Event, asyncio.Task[None]]]]:
    started: list[tuple[InboxWorker, asyncio.Event, asyncio.Task[None]]] = []
    yield started
    for _, stop, task in started:
        stop.set()
        await asyncio.wait_for(task, TIMEOUT)


def start(
    running: list[tuple[InboxWorker, asyncio.Event, asyncio.Task[None]]], worker: InboxWorker
) -> None:
    stop = asyncio.Event()
    running.append((worker, stop, asyncio.create_task(worker.run(stop))))


async def test_a_database_failure_is_retried_and_the_seller_told_once(
    sessions: sessionmaker[Session], running: list[Any]
) -> None:
    attempts: list[int] = []
    notices: list[int] = []
    done = asyncio.Event()

    async def handle(payload: inbox.JSON) -> None:
        attempts.append(payload["update_id"])
        if len(attempts) <= 2:  # as the bot's error handler reports a failed handler
            report_error(OperationalError("INSERT", {}, Exception("server closed the connection")))
            return
        done.set()

    async def notice(chat_id: int) -> None:
        notices.append(chat_id)

    store(sessions, text_update(101, 42), text_update(102, 42))
    start(running, InboxWorker(sessions, handle, on_transient_failure=notice, poll_seconds=0.05))
    await asyncio.wait_for(done.wait(), TIMEOUT)
    assert attempts[:3] == [101, 101, 101]  # 102 waited behind 101 through both retries
    assert notices == [42]

    await wait_until(lambda: not remaining(sessions), "an empty inbox", TIMEOUT)
    assert attempts[3:] == [102]


async def test_other_errors_finish_the_update(
    sessions: sessionmaker[Session], running: list[Any]
) -> None:
    seen: list[int] = []
    finished = asyncio.Event()

    async def handle(payload: inbox.JSON) -> None:
        seen.append(payload["update_id"])
        if payload["update_id"] == 201:
            raise ValueError("a bug, not the database: trying again would not help")
        finished.set()

    store(sessions, text_update(201, 7), text_update(202, 7))
    start(running, InboxWorker(sessions, handle, poll_seconds=0.05))
    await asyncio.wait_for(finished.wait(), TIMEOUT)
    assert seen == [201, 202]


async def test_one_chat_at_a_time_and_a_stop_finishes_what_is_in_hand(
    sessions: sessionmaker[Session], running: list[Any]
) -> None:
    active: set[int] = set()
    overlaps: list[int] = []
    handled: list[int] = []
    release = asyncio.Event()
    first_in = asyncio.Event()

    async def handle(payload: inbox.JSON) -> None:
        chat = inbox.ordering_key(payload)
        if chat in active:
            overlaps.append(chat)
        active.add(chat)
        first_in.set()
        await release.wait()
        active.discard(chat)
        handled.append(payload["update_id"])

    store(sessions, *(text_update(300 + n, 9) for n in range(3)), text_update(400, 10))
    workers = [InboxWorker(sessions, handle, name=f"w{i}", poll_seconds=0.05) for i in range(2)]
    for worker in workers:
        start(running, worker)
    await asyncio.wait_for(first_in.wait(), TIMEOUT)
    release.set()

    await wait_until(lambda: len(handled) >= 4, "four updates handled", TIMEOUT)
    assert not overlaps
    assert [u for u in handled if u < 400] == [300, 301, 302]

    # A stop while an update is in hand: the worker waits for it, then its row is gone.
    release.clear()
    store(sessions, text_update(500, 11))
    first_in.clear()
    await asyncio.wait_for(first_in.wait(), TIMEOUT)
    worker, stop, task = running.pop(0)
    if 500 not in [u for u in remaining(sessions)]:
        pytest.fail("update 500 vanished before it was handled")
    stop.set()
    for _, other_stop, _ in running:
        other_stop.set()
    release.set()
    await asyncio.wait_for(task, TIMEOUT)
    for _, _, other_task in running:
        await asyncio.wait_for(other_task, TIMEOUT)
    running.clear()
    assert 500 in handled
    assert remaining(sessions) == []
