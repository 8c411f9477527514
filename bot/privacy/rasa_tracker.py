"""Rasa's own copy of the conversations: deleting it for /hapusdata and for retention.

Rasa receives what sellers type unmasked (the NLU needs the real words), and with the SQL
tracker store (RASA_TRACKER_STORE_URL, docs/OPERATIONS.md "Scaling Rasa") it keeps every event
of every conversation in its `events` table for ever. Rasa's HTTP API cannot delete there:
replacing a conversation's events (`RasaClient.forget`) only appends to a SQL store. So the
privacy jobs delete the rows themselves, in Rasa's database, by the columns Rasa 3.6 defines
(rasa/core/tracker_store.py, `SQLTrackerStore.SQLEvent`): `sender_id` is the conversation id
the bot sends (the Telegram chat id), `timestamp` a float of Unix seconds.

Retention deletes events older than the cutoff rather than anonymising them: Rasa needs nothing
from a conversation that old (a session expires after an hour of silence), and the bot's own
transcript keeps the anonymised record the statistics need.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

log = logging.getLogger(__name__)

BATCH = 5000

_metadata = sa.MetaData()
# Only the columns the privacy jobs use; Rasa creates and owns the table.
EVENTS = sa.Table(
    "events",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
)


def _with_driver(url: str, driver: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return url
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def rasa_tracker_url(url: str) -> str:
    """RASA_TRACKER_STORE_URL as Rasa's SQLAlchemy 1.4 opens it: with psycopg2, the driver in
    the Rasa environment (the setting may name psycopg 3, the app's driver)."""
    return _with_driver(url, "postgresql+psycopg2")


def app_tracker_url(url: str) -> str:
    """RASA_TRACKER_STORE_URL as this (the app's) environment opens it: with psycopg 3."""
    return _with_driver(url, "postgresql+psycopg")


class RasaTrackerEvents:
    """Deletes rows of Rasa's `events` table. Blocking: the async callers use worker threads."""

    def __init__(self, url: str) -> None:
        self._engine: Engine = sa.create_engine(app_tracker_url(url), pool_pre_ping=True)

    def dispose(self) -> None:
        self._engine.dispose()

    def _table_exists(self) -> bool:
        # Rasa creates the table when it first starts; before that there is nothing to delete.
        return sa.inspect(self._engine).has_table(EVENTS.name)

    def delete_conversation(self, sender_id: str) -> int:
        """Delete every event of one conversation; how many rows went."""
        if not self._table_exists():
            return 0
        with self._engine.begin() as connection:
            result = connection.execute(sa.delete(EVENTS).where(EVENTS.c.sender_id == sender_id))
        return int(result.rowcount or 0)

    def delete_before(self, cutoff: datetime) -> int:
        """Delete every event older than `cutoff` (an aware datetime), in short batches so Rasa's
        own writes never wait long; how many rows went."""
        if not self._table_exists():
            return 0
        before = cutoff.timestamp()
        total = 0
        while True:
            batch = (
                sa.select(EVENTS.c.id)
                .where(EVENTS.c.timestamp < before)
                .order_by(EVENTS.c.id)
                .limit(BATCH)
                .scalar_subquery()
            )
            with self._engine.begin() as connection:
                result = connection.execute(sa.delete(EVENTS).where(EVENTS.c.id.in_(batch)))
            count = int(result.rowcount or 0)
            total += count
            if count < BATCH:
                return total


def from_settings(url: str | None) -> RasaTrackerEvents | None:
    """The tracker's events for RASA_TRACKER_STORE_URL; None with Rasa's in-memory store."""
    return RasaTrackerEvents(url) if url else None
