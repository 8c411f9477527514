"""The Rasa client against a small real HTTP server that misbehaves on purpose."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from bot.rasa_client import RasaClient, RasaUnavailable


class FakeRasa:
    """Speaks the two endpoints the client uses; `mode` selects a failure."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.webhook_calls = 0
        self.release = asyncio.Event()
        self.arrivals: asyncio.Queue[str] = asyncio.Queue()

    async def webhook(self, request: web.Request) -> web.StreamResponse:
        self.webhook_calls += 1
        body: dict[str, Any] = await request.json()
        self.arrivals.put_nowait(str(body.get("sender")))
        if self.mode == "error":
            return web.Response(status=500, text="boom")
        if self.mode == "slow":
            await self.release.wait()
        if self.mode == "garbage":
            return web.Response(text="<html>not json</html>")
        return web.json_response(
            [
                {"recipient_id": body["sender"], "text": f"jawab: {body['message']}"},
                {
                    "recipient_id": body["sender"],
                    "buttons": [{"title": "Tanya lagi", "payload": "/tanya_lagi"}],
                },
            ]
        )

    async def tracker(self, request: web.Request) -> web.StreamResponse:
        if self.mode == "no_tracker":
            return web.Response(status=500)
        return web.json_response(
            {
                "latest_message": {
                    "text": "cod itu apa",
                    "intent": {"name": "tanya_cod", "confidence": 0.97},
                    "entities": [{"entity": "kota", "value": "Medan", "role": "tujuan"}],
                    "intent_ranking": [{"name": "tanya_cod", "confidence": 0.97}],
                }
            }
        )


@pytest.fixture
async def fake_rasa() -> AsyncIterator[tuple[FakeRasa, str]]:
    fake = FakeRasa()
    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", fake.webhook)
    app.router.add_get("/conversations/{sender}/tracker", fake.tracker)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield fake, f"http://127.0.0.1:{port}"
    fake.release.set()
    await runner.cleanup()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_send_returns_replies_and_nlu(fake_rasa: tuple[FakeRasa, str]) -> None:
    _, url = fake_rasa
    client = RasaClient(url)
    turn = await client.send("42", "cod itu apa", {"first_name": "Sari"})
    await client.aclose()
    assert turn.replies[0].text == "jawab: cod itu apa"
    assert turn.replies[1].buttons[0].payload == "/tanya_lagi"
    assert turn.nlu is not None
    assert (turn.nlu.intent, turn.nlu.confidence) == ("tanya_cod", 0.97)
    assert turn.nlu.entities == [{"entity": "kota", "value": "Medan", "role": "tujuan"}]


async def test_missing_nlu_does_not_lose_the_answer(fake_rasa: tuple[FakeRasa, str]) -> None:
    fake, url = fake_rasa
    fake.mode = "no_tracker"
    client = RasaClient(url)
    turn = await client.send("42", "halo")
    await client.aclose()
    assert turn.replies and turn.nlu is None


async def test_server_error_raises_unavailable(fake_rasa: tuple[FakeRasa, str]) -> None:
    fake, url = fake_rasa
    fake.mode = "error"
    client = RasaClient(url)
    with pytest.raises(RasaUnavailable, match="HTTP 500"):
        await client.send("42", "halo")
    await client.aclose()
    assert fake.webhook_calls == 1  # an answered request is never retried


async def test_invalid_json_raises_unavailable(fake_rasa: tuple[FakeRasa, str]) -> None:
    fake, url = fake_rasa
    fake.mode = "garbage"
    client = RasaClient(url)
    with pytest.raises(RasaUnavailable, match="invalid JSON"):
        await client.send("42", "halo")
    await client.aclose()


async def test_timeout_raises_unavailable_without_retrying(
    fake_rasa: tuple[FakeRasa, str],
) -> None:
    fake, url = fake_rasa
    fake.mode = "slow"
    client = RasaClient(url, timeout=0.3)
    with pytest.raises(RasaUnavailable):
        await client.send("42", "halo")
    await client.aclose()
    assert fake.webhook_calls == 1  # retrying could make Rasa process the message twice


async def test_connection_refused_is_retried_then_unavailable() -> None:
    client = RasaClient(f"http://127.0.0.1:{free_port()}", connect_retries=2, retry_backoff=0.01)
    with pytest.raises(RasaUnavailable, match="cannot connect"):
        await client.send("42", "halo")
    assert await client.is_ready() is False
    await client.aclose()


async def test_admission_keeps_the_queue_out_of_rasa(fake_rasa: tuple[FakeRasa, str]) -> None:
    """With max_in_flight=2, five concurrent messages: only two reach Rasa while it is busy,
    the others wait their turn (their own Rasa timeout not yet running) and all are answered."""
    fake, url = fake_rasa
    fake.mode = "slow"
    client = RasaClient(url, timeout=5.0, max_in_flight=2, queue_timeout=5.0)
    sends = [asyncio.create_task(client.send(str(n), "halo")) for n in range(5)]
    for _ in range(2):
        await asyncio.wait_for(fake.arrivals.get(), 5)
    with pytest.raises(TimeoutError):  # a third one must not reach Rasa while two are inside
        await asyncio.wait_for(fake.arrivals.get(), 0.3)
    assert fake.webhook_calls == 2
    fake.mode = "ok"
    fake.release.set()
    turns = await asyncio.gather(*sends)
    assert fake.webhook_calls == 5
    assert all(turn.replies for turn in turns)
    await client.aclose()


async def test_no_turn_within_the_queue_timeout_is_unavailable(
    fake_rasa: tuple[FakeRasa, str],
) -> None:
    fake, url = fake_rasa
    fake.mode = "slow"
    client = RasaClient(url, timeout=5.0, max_in_flight=1, queue_timeout=0.2)
    first = asyncio.create_task(client.send("1", "halo"))
    await asyncio.wait_for(fake.arrivals.get(), 5)  # the first one is inside Rasa
    with pytest.raises(RasaUnavailable, match="no turn"):
        await client.send("2", "halo")
    assert fake.webhook_calls == 1
    fake.release.set()
    await first
    await client.aclose()
