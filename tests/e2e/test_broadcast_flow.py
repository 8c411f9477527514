"""/berhenti and /mulai through Telegram, and a broadcast sent by the outbox sender to the same
emulator the bot polls: opted-out sellers are skipped, the others get the footer and button."""

from __future__ import annotations

from sqlalchemy import select
from telegram import Bot

from bot.broadcast import outbox
from bot.broadcast.segments import Segment
from bot.broadcast.sender import FOOTER, BroadcastSender
from bot.db.models import BroadcastDelivery, Seller
from bot.db.session import make_engine, make_session_factory
from tests.harness import TOKEN, RunningBot, Stack


async def test_opt_out_is_respected_by_broadcasts(
    bot: RunningBot, stack: Stack, user_id: int
) -> None:
    stays, leaves = user_id, user_id + 50_000
    for who in (stays, leaves):
        bot.emulator.inject_text(who, "halo kak")
        await bot.reply(who)
    bot.emulator.inject_command(leaves, "/berhenti")
    [stopped] = await bot.reply(leaves)
    assert "tidak akan menerima siaran" in stopped.text

    engine = make_engine(stack.settings.database_url)
    sessions = make_session_factory(engine)
    try:
        with sessions.begin() as session:
            broadcast_id = outbox.create(
                session,
                text="Kelas live COD besok jam 19.00 WIB!",
                segment=Segment(),
                module_key="cod",
            ).id
        mark = len(bot.emulator.sent)
        async with Bot(TOKEN, base_url=bot.emulator.base_url) as sender_bot:
            await BroadcastSender(sender_bot, sessions, rate=50).run_until_idle()
        [received] = bot.emulator.sent_to(stays, mark)
        assert received.text.startswith("Kelas live COD") and received.text.endswith(FOOTER)
        assert received.callback_data == ["m:cod"]
        assert bot.emulator.sent_to(leaves, mark) == []
        with sessions.begin() as session:
            states = dict(
                session.execute(
                    select(Seller.chat_id, BroadcastDelivery.status)
                    .join(Seller, Seller.id == BroadcastDelivery.seller_id)
                    .where(BroadcastDelivery.broadcast_id == broadcast_id)
                ).all()
            )
        assert states[stays] == "sent" and states[leaves] == "opted_out"

        bot.emulator.inject_command(leaves, "/mulai")
        [resumed] = await bot.reply(leaves)
        assert resumed.text.startswith("Siap, Kak!")
        with sessions.begin() as session:
            seller = session.scalars(select(Seller).where(Seller.chat_id == leaves)).one()
            assert seller.broadcast_opt_out is False
    finally:
        engine.dispose()
