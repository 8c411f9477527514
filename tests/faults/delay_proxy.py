"""A delaying TCP proxy for fault tests: put between Rasa and the action server, it passes bytes
through unchanged, or (switched to slow at run time) holds every response back until `delay`
seconds after its connection was opened, as an overloaded or hung action server would.

Plain asyncio streams, no HTTP parsing: it works for any protocol, and what Rasa sees is exactly
what a slow server looks like (the request is accepted at once, the answer comes late). The
delay of a connection is fixed when it is accepted, so switching back to fast affects new
requests only. It counts what happened, so a test can tell that the client gave up
(`abandoned`: the client closed the connection while its response was still held back).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass


@dataclass
class ProxyCounts:
    connections: int = 0
    delayed: int = 0  # connections accepted while slow
    abandoned: int = 0  # closed by the client before its held-back response was forwarded


class DelayingProxy:
    def __init__(self, upstream_host: str, upstream_port: int, *, delay: float = 0.0) -> None:
        self._upstream = (upstream_host, upstream_port)
        self.delay = delay
        self.counts = ProxyCounts()
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def slow(self, delay: float) -> None:
        """Hold back responses on connections accepted from now on by `delay` seconds."""
        self.delay = delay

    def fast(self) -> None:
        """Pass new connections straight through."""
        self.delay = 0.0

    async def start(self) -> DelayingProxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._handlers):
            task.cancel()
        for task in list(self._handlers):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._server is not None:
            await self._server.wait_closed()

    async def __aenter__(self) -> DelayingProxy:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _handle(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        loop = asyncio.get_running_loop()
        release_at = loop.time() + self.delay
        self.counts.connections += 1
        if self.delay > 0:
            self.counts.delayed += 1
        upstream_out: asyncio.StreamWriter | None = None
        try:
            try:
                upstream_in, upstream_out = await asyncio.open_connection(*self._upstream)
            except OSError:
                return  # upstream down: the client sees the connection closed, as with no proxy
            forward = asyncio.create_task(self._pipe(client_in, upstream_out))
            backward = asyncio.create_task(
                self._pipe(upstream_in, client_out, release_at=release_at)
            )
            done, pending = await asyncio.wait(
                {forward, backward}, return_when=asyncio.FIRST_COMPLETED
            )
            if forward in done and not backward.done() and self._held_back(release_at):
                self.counts.abandoned += 1
            for other in pending:
                other.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await other
        finally:
            for writer in (client_out, upstream_out):
                if writer is not None:
                    writer.close()
                    with contextlib.suppress(OSError):
                        await writer.wait_closed()
            self._handlers.discard(task)

    @staticmethod
    def _held_back(release_at: float) -> bool:
        return asyncio.get_running_loop().time() < release_at

    @staticmethod
    async def _pipe(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, release_at: float = 0.0
    ) -> None:
        """Copy until EOF; with `release_at`, nothing is forwarded before that loop time."""
        with contextlib.suppress(OSError):
            while chunk := await reader.read(65536):
                wait = release_at - asyncio.get_running_loop().time()
                if wait > 0:
                    await asyncio.sleep(wait)  # the fault itself, not synchronisation
                writer.write(chunk)
                await writer.drain()
