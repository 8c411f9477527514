"""Engines and sessions.

The bot calls the repository from worker threads (`asyncio.to_thread`), several at a time, so the
engine must tolerate concurrent writers. On SQLite that means WAL journal mode (readers do not
block the writer and vice versa) and a busy timeout (a second writer waits for the lock instead of
failing at once with "database is locked"). Foreign keys are off by default in SQLite and must be
switched on for every connection, or the constraints in the schema are decoration.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

SQLITE_BUSY_TIMEOUT_SECONDS = 30.0
"""How long a SQLite writer waits for another writer's lock before giving up."""


def _is_memory_sqlite(database: str | None, query: dict[str, Any]) -> bool:
    return not database or database == ":memory:" or query.get("mode") == "memory"


def make_engine(url: str) -> Engine:
    """An engine for any SQLAlchemy URL, with the SQLite settings the bot relies on.

    For a relative SQLite file path (`sqlite:///data/akar.db`) the parent folder is created, so a
    fresh checkout works without a setup step. Absolute paths are left alone: a missing folder
    there is more likely a mistake (or a missing volume) that should fail loudly.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # pre_ping: the bot is long-lived; a connection dropped by a database restart is replaced
        # transparently instead of failing the next message.
        return sa.create_engine(parsed, pool_pre_ping=True)

    query = dict(parsed.query)
    memory = _is_memory_sqlite(parsed.database, query)
    kwargs: dict[str, Any] = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}}
    if memory:
        # One shared connection: otherwise every thread (and every to_thread call) would get its
        # own, empty in-memory database. Only for tests and experiments.
        kwargs["poolclass"] = StaticPool
        kwargs["connect_args"]["check_same_thread"] = False
    elif parsed.database and query.get("uri") != "true":
        path = Path(parsed.database)
        if not path.is_absolute():
            path.parent.mkdir(parents=True, exist_ok=True)

    engine = sa.create_engine(parsed, **kwargs)

    @sa.event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            if not memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                # Safe with WAL (a power cut can lose the last commits, never corrupt the file)
                # and avoids an fsync per message.
                cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to `engine`.

    `expire_on_commit=False`: objects returned from a unit of work stay readable after it commits,
    without a reload query (the async facade hands them across threads).
    """
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit if the block succeeds, roll back if it raises, always close."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def transaction(url: str) -> Iterator[Session]:
    """A short-lived engine and one unit of work on it: what a CLI command needs."""
    engine = make_engine(url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()
