"""Feedback buttons and human handoff, end to end: emulator → PTB Application → Rasa → action
server → database, and staff replies / hand-back through the Bot API as the desk sends them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot

from bot import texts as bot_texts
from bot.db.models import Message, Seller, StaffAccount, utcnow
from bot.support import texts
from bot.support.replies import UnknownSeller, hand_back, send_staff_reply
from tests.emulator import SentMessage
from tests.harness import TOKEN, RunningBot

SUPPORT_CHAT = -1_001_234_567_890


def payloads(sent: SentMessage) -> list[str]:
    return sent.callback_data


def rows(sent: SentMessage) -> list[list[str]]:
    markup = sent.reply_markup or {}
    return [[b["callback_data"] for b in row] for row in markup.get("inline_keyboard", [])]


async def ask(bot: RunningBot, user_id: int, text: str, **who: Any) -> list[SentMessage]:
    bot.emulator.inject_text(user_id, text, **who)
    return await bot.reply(user_id)


async def press(bot: RunningBot, user_id: int, data: str) -> list[SentMessage]:
    bot.emulator.inject_callback(user_id, data)
    return await bot.reply(user_id)


async def settle(bot: RunningBot, user_id: int) -> None:
    """Wait until the chat's previous update is fully handled when it may get no reply at all:
    updates of one chat are handled in order, and /idsaya always gets exactly one reply, so
    anything else the previous update sent would show up here too."""
    bot.emulator.inject_command(user_id, "/idsaya")
    [reply] = await bot.reply(user_id)
    assert reply.text == bot_texts.whoami(user_id)


def sessions_of(bot: RunningBot) -> sessionmaker[Session]:
    return bot.assistant.store.sessions


def seller_row(bot: RunningBot, user_id: int) -> Seller:
    with sessions_of(bot)() as session:
        return session.scalars(sa.select(Seller).where(Seller.telegram_user_id == user_id)).one()


def incoming(bot: RunningBot, user_id: int) -> list[Message]:
    with sessions_of(bot)() as session:
        return list(
            session.scalars(
                sa.select(Message)
                .join(Seller)
                .where(Seller.telegram_user_id == user_id, Message.direction == "in")
                .order_by(Message.id)
            )
        )


@pytest.fixture
def support_chat(bot: RunningBot) -> Iterator[int]:
    """SUPPORT_CHAT_ID set for this test (the session's bot has none)."""
    support = bot.assistant.support
    assert support is not None
    support.support_chat_id = SUPPORT_CHAT
    yield SUPPORT_CHAT
    support.support_chat_id = None


@pytest.fixture
async def staff_bot(bot: RunningBot) -> AsyncIterator[Bot]:
    """What the desk sends with: a Bot of its own on the same Bot API."""
    async with Bot(TOKEN, base_url=bot.emulator.base_url) as staff:
        yield staff


@pytest.fixture
def staff_id(bot: RunningBot, user_id: int) -> int:
    with sessions_of(bot).begin() as session:
        account = StaffAccount(
            username=f"rina{user_id}", password_hash="x", telegram_user_id=user_id + 10**11
        )
        session.add(account)
        session.flush()
        return account.id


# --- feedback --------------------------------------------------------------------------------


async def test_an_answer_gets_a_feedback_row_under_its_own_buttons(
    bot: RunningBot, user_id: int
) -> None:
    sent = await ask(bot, user_id, "kak cod itu apa sih?")
    [question] = incoming(bot, user_id)
    assert rows(sent[-1])[-1] == [f"f:{question.id}:u", f"f:{question.id}:d"]
    # The answer's own buttons first ("Selengkapnya", "📎 Sumber", the module, "Tanya lagi"),
    # 👍/👎 last.
    assert payloads(sent[-1])[:-2] == [
        '/tanya_cod{"lanjut":"apa_itu"}',
        '/tanya_cod{"sumber":"apa_itu"}',
        '/lihat_modul{"topik":"cod"}',
        "/tanya_lagi",
    ]
    assert [b["text"] for b in sent[-1].buttons][-2:] == ["👍", "👎"]
    assert all(len(p.encode()) <= 64 for p in payloads(sent[-1]))
    assert all(not any(p.startswith("f:") for p in payloads(m)) for m in sent[:-1])


@pytest.mark.parametrize(
    "text",
    [
        "halo kak",  # a greeting
        "asdfgh qwerty zxcv",  # the fallback's "did you mean" menu
        "kardus sy 30x20x10 cm, nanti kena brp kg ya",  # the calculator asks for the weight
        "mau lihat modul",  # a learning screen
    ],
)
async def test_no_feedback_on_greetings_menus_questions_or_learning(
    bot: RunningBot, user_id: int, text: str
) -> None:
    sent = await ask(bot, user_id, text)
    assert not [p for m in sent for p in payloads(m) if p.startswith("f:")]


async def test_no_feedback_on_button_answers_or_commands(bot: RunningBot, user_id: int) -> None:
    for data in ("/tanya_cod", "k:0"):
        sent = await press(bot, user_id, data)
        assert not [p for m in sent for p in payloads(m) if p.startswith("f:")]
    bot.emulator.inject_command(user_id, "/cod")
    sent = await bot.reply(user_id)
    assert not [p for m in sent for p in payloads(m) if p.startswith("f:")]


async def test_a_vote_is_stored_and_can_be_changed(bot: RunningBot, user_id: int) -> None:
    await ask(bot, user_id, "berat volume itu apa sih kak")
    [question] = incoming(bot, user_id)

    [thanks] = await press(bot, user_id, f"f:{question.id}:u")
    assert thanks.text == texts.THANKS_UP
    assert incoming(bot, user_id)[0].feedback == "up"

    [sorry] = await press(bot, user_id, f"f:{question.id}:d")
    assert sorry.text is not None and sorry.text.startswith("Maaf jawabannya kurang pas, Kak.")
    assert payloads(sorry) == ["/minta_bantuan_manusia", "/tanya_lagi"]
    rows_ = incoming(bot, user_id)
    assert rows_[0].feedback == "down" and rows_[0].feedback_at is not None
    assert [m.delivery_status for m in rows_[1:]] == ["feedback", "feedback"]
    assert seller_row(bot, user_id).handoff_state is None  # only asking for a person does that


async def test_stale_or_tampered_feedback_gets_a_friendly_message(
    bot: RunningBot, user_id: int
) -> None:
    other = user_id + 50_000
    await ask(bot, other, "kak cod itu apa sih?")
    [theirs] = incoming(bot, other)
    await ask(bot, user_id, "halo kak")
    [greeting] = incoming(bot, user_id)
    for data in (
        f"f:{theirs.id}:d",  # another seller's question
        f"f:{greeting.id}:d",  # a message that never had the buttons
        "f:99999999999:u",
        f"f:{theirs.id}:x",
        "f:abc:u",
        "f:",
    ):
        [reply] = await press(bot, user_id, data)
        assert reply.text == texts.FEEDBACK_STALE
    assert incoming(bot, other)[0].feedback is None


# --- handoff -------------------------------------------------------------------------------------


async def test_handoff_pause_staff_reply_and_hand_back(
    bot: RunningBot, user_id: int, support_chat: int, staff_bot: Bot, staff_id: int
) -> None:
    await ask(bot, user_id, "pembeli komplain barang rusak, sy harus gmn", first_name="Sari")
    before = len(bot.emulator.sent)
    sent = await ask(bot, user_id, "mau ngomong sama orang aja")
    assert sent[-1].text == texts.HANDOFF_STARTED
    assert payloads(sent[-1]) == ["k:0", "h:bot"]

    seller = seller_row(bot, user_id)
    assert seller.handoff_state == "requested" and seller.handoff_at is not None
    [notice] = await bot.emulator.wait_for_sent(support_chat, after=before)
    assert notice.text is not None
    assert "Sari" in notice.text and "mau ngomong sama orang aja" in notice.text
    assert f"http://127.0.0.1:8080/percakapan/{seller.id}" in notice.text
    request = incoming(bot, user_id)[-1]
    assert (request.intent, request.delivery_status) == (
        "minta_bantuan_manusia",
        "handoff_requested",
    )

    # Paused: stored, not sent to Rasa, no reply (the seller was just told).
    bot.emulator.inject_text(user_id, "pesanan sy ke medan blm sampai 5 hari")
    await settle(bot, user_id)
    bot.emulator.inject_text(user_id, "detail " * 300)  # long text is for staff too
    await settle(bot, user_id)
    held = [m for m in incoming(bot, user_id) if m.kind == "text"][-2:]
    assert [(m.intent, m.delivery_status) for m in held] == [(None, "handoff"), (None, "handoff")]

    # Learning keeps working; a button meant for Rasa gets the short acknowledgement.
    bot.emulator.inject_command(user_id, "/modul")
    catalogue = await bot.reply(user_id)
    assert catalogue[0].text and "Modul" in catalogue[0].text
    bot.emulator.inject_command(user_id, "/bantuan")  # so does the overview: no NLU needed
    overview = await bot.reply(user_id)
    assert [m.text for m in overview] == [bot_texts.HELP_QUESTIONS, bot_texts.HELP_MORE]
    [waiting] = await press(bot, user_id, "/tanya_cod")
    assert waiting.text == texts.HANDOFF_WAITING and payloads(waiting) == ["h:bot"]

    # After the interval, one acknowledgement, then quiet again.
    with sessions_of(bot).begin() as session:
        hour_ago = utcnow() - timedelta(hours=1)
        session.execute(
            sa.update(Message).where(Message.seller_id == seller.id).values(created_at=hour_ago)
        )
        session.execute(sa.update(Seller).where(Seller.id == seller.id).values(handoff_at=hour_ago))
    [ack] = await ask(bot, user_id, "halo? ada orang?")
    assert ack.text == texts.HANDOFF_WAITING
    bot.emulator.inject_text(user_id, "ditunggu ya kak")
    await settle(bot, user_id)

    # Staff answer from the desk: delivered by the bot, stored with the author.
    mark = len(bot.emulator.sent)
    stored = await send_staff_reply(
        staff_bot, sessions_of(bot), seller.id, staff_id, "Halo Kak Sari, saya Rina dari tim AKAR."
    )
    [delivered] = await bot.emulator.wait_for_sent(user_id, after=mark)
    assert delivered.text == "Halo Kak Sari, saya Rina dari tim AKAR."
    assert stored.delivery_status == "sent" and stored.sent_by_account_id == staff_id
    assert stored.telegram_message_id == delivered.message_id and stored.direction == "out"
    transcript = await bot.transcript(user_id)
    assert transcript[-1]["sent_by_account_id"] == staff_id
    assert transcript[-1]["in_reply_to_id"] == incoming(bot, user_id)[-1].id
    # The seller answers the person: no acknowledgement right after a staff reply.
    bot.emulator.inject_text(user_id, "baik kak terima kasih")
    await settle(bot, user_id)

    # Back to the bot.
    mark = len(bot.emulator.sent)
    notice_back = await hand_back(staff_bot, sessions_of(bot), seller.id)
    [told] = await bot.emulator.wait_for_sent(user_id, after=mark)
    assert told.text == texts.HANDED_BACK and told.text.startswith("Kakak kembali dilayani")
    assert notice_back is not None and notice_back.sent_by_account_id is None
    assert seller_row(bot, user_id).handoff_state is None
    assert await hand_back(staff_bot, sessions_of(bot), seller.id) is None  # nothing to end

    sent = await ask(bot, user_id, "kak cod itu apa sih?")
    assert incoming(bot, user_id)[-1].intent == "tanya_cod"
    assert any(p.startswith("f:") for p in payloads(sent[-1]))


async def test_thumbs_down_then_asking_the_team_starts_a_handoff(
    bot: RunningBot, user_id: int
) -> None:
    await ask(bot, user_id, "cara ngitung hpp gmn kak")
    [question] = incoming(bot, user_id)
    await press(bot, user_id, f"f:{question.id}:d")
    before = len(bot.emulator.sent)
    sent = await press(bot, user_id, "/minta_bantuan_manusia")
    assert sent[-1].text == texts.HANDOFF_STARTED
    assert seller_row(bot, user_id).handoff_state == "requested"
    # No SUPPORT_CHAT_ID: nobody else was messaged.
    assert {m.chat_id for m in bot.emulator.sent[before:]} == {user_id}
    # Another 👎 while waiting does not offer the team again.
    [again] = await press(bot, user_id, f"f:{question.id}:d")
    assert again.text == texts.THANKS_DOWN_IN_HANDOFF and not payloads(again)


async def test_the_seller_can_go_back_to_the_assistant(bot: RunningBot, user_id: int) -> None:
    await press(bot, user_id, "/minta_bantuan_manusia")
    [back] = await press(bot, user_id, "h:bot")
    assert back.text == texts.HANDED_BACK_BY_SELLER
    assert seller_row(bot, user_id).handoff_state is None
    [again] = await press(bot, user_id, "h:bot")
    assert again.text == texts.NOT_IN_HANDOFF
    await ask(bot, user_id, "kak cod itu apa sih?")
    assert incoming(bot, user_id)[-1].intent == "tanya_cod"


async def test_staff_writing_first_takes_the_chat_over(
    bot: RunningBot, user_id: int, staff_bot: Bot, staff_id: int
) -> None:
    await ask(bot, user_id, "halo kak")
    seller = seller_row(bot, user_id)
    stored = await send_staff_reply(staff_bot, sessions_of(bot), seller.id, staff_id, "Halo Kak!")
    assert stored.delivery_status == "sent"
    assert seller_row(bot, user_id).handoff_state == "staff"
    bot.emulator.inject_text(user_id, "halo juga kak, ada apa ya")
    await settle(bot, user_id)
    assert incoming(bot, user_id)[-2].delivery_status == "handoff"
    await hand_back(staff_bot, sessions_of(bot), seller.id)
    assert seller_row(bot, user_id).handoff_state is None


async def test_staff_reply_to_a_seller_who_blocked_the_bot(
    bot: RunningBot, user_id: int, staff_bot: Bot, staff_id: int
) -> None:
    await ask(bot, user_id, "halo kak")
    seller = seller_row(bot, user_id)
    bot.emulator.block_chat(user_id)
    try:
        stored = await send_staff_reply(staff_bot, sessions_of(bot), seller.id, staff_id, "Halo")
    finally:
        bot.emulator.unblock_chat(user_id)
    assert stored.delivery_status == "blocked" and stored.error
    after = seller_row(bot, user_id)
    assert after.is_active is False and after.handoff_state is None


async def test_staff_reply_rejects_bad_input(
    bot: RunningBot, user_id: int, staff_bot: Bot, staff_id: int
) -> None:
    await ask(bot, user_id, "halo kak")
    seller = seller_row(bot, user_id)
    with pytest.raises(ValueError):
        await send_staff_reply(staff_bot, sessions_of(bot), seller.id, staff_id, "   ")
    with pytest.raises(ValueError):
        await send_staff_reply(staff_bot, sessions_of(bot), seller.id, staff_id, "x" * 4097)
    with pytest.raises(UnknownSeller):
        await send_staff_reply(staff_bot, sessions_of(bot), 10**9, staff_id, "Halo")
