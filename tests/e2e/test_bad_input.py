"""Bad input gets a clear, friendly Indonesian reply; nothing is lost; nothing crashes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot import texts
from bot.config import Settings
from tests.harness import RunningBot, Stack, free_port, running_bot


@pytest.mark.parametrize("kind", ["sticker", "photo", "voice", "document", "location", "contact"])
async def test_non_text_messages_get_a_friendly_reply(
    bot: RunningBot, user_id: int, kind: str
) -> None:
    getattr(bot.emulator, f"inject_{kind}")(user_id)
    sent = await bot.reply(user_id)
    assert sent[0].text == texts.unsupported_text(kind)
    [incoming] = await bot.incoming(user_id)
    assert incoming["kind"] == kind


async def test_html_like_text_never_causes_a_parse_error(bot: RunningBot, user_id: int) -> None:
    bot.emulator.inject_text(user_id, "<b>ongkir</b> ke medan & <script>alert(1)</script> brp?")
    sent = await bot.reply(user_id)
    assert sent[0].text
    assert all(s.parse_mode is None for s in sent)


async def test_text_over_4096_chars_is_stored_and_answered(bot: RunningBot, user_id: int) -> None:
    huge = "kak cod itu apa " * 400  # 6,400 characters
    bot.emulator.inject_text(user_id, huge)
    sent = await bot.reply(user_id)
    assert sent[0].text == texts.TOO_LONG
    [incoming] = await bot.incoming(user_id)
    assert incoming["text"] == huge


async def test_emoji_only_gets_topic_choices(bot: RunningBot, user_id: int) -> None:
    bot.emulator.inject_text(user_id, "🙏🙏😂")
    sent = await bot.reply(user_id)
    assert sent[0].text == texts.NO_WORDS


async def test_edited_message_is_answered_again(bot: RunningBot, user_id: int) -> None:
    original = bot.emulator.inject_text(user_id, "halo")
    await bot.reply(user_id)
    bot.emulator.inject_edited_text(user_id, original["message_id"], "kak cod itu apa sih?")
    sent = await bot.reply(user_id)
    assert sent[0].text
    kinds = [m["kind"] for m in await bot.incoming(user_id)]
    assert kinds == ["text", "edited"]


@pytest.mark.parametrize("data", ["/intent_yang_tidak_ada", "garbage{}", "/tanya_cod; DROP TABLE"])
async def test_stale_or_tampered_button_gets_a_friendly_message(
    bot: RunningBot, user_id: int, data: str
) -> None:
    bot.emulator.inject_callback(user_id, data)
    sent = await bot.reply(user_id)
    assert sent[0].text == texts.STALE_BUTTON


async def test_unknown_command_gets_help(bot: RunningBot, user_id: int) -> None:
    bot.emulator.inject_command(user_id, "/entahlah")
    sent = await bot.reply(user_id)
    assert sent[0].text == texts.UNKNOWN_COMMAND


async def test_blocked_user_is_marked_inactive_and_bot_keeps_going(
    bot: RunningBot, user_id: int
) -> None:
    bot.emulator.block_chat(user_id)
    bot.emulator.inject_text(user_id, "halo kak")
    await bot.emulator.wait_for_call(
        "sendMessage", predicate=lambda c: int(c.params.get("chat_id", 0)) == user_id
    )
    # The bot still serves others.
    other = user_id + 50_000
    bot.emulator.inject_text(other, "halo kak")
    await bot.reply(other)
    transcript = await bot.transcript(user_id)
    assert [m["delivery_status"] for m in transcript if m["direction"] == "out"] == ["blocked"]
    seller = await bot.assistant.store.seller(user_id)
    assert seller is not None and seller["is_active"] is False
    bot.emulator.unblock_chat(user_id)


async def test_telegram_429_is_waited_out(bot: RunningBot, user_id: int) -> None:
    bot.emulator.fail_next("sendMessage", status=429, retry_after=1, chat_id=user_id)
    bot.emulator.inject_text(user_id, "halo kak")
    sent = await bot.reply(user_id, timeout=15)
    assert sent[0].text


async def test_action_server_down_gets_an_apology_and_message_is_kept(
    bot: RunningBot, stack: Stack, user_id: int
) -> None:
    await stack.supervisor.stop_service(stack.actions)
    try:
        bot.emulator.inject_command(user_id, "/start")  # the welcome is a custom action
        sent = await bot.reply(user_id, timeout=30)
        assert sent[0].text == texts.SERVICE_DOWN
    finally:
        await stack.restart_actions()
    [incoming] = await bot.incoming(user_id)
    assert incoming["delivery_status"] == "no_reply"
    # Back to normal once the action server returns.
    bot.emulator.inject_command(user_id, "/start")
    sent = await bot.reply(user_id)
    assert sent[0].text != texts.SERVICE_DOWN


@pytest.fixture
async def bot_without_rasa(database_url: str) -> AsyncIterator[RunningBot]:
    settings = Settings(rasa_url=f"http://127.0.0.1:{free_port()}", database_url=database_url)
    async with running_bot(settings) as running:
        yield running


async def test_rasa_down_gets_an_apology_and_message_is_stored(
    bot_without_rasa: RunningBot, user_id: int
) -> None:
    bot_without_rasa.emulator.inject_text(user_id, "kak cod itu apa sih?")
    sent = await bot_without_rasa.reply(user_id)
    assert sent[0].text == texts.SERVICE_DOWN
    [incoming] = await bot_without_rasa.incoming(user_id)
    assert incoming["text"] == "kak cod itu apa sih?"
    assert incoming["delivery_status"] == "rasa_unavailable"
