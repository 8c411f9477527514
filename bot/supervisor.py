"""Runs Rasa, the action server and the bot as child processes, the way `make run` needs.

Why not a shell script: children must be started in order, probed until healthy, their logs
shown with a prefix, and all of them stopped on Ctrl-C or when any one dies, leaving no orphan.
Each child gets its own session (so a terminal Ctrl-C reaches only the supervisor, which then
stops them in order) and a parent-death signal (so even `kill -9` of the supervisor takes its
children down with it).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import httpx

PR_SET_PDEATHSIG = 1
COLOURS = ["\033[36m", "\033[35m", "\033[33m", "\033[32m"]
RESET = "\033[0m"


def _die_with_parent() -> None:
    """Runs in the child between fork and exec: ask Linux to SIGTERM it when the parent dies."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


class ServiceFailed(Exception):
    """A child process exited or never became healthy; the message says which and why."""


@dataclass
class ServiceSpec:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    probe_url: str | None = None  # healthy once this answers 2xx...
    probe: Callable[[], Awaitable[bool]] | None = None  # ...or this returns True...
    ready_line: str | None = None  # ...or this text appears in its output
    log_file: Path | None = None  # output to a file instead of the console (terminal chat)
    port: int | None = None  # checked free before start, so a stray server is never mistaken
    port_setting: str | None = None  # the setting to change when the port is taken


@dataclass
class Service:
    spec: ServiceSpec
    process: asyncio.subprocess.Process
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    pump: asyncio.Task[None] | None = None


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on the port (sockets lingering in TIME_WAIT do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


async def http_ok(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2.0) as client:
            return (await client.get(url)).is_success
    except httpx.HTTPError:
        return False


def as_json_line(name: str, line: str) -> str:
    """A child's line as one JSON object: kept if it already is one (LOG_FORMAT=json), else
    wrapped with the child's name as `service` (Rasa's own lines, tracebacks on stderr)."""
    try:
        parsed = json.loads(line)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        return line
    return json.dumps(
        {
            "timestamp": datetime.now(UTC).isoformat(),
            "level": "INFO",
            "logger": "output",
            "message": line,
            "service": name,
        },
        ensure_ascii=False,
    )


class Supervisor:
    def __init__(
        self,
        *,
        output: IO[str] | None = None,
        colour: bool | None = None,
        json_lines: bool = False,
    ) -> None:
        self.services: list[Service] = []
        self._output = output or sys.stdout
        self._json = json_lines
        self._colour = (self._output.isatty() if colour is None else colour) and not json_lines
        self._width = 8

    def _print(self, index: int, name: str, line: str) -> None:
        if self._json:  # one JSON object per line, no prefix: what a log collector reads
            self._output.write(as_json_line(name, line) + "\n")
            self._output.flush()
            return
        prefix = f"{name:<{self._width}}|"
        if self._colour:
            prefix = f"{COLOURS[index % len(COLOURS)]}{prefix}{RESET}"
        self._output.write(f"{prefix} {line}\n")
        self._output.flush()

    def say(self, line: str) -> None:
        self._print(len(COLOURS) - 1, "akar", line)

    async def start(self, spec: ServiceSpec) -> Service:
        if spec.port is not None and not port_is_free(spec.port):
            raise ServiceFailed(
                f"port {spec.port} for {spec.name} is already in use by another process; "
                f"stop that process or set {spec.port_setting or 'another port'}"
            )
        env = {**os.environ, **spec.env, "PYTHONUNBUFFERED": "1"}
        if spec.log_file:
            spec.log_file.parent.mkdir(parents=True, exist_ok=True)
        process = await asyncio.create_subprocess_exec(
            *spec.argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=env,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        service = Service(spec=spec, process=process)
        index = len(self.services)
        self.services.append(service)
        service.pump = asyncio.create_task(self._pump(index, service))
        self.say(f"started {spec.name} (pid {process.pid})")
        return service

    async def _pump(self, index: int, service: Service) -> None:
        """Copy a child's output line by line, with its prefix, and watch for its ready line."""
        assert service.process.stdout is not None
        log = service.spec.log_file.open("a", encoding="utf-8") if service.spec.log_file else None
        try:
            async for raw in service.process.stdout:
                line = raw.decode("utf-8", errors="replace").rstrip()
                if service.spec.ready_line and service.spec.ready_line in line:
                    service.ready.set()
                if log:
                    log.write(line + "\n")
                    log.flush()
                else:
                    self._print(index, service.spec.name, line)
        finally:
            if log:
                log.close()

    async def wait_healthy(self, service: Service, timeout: float) -> None:  # noqa: ASYNC109
        """Probe until healthy; fail fast if the process dies while starting."""
        spec = service.spec
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        delay = 0.1
        while True:
            if service.process.returncode is not None:
                hint = f" (see {spec.log_file})" if spec.log_file else ""
                code = service.process.returncode
                raise ServiceFailed(f"{spec.name} exited with code {code} while starting{hint}")
            if spec.probe_url and await http_ok(spec.probe_url):
                break
            if spec.probe and await spec.probe():
                break
            if spec.ready_line and service.ready.is_set():
                break
            if loop.time() > deadline:
                raise ServiceFailed(f"{spec.name} did not become healthy within {timeout:.0f}s")
            # Polling a health endpoint is the synchronisation here; back off gently.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(service.ready.wait(), timeout=delay)
            delay = min(delay * 1.5, 1.0)
        service.ready.set()
        self.say(f"{spec.name} is healthy")

    async def wait_any_exit(self) -> Service:
        """Return the first child that exits (a crash while running)."""
        waiters = {asyncio.create_task(s.process.wait()): s for s in self.services}
        try:
            done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            return waiters[next(iter(done))]
        finally:
            for task in waiters:
                task.cancel()

    async def stop_service(self, service: Service, grace: float = 8.0) -> None:
        """Stop one child (tests use this to simulate a service outage)."""
        await self._stop([service], grace)
        self.services.remove(service)

    async def stop_all(self, grace: float = 8.0) -> None:
        """Stop children in reverse start order: SIGTERM, then SIGKILL after `grace` seconds."""
        await self._stop(list(reversed(self.services)), grace)
        self.say("all services stopped")

    async def _stop(self, services: list[Service], grace: float) -> None:
        for service in services:
            process = service.process
            if process.returncode is None:
                self.say(f"stopping {service.spec.name}")
                _signal_group(process.pid, signal.SIGTERM)
        for service in services:
            process = service.process
            try:
                await asyncio.wait_for(process.wait(), timeout=grace)
            except TimeoutError:
                self.say(f"{service.spec.name} did not stop in {grace:.0f}s; killing it")
                _signal_group(process.pid, signal.SIGKILL)
                await process.wait()
            # The child's whole session must be gone, helpers included.
            _signal_group(process.pid, signal.SIGKILL)
            if service.pump:
                await service.pump


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
