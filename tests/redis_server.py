"""A throwaway Redis server for tests: Debian's `redis-server` on a free loopback port, no
persistence (`--save "" --appendonly no`), in a temporary folder, stopped afterwards. Tests skip
(with the reason) when the server program or the redis-py client is missing; `make test`
installs the server (the Makefile's $(STAMPS)/redis-server)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def unavailable_reason() -> str | None:
    """Why a throwaway server cannot be started here, or None if it can."""
    try:
        import redis  # noqa: F401
    except ImportError:
        return "redis-py is not installed (requirements/app.txt)"
    if shutil.which("redis-server") is None:
        return "redis-server not found; apt-get install redis-server (make test does)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def throwaway_redis() -> Iterator[str]:
    """Start a server and yield its URL (redis://127.0.0.1:PORT/0)."""
    folder = Path(tempfile.mkdtemp(prefix="akar-redis-"))
    port = free_port()
    log = (folder / "log").open("wb")
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10.0
        while not _answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    "redis-server did not start:\n" + (folder / "log").read_text(errors="replace")
                )
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(folder, ignore_errors=True)
