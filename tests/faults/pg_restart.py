"""A PostgreSQL cluster a test can stop and start again, on the same data folder and the same
port, so every client's URL stays valid across the restart (what a database restart or a
failover to the same address looks like to the bot).

    with restartable_postgres() as pg:       # a database `akar`, migrated to head
        engine = make_engine(pg.url)
        ...
        pg.stop()                              # clients now get connection refused
        pg.start()                             # same port, same data

Built on tests/postgres.py (initdb, pg_ctl); skips or fails like the `postgres_server` fixture
when PostgreSQL is not installed (`require_postgres`). Blocking calls: from async code use
`await asyncio.to_thread(pg.stop)`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import postgres

DATABASE = "akar"


@dataclass
class RestartablePostgres:
    folder: Path
    port: int
    url: str  # the application database (migrated to head unless asked otherwise)
    admin_url: str  # the `postgres` database, for CREATE DATABASE and the like
    running: bool = True
    restarts: int = 0

    def stop(self, mode: str = "fast") -> None:
        """`fast`: a clean shutdown (clients are disconnected, open transactions rolled back);
        `immediate`: a crash (the server recovers from its WAL at the next start)."""
        postgres.stop_server(self.folder, mode)
        self.running = False

    def start(self) -> None:
        postgres.start_server(self.folder, self.port)
        self.running = True
        self.restarts += 1

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()


def require_postgres() -> None:
    """Skip without PostgreSQL, except where it is required (make test, CI)."""
    reason = postgres.unavailable_reason()
    if reason is None:
        return
    if os.environ.get("AKAR_REQUIRE_POSTGRES") == "1" or os.environ.get("CI", "") == "true":
        pytest.fail(f"PostgreSQL is required (make test, CI): {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


@contextmanager
def restartable_postgres(*, migrate: bool = True) -> Iterator[RestartablePostgres]:
    """A cluster of its own with a database `akar` (migrated to head with `migrate`)."""
    require_postgres()
    import sqlalchemy as sa

    from bot.db.migrate import upgrade

    folder = postgres.cluster_folder()
    port = postgres._free_port()
    try:
        postgres.init_cluster(folder)
        postgres.start_server(folder, port)
        admin_url = postgres.server_url(port)
        pg = RestartablePostgres(
            folder, port, postgres.database_url(admin_url, DATABASE), admin_url
        )
        try:
            admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
            try:
                with admin.connect() as connection:
                    connection.execute(sa.text(f"CREATE DATABASE {DATABASE}"))
            finally:
                admin.dispose()
            if migrate:
                upgrade(pg.url)
            yield pg
        finally:
            if pg.running:
                postgres.stop_server(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
