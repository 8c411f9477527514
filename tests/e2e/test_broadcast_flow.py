"""/berhenti and /mulai through Telegram, and a broadcast sent by the bot process's own sender
(started with the Application): opted-out sellers are skipped, the others get footer and button."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.broadcast import outbox, roles
from bot.broadcast.segments import Segment
from bot.broadcast.sender import FOOTER
from bot.db.models import Broadcast, BroadcastDelivery, Role, Seller
from bot.db.session import make_engine, make_session_factory
from tests.harness import RunningBot


async def final_states(sessions: sessionmaker[Session], broadcast_id: int) -> dict[int, str]:
    """Each recipient's state once the broadcast is done (the sender records right after
    Telegram answers, so this waits for the `done` status, not for a fixed time)."""

    def read() -> tuple[str, dict[int, str]]:
        with sessions.begin() as session:
            broadcast = session.get(Broadcast, broadcast_id)
            assert broadcast is not None
            rows = session.execute(
                select(Seller.chat_id, BroadcastDelivery.status)
                .join(Seller, Seller.id == BroadcastDelivery.seller_id)
                .where(BroadcastDelivery.broadcast_id == broadcast_id)
            ).all()
            return broadcast.status, {chat: status for chat, status in rows}

    async with asyncio.timeout(15):
        while True:
            status, states = await asyncio.to_thread(read)
            if status == "done":
                return states
            await asyncio.sleep(0.1)


async def test_opt_out_is_respected_by_broadcasts(
    bot: RunningBot, database_url: str, user_id: int
) -> None:
    stays, leaves = user_id, user_id + 50_000
    for who in (stays, leaves):
        bot.emulator.inject_text(who, "halo kak")
        await bot.reply(who)
    bot.emulator.inject_command(leaves, "/berhenti")
    [stopped] = await bot.reply(leaves)
    assert "tidak akan menerima siaran" in stopped.text

    engine = make_engine(database_url)
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
        # The running bot picks the due broadcast up by itself.
        [received] = await bot.emulator.wait_for_sent(stays, after=mark, timeout=15)
        assert received.text.startswith("Kelas live COD") and received.text.endswith(FOOTER)
        assert received.callback_data == ["m:cod"]
        assert bot.emulator.sent_to(leaves, mark) == []
        states = await final_states(sessions, broadcast_id)
        assert states[stays] == "sent" and states[leaves] == "opted_out"

        bot.emulator.inject_command(leaves, "/mulai")
        [resumed] = await bot.reply(leaves)
        assert resumed.text.startswith("Siap, Kak!")
        with sessions.begin() as session:
            seller = session.scalars(select(Seller).where(Seller.chat_id == leaves)).one()
            assert seller.broadcast_opt_out is False
    finally:
        engine.dispose()


async def test_only_admins_manage_roles_in_telegram(
    bot: RunningBot, database_url: str, user_id: int
) -> None:
    admin, newcomer = user_id, user_id + 60_000
    bot.emulator.inject_command(admin, "/peran 123 trainer")
    [refused] = await bot.reply(admin)
    assert refused.text == "Maaf, perintah ini khusus admin AKAR."

    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    try:
        with sessions.begin() as session:
            roles.grant(session, admin, Role.ADMIN, granted_by=None)
        bot.emulator.inject_command(admin, f"/peran {newcomer} trainer")
        [granted] = await bot.reply(admin)
        assert granted.text == f"Beres. {newcomer} sekarang trainer."
        for wrong in ("/peran satu dua tiga", "/peran 99999999999999999999 trainer"):
            bot.emulator.inject_command(admin, wrong)
            [usage] = await bot.reply(admin)
            assert usage.text.startswith("Cara pakai: /peran")
        with sessions.begin() as session:
            assert roles.role_of(session, newcomer) is Role.TRAINER
        bot.emulator.inject_command(admin, f"/peran {newcomer} hapus")
        [revoked] = await bot.reply(admin)
        assert revoked.text == f"Peran {newcomer} sudah dicabut."
        with sessions.begin() as session:
            assert roles.role_of(session, newcomer) is None
    finally:
        engine.dispose()
