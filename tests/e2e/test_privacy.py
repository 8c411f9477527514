"""Privacy end to end (issue #7): emulator → PTB Application → Rasa → action server → database.
The notice on the first /start, /privasi, /hapusdata with its confirmation, and masked storage."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from bot import texts as bot_texts
from bot.config import Settings
from bot.db.models import (
    AuditEntry,
    ContentLesson,
    ContentModule,
    LessonProgress,
    Message,
    Seller,
    SellerProfile,
)
from bot.privacy import texts
from bot.privacy.masking import EMAIL, PHONE
from bot.runtime import build_assistant
from bot.store import SellerIdentity
from bot.terminal_chat import chat_session
from tests.emulator import SentMessage
from tests.harness import RunningBot, Stack


def sessions_of(bot: RunningBot) -> sessionmaker[Session]:
    return bot.assistant.store.sessions


def seller_row(bot: RunningBot, user_id: int) -> Seller | None:
    with sessions_of(bot)() as session:
        return session.scalar(sa.select(Seller).where(Seller.telegram_user_id == user_id))


def payloads(sent: SentMessage) -> list[str]:
    return [b["callback_data"] for b in sent.buttons]


async def command(bot: RunningBot, user_id: int, text: str, **who: Any) -> list[SentMessage]:
    bot.emulator.inject_command(user_id, text, **who)
    return await bot.reply(user_id)


async def press(bot: RunningBot, user_id: int, data: str) -> list[SentMessage]:
    bot.emulator.inject_callback(user_id, data)
    return await bot.reply(user_id)


def full_text(bot: RunningBot) -> list[str]:
    privacy = bot.assistant.privacy
    assert privacy is not None
    return [m.text for m in privacy.full_text()]


async def test_first_start_shows_the_notice_between_welcome_and_profile(
    bot: RunningBot, user_id: int
) -> None:
    privacy = bot.assistant.privacy
    assert privacy is not None
    sent = await command(bot, user_id, "/start", first_name="Sari")
    assert "Sari" in (sent[0].text or "")  # the welcome first
    [notice] = [m for m in sent if m.text == privacy.text.notice]
    assert payloads(notice) == [texts.SHOW_FULL.payload]
    assert "/hapusdata" in privacy.text.notice and "365 hari" in privacy.text.notice
    assert sent.index(notice) == len(sent) - 2
    assert (sent[-1].text or "").startswith("Boleh kenalan dulu")  # then the profile questions
    seller = seller_row(bot, user_id)
    assert seller is not None and seller.privacy_notice_version == privacy.text.version
    assert seller.privacy_notice_at is not None

    again = await command(bot, user_id, "/start", first_name="Sari")
    assert privacy.text.notice not in [m.text for m in again]

    # "Baca selengkapnya" sends the full text, like /privasi.
    assert [m.text for m in await press(bot, user_id, texts.SHOW_FULL.payload)] == full_text(bot)


async def test_privasi_sends_the_full_text(bot: RunningBot, user_id: int) -> None:
    sent = await command(bot, user_id, "/privasi")
    assert [m.text for m in sent] == full_text(bot)
    assert "UU PDP" in (sent[0].text or "") and "/hapusdata" in (sent[-1].text or "")
    [incoming] = await bot.incoming(user_id)
    assert (incoming["text"], incoming["delivery_status"]) == ("/privasi", "privacy")


async def test_commands_are_in_the_menu(bot: RunningBot) -> None:
    await bot.emulator.wait_for_call("setMyCommands")
    menu = {c["command"]: c["description"] for c in bot.emulator.commands()}
    assert menu["privasi"] == "Data apa yang disimpan dan hak Kakak"
    assert menu["hapusdata"] == "Hapus semua data Kakak dari AKAR"


async def test_phone_and_email_are_stored_masked(bot: RunningBot, user_id: int) -> None:
    question = "kak cod itu apa sih? wa saya 0812-3456-7890, email sari.batik@gmail.com"
    bot.emulator.inject_text(user_id, question)
    sent = await bot.reply(user_id)
    assert sent[0].text != bot_texts.SERVICE_DOWN  # Rasa read the unmasked text and answered
    [incoming] = await bot.incoming(user_id)
    assert incoming["text"] == f"kak cod itu apa sih? wa saya {PHONE}, email {EMAIL}"
    assert incoming["intent"] == "tanya_cod"
    with sessions_of(bot)() as session:
        stored = session.scalars(sa.select(Message.text).where(Message.chat_id == user_id)).all()
    assert not any("0812" in (t or "") or "gmail" in (t or "") for t in stored)


async def rasa_events(stack: Stack, user_id: int) -> list[dict[str, Any]]:
    async with httpx.AsyncClient() as client:
        response = await client.get(
            f"{stack.settings.rasa_base_url}/conversations/{user_id}/tracker",
            params={"include_events": "ALL"},
        )
    events: list[dict[str, Any]] = response.json()["events"]
    return events


def first_lesson_id(bot: RunningBot) -> int:
    with sessions_of(bot)() as session:
        return (
            session.scalars(
                sa.select(ContentLesson.id)
                .join(ContentModule)
                .where(ContentModule.key == "cod")
                .order_by(ContentLesson.position)
            ).first()
            or 0
        )


async def test_hapusdata_deletes_everything_and_the_next_message_starts_fresh(
    bot: RunningBot, stack: Stack, user_id: int
) -> None:
    await command(bot, user_id, "/start", first_name="Sari")
    await press(bot, user_id, "o:start")  # the profile's first question
    bot.emulator.inject_text(user_id, "Bu Sari")
    await bot.reply(user_id)
    await press(bot, user_id, f"l:{first_lesson_id(bot)}:0")  # a lesson opened
    bot.emulator.inject_text(user_id, "kak berat volume itu apa?")
    await bot.reply(user_id)
    old = seller_row(bot, user_id)
    assert old is not None
    said = [e.get("text") for e in await rasa_events(stack, user_id) if e["event"] == "user"]
    assert "kak berat volume itu apa?" in said

    [question] = await command(bot, user_id, "/hapusdata")
    assert question.text == texts.ASK_DELETION
    assert [b["text"] for b in question.buttons] == ["Ya, hapus", "Batal"]
    yes = payloads(question)[0]

    [done] = await press(bot, user_id, yes)
    assert done.text == texts.DELETED
    assert "tidak bisa dicek lagi" in texts.DELETED  # certificates no longer verify
    with sessions_of(bot)() as session:
        assert session.get(Seller, old.id) is None
        assert seller_row(bot, user_id) is None
        assert session.scalars(sa.select(Message).where(Message.chat_id == user_id)).all() == []
        for model in (SellerProfile, LessonProgress):
            assert session.scalars(sa.select(model).where(model.seller_id == old.id)).all() == []
        audits = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "privacy_deletion")
        ).all()
        assert any(a.detail and a.detail["messages"] >= 10 for a in audits)
        assert all(str(user_id) not in str(a.detail) for a in audits)
    # Rasa's tracker no longer holds what she said.
    assert not [e for e in await rasa_events(stack, user_id) if e["event"] == "user"]

    # A double tap finds nothing left and recreates nothing.
    [again] = await press(bot, user_id, yes)
    assert again.text == texts.ALREADY_DELETED
    assert seller_row(bot, user_id) is None

    # Writing again starts a fresh seller: nothing of the old one.
    bot.emulator.inject_text(user_id, "halo kak")
    await bot.reply(user_id)
    fresh = seller_row(bot, user_id)
    assert fresh is not None and fresh.created_at > old.created_at
    assert fresh.privacy_notice_at is None and fresh.handoff_state is None
    assert [m["text"] for m in await bot.incoming(user_id)] == ["halo kak"]

    # The old confirmation cannot delete the new record.
    [stale] = await press(bot, user_id, yes)
    assert stale.text == texts.STALE
    assert seller_row(bot, user_id) is not None


async def test_batal_keeps_the_data(bot: RunningBot, user_id: int) -> None:
    bot.emulator.inject_text(user_id, "halo kak")
    await bot.reply(user_id)
    await command(bot, user_id, "/hapusdata")
    [cancelled] = await press(bot, user_id, texts.CANCEL_DATA)
    assert cancelled.text == texts.CANCELLED
    assert [m["text"] for m in await bot.incoming(user_id)] == ["halo kak", "/hapusdata"]


async def test_terminal_chat_privacy_commands(settings: Settings) -> None:
    assistant = build_assistant(settings)
    lines: asyncio.Queue[str | None] = asyncio.Queue()
    for line in ["/privasi", "/hapusdata", "1", "/keluar"]:  # "1": "Ya, hapus"
        lines.put_nowait(line)
    output: list[str] = []
    who = SellerIdentity(telegram_user_id=-3, chat_id=-3, first_name="Tester")
    await chat_session(assistant, lines, output.append, who=who)
    transcript = await assistant.store.transcript(-3)
    await assistant.aclose()
    shown = "\n".join(output)
    assert "UU PDP" in shown and texts.ASK_DELETION in shown and texts.DELETED in shown
    assert transcript == []
