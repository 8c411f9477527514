"""Staff replies and hand-back from the conversation page, through the real desk app and the
offline Bot API emulator (tests/emulator): what the seller receives, what is stored and
audited, and what staff read when Telegram cannot be used."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from bot.db.models import AuditEntry, Message, Role, Seller
from bot.desk.app import create_app
from bot.desk.state import DeskConfig
from bot.support.texts import HANDED_BACK
from tests.desk.conftest import client_for
from tests.desk.conversations import Seeded, seed_conversations
from tests.desk.support import login, make_staff, session_csrf
from tests.emulator import TelegramEmulator

TOKEN = "123456:TEST"
BUDI_CHAT = 7002  # tests/desk/conversations.py: chat id = Telegram user id
DEWI_CHAT = 7003


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator() as running:
        yield running


@pytest.fixture
async def desk(database_url: str, emulator: TelegramEmulator) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        DeskConfig(
            database_url,
            secret_key=b"test-key",
            telegram_bot_token=TOKEN,
            telegram_api_base_url=emulator.base_url,
        )
    )
    async with client_for(app) as client:
        yield client
    app.state.desk.engine.dispose()


@pytest.fixture
def seeded(sessions: sessionmaker[Session]) -> Seeded:
    return seed_conversations(sessions)


def actions(sessions: sessionmaker[Session]) -> list[tuple[str, str | None, dict[str, Any] | None]]:
    with sessions() as session:
        rows = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action != "view").order_by(AuditEntry.id)
        )
        return [(a.action, a.target_id, a.detail) for a in rows if a.action != "login"]


async def test_reply_in_a_handoff_reaches_the_seller_and_hand_back_resumes_the_bot(
    desk: httpx.AsyncClient,
    emulator: TelegramEmulator,
    sessions: sessionmaker[Session],
    seeded: Seeded,
) -> None:
    dina = make_staff(sessions, "dina", 202, Role.SUPPORT)
    await login(desk, "dina")
    page = await desk.get(f"/percakapan/{seeded.budi}")
    assert "Penjual minta dibantu tim sejak" in page.text
    assert "Menunggu balasan <strong>2 jam 40 menit</strong>" in page.text
    token = session_csrf(page.text)

    text = "Halo Kak Budi, saya Dina dari tim AKAR. Resi JNE-nya sedang kami cek ya 🙏"
    sent = await desk.post(
        f"/percakapan/{seeded.budi}/balas", data={"csrf_token": token, "teks": text}
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/percakapan/{seeded.budi}?info=terkirim#penanganan"
    [received] = emulator.sent_to(BUDI_CHAT)
    assert received.text == text
    page = await desk.get(sent.headers["location"])
    assert "Balasan terkirim lewat Telegram." in page.text
    assert "Staf · dina" in page.text and text in page.text
    # Answered: nothing of Budi's waits any more (he is still in the handoff).
    assert "Tidak ada pesan penjual yang menunggu balasan" in page.text
    assert "Menunggu balasan" not in page.text
    with sessions() as session:
        stored = session.scalars(sa.select(Message).where(Message.sent_by_account_id == dina)).one()
        assert (stored.text, stored.delivery_status) == (text, "sent")
        assert session.get_one(Seller, seeded.budi).handoff_state == "requested"

    back = await desk.post(f"/percakapan/{seeded.budi}/kembalikan", data={"csrf_token": token})
    assert back.status_code == 303
    assert back.headers["location"] == f"/percakapan/{seeded.budi}?info=dikembalikan"
    told = emulator.sent_to(BUDI_CHAT)[-1]
    assert told.text == HANDED_BACK
    page = await desk.get(back.headers["location"])
    assert "Chat dikembalikan ke asisten otomatis." in page.text
    assert "Asisten otomatis sedang melayani penjual ini." in page.text
    with sessions() as session:
        assert session.get_one(Seller, seeded.budi).handoff_state is None
    queue = await desk.get("/perlu-ditangani")
    assert f"/percakapan/{seeded.budi}#" not in queue.text

    # Handing back a chat the bot already serves sends nothing.
    before = len(emulator.sent)
    again = await desk.post(f"/percakapan/{seeded.budi}/kembalikan", data={"csrf_token": token})
    assert again.headers["location"].endswith("?info=bukan-penanganan#penanganan")
    assert len(emulator.sent) == before
    assert actions(sessions) == [
        ("reply", str(seeded.budi), {"pesan": stored.id, "status": "sent"}),
        ("release", str(seeded.budi), {"status": "sent"}),
    ]


async def test_replying_outside_a_handoff_takes_the_chat_over(
    desk: httpx.AsyncClient,
    emulator: TelegramEmulator,
    sessions: sessionmaker[Session],
    seeded: Seeded,
) -> None:
    make_staff(sessions, "dina", 202, Role.SUPPORT)
    await login(desk, "dina")
    token = session_csrf((await desk.get(f"/percakapan/{seeded.dewi}")).text)
    sent = await desk.post(
        f"/percakapan/{seeded.dewi}/balas",
        data={"csrf_token": token, "teks": "Kak Dewi, ada yang bisa kami bantu lagi?"},
        headers={"HX-Request": "true"},
    )
    assert sent.status_code == 303  # htmx follows it and swaps <main>
    assert [m.text for m in emulator.sent_to(DEWI_CHAT)] == [
        "Kak Dewi, ada yang bisa kami bantu lagi?"
    ]
    with sessions() as session:
        assert session.get_one(Seller, seeded.dewi).handoff_state == "staff"
    page = await desk.get(f"/percakapan/{seeded.dewi}")
    assert "Chat ini diambil alih staf sejak" in page.text
    assert "Tidak ada pesan penjual yang menunggu balasan" in page.text
    queue = await desk.get("/perlu-ditangani")
    row = next(r for r in queue.text.split("<tr>") if f"/percakapan/{seeded.dewi}#" in r)
    assert "diambil alih staf" in row and "sudah dibalas" in row
    assert [a[0] for a in actions(sessions)] == ["reply", "handoff"]


async def test_blocked_and_failed_sends_are_explained(
    desk: httpx.AsyncClient,
    emulator: TelegramEmulator,
    sessions: sessionmaker[Session],
    seeded: Seeded,
) -> None:
    make_staff(sessions, "dina", 202, Role.SUPPORT)
    await login(desk, "dina")
    token = session_csrf((await desk.get(f"/percakapan/{seeded.budi}")).text)

    emulator.fail_next("sendMessage", status=400, description="Bad Request: message is too odd")
    failed = await desk.post(
        f"/percakapan/{seeded.budi}/balas", data={"csrf_token": token, "teks": "Halo Kak"}
    )
    assert failed.headers["location"].endswith("?info=gagal#penanganan")
    page = await desk.get(failed.headers["location"])
    assert "Telegram menolak balasan ini" in page.text
    assert "gagal terkirim" in page.text and "Message is too odd" in page.text

    emulator.block_chat(BUDI_CHAT)
    blocked = await desk.post(
        f"/percakapan/{seeded.budi}/balas", data={"csrf_token": token, "teks": "Halo lagi"}
    )
    assert blocked.headers["location"].endswith("?info=diblokir#penanganan")
    page = await desk.get(blocked.headers["location"])
    assert "penjual ini memblokir bot" in page.text
    with sessions() as session:
        assert not session.get_one(Seller, seeded.budi).is_active
    assert [d["status"] for a, _, d in actions(sessions) if a == "reply" and d] == [
        "failed",
        "blocked",
    ]


async def test_reply_text_is_checked_and_kept(
    desk: httpx.AsyncClient,
    emulator: TelegramEmulator,
    sessions: sessionmaker[Session],
    seeded: Seeded,
) -> None:
    make_staff(sessions, "dina", 202, Role.SUPPORT)
    await login(desk, "dina")
    token = session_csrf((await desk.get(f"/percakapan/{seeded.budi}")).text)
    empty = await desk.post(
        f"/percakapan/{seeded.budi}/balas", data={"csrf_token": token, "teks": "  "}
    )
    assert empty.status_code == 400 and "Balasan kosong" in empty.text
    long = "a" * 4097
    too_long = await desk.post(
        f"/percakapan/{seeded.budi}/balas", data={"csrf_token": token, "teks": long}
    )
    assert too_long.status_code == 400
    assert "paling banyak 4.096 karakter" in too_long.text
    assert long in too_long.text
    assert emulator.sent == []
    assert (
        await desk.post("/percakapan/99999/balas", data={"csrf_token": token, "teks": "x"})
    ).status_code == 404


async def test_without_a_bot_token_staff_are_told_and_nothing_changes(
    client: httpx.AsyncClient, sessions: sessionmaker[Session], seeded: Seeded
) -> None:
    make_staff(sessions, "dina", 202, Role.SUPPORT)
    await login(client, "dina")
    page = await client.get(f"/percakapan/{seeded.budi}")
    assert "TELEGRAM_BOT_TOKEN" in page.text  # warned before typing
    token = session_csrf(page.text)
    reply = await client.post(
        f"/percakapan/{seeded.budi}/balas", data={"csrf_token": token, "teks": "Halo Kak Budi"}
    )
    assert reply.status_code == 400
    assert "token bot Telegram (TELEGRAM_BOT_TOKEN) belum diatur" in reply.text
    assert "Halo Kak Budi</textarea>" in reply.text
    back = await client.post(f"/percakapan/{seeded.budi}/kembalikan", data={"csrf_token": token})
    assert back.status_code == 400
    assert "belum diatur" in back.text
    with sessions() as session:
        assert session.get_one(Seller, seeded.budi).handoff_state == "requested"
    assert actions(sessions) == []


async def test_a_refused_token_is_explained(
    database_url: str,
    emulator: TelegramEmulator,
    sessions: sessionmaker[Session],
    seeded: Seeded,
) -> None:
    emulator.fail_next("getMe", status=401, description="Unauthorized")
    app = create_app(
        DeskConfig(
            database_url,
            secret_key=b"k",
            telegram_bot_token="1:WRONG",
            telegram_api_base_url=emulator.base_url,
        )
    )
    make_staff(sessions, "dina", 202, Role.SUPPORT)
    async with client_for(app) as client:
        await login(client, "dina")
        token = session_csrf((await client.get(f"/percakapan/{seeded.budi}")).text)
        reply = await client.post(
            f"/percakapan/{seeded.budi}/balas", data={"csrf_token": token, "teks": "Halo"}
        )
    app.state.desk.engine.dispose()
    assert reply.status_code == 400
    assert "Telegram menolak token bot" in reply.text
    assert emulator.sent == []
