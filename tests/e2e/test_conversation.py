"""A seller talks to the real bot: emulator → PTB Application → Rasa → action server → database."""

from __future__ import annotations

import pytest

from bot import texts
from tests.harness import RunningBot

QUESTIONS = [
    ("kak cod itu apa sih?", "tanya_cod"),
    ("ongkir ke medan dari bandung brp ya", "tanya_ongkir"),
    ("kenapa toko saya sepi banget", "tanya_algoritma"),
    ("halo kak", "sapa"),
    ("makasih ya kak", "terima_kasih"),
    ("dadah", "pamit"),
    ("kak resep rendang gimana", "di_luar_topik"),
]


def button_payloads(sent: object) -> list[str]:
    markup = getattr(sent, "reply_markup", None) or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


async def test_start_gets_a_personal_welcome_with_buttons(bot: RunningBot, user_id: int) -> None:
    bot.emulator.inject_command(user_id, "/start", first_name="Sari")
    sent = await bot.reply(user_id)
    assert "Sari" in sent[0].text
    assert button_payloads(sent[-1])


async def test_commands_are_registered_in_indonesian(bot: RunningBot) -> None:
    call = await bot.emulator.wait_for_call("setMyCommands")
    assert "modul" in str(call)


@pytest.mark.parametrize("command", ["/help", "/bantuan", "/help@akar_test_bot"])
async def test_help_and_bantuan_say_what_the_assistant_can_do(
    bot: RunningBot, user_id: int, command: str
) -> None:
    """Issue #14 point 5: not the NLU fallback, not "unknown command", but the overview."""
    bot.emulator.inject_command(user_id, command)
    sent = await bot.reply(user_id)
    shown = "\n".join(s.text or "" for s in sent)
    assert "COD" in shown and "/modul" in shown and "/progres" in shown
    assert len(sent[0].text or "") <= 400
    for not_help in (texts.UNKNOWN_COMMAND, texts.SERVICE_DOWN, texts.STALE_BUTTON):
        assert not_help not in shown
    assert "/nlu_fallback" not in button_payloads(sent[-1])
    [incoming] = await bot.incoming(user_id)
    assert (incoming["kind"], incoming["delivery_status"]) == ("command", "help")
    assert incoming["intent"] is None  # answered without asking the NLU


async def test_help_buttons_open_the_topics_and_the_modules(bot: RunningBot, user_id: int) -> None:
    bot.emulator.inject_command(user_id, "/bantuan")
    help_message = (await bot.reply(user_id))[-1]
    payloads = button_payloads(help_message)
    assert payloads == [b.payload for row in texts.HELP_BUTTONS for b in row]

    bot.emulator.inject_callback(user_id, "/tanya_lagi", message_id=help_message.message_id)
    topics = await bot.reply(user_id)
    assert "/tanya_cod" in button_payloads(topics[-1])

    bot.emulator.inject_callback(user_id, "k:0", message_id=help_message.message_id)
    [catalogue] = await bot.reply(user_id)
    assert (catalogue.text or "").startswith("📚 Modul belajar AKAR")


@pytest.mark.parametrize(("question", "intent"), QUESTIONS)
async def test_seller_question_is_answered_and_stored(
    bot: RunningBot, user_id: int, question: str, intent: str
) -> None:
    bot.emulator.inject_text(user_id, question)
    sent = await bot.reply(user_id)
    assert sent[0].text and texts.SERVICE_DOWN not in sent[0].text
    # Every answer offers a next step.
    assert button_payloads(sent[-1]), f"no buttons on the answer to {question!r}"

    transcript = await bot.transcript(user_id)
    incoming = transcript[0]
    assert incoming["direction"] == "in" and incoming["text"] == question
    assert incoming["intent"] == intent
    assert incoming["confidence"] is not None and incoming["confidence"] > 0.5
    outgoing = [m for m in transcript if m["direction"] == "out"]
    assert outgoing and all(m["in_reply_to_id"] == incoming["id"] for m in outgoing)
    assert outgoing[0]["delivery_status"] == "sent"


async def test_cities_are_extracted_as_entities(bot: RunningBot, user_id: int) -> None:
    bot.emulator.inject_text(user_id, "ongkir ke medan dari bandung brp ya")
    await bot.reply(user_id)
    [incoming] = [m for m in await bot.transcript(user_id) if m["direction"] == "in"]
    values = {(e.get("role"), str(e["value"]).lower()) for e in incoming["entities"]}
    assert ("tujuan", "medan") in values
    assert ("asal", "bandung") in values


async def test_button_press_continues_the_conversation(bot: RunningBot, user_id: int) -> None:
    bot.emulator.inject_text(user_id, "cod itu apa kak")
    sent = await bot.reply(user_id)
    payload = "/tanya_lagi"
    assert payload in button_payloads(sent[-1])
    bot.emulator.inject_callback(user_id, payload, message_id=sent[-1].message_id)
    await bot.emulator.wait_for_call("answerCallbackQuery")
    reply = await bot.reply(user_id)
    assert "/tanya_cod" in button_payloads(reply[-1])


async def test_gibberish_falls_back_with_choices_instead_of_guessing(
    bot: RunningBot, user_id: int
) -> None:
    bot.emulator.inject_text(user_id, "asdfgh qwerty zxcv")
    sent = await bot.reply(user_id)
    payloads = button_payloads(sent[-1])
    assert payloads[-1] == "/nlu_fallback"  # "Bukan keduanya"
    [incoming] = [m for m in await bot.transcript(user_id) if m["direction"] == "in"]
    assert incoming["intent"] == "nlu_fallback"
