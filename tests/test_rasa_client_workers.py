"""RasaClient with several Rasa servers (RASA_URL="http://a,http://b"), against small real HTTP
servers: requests are spread, a server that refuses connections is passed over at once, a
slow one is never retried elsewhere (the message might be handled twice), and the tracker read
after a message goes to the server that handled it."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from prometheus_client import REGISTRY

from bot.rasa_client import RasaClient, RasaUnavailable, split_urls


class Server:
    """One fake Rasa server that records which requests reached it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.messages: list[str] = []
        self.tracker_reads = 0
        self.slow = False
        self.has_model = True
        self.release = asyncio.Event()
        self.received = asyncio.Event()

    async def webhook(self, request: web.Request) -> web.StreamResponse:
        body: dict[str, Any] = await request.json()
        self.messages.append(body["message"])
        self.received.set()
        if self.slow:
            await self.release.wait()
        return web.json_response([{"recipient_id": body["sender"], "text": self.name}])

    async def tracker(self, request: web.Request) -> web.StreamResponse:
        self.tracker_reads += 1
        return web.json_response(
            {"latest_message": {"intent": {"name": self.name, "confidence": 1.0}}}
        )

    async def status(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"model_id": "m" if self.has_model else None})


@pytest.fixture
async def servers() -> AsyncIterator[list[tuple[Server, str]]]:
    running: list[tuple[Server, str]] = []
    runners: list[web.AppRunner] = []
    for name in ("a", "b"):
        server = Server(name)
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", server.webhook)
        app.router.add_get("/conversations/{sender}/tracker", server.tracker)
        app.router.add_get("/status", server.status)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        running.append((server, f"http://127.0.0.1:{port}"))
        runners.append(runner)
    yield running
    for server, _ in running:
        server.release.set()
    for runner in runners:
        await runner.cleanup()


def dead_url() -> str:
    """A loopback port nobody listens on: connections are refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def refused_status_probes() -> float:
    labels = {"operation": "status", "reason": "connect"}
    return REGISTRY.get_sample_value("akar_rasa_errors_total", labels) or 0.0


def test_split_urls_accepts_a_comma_separated_setting() -> None:
    assert split_urls("http://a:5005/, http://b:5006") == ("http://a:5005", "http://b:5006")
    assert split_urls("http://a:5005") == ("http://a:5005",)
    with pytest.raises(ValueError):
        split_urls(" , ")


async def test_messages_alternate_and_the_tracker_read_follows_the_message(
    servers: list[tuple[Server, str]],
) -> None:
    (a, a_url), (b, b_url) = servers
    client = RasaClient(f"{a_url},{b_url}")
    turns = [await client.send("42", f"pesan {i}") for i in range(4)]
    await client.aclose()
    assert a.messages == ["pesan 0", "pesan 2"] and b.messages == ["pesan 1", "pesan 3"]
    # Each turn's NLU came from the server that handled that turn.
    assert [t.replies[0].text for t in turns] == [t.nlu.intent for t in turns if t.nlu]
    assert a.tracker_reads == 2 and b.tracker_reads == 2


async def test_a_busy_server_is_skipped_for_an_idle_one(
    servers: list[tuple[Server, str]],
) -> None:
    (a, a_url), (b, b_url) = servers
    a.slow = True
    client = RasaClient(f"{a_url},{b_url}")
    stuck = asyncio.create_task(client.send("1", "lambat"))
    await asyncio.wait_for(a.received.wait(), 5.0)  # the first message is being handled by a
    # Round-robin would now pick b, then a again; least-in-flight keeps picking b.
    await client.send("2", "satu")
    await client.send("3", "dua")
    assert b.messages == ["satu", "dua"] and a.messages == ["lambat"]
    a.release.set()
    await stuck
    await client.aclose()


async def test_a_refused_connection_fails_over_to_the_next_server(
    servers: list[tuple[Server, str]], caplog: pytest.LogCaptureFixture
) -> None:
    (b, b_url) = servers[1]
    down = dead_url()
    client = RasaClient(f"{down},{b_url}", connect_retries=0)
    turns = [await client.send("42", f"pesan {i}") for i in range(3)]
    await client.aclose()
    assert [t.replies[0].text for t in turns] == ["b", "b", "b"]
    assert b.messages == ["pesan 0", "pesan 1", "pesan 2"]
    # Tried once, then passed over while it is marked down.
    refused = [r for r in caplog.records if down in r.getMessage()]
    assert len(refused) == 1


async def test_unavailable_only_when_every_server_refuses() -> None:
    first, second = dead_url(), dead_url()
    client = RasaClient(f"{first},{second}", connect_retries=1, retry_backoff=0.01)
    with pytest.raises(RasaUnavailable, match="cannot connect") as caught:
        await client.send("42", "halo")
    await client.aclose()
    assert first in str(caught.value) and second in str(caught.value)


async def test_a_timeout_is_not_retried_on_another_server(
    servers: list[tuple[Server, str]],
) -> None:
    (a, a_url), (b, b_url) = servers
    a.slow = True
    client = RasaClient(f"{a_url},{b_url}", timeout=0.3)
    with pytest.raises(RasaUnavailable):
        await client.send("42", "halo")  # a takes it first and never answers
    await client.aclose()
    assert a.messages == ["halo"] and b.messages == []  # b must not handle it a second time


async def test_ready_when_any_server_has_its_model(servers: list[tuple[Server, str]]) -> None:
    (a, a_url), (b, b_url) = servers
    a.has_model = False
    client = RasaClient(f"{dead_url()},{a_url},{b_url}")
    before = refused_status_probes()
    assert await client.is_ready()
    assert refused_status_probes() == before + 1  # the dead one, counted as before
    b.has_model = False
    assert not await client.is_ready()
    await client.aclose()
