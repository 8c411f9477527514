"""Support staff's day in a real browser (Playwright driving Debian's Chromium) against the desk
served by uvicorn on 127.0.0.1, with the offline Bot API emulator standing in for Telegram:
sign in, filter the inbox with htmx, open the handoff queue and a conversation, annotate a
message, download an export, reply (the emulator receives it), hand the chat back.

Saves docs/screenshots/kotak-masuk.png, perlu-ditangani.png, percakapan.png and anotasi.png,
with invented Indonesian sellers (tests/desk/conversations.py)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.async_api import ConsoleMessage, Page, async_playwright, expect
from sqlalchemy.orm import Session, sessionmaker

from bot.broadcast import roles
from bot.db.models import Message, NluAnnotation, Role, StaffSession
from bot.support.texts import HANDED_BACK
from tests.desk.conversations import Seeded, seed_conversations
from tests.desk.support import PASSWORD, make_staff, running_desk
from tests.desk.test_browser import CHROMIUM, SCREENSHOTS
from tests.emulator import TelegramEmulator

BUDI_CHAT = 7002
REPLY = (
    "Halo Kak Budi, saya Dina dari tim AKAR 🙏 Resi JNE-nya sudah kami cek: paket tertahan di "
    "hub Medan, besok diantar."
)


@pytest.fixture
def chromium() -> str:
    assert Path(CHROMIUM).exists(), "Debian's Chromium is missing: `make test` installs it"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return CHROMIUM


def seed(sessions: sessionmaker[Session]) -> tuple[Seeded, int]:
    seeded = seed_conversations(sessions)
    rina = make_staff(sessions, "rina", 203, Role.SUPPORT)
    with sessions.begin() as session:  # earlier annotations, so the page is not almost empty
        siti_second = session.scalars(
            sa.select(Message.id)
            .where(Message.seller_id == seeded.siti, Message.direction == "in")
            .order_by(Message.id)
        ).all()[1]
        for message_id, intent, example in [
            (seeded.siti_question, "tanya_cod/aktifkan", "kak cara aktifin cod di shopee gmn ya"),
            (
                siti_second,
                "tanya_retur_komplain/ajukan_retur",
                "pembeli nolak paket cod, ongkir balik siapa yg bayar",
            ),
        ]:
            session.add(
                NluAnnotation(
                    message_id=message_id,
                    intent=intent,
                    example=example,
                    account_id=rina,
                    created_at=seeded.now - timedelta(hours=20),
                )
            )
        # Rina wrote the reply that took Yusuf's chat over.
        session.execute(
            sa.update(Message)
            .where(Message.seller_id == seeded.yusuf, Message.direction == "out")
            .values(sent_by_account_id=rina)
        )
    return seeded, make_staff(sessions, "dina", 202, Role.SUPPORT)


async def sign_in(page: Page, base_url: str) -> None:
    await page.goto(base_url + "/kotak-masuk")
    assert page.url == base_url + "/masuk?next=%2Fkotak-masuk"
    await page.get_by_label("Nama pengguna").fill("dina")
    await page.get_by_label("Kata sandi").fill(PASSWORD)
    await page.get_by_role("button", name="Masuk").click()
    await page.wait_for_url(base_url + "/kotak-masuk")


async def test_support_staff_flow(
    chromium: str,
    database_url: str,
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    seeded, _ = seed(sessions)
    problems: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            problems.append(message.text + " @ " + str(message.location))

    async with TelegramEmulator() as emulator:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:TEST")
        monkeypatch.setenv("TELEGRAM_API_BASE_URL", emulator.base_url)
        async with (
            running_desk(database_url, monkeypatch) as (base_url, _),
            async_playwright() as p,
        ):
            browser = await p.chromium.launch(
                executable_path=chromium, headless=True, args=["--no-sandbox"]
            )
            try:
                page = await browser.new_page(
                    viewport={"width": 1280, "height": 860}, locale="id-ID", accept_downloads=True
                )
                page.on("console", watch)
                await sign_in(page, base_url)

                # The inbox, then filters applied by htmx (list swapped, address bar updated).
                await expect(page.get_by_text("6 percakapan")).to_be_visible()
                await expect(page.locator("li.conversation")).to_have_count(6)
                await page.screenshot(path=str(SCREENSHOTS / "kotak-masuk.png"), full_page=True)
                await page.get_by_label("dinilai 👎").check()
                await page.wait_for_url("**/kotak-masuk?*jempol_bawah=1*")
                await expect(page.get_by_text("1 percakapan")).to_be_visible()
                await expect(page.locator("li.conversation")).to_have_count(1)
                await expect(page.locator("li.conversation")).to_contain_text("Siti Rahmawati")
                await page.get_by_label("dinilai 👎").uncheck()
                await page.get_by_label("Cari di pesan").fill("medan")
                await page.get_by_label("Cari di pesan").press("Enter")
                await page.wait_for_url("**/kotak-masuk?*cari=medan*")
                await expect(page.locator("li.conversation")).to_have_count(1)
                await expect(page.locator("li.conversation")).to_contain_text("Budi Santoso")

                # The handoff queue, oldest first; open Budi's conversation from it.
                await (
                    page.get_by_role("navigation", name="Menu utama")
                    .get_by_role("link", name="Perlu ditangani")
                    .click()
                )
                await expect(page.get_by_text("2 penjual dalam penanganan")).to_be_visible()
                await page.screenshot(path=str(SCREENSHOTS / "perlu-ditangani.png"), full_page=True)
                await (
                    page.get_by_role("row", name="Budi Santoso")
                    .get_by_role("link", name="Buka percakapan")
                    .click()
                )
                await expect(page.get_by_role("heading", name="Budi Santoso")).to_be_visible()

                # Annotate the message the assistant did not understand.
                message = page.locator(f"#pesan-{seeded.budi_fallback}")
                await message.get_by_text("Anotasi", exact=True).click()
                await message.get_by_label("Intent yang benar").select_option(
                    "tanya_retur_komplain/paket_hilang_rusak"
                )
                await message.get_by_label("Contoh kalimat (opsional)").fill(
                    "paket saya ke medan belum sampai 5 hari"
                )
                await message.get_by_role("button", name="Simpan anotasi").click()
                await expect(page.get_by_text("Anotasi disimpan.")).to_be_visible()
                await expect(page.locator(f"#pesan-{seeded.budi_fallback}")).to_contain_text(
                    "menunggu ekspor"
                )

                # Export the conversation: a real download, UTF-8 with a BOM for Excel.
                async with page.expect_download() as waiting:
                    await page.get_by_role("link", name="CSV").click()
                download = await waiting.value
                assert download.suggested_filename.startswith(f"percakapan-{seeded.budi}-")
                assert download.suggested_filename.endswith(".csv")
                saved = tmp_path / download.suggested_filename
                await download.save_as(saved)
                content = saved.read_bytes()
                assert content.startswith("\ufeff".encode())
                assert "sy mau ngobrol sama orang aja kak" in content.decode("utf-8-sig")

                # Reply in the handoff: the emulator (Telegram) receives it.
                mark = len(emulator.sent)
                await page.get_by_label("Balasan (dikirim lewat Telegram atas nama bot AKAR)").fill(
                    REPLY
                )
                await page.get_by_role("button", name="Kirim lewat Telegram").click()
                [received] = await emulator.wait_for_sent(BUDI_CHAT, after=mark)
                assert received.text == REPLY
                await expect(page.get_by_text("Balasan terkirim lewat Telegram.")).to_be_visible()
                await expect(page.locator(".message.staff")).to_contain_text("Staf · dina")
                await page.screenshot(path=str(SCREENSHOTS / "percakapan.png"), full_page=True)

                # Hand the chat back to the assistant; the seller is told.
                mark = len(emulator.sent)
                await page.get_by_role("button", name="Kembalikan ke bot").click()
                [told] = await emulator.wait_for_sent(BUDI_CHAT, after=mark)
                assert told.text == HANDED_BACK
                await expect(
                    page.get_by_text("Chat dikembalikan ke asisten otomatis.")
                ).to_be_visible()
                await expect(
                    page.get_by_text("Asisten otomatis sedang melayani penjual ini.")
                ).to_be_visible()

                # Annotations waiting for export.
                await (
                    page.get_by_role("navigation", name="Menu utama")
                    .get_by_role("link", name="Anotasi NLU")
                    .click()
                )
                await expect(page.get_by_text("3 menunggu diekspor")).to_be_visible()
                await page.screenshot(path=str(SCREENSHOTS / "anotasi.png"), full_page=True)
            finally:
                await browser.close()
    # Blocked inline code or styles would show up here as CSP errors.
    assert [p for p in problems if "Content Security Policy" in p] == []


async def test_failed_htmx_requests_say_why(
    chromium: str,
    database_url: str,
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """htmx swaps nothing when the desk says no, so desk-htmx.js shows why in a banner: a
    stale CSRF token (signed out and in again in another tab), a role taken away; a session
    that ended leads to the login page, and back to the page after signing in."""
    seeded, _ = seed(sessions)
    problems: list[str] = []

    expected = ("status of 40", "Response Status Error Code 40")  # the refusals themselves

    def watch(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning") and not any(e in message.text for e in expected):
            problems.append(message.text + " @ " + str(message.location))

    async with (
        running_desk(database_url, monkeypatch) as (base_url, _),
        async_playwright() as p,
    ):
        browser = await p.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox"]
        )
        try:
            context = await browser.new_context(
                viewport={"width": 1280, "height": 860}, locale="id-ID"
            )
            page = await context.new_page()
            page.on("console", watch)
            await sign_in(page, base_url)
            conversation = f"{base_url}/percakapan/{seeded.siti}"
            await page.goto(conversation)
            banner = page.locator("#galat-htmx")
            await expect(banner).to_be_hidden()

            # Another tab signs out and in again: this page's CSRF token is stale.
            other = await context.new_page()
            await other.goto(base_url + "/keluar")
            await other.get_by_role("button", name="Keluar sekarang").click()
            await other.wait_for_url("**/masuk?keluar=1")
            await other.get_by_label("Nama pengguna").fill("dina")
            await other.get_by_label("Kata sandi").fill(PASSWORD)
            await other.get_by_role("button", name="Masuk").click()
            await other.wait_for_url(base_url + "/kotak-masuk")
            await other.close()

            await page.get_by_label("Catatan baru").fill("Cek resi dulu")
            await page.get_by_role("button", name="Simpan catatan").click()
            await expect(banner).to_be_visible()
            await expect(banner).to_contain_text("token keamanan (CSRF)")
            await expect(banner).to_contain_text("Salin dulu teks yang sedang Anda tulis")
            await expect(page.get_by_label("Catatan baru")).to_have_value("Cek resi dulu")
            await page.get_by_role("button", name="Tutup").click()
            await expect(banner).to_be_hidden()
            await banner.page.get_by_role("button", name="Tandai sudah ditinjau").click()
            await expect(banner).to_be_visible()
            await page.get_by_role("button", name="Muat ulang halaman").click()
            await expect(banner).to_be_hidden()
            # Reloaded: a fresh token, and the same button works.
            await page.get_by_role("button", name="Tandai sudah ditinjau").click()
            await expect(page.get_by_text("Percakapan ditandai sudah ditinjau.")).to_be_visible()

            # The role is taken away: the inbox filter (an htmx GET) is refused.
            await page.goto(base_url + "/kotak-masuk")
            with sessions.begin() as session:
                roles.revoke(session, 202)
            await page.get_by_label("dinilai 👎").check()
            await expect(banner).to_be_visible()
            await expect(banner).to_contain_text("belum punya peran")
            await page.get_by_role("button", name="Muat ulang halaman").click()
            await expect(page.get_by_role("heading", name="Belum punya peran")).to_be_visible()
            with sessions.begin() as session:
                roles.grant(session, 202, Role.SUPPORT, granted_by=None)

            # The session ends: htmx follows HX-Redirect to the login page, which leads back.
            await page.goto(base_url + "/kotak-masuk?tinjauan=belum")
            with sessions.begin() as session:
                session.execute(sa.delete(StaffSession))
            await page.get_by_label("Cari di pesan").fill("medan")
            await page.get_by_label("Cari di pesan").press("Enter")
            # Typing and Enter may both fire a request, so two HX-Redirects can race and the
            # first navigation is aborted by the second: wait for the URL, not one navigation.
            await expect(page).to_have_url(re.compile(r".*/masuk\?next=.*"))
            assert "next=%2Fkotak-masuk%3Ftinjauan%3Dbelum" in page.url
            await page.get_by_label("Nama pengguna").fill("dina")
            await page.get_by_label("Kata sandi").fill(PASSWORD)
            await page.get_by_role("button", name="Masuk").click()
            await page.wait_for_url(base_url + "/kotak-masuk?tinjauan=belum")
        finally:
            await browser.close()
    assert [p for p in problems if "Content Security Policy" in p] == []
    assert problems == []
