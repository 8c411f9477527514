"""/siaran's step machine against a real SQLite database, and the trainer's reports from the real
sender against the Bot API emulator. The happy path through Telegram is in
tests/e2e/test_siaran.py; these cover the edges: roles, tampered buttons, limits, times, stop."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot

from bot.broadcast import outbox, roles, schedule
from bot.broadcast.message import CAPTION_LIMIT, TEXT_LIMIT
from bot.broadcast.segments import Segment
from bot.broadcast.sender import BroadcastSender
from bot.cli import main
from bot.compose import flow
from bot.compose.flow import Content, Trainer
from bot.db import repository
from bot.db.models import Broadcast, BroadcastDraft, Role, SellerProfile
from bot.db.session import make_engine, make_session_factory
from tests.emulator.emulator import TelegramEmulator
from tests.harness import TOKEN

TRAINER = Trainer(telegram_user_id=555, chat_id=555)
FIRST_CHAT = 8_200_000_001
SELLERS = 20


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    """Sellers and a trainer in a fresh database, on SQLite and on PostgreSQL."""
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        roles.grant(session, TRAINER.telegram_user_id, Role.TRAINER, granted_by=None)
        for n in range(SELLERS):
            seller = repository.upsert_seller(
                session, telegram_user_id=FIRST_CHAT + n, chat_id=FIRST_CHAT + n, first_name="S"
            )
            session.flush()
            session.add(SellerProfile(seller_id=seller.id, platforms=[], city="Makassar"))
    yield factory
    engine.dispose()


def text_of(messages: list[object] | None) -> str:
    assert messages is not None
    return "\n".join(getattr(m, "text", "") for m in messages)


def draft(session: Session) -> BroadcastDraft:
    row = flow.draft_of(session, TRAINER.telegram_user_id)
    assert row is not None
    return row


def start_with_text(sessions: sessionmaker[Session], text: str = "Halo Kak") -> None:
    with sessions.begin() as session:
        flow.start(session, TRAINER)
        flow.take_input(session, TRAINER, Content(text, text))
        flow.handle_button(session, TRAINER, "s:mod:none")


def test_a_revoked_trainer_is_stopped_mid_flow(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        flow.start(session, TRAINER)
        roles.revoke(session, TRAINER.telegram_user_id)
    with sessions.begin() as session:
        reply = flow.take_input(session, TRAINER, Content("Halo", "Halo"))
        assert "khusus untuk pelatih" in text_of(reply)
    with sessions.begin() as session:
        assert flow.draft_of(session, TRAINER.telegram_user_id) is None
        assert "khusus untuk pelatih" in text_of(flow.handle_button(session, TRAINER, "s:ok"))


def test_content_limits_leave_room_for_the_footer(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        flow.start(session, TRAINER)
        long_text = "a" * (TEXT_LIMIT + 1)
        assert "terlalu panjang" in text_of(
            flow.take_input(session, TRAINER, Content(long_text, long_text))
        )
        caption = "b" * (CAPTION_LIMIT + 1)
        photo = Content(caption, caption, "photo", "file-1")
        assert "terlalu panjang" in text_of(flow.take_input(session, TRAINER, photo))
        assert draft(session).step == "content"
        assert "teks, foto, atau dokumen" in text_of(flow.take_input(session, TRAINER, None))
        ok = Content("c" * TEXT_LIMIT, "c" * TEXT_LIMIT)
        flow.take_input(session, TRAINER, ok)
        assert draft(session).step == "button"


def test_tampered_filter_values_are_ignored(sessions: sessionmaker[Session]) -> None:
    start_with_text(sessions)
    with sessions.begin() as session:
        screen = text_of(flow.handle_button(session, TRAINER, "s:v:cluster:zzz"))
        assert "Siapa penerimanya" in screen and draft(session).segment == {}
        flow.handle_button(session, TRAINER, "s:v:active:5")  # not an offered choice
        assert draft(session).segment == {}
        screen = text_of(flow.handle_button(session, TRAINER, "s:v:platform:lz"))
        assert draft(session).segment == {"platform": "Lazada"}
        assert "0 penjual akan menerima" in screen
        assert flow.handle_button(session, TRAINER, "x:1") is None  # not a /siaran button


def test_a_typed_city_filters_and_counts_live(sessions: sessionmaker[Session]) -> None:
    start_with_text(sessions)
    with sessions.begin() as session:
        flow.handle_button(session, TRAINER, "s:f:city")
        screen = text_of(flow.take_input(session, TRAINER, Content("  makassar ", "makassar")))
        assert f"{SELLERS} penjual akan menerima" in screen
        assert draft(session).segment == {"city": "makassar"}
        flow.handle_button(session, TRAINER, "s:f:city")
        screen = text_of(flow.take_input(session, TRAINER, Content("Parepare", "Parepare")))
        assert "0 penjual akan menerima" in screen


def test_confirm_only_from_the_confirm_screen(sessions: sessionmaker[Session]) -> None:
    start_with_text(sessions, "Halo <b>Kak</b>")
    with sessions.begin() as session:
        # An "s:ok" from an old screen must not send anything.
        assert "Siapa penerimanya" in text_of(flow.handle_button(session, TRAINER, "s:ok"))
        flow.handle_button(session, TRAINER, "s:next")
        flow.handle_button(session, TRAINER, "s:at")
        flow.take_input(session, TRAINER, Content("01-12-2099 09:00 WIT", "x"))
        assert draft(session).scheduled_at == datetime(2099, 12, 1, 0, 0, tzinfo=UTC)
        confirm = text_of(flow.current_screen(session, draft(session)))
        assert "Siap dikirim" in confirm and "07.00 WIB (08.00 WITA, 09.00 WIT)" in confirm
        assert "dijadwalkan" in text_of(flow.handle_button(session, TRAINER, "s:ok"))
    with sessions.begin() as session:
        broadcast = session.scalars(select(Broadcast)).one()
        assert broadcast.status == "scheduled" and broadcast.report_chat_id == TRAINER.chat_id
        assert flow.draft_of(session, TRAINER.telegram_user_id) is None
        # The "Batalkan jadwal" button: nothing was sent, so no report will follow.
        reply = text_of(flow.handle_button(session, TRAINER, f"s:stop:{broadcast.id}"))
        assert f"Jadwal siaran #{broadcast.id} dibatalkan" in reply
        assert broadcast.status == "cancelled" and broadcast.reported_at is not None


def test_the_rest_of_a_photo_album_is_explained(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        flow.start(session, TRAINER)
        flow.take_input(session, TRAINER, Content("Album", "Album", "photo", "file-1"))
        second = flow.take_input(session, TRAINER, Content("", "", "photo", "file-2"))
        assert "satu foto atau dokumen saja" in text_of(second)
        assert draft(session).media_file_id == "file-1"


def test_length_is_counted_as_telegram_counts_it(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        flow.start(session, TRAINER)
        emoji = "🙂" * (TEXT_LIMIT // 2 + 1)  # within TEXT_LIMIT characters, over in UTF-16
        assert len(emoji) <= TEXT_LIMIT
        assert "terlalu panjang" in text_of(
            flow.take_input(session, TRAINER, Content(emoji, emoji))
        )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01 09:00 WIB", datetime(2026, 12, 1, 2, 0, tzinfo=UTC)),
        ("1/12/2026 jam 09.30 wita", datetime(2026, 12, 1, 1, 30, tzinfo=UTC)),
        ("01-12-2026 pukul 07:00 WIT", datetime(2026, 11, 30, 22, 0, tzinfo=UTC)),
        ("2026-12-01 09:00", datetime(2026, 12, 1, 2, 0, tzinfo=UTC)),
    ],
)
def test_times_in_the_three_zones(text: str, expected: datetime) -> None:
    assert schedule.parse_when(text) == expected


@pytest.mark.parametrize("text", ["besok", "2026-02-30 09:00 WIB", "2026-12-01 25:00", ""])
def test_unreadable_times_say_how(text: str) -> None:
    with pytest.raises(ValueError, match="Contoh"):
        schedule.parse_when(text)


def test_times_read_back_in_indonesian() -> None:
    moment = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    assert schedule.format_when(moment) == "Selasa, 1 Desember 2026 pukul 09.00 WIB"
    assert schedule.format_when(moment, "WIT") == "Selasa, 1 Desember 2026 pukul 11.00 WIT"


async def test_stop_button_cancels_and_the_trainer_gets_the_final_report(
    sessions: sessionmaker[Session], emulator: TelegramEmulator
) -> None:
    with sessions.begin() as session:
        broadcast = outbox.create(
            session, text="Halo Kak", segment=Segment(), created_by=TRAINER.telegram_user_id
        )
        broadcast.report_chat_id = TRAINER.chat_id
        roles.grant(session, 777, Role.TRAINER, granted_by=None)
        broadcast_id = broadcast.id
    async with Bot(TOKEN, base_url=emulator.base_url) as bot:
        sender = BroadcastSender(bot, sessions, rate=4)  # 20 sellers: about five seconds
        running = asyncio.create_task(sender.run_until_idle())
        [progress] = await emulator.wait_for_sent(TRAINER.chat_id, after=0, timeout=10)
        assert progress.text is not None and "sedang dikirim" in progress.text
        with sessions.begin() as session:
            # Only trainers may press it.
            outsider = Trainer(telegram_user_id=FIRST_CHAT, chat_id=FIRST_CHAT)
            assert "khusus" in text_of(
                flow.handle_button(session, outsider, progress_stop(progress))
            )
            # Another trainer may not stop it either (an admin may).
            colleague = Trainer(telegram_user_id=777, chat_id=777)
            assert "pelatih lain" in text_of(
                flow.handle_button(session, colleague, progress_stop(progress))
            )
            assert "dihentikan" in text_of(
                flow.handle_button(session, TRAINER, progress_stop(progress))
            )
        await asyncio.wait_for(running, timeout=20)
    final = emulator.sent_to(TRAINER.chat_id)[-1]
    assert final.text is not None and final.text.startswith(f"⛔ Siaran #{broadcast_id} dihentikan")
    with sessions.begin() as session:
        report = outbox.report(session, broadcast_id)
        assert report is not None and report.counts.get("cancelled", 0) > 0
        assert f"Terkirim: {report.counts.get('sent', 0)}" in final.text
        assert session.get(Broadcast, broadcast_id).reported_at is not None  # type: ignore[union-attr]
    edited = emulator.message(TRAINER.chat_id, progress.message_id)
    assert edited is not None and "pengiriman berakhir" in edited["text"]


def progress_stop(message: object) -> str:
    markup = getattr(message, "reply_markup", None) or {}
    [[button]] = markup["inline_keyboard"]
    data: str = button["callback_data"]
    return data


def test_cli_create_checks_html_and_keeps_the_options(
    sessions: sessionmaker[Session],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    engine = sessions.kw["bind"]
    monkeypatch.setenv("DATABASE_URL", str(engine.url))
    body = tmp_path / "siaran.html"
    body.write_text("<b>Kelas live</b> & tanya jawab", encoding="utf-8")
    args = ["broadcast", "create", "--text-file", str(body), "--html", "--city", "Makassar"]
    assert main(args) == 2
    assert "&amp;" in capsys.readouterr().err
    body.write_text("<b>Kelas live</b> &amp; tanya jawab", encoding="utf-8")
    assert main([*args, "--report-chat", "555", "--at", "2099-01-02 10:00 WITA"]) == 0
    assert f"{SELLERS} penjual" in capsys.readouterr().out
    with sessions.begin() as session:
        broadcast = session.scalars(select(Broadcast)).one()
        assert broadcast.parse_mode == "HTML" and broadcast.report_chat_id == 555
        assert broadcast.scheduled_at == datetime(2099, 1, 2, 2, 0, tzinfo=UTC)
    assert main(["broadcast", "status", str(broadcast.id)]) == 0
    assert f"Siaran #{broadcast.id} (terjadwal)" in capsys.readouterr().out


def test_a_typed_province_filters_by_the_profile_city(sessions: sessionmaker[Session]) -> None:
    start_with_text(sessions)
    with sessions.begin() as session:
        flow.handle_button(session, TRAINER, "s:f:province")
        unknown = text_of(flow.take_input(session, TRAINER, Content("Atlantis", "Atlantis")))
        assert "belum saya kenali" in unknown and draft(session).step == "province"
        # Every seller's profile says Makassar, in Sulawesi Selatan (73).
        screen = text_of(flow.take_input(session, TRAINER, Content("sulsel", "sulsel")))
        assert "provinsi Sulawesi Selatan" in screen
        assert f"{SELLERS} penjual akan menerima" in screen
        assert draft(session).segment == {"province": "73"}
        flow.handle_button(session, TRAINER, "s:f:province")
        screen = text_of(flow.take_input(session, TRAINER, Content("Prov. Jabar", "x")))
        assert "provinsi Jawa Barat" in screen and "0 penjual akan menerima" in screen
        flow.handle_button(session, TRAINER, "s:f:province")
        screen = text_of(flow.handle_button(session, TRAINER, "s:v:province:-"))
        assert draft(session).segment == {} and f"{SELLERS} penjual akan menerima" in screen
