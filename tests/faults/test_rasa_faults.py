"""Rasa-side faults with the real stack: a slow action server (past the bot's Rasa timeout) and
Rasa killed with SIGKILL mid-conversation. Whatever fails, the seller gets an answer or the
apology (texts.SERVICE_DOWN) in time, and every incoming message is in the transcript once."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable

import pytest

from bot import texts
from tests.faults.conftest import RASA_TIMEOUT
from tests.faults.stack import FaultStack
from tests.harness import RunningBot

pytestmark = pytest.mark.e2e

# The apology must come within the bot's Rasa timeout plus this (storing, sending, a busy box).
MARGIN = 5.0
# Far past the bot's timeout: an action server that hangs. Rasa itself would wait 300 s for it
# (rasa.core.constants.DEFAULT_REQUEST_TIMEOUT, not configurable in Rasa 3.6).
HUNG_ACTION = 120.0
# A normal answer, however busy the box; far below the 60 s of Rasa's conversation lock, so a
# turn stuck behind a hung one would fail here.
ANSWER_TIMEOUT = 20.0
COD = "kak cod itu apa sih?"  # tanya_cod -> action_jawab_topik, a custom action
ONGKIR = "kak ongkir ke medan itu gimana ngitungnya?"  # tanya_ongkir -> action_jawab_topik


async def poll(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    """Wait until `condition()` is true, or fail saying `what` never happened."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            pytest.fail(f"{what} did not happen within {timeout:.0f}s")
        await asyncio.sleep(0.05)


async def statuses(chat: RunningBot, user_id: int) -> list[tuple[str, str | None]]:
    return [(m["text"], m["delivery_status"]) for m in await chat.incoming(user_id)]


async def test_slow_action_server_gets_an_apology_then_answers_resume(
    faults: FaultStack, chat: RunningBot, user_id: int
) -> None:
    loop = asyncio.get_running_loop()
    counts = dataclasses.replace(faults.proxy.counts)
    faults.proxy.slow(HUNG_ACTION)
    try:
        asked = loop.time()
        chat.emulator.inject_text(user_id, COD)
        sent = await chat.reply(user_id, timeout=RASA_TIMEOUT + MARGIN)
        waited = loop.time() - asked
        # The custom action was really called (and held): the apology is the timeout's.
        assert faults.proxy.counts.delayed == counts.delayed + 1
    finally:
        faults.proxy.fast()
    assert [m.text for m in sent] == [texts.SERVICE_DOWN]
    assert RASA_TIMEOUT <= waited < RASA_TIMEOUT + MARGIN
    assert await statuses(chat, user_id) == [(COD, "rasa_unavailable")]
    # The bot hung up on Rasa, so Rasa (Sanic cancels the request's handler) hung up on the
    # action server: the conversation lock is released, nothing waits for the hung action.
    await poll(
        lambda: faults.proxy.counts.abandoned == counts.abandoned + 1,
        "Rasa abandoning the action call",
    )

    chat.emulator.inject_text(user_id, ONGKIR)
    sent = await chat.reply(user_id, timeout=ANSWER_TIMEOUT)
    assert sent[0].text and sent[0].text != texts.SERVICE_DOWN
    assert await statuses(chat, user_id) == [(COD, "rasa_unavailable"), (ONGKIR, "answered")]
    transcript = await chat.transcript(user_id)
    replies = [m for m in transcript if m["direction"] == "out"]
    assert replies[0]["text"] == texts.SERVICE_DOWN
    assert all(m["delivery_status"] == "sent" for m in replies)


async def test_rasa_killed_mid_conversation_apologises_then_recovers(
    faults: FaultStack, chat: RunningBot, user_id: int
) -> None:
    chat.emulator.inject_text(user_id, "halo kak")
    assert (await chat.reply(user_id, timeout=ANSWER_TIMEOUT))[0].text != texts.SERVICE_DOWN

    # Killed in the middle of a turn: Rasa is inside the custom action call (held by the proxy)
    # when the SIGKILL lands.
    faults.proxy.slow(HUNG_ACTION)
    down: list[str] = [COD, "ongkir ke medan brp kak", "/start"]
    try:
        calls = faults.proxy.counts.connections
        chat.emulator.inject_text(user_id, down[0])
        await poll(lambda: faults.proxy.counts.connections > calls, "Rasa calling the action")
        await faults.kill_rasa()
        assert (await chat.reply(user_id, timeout=MARGIN))[0].text == texts.SERVICE_DOWN
        faults.proxy.fast()
        # While it is down: each message is answered with the apology (connection refused).
        chat.emulator.inject_text(user_id, down[1])
        assert (await chat.reply(user_id, timeout=MARGIN))[0].text == texts.SERVICE_DOWN
        chat.emulator.inject_command(user_id, down[2])
        assert (await chat.reply(user_id, timeout=MARGIN))[0].text == texts.SERVICE_DOWN
    finally:
        faults.proxy.fast()
        if faults.rasa.process.returncode is not None:
            await faults.start_rasa()  # as the supervisor (or the orchestrator) restarts it

    chat.emulator.inject_text(user_id, COD)
    sent = await chat.reply(user_id, timeout=ANSWER_TIMEOUT)
    assert sent[0].text and sent[0].text != texts.SERVICE_DOWN

    # Every incoming message exactly once, in order, with what happened to it.
    assert await statuses(chat, user_id) == [
        ("halo kak", "answered"),
        (COD, "rasa_unavailable"),
        ("ongkir ke medan brp kak", "rasa_unavailable"),
        ("/start", "rasa_unavailable"),
        (COD, "answered"),
    ]
    incoming = await chat.incoming(user_id)
    answered_to = {
        m["in_reply_to_id"] for m in await chat.transcript(user_id) if m["direction"] == "out"
    }
    assert {m["id"] for m in incoming} <= answered_to  # and each of them got a reply
