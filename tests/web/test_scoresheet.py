"""The score sheet in a real Chromium: the session page's "Score sheet (PDF)" and "Print"
buttons (also on a 390 × 844 phone), and the page printed — only the sheet's head, the card
and its foot, a WA 1440 on one A4 sheet (two pages at most), the text equal to the API's
scorecard. Screenshots land in artifacts/screenshots/ (the printed page as PNG too)."""

from __future__ import annotations

import io
from uuid import UUID

import httpx
from playwright.async_api import Page, expect
from pypdf import PdfReader

from tests.conftest import MakeArcher
from tests.stats.test_scoresheet import (
    API,
    assert_card_printed,
    card_of,
    line,
    ok,
    shoot_1440,
    text_of,
)
from tests.web.conftest import SCREENSHOTS, Phone, WebServer, screenshot, sign_in


async def open_session(page: Page, session_id: UUID) -> None:
    await page.goto(f"/app/sessions/{session_id}")
    await expect(page.locator("#scorecard")).to_be_visible()


async def test_printed_session_page_is_the_score_sheet_on_one_a4_sheet(
    page: Page, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    archer = await make_archer("Zoë Ångström", bowstyle="barebow", gender="female")
    session_id = await shoot_1440(client, archer)
    card = await card_of(client, archer, session_id)
    stats = await ok(await client.get(f"{API}/session/{session_id}/stats", headers=archer.headers))
    rnd = stats["round"]
    await sign_in(page, web, archer)
    await open_session(page, session_id)
    # On screen the sheet's head and foot are not shown; the page is as it was.
    await expect(page.locator(".sheet-head")).to_be_hidden()
    await expect(page.locator(".sheet-foot")).to_be_hidden()
    await expect(page.locator(".plot-card")).to_be_visible()

    await page.emulate_media(media="print")
    await expect(page.locator(".sheet-head")).to_be_visible()
    await expect(page.locator(".sheet-foot")).to_be_visible()
    for hidden in (".top", ".page-head", ".plot-card", ".notes-card", ".order-toggle"):
        await expect(page.locator(hidden).first).to_be_hidden()
    await screenshot(page, "scoresheet-print-emulated.png")

    pdf = await page.pdf(format="A4", print_background=True)
    (SCREENSHOTS / "scoresheet-print.pdf").write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) <= 2  # front and back of one sheet at most
    text = text_of(reader)
    assert "Zoë Ångström" in text
    assert "Score sheet · WA 1440 (90m)" in text
    assert "Barebow · Female · Adult" in text
    assert "90 m (122 cm) · 70 m (122 cm) · 50 m (80 cm) · 30 m (80 cm)" in text
    assert "Lilleshall · outdoor" in text
    assert_card_printed(text, card)
    assert f"{rnd['classification_name']} ({rnd['classification']})" in text
    assert line(f"Handicap ({rnd['scheme']})").search(text) or "Handicap" in text
    assert "Archer's signature" in text and "Scorer's signature" in text
    for not_on_paper in ("Grouping", "Timing and fatigue", "Arrow by arrow", "Notes"):
        assert not_on_paper not in text


async def test_sheet_buttons_download_the_pdf_and_print(
    page: Page, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    archer = await make_archer("Robin")
    session_id = await shoot_1440(client, archer, start_time="2026-05-01T08:30:00Z")
    await page.add_init_script("window.print = () => { window.printed = true; };")
    await sign_in(page, web, archer)
    await open_session(page, session_id)

    async with page.expect_download() as waiting:
        await page.get_by_role("link", name="Score sheet (PDF)").click()
    download = await waiting.value
    assert download.suggested_filename == "score-sheet-2026-05-01.pdf"
    path = await download.path()
    text = text_of(PdfReader(str(path)))
    assert "Robin" in text and "WA 1440 (90m)" in text
    assert "Fri 1 May 2026, 08:30" in text and "(UTC+00:00)" in text  # the browser's offset

    await page.get_by_role("button", name="Print").click()
    assert await page.evaluate("window.printed") is True

    # Shown in shooting order, the card is printed high to low all the same.
    await page.get_by_role("button", name="High to low").click()
    await expect(page.locator("#scorecard")).to_have_attribute("data-order", "shot")
    await page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    await expect(page.locator("#scorecard")).to_have_attribute("data-order", "value")
    await page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    await expect(page.locator("#scorecard")).to_have_attribute("data-order", "shot")


async def test_phone_session_page_shows_the_sheet_buttons(
    phone: Phone, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    archer = await make_archer("Mia")
    session_id = await shoot_1440(client, archer)
    page = phone.page
    await sign_in(page, web, archer)
    await open_session(page, session_id)
    pdf = page.get_by_role("link", name="Score sheet (PDF)")
    print_button = page.get_by_role("button", name="Print")
    for button in (pdf, print_button):
        await expect(button).to_be_visible()
        box = await button.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390  # on the screen, not cut off
        assert box["height"] >= 44  # a finger's tap
    await page.screenshot(path=str(SCREENSHOTS / "session-phone-sheet-buttons.png"))
