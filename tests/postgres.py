"""A throwaway PostgreSQL cluster for tests: initdb in a temporary folder, a loopback port,
trust authentication, stopped and deleted afterwards. tests/conftest.py starts one per pytest
run (`postgres_server`); tests skip (with the reason) when the PostgreSQL server programs or the
psycopg driver are missing, except under `make test` (AKAR_REQUIRE_POSTGRES=1; make installs
Debian's postgresql package first) and CI=true, where that is an error.

No SQLAlchemy import at module level: tests/conftest.py imports this in the Rasa environment too.

PostgreSQL refuses to run as root; as root (CI, this project's machines) the cluster runs as
the `postgres` system user that Debian's packages create.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TEMPLATE = "akar_template"
"""The migrated (Alembic head) database on the shared cluster that fresh test databases copy."""

_names = itertools.count()


def server_bin() -> Path | None:
    """The folder with initdb and pg_ctl, or None."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(folder) / "initdb").exists():
            return Path(folder)
    return None


def unavailable_reason() -> str | None:
    """Why a throwaway cluster cannot be started here, or None if it can."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (requirements/app.txt)"
    if server_bin() is None:
        return "PostgreSQL server programs (initdb, pg_ctl) not found; apt-get install postgresql"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run the server as"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(command: list[str]) -> None:
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=120)


def cluster_folder() -> Path:
    """A new temporary folder for a cluster (its data, socket and log), owned by the server's
    user."""
    folder = Path(tempfile.mkdtemp(prefix="akar-pg-"))
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        os.chown(folder, account.pw_uid, account.pw_gid)
    return folder


def _binaries() -> Path:
    binaries = server_bin()
    assert binaries is not None
    return binaries


def init_cluster(folder: Path) -> Path:
    """initdb in `folder`/data (user akar, trust authentication); returns the data folder."""
    data = folder / "data"
    _run(
        [
            str(_binaries() / "initdb"),
            "-D",
            str(data),
            "-U",
            "akar",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ]
    )
    return data


def start_server(folder: Path, port: int) -> None:
    """Start (or start again) the cluster in `folder` on `port`; returns once it accepts
    connections."""
    # A server time zone that is not UTC (WIT, UTC+9): SQL that leans on the session's zone
    # instead of the stored UTC moments shows up as a failing test, not a production bug.
    options = (
        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        " -c timezone=Asia/Jayapura"
    )
    # -w: pg_ctl returns once the server accepts connections.
    log_file = str(folder / "log")
    _run(
        [
            str(_binaries() / "pg_ctl"),
            "-D",
            str(folder / "data"),
            "-o",
            options,
            "-l",
            log_file,
            "-w",
            "start",
        ]
    )


def stop_server(folder: Path, mode: str = "immediate") -> None:
    """Stop the cluster in `folder`: `immediate` is a crash (recovery at the next start),
    `fast` a clean shutdown that disconnects clients and rolls back their transactions."""
    _run([str(_binaries() / "pg_ctl"), "-D", str(folder / "data"), "-m", mode, "-w", "stop"])


def server_url(port: int) -> str:
    """The SQLAlchemy URL of the `postgres` database (user akar) on a local cluster."""
    return f"postgresql+psycopg://akar@127.0.0.1:{port}/postgres"


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """Start a cluster and yield the SQLAlchemy URL of its `postgres` database (user akar)."""
    folder = cluster_folder()
    port = _free_port()
    try:
        init_cluster(folder)
        start_server(folder, port)
        try:
            yield server_url(port)
        finally:
            stop_server(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def database_url(server_url: str, name: str) -> str:
    """The URL of database `name` on the cluster whose admin URL is `server_url`."""
    from sqlalchemy.engine import make_url

    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


@contextmanager
def fresh_database(server_url: str, template: str | None = TEMPLATE) -> Iterator[str]:
    """A new database (a copy of `template`, or empty with None) for one test; its URL. Dropped
    afterwards, even with connections a failed test left open."""
    import sqlalchemy as sa

    name = f"test_{os.getpid()}_{next(_names)}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            copy = f" TEMPLATE {template}" if template else ""
            connection.execute(sa.text(f"CREATE DATABASE {name}{copy}"))
        try:
            yield database_url(server_url, name)
        finally:
            with admin.connect() as connection:
                connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    finally:
        admin.dispose()


@contextmanager
def published_database(server_url: str) -> Iterator[str]:
    """A fresh migrated database with the training modules published: what a running bot (and
    the action server's module answers) need. Its URL; dropped afterwards."""
    from bot.content.publish import publish

    with fresh_database(server_url, TEMPLATE) as url:
        publish(url)
        yield url
