"""/analitik in a real browser (Playwright driving Debian's Chromium, as tests/desk/test_browser.py)
against the desk served by uvicorn: every chart is drawn by Chart.js under the strict CSP (a
canvas with pixels on it), the date form reloads the page with other figures, and
docs/screenshots/analitik.png is saved from a month of made-up activity."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.async_api import ConsoleMessage, Page, async_playwright, expect
from sqlalchemy.orm import Session, sessionmaker

from bot.db.models import Role
from bot.stack import PROJECT_ROOT
from tests.desk.analytics_sample import seed_month
from tests.desk.support import PASSWORD, make_staff, running_desk

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
LAST_DAY = date(2026, 11, 29)
FIRST_DAY = LAST_DAY - timedelta(days=29)
CHARTS = ("pertanyaan", "fallback", "intent", "handoff", "modul", "siaran")

# For each chart canvas: is a Chart.js chart attached, how big is it, how many pixels are drawn.
INSPECT = """
() => Array.from(document.querySelectorAll("canvas[data-chart]")).map((canvas) => {
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let drawn = 0;
  for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] !== 0) drawn++; }
  return {id: canvas.id, chart: Boolean(Chart.getChart(canvas)), width: canvas.width,
          height: canvas.height, drawn: drawn};
})
"""


@pytest.fixture
def chromium() -> str:
    """Fails (never skips) without the browser, like tests/desk/test_browser.py."""
    assert Path(CHROMIUM).exists(), (
        "Debian's Chromium is missing at /usr/bin/chromium: `make test` installs it "
        "(apt-get install chromium)"
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return CHROMIUM


async def drawn_charts(page: Page) -> dict[str, int]:
    found = await page.evaluate(INSPECT)
    for canvas in found:
        assert canvas["chart"], canvas
        assert canvas["width"] > 200 and canvas["height"] > 150, canvas
    return {c["id"].removeprefix("grafik-"): c["drawn"] for c in found}


async def test_charts_render_under_the_csp_and_the_screenshot_is_saved(
    chromium: str,
    database_url: str,
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_staff(sessions, "sari", 101, Role.ADMIN)
    # Fixed dates, so the screenshot is the same file on every run.
    seed_month(sessions, LAST_DAY)
    month = f"/analitik?dari={FIRST_DAY.isoformat()}&sampai={LAST_DAY.isoformat()}"
    problems: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        url = str(message.location.get("url", ""))
        if message.type in ("error", "warning") and not url.endswith("/favicon.ico"):
            problems.append(f"{message.text} ({url})")

    async with running_desk(database_url, monkeypatch) as (base_url, _), async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox"]
        )
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900}, locale="id-ID")
            page.on("console", watch)
            page.on("pageerror", lambda error: problems.append(str(error)))

            await page.goto(base_url + month)
            await page.get_by_label("Nama pengguna").fill("sari")
            await page.get_by_label("Kata sandi").fill(PASSWORD)
            await page.get_by_role("button", name="Masuk").click()
            await page.wait_for_url(base_url + month)
            await expect(page.get_by_role("heading", name="Analitik", exact=True)).to_be_visible()
            await page.wait_for_load_state("load")  # deferred scripts have run

            drawn = await drawn_charts(page)
            assert set(drawn) == set(CHARTS)
            assert all(n > 1000 for n in drawn.values()), drawn
            await expect(page.locator("#tabel-pertanyaan tbody tr")).to_have_count(30)
            # Indonesian number formats: thousands with a dot in the summary tiles.
            tiles = await page.locator(".tile-value").all_inner_texts()
            assert any("." in t for t in tiles[:2]), tiles
            assert tiles[2].endswith("%") and "," in tiles[2], tiles
            await page.screenshot(path=str(SCREENSHOTS / "analitik.png"), full_page=True)

            # The form: a week; the page comes back with 7 days and charts drawn again.
            week_start = LAST_DAY - timedelta(days=6)
            await page.get_by_label("Dari tanggal").fill(week_start.isoformat())
            await page.get_by_label("Sampai tanggal").fill(LAST_DAY.isoformat())
            await page.get_by_role("button", name="Tampilkan").click()
            await page.wait_for_url(f"**/analitik?dari={week_start.isoformat()}*")
            await page.wait_for_load_state("load")
            await expect(page.locator("#tabel-pertanyaan tbody tr")).to_have_count(7)
            assert set(await drawn_charts(page)) >= {"pertanyaan", "fallback", "handoff"}
        finally:
            await browser.close()
    # Chart.js sizes canvases through the CSSOM, which the CSP allows: no violation, no error
    # (but the browser's own request for /favicon.ico, which the desk does not have).
    assert problems == []
