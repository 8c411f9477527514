"""/siaran end to end: a trainer composes a broadcast in Telegram (formatted text, module button,
segment with a live count, preview, schedule, confirm); the running bot's sender delivers it to
the segment only, and the trainer gets a progress message and a final report."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.broadcast import roles
from bot.broadcast.message import FOOTER
from bot.db.models import Broadcast, BroadcastDraft, Role, Seller, SellerProfile
from bot.db.session import make_engine, make_session_factory
from tests.emulator.records import SentMessage
from tests.harness import RunningBot


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


def payloads(sent: SentMessage) -> list[str]:
    markup: dict[str, Any] = sent.reply_markup or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


async def press(bot: RunningBot, user_id: int, payload: str, on: SentMessage) -> list[SentMessage]:
    assert payload in payloads(on), f"{payload} not among {payloads(on)}"
    bot.emulator.inject_callback(user_id, payload, message_id=on.message_id)
    return await bot.reply(user_id)


async def say(bot: RunningBot, user_id: int, text: str, **kwargs: Any) -> list[SentMessage]:
    bot.emulator.inject_text(user_id, text, **kwargs)
    return await bot.reply(user_id)


async def test_sellers_cannot_start_a_broadcast(bot: RunningBot, user_id: int) -> None:
    bot.emulator.inject_command(user_id, "/siaran")
    [refused] = await bot.reply(user_id)
    assert refused.text is not None and "khusus untuk pelatih" in refused.text
    bot.emulator.inject_callback(user_id, "s:ok")
    [still_refused] = await bot.reply(user_id)
    assert still_refused.text == refused.text


async def test_trainer_composes_and_sends_to_a_segment(
    bot: RunningBot, sessions: sessionmaker[Session], user_id: int
) -> None:
    trainer, cook, tailor = user_id, user_id + 70_000, user_id + 70_001
    for seller in (cook, tailor):
        await say(bot, seller, "halo kak")
    with sessions.begin() as session:
        roles.grant(session, trainer, Role.TRAINER, granted_by=None)
        for chat, cluster in ((cook, "kul"), (tailor, "fes")):
            seller_id = session.scalars(select(Seller.id).where(Seller.chat_id == chat)).one()
            profile = session.scalars(
                select(SellerProfile).where(SellerProfile.seller_id == seller_id)
            ).first() or SellerProfile(seller_id=seller_id, platforms=[])
            profile.cluster = cluster
            session.add(profile)

    bot.emulator.inject_command(trainer, "/siaran")
    [ask] = await bot.reply(trainer)
    assert ask.text is not None and "Kirim isi siarannya" in ask.text

    bold = [{"type": "bold", "offset": 0, "length": 10}]
    [ask_button] = await say(bot, trainer, "Kelas live COD besok 19.00 WIB", entities=bold)
    assert "s:mod:cod" in payloads(ask_button)
    [ask_lesson] = await press(bot, trainer, "s:mod:cod", ask_button)
    [segment] = await press(bot, trainer, "s:les:0", ask_lesson)
    assert segment.text is not None and "semua penjual" in segment.text

    [menu] = await press(bot, trainer, "s:f:cluster", segment)
    [segment] = await press(bot, trainer, "s:v:cluster:kul", menu)
    assert segment.text is not None and "kelompok Kuliner" in segment.text
    with sessions.begin() as session:
        cooks = session.scalars(
            select(SellerProfile.seller_id)
            .join(Seller, Seller.id == SellerProfile.seller_id)
            .where(SellerProfile.cluster == "kul", Seller.is_active.is_(True))
        ).all()
    assert f"{len(cooks)} penjual akan menerima" in segment.text

    heading, preview, when = await press(bot, trainer, "s:next", segment)
    assert heading.text is not None and "Pratinjau" in heading.text
    assert preview.parse_mode == "HTML"
    assert preview.text == "<b>Kelas live</b> COD besok 19.00 WIB" + FOOTER
    assert payloads(preview) == ["m:cod"]

    [ask_time] = await press(bot, trainer, "s:at", when)
    assert ask_time.text is not None and "WITA" in ask_time.text
    [unreadable] = await say(bot, trainer, "besok pagi")
    assert unreadable.text is not None and "belum terbaca" in unreadable.text
    [past] = await say(bot, trainer, "2020-01-01 09:00 WITA")
    assert past.text is not None and "sudah lewat" in past.text
    [confirm] = await say(bot, trainer, "2099-12-01 09.00 WITA")
    assert confirm.text is not None and "Selasa, 1 Desember 2099 pukul 08.00 WIB" in confirm.text
    _, _, when = await press(bot, trainer, "s:next", confirm)  # "Ubah waktu"
    [confirm] = await press(bot, trainer, "s:now", when)
    assert confirm.text is not None and "sekarang" in confirm.text

    mark = len(bot.emulator.sent)
    [accepted] = await press(bot, trainer, "s:ok", confirm)
    assert accepted.text is not None and "mulai dikirim" in accepted.text
    with sessions.begin() as session:
        broadcast = session.scalars(select(Broadcast).where(Broadcast.created_by == trainer)).one()
        broadcast_id = broadcast.id
        assert broadcast.report_chat_id == trainer and broadcast.parse_mode == "HTML"
        assert (
            session.scalars(
                select(BroadcastDraft).where(BroadcastDraft.telegram_user_id == trainer)
            ).first()
            is None
        )

    # The bot's own sender delivers it to the cook only and reports to the trainer.
    [received] = await bot.emulator.wait_for_sent(cook, after=mark, timeout=15)
    assert received.plain_text == "Kelas live COD besok 19.00 WIB" + FOOTER
    assert received.entities[0]["type"] == "bold"
    final = await wait_for_text(bot, trainer, mark, f"✅ Siaran #{broadcast_id} selesai.")
    assert f"Total penerima: {len(cooks)}" in final
    assert bot.emulator.sent_to(tailor, mark) == []
    progress = [
        m for m in bot.emulator.sent_to(trainer, mark) if m.text and "sedang dikirim" in m.text
    ]
    assert len(progress) == 1 and payloads(progress[0]) == [f"s:stop:{broadcast_id}"]
    edited = bot.emulator.message(trainer, progress[0].message_id)
    assert edited is not None and "pengiriman berakhir" in edited["text"]


async def wait_for_text(bot: RunningBot, chat_id: int, mark: int, start: str) -> str:
    """The first message to `chat_id` after `mark` that starts with `start`."""
    async with asyncio.timeout(20):
        while True:
            for message in bot.emulator.sent_to(chat_id, mark):
                if message.text and message.text.startswith(start):
                    return message.text
            await bot.emulator.wait_for_sent(chat_id, after=len(bot.emulator.sent), timeout=20)


async def test_photo_broadcast_preview_and_cancel(
    bot: RunningBot, sessions: sessionmaker[Session], user_id: int
) -> None:
    with sessions.begin() as session:
        roles.grant(session, user_id, Role.TRAINER, granted_by=None)
    bot.emulator.inject_command(user_id, "/siaran")
    await bot.reply(user_id)
    bot.emulator.inject_sticker(user_id)
    [sticker] = await bot.reply(user_id)
    assert sticker.text is not None and "teks, foto, atau dokumen" in sticker.text

    bot.emulator.inject_photo(user_id, caption="Contoh foto produk yang terang")
    [ask_button] = await bot.reply(user_id)
    [segment] = await press(bot, user_id, "s:mod:none", ask_button)
    _, preview, when = await press(bot, user_id, "s:next", segment)
    assert preview.method == "sendPhoto"
    assert preview.text == "Contoh foto produk yang terang" + FOOTER

    # The draft survives in the database; /batal drops it and nothing is created.
    bot.emulator.inject_command(user_id, "/batal")
    [cancelled] = await bot.reply(user_id)
    assert cancelled.text is not None and "dibatalkan" in cancelled.text
    [stale] = await press(bot, user_id, "s:now", when)
    assert stale.text is not None and "/siaran" in stale.text
    with sessions.begin() as session:
        assert (
            session.scalars(select(Broadcast).where(Broadcast.created_by == user_id)).first()
            is None
        )


async def test_tampered_ids_in_siaran_buttons_get_a_friendly_message(
    bot: RunningBot, sessions: sessionmaker[Session], user_id: int
) -> None:
    """Ids no row can have (beyond INTEGER, which PostgreSQL refuses as a parameter) are
    unknown ids, not an error without a reply."""
    with sessions.begin() as session:
        roles.grant(session, user_id, Role.TRAINER, granted_by=None)
    huge = "9" * 20
    bot.emulator.inject_callback(user_id, f"s:stop:{huge}")
    [unknown] = await bot.reply(user_id)
    assert unknown.text is not None and "tidak ada" in unknown.text
    bot.emulator.inject_command(user_id, "/siaran")
    await bot.reply(user_id)
    [ask_button] = await say(bot, user_id, "Promo ongkir minggu ini!")
    module = next(p for p in payloads(ask_button) if p.startswith("s:mod:") and p != "s:mod:none")
    [ask_lesson] = await press(bot, user_id, module, ask_button)
    assert any(p.startswith("s:les:") for p in payloads(ask_lesson))
    bot.emulator.inject_callback(user_id, f"s:les:{huge}", message_id=ask_lesson.message_id)
    [segment] = await bot.reply(user_id)  # as "no lesson": the module's first screen
    assert "s:next" in payloads(segment)


async def test_idsaya_and_batal_without_a_draft(bot: RunningBot, user_id: int) -> None:
    bot.emulator.inject_command(user_id, "/idsaya")
    [whoami] = await bot.reply(user_id)
    assert whoami.text is not None and str(user_id) in whoami.text
    # No draft: /batal means "no" to Rasa (it cancels the weight calculator when one is open).
    bot.emulator.inject_command(user_id, "/batal")
    replies = await bot.reply(user_id)
    assert replies and "/siaran" not in (replies[0].text or "")
    incoming = await bot.incoming(user_id)
    assert incoming[-1]["intent"] == "tidak"
