"""A real browser (Playwright driving Debian's Chromium, installed by `make test`'s setup) against
the desk served by uvicorn on 127.0.0.1: sign in through the form, see the layout and the
broadcast reports, page with htmx under the strict CSP, sign out with an htmx POST carrying the
CSRF header. Saves docs/screenshots/masuk.png and docs/screenshots/laporan-siaran.png."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import ConsoleMessage, async_playwright, expect
from sqlalchemy.orm import Session, sessionmaker

from bot.db.models import Broadcast, BroadcastDelivery, Role
from bot.stack import PROJECT_ROOT
from tests.desk.support import (
    FIXED_START,
    PASSWORD,
    make_sellers,
    make_staff,
    running_desk,
    seed_broadcasts,
)

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
TRAINER, OTHER = 301, 302
TOPICS = [
    "Cara aktifkan COD di Shopee",
    "Hitung ongkir: berat volume vs berat aktual",
    "Foto produk pakai HP, hasil rapi",
    "Promo 12.12: siapkan stok dari sekarang",
    "Balas ulasan pembeli dengan sopan",
    "Modul baru: deskripsi produk yang menjual",
]


def seed_many(sessions: sessionmaker[Session]) -> None:
    """Two pages of broadcasts (20 a page): 20 older finished ones with varied figures, then
    the three of `seed_broadcasts` (finished, sending, scheduled) as the newest."""
    with sessions.begin() as session:
        sellers = make_sellers(session)
        for n in range(20):
            started = FIXED_START - timedelta(days=20 - n, hours=n % 5)
            broadcast = Broadcast(
                created_by=TRAINER,
                text=TOPICS[n % len(TOPICS)],
                segment={},
                status="done",
                scheduled_at=started,
                started_at=started,
                finished_at=started + timedelta(seconds=2 + n % 4),
            )
            session.add(broadcast)
            session.flush()
            for k, seller in enumerate(sellers[: 6 + n % 7]):
                status = "blocked" if k == n % 9 else "opted_out" if k == 5 else "sent"
                session.add(
                    BroadcastDelivery(
                        broadcast_id=broadcast.id,
                        seller_id=seller.id,
                        chat_id=seller.chat_id,
                        status=status,
                    )
                )
    seed_broadcasts(sessions, TRAINER, OTHER, xss=False)


@pytest.fixture
def chromium() -> str:
    """Fails (never skips) without the browser: a skipped smoke test would hide a broken desk."""
    assert Path(CHROMIUM).exists(), (
        "Debian's Chromium is missing at /usr/bin/chromium: `make test` installs it "
        "(apt-get install chromium)"
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return CHROMIUM


async def test_sign_in_see_reports_page_and_sign_out(
    chromium: str,
    database_url: str,
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_staff(sessions, "sari", 101, Role.ADMIN)
    seed_many(sessions)
    problems: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            problems.append(message.text)

    async with running_desk(database_url, monkeypatch) as (base_url, _), async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox"]
        )
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 800}, locale="id-ID")
            page.on("console", watch)

            await page.goto(base_url + "/laporan-siaran")
            assert page.url == base_url + "/masuk?next=%2Flaporan-siaran"
            await expect(page.get_by_role("heading", name="Masuk")).to_be_visible()
            await page.screenshot(path=str(SCREENSHOTS / "masuk.png"))

            await page.get_by_label("Nama pengguna").fill("sari")
            await page.get_by_label("Kata sandi").fill(PASSWORD)
            await page.get_by_role("button", name="Masuk").click()
            await page.wait_for_url(base_url + "/laporan-siaran")
            await expect(page.get_by_role("heading", name="Laporan siaran")).to_be_visible()
            menu = page.get_by_role("navigation", name="Menu utama")
            for label in ("Kotak masuk", "Perlu ditangani", "Anotasi NLU", "Analitik", "Audit"):
                await expect(menu.get_by_role("link", name=label)).to_be_visible()
            await expect(page.locator("tbody tr")).to_have_count(20)
            await expect(page.get_by_text("Halaman 1 dari 2")).to_be_visible()
            await page.screenshot(path=str(SCREENSHOTS / "laporan-siaran.png"), full_page=True)

            # htmx is loaded under the CSP and swaps just the list, updating the address bar.
            assert await page.evaluate("typeof htmx") == "object"
            await page.get_by_role("link", name="Berikutnya ›").click()
            await page.wait_for_url(base_url + "/laporan-siaran?halaman=2")
            await expect(page.get_by_text("Halaman 2 dari 2")).to_be_visible()
            await expect(page.locator("tbody tr")).to_have_count(3)

            # A POST without the CSRF token is refused; htmx's POST carries it (hx-headers).
            status = await page.evaluate("fetch('/keluar', {method: 'POST'}).then(r => r.status)")
            assert status == 403
            await page.evaluate("htmx.ajax('POST', '/keluar', {source: 'body', target: 'body'})")
            await expect(page.get_by_text("Anda sudah keluar.")).to_be_visible()
            await page.goto(base_url + "/audit")
            assert page.url.startswith(base_url + "/masuk")
        finally:
            await browser.close()
    # Blocked inline code or styles would show up here as CSP errors.
    assert [p for p in problems if "Content Security Policy" in p] == []
