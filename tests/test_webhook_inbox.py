"""The webhook inbox's claim rules (bot/webhook/inbox.py) on SQLite and PostgreSQL: stored
once, one update per chat at a time in update_id order, leases that bring back a dead worker's
updates, and many concurrent workers that never break a chat's order nor take a row twice."""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.db.models import InboundUpdate, utcnow
from bot.db.session import make_engine, make_session_factory
from bot.webhook import inbox

LEASE = timedelta(seconds=30)


def text_update(update_id: int, chat_id: int, text: str = "halo") -> inbox.JSON:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Sari"},
            "text": text,
        },
    }


@pytest.fixture
def sessions(database_url: str) -> sessionmaker[Session]:
    return make_session_factory(make_engine(database_url))


def enqueue(sessions: sessionmaker[Session], *payloads: inbox.JSON) -> list[bool]:
    with sessions.begin() as session:
        return [inbox.enqueue(session, p) for p in payloads]


def claim(sessions: sessionmaker[Session], worker: str = "w1", limit: int = 10) -> list[int]:
    with sessions.begin() as session:
        return [c.update_id for c in inbox.claim(session, worker, limit, LEASE)]


def test_ordering_key_is_the_chat_then_the_user() -> None:
    assert inbox.ordering_key(text_update(1, 42)) == 42
    button = {
        "update_id": 2,
        "callback_query": {
            "id": "q",
            "from": {"id": 7},
            "message": {"message_id": 1, "chat": {"id": 42}},
        },
    }
    assert inbox.ordering_key(button) == 42
    assert inbox.ordering_key({"update_id": 3, "inline_query": {"id": "i", "from": {"id": 7}}}) == 7
    assert inbox.ordering_key({"update_id": 4, "poll": {"id": "p"}}) == -4


def test_an_update_telegram_resends_is_stored_once(sessions: sessionmaker[Session]) -> None:
    assert enqueue(sessions, text_update(10, 42), text_update(10, 42)) == [True, False]
    with sessions() as session:
        assert session.scalars(select(InboundUpdate.update_id)).all() == [10]


def test_one_update_per_chat_at_a_time_in_order(sessions: sessionmaker[Session]) -> None:
    enqueue(sessions, text_update(12, 1), text_update(11, 1), text_update(13, 2))
    assert claim(sessions) == [11, 13]  # chat 1's second update waits behind its first
    assert claim(sessions, "w2") == []
    with sessions.begin() as session:
        row = session.scalars(select(InboundUpdate).where(InboundUpdate.update_id == 11)).one()
        inbox.finish(session, row.id)
    assert claim(sessions, "w2") == [12]


def test_a_dead_workers_updates_come_back_and_poison_is_dropped(
    sessions: sessionmaker[Session],
) -> None:
    enqueue(sessions, text_update(21, 1), text_update(22, 2))
    assert claim(sessions) == [21, 22]
    later = utcnow() + LEASE + timedelta(seconds=1)
    with sessions.begin() as session:
        session.execute(
            InboundUpdate.__table__.update().where(InboundUpdate.update_id == 22).values(attempts=3)
        )
        assert inbox.recover(session, max_attempts=3, now=later) == [22]
    with sessions.begin() as session:
        assert [c.update_id for c in inbox.claim(session, "w2", 10, LEASE, now=later)] == [21]


def test_renewed_leases_are_not_recovered(sessions: sessionmaker[Session]) -> None:
    enqueue(sessions, text_update(31, 1))
    assert claim(sessions) == [31]
    with sessions.begin() as session:
        row_id = session.scalars(select(InboundUpdate.id)).one()
        inbox.renew(session, "w1", [row_id], timedelta(hours=1))
        assert inbox.recover(session, 5, now=utcnow() + LEASE + timedelta(seconds=1)) == []
        assert inbox.depth(session).working == 1


def test_retry_later_keeps_the_chat_waiting(sessions: sessionmaker[Session]) -> None:
    enqueue(sessions, text_update(41, 1), text_update(42, 1))
    assert claim(sessions) == [41]
    with sessions.begin() as session:
        row_id = session.scalars(
            select(InboundUpdate.id).where(InboundUpdate.update_id == 41)
        ).one()
        inbox.retry_later(session, row_id, timedelta(seconds=30))
    assert claim(sessions) == []  # neither 41 (not yet) nor 42 (behind 41)
    with sessions.begin() as session:
        later = utcnow() + timedelta(seconds=31)
        assert [c.update_id for c in inbox.claim(session, "w1", 10, LEASE, now=later)] == [41]


def test_concurrent_workers_keep_each_chats_order(sessions: sessionmaker[Session]) -> None:
    """Six threads claim and finish 600 updates of 20 chats; each chat's updates must be
    handled strictly in update_id order and each update exactly once."""
    chats, per_chat = 20, 30
    payloads = [
        text_update(1000 + n * chats + chat, 500 + chat)
        for n in range(per_chat)
        for chat in range(chats)
    ]
    enqueue(sessions, *payloads)
    handled: dict[int, list[int]] = defaultdict(list)
    lock = threading.Lock()
    in_progress: set[int] = set()
    overlaps: list[int] = []
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            idle = 0
            while idle < 50:
                with sessions.begin() as session:
                    claimed = inbox.claim(session, name, 3, LEASE)
                if not claimed:
                    idle += 1
                    continue
                idle = 0
                for item in claimed:
                    with lock:
                        if item.ordering_key in in_progress:
                            overlaps.append(item.ordering_key)
                        in_progress.add(item.ordering_key)
                        handled[item.ordering_key].append(item.update_id)
                    with lock:  # before the row goes: its successor is claimable after
                        in_progress.discard(item.ordering_key)
                    with sessions.begin() as session:
                        inbox.finish(session, item.id)
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert not overlaps
    assert sum(len(ids) for ids in handled.values()) == chats * per_chat
    for ids in handled.values():
        assert ids == sorted(ids) and len(set(ids)) == per_chat


def test_database_failures_never_count_as_crashes(sessions: sessionmaker[Session]) -> None:
    """An update retried through a long database outage is not dropped as poison later."""
    enqueue(sessions, text_update(51, 1))
    for _ in range(4):
        with sessions.begin() as session:
            [item] = inbox.claim(session, "w1", 10, LEASE, now=utcnow() + timedelta(hours=1))
            inbox.retry_later(session, item.id, timedelta(0))
    with sessions.begin() as session:
        [item] = inbox.claim(session, "w1", 10, LEASE, now=utcnow() + timedelta(hours=1))
        assert (item.attempts, item.failures) == (5, 4)
    later = utcnow() + timedelta(hours=2)
    with sessions.begin() as session:  # its worker then dies once: one crash, not five
        assert inbox.recover(session, max_attempts=2, now=later) == []
        assert inbox.depth(session).pending == 1
