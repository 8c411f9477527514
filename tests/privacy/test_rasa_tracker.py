"""Deleting Rasa's tracker events (bot/privacy/rasa_tracker.py) on a real PostgreSQL database
with Rasa's `events` table: one seller's conversation (/hapusdata), everything older than the
retention cutoff (the daily job and `akar privacy retain`). tests/e2e/test_rasa_scaling.py does
the same against the table real Rasa servers create and fill."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import main
from bot.privacy import rasa_tracker
from bot.privacy.facade import Privacy
from bot.privacy.policy import load_privacy_text
from bot.privacy.rasa_tracker import (
    EVENTS,
    RasaTrackerEvents,
    app_tracker_url,
    rasa_tracker_url,
)
from bot.stack import PROJECT_ROOT
from tests.postgres import fresh_database

RASA_TRACKER_STORE = (
    PROJECT_ROOT
    / ".venv-rasa"
    / "lib"
    / "python3.10"
    / "site-packages"
    / "rasa"
    / "core"
    / "tracker_store.py"
)
NOW = datetime(2027, 12, 1, 3, 0, tzinfo=UTC)
DAYS = 365
OLD = (NOW - timedelta(days=DAYS, seconds=1)).timestamp()
RECENT = (NOW - timedelta(days=DAYS) + timedelta(seconds=1)).timestamp()

# Rasa 3.6's SQLTrackerStore.SQLEvent, as Rasa creates it on PostgreSQL.
RASA_DDL = """
CREATE TABLE events (
    id SERIAL PRIMARY KEY,
    sender_id VARCHAR(255) NOT NULL,
    type_name VARCHAR(255) NOT NULL,
    timestamp FLOAT,
    intent_name VARCHAR(255),
    action_name VARCHAR(255),
    data TEXT
)
"""


@pytest.fixture
def tracker_db(postgres_server: str) -> Iterator[str]:
    """An empty database (no `events` table until a test creates it, as Rasa would)."""
    with fresh_database(postgres_server, None) as url:
        yield url


def create_events(url: str, rows: list[tuple[str, float]]) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(RASA_DDL))
        for sender, moment in rows:
            connection.execute(
                sa.text(
                    "INSERT INTO events (sender_id, type_name, timestamp, data) "
                    "VALUES (:s, 'user', :t, :d)"
                ),
                {"s": sender, "t": moment, "d": '{"text": "wa saya 0812-3456-7890"}'},
            )
    engine.dispose()


def senders(url: str) -> list[str]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        found = connection.scalars(sa.text("SELECT sender_id FROM events ORDER BY id")).all()
    engine.dispose()
    return list(found)


def test_the_columns_are_rasas() -> None:
    """The table and columns the privacy jobs delete by are the ones the installed Rasa defines."""
    if not RASA_TRACKER_STORE.exists():
        pytest.skip("no .venv-rasa here")
    source = RASA_TRACKER_STORE.read_text(encoding="utf-8")
    body = source[source.index("class SQLEvent") :][:1500]
    assert re.search(r'__tablename__ = "events"', body)
    assert re.search(r"sender_id = sa\.Column\(sa\.String\(255\), nullable=False", body)
    assert re.search(r"timestamp = sa\.Column\(sa\.Float\)", body)
    assert EVENTS.name == "events"
    assert set(EVENTS.c.keys()) == {"id", "sender_id", "timestamp"}


def test_each_side_gets_its_driver() -> None:
    url = "postgresql+psycopg://akar:p%40ss@db:5432/akar_rasa"
    assert rasa_tracker_url(url) == "postgresql+psycopg2://akar:p%40ss@db:5432/akar_rasa"
    assert app_tracker_url("postgresql://akar@db/akar_rasa") == (
        "postgresql+psycopg://akar@db/akar_rasa"
    )
    assert rasa_tracker_url("sqlite:///rasa.db") == "sqlite:///rasa.db"


def test_nothing_to_delete_before_rasa_created_its_table(tracker_db: str) -> None:
    events = RasaTrackerEvents(tracker_db)
    try:
        assert events.delete_conversation("42") == 0
        assert events.delete_before(NOW) == 0
    finally:
        events.dispose()


def test_one_conversation_is_deleted(tracker_db: str) -> None:
    create_events(tracker_db, [("42", RECENT), ("7", RECENT), ("42", RECENT), ("420", RECENT)])
    events = RasaTrackerEvents(tracker_db)
    try:
        assert events.delete_conversation("42") == 2
        assert events.delete_conversation("42") == 0
    finally:
        events.dispose()
    assert senders(tracker_db) == ["7", "420"]


def test_events_before_the_cutoff_are_deleted_in_batches(
    tracker_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rasa_tracker, "BATCH", 3)
    create_events(tracker_db, [("old", OLD - i) for i in range(7)] + [("new", RECENT)] * 2)
    events = RasaTrackerEvents(tracker_db)
    try:
        assert events.delete_before(NOW - timedelta(days=DAYS)) == 7
    finally:
        events.dispose()
    assert senders(tracker_db) == ["new", "new"]


async def test_privacy_deletes_rasas_events_too(
    sessions: sessionmaker[Session], tracker_db: str
) -> None:
    create_events(tracker_db, [("42", OLD), ("42", RECENT), ("7", OLD), ("9", RECENT)])
    privacy = Privacy(
        sessions,
        load_privacy_text(retention_days=DAYS),
        retention_days=DAYS,
        clock=lambda: NOW,
        rasa_tracker=RasaTrackerEvents(tracker_db),
    )
    try:
        assert await privacy.forget_conversation("42") == 2
        report = await privacy.retain()
    finally:
        await privacy.aclose()
    assert report.rasa_events == 1
    assert senders(tracker_db) == ["9"]


async def test_a_failed_tracker_deletion_does_not_fail_the_seller(
    sessions: sessionmaker[Session],
) -> None:
    unreachable = RasaTrackerEvents("postgresql+psycopg://akar@127.0.0.1:9/none?connect_timeout=1")
    privacy = Privacy(
        sessions,
        load_privacy_text(retention_days=DAYS),
        retention_days=DAYS,
        rasa_tracker=unreachable,
    )
    try:
        assert await privacy.forget_conversation("42") == 0
    finally:
        await privacy.aclose()


def test_cli_retain_deletes_old_rasa_events(
    tracker_db: str,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    create_events(tracker_db, [("42", OLD), ("42", RECENT)])
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TRANSCRIPT_RETENTION_DAYS", str(DAYS))
    monkeypatch.setenv("RASA_TRACKER_STORE_URL", tracker_db)
    assert main(["privacy", "retain", "--now", NOW.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "Riwayat percakapan di Rasa: 1 event dari sebelum itu dihapus." in out
    assert senders(tracker_db) == ["42"]
