"""Head-to-head in a real Chromium: a semi-final scored on a phone (390 × 844, touch) end by
end on the keypad, tied 5–5, then a shoot-off plotted on the face and decided by the distance
from the centre; the bracket updates live on the phone and on a laptop's public results page
(the winner in the final). A league's public season page shows its table. Screenshots:
bracket-phone.png, bracket-laptop.png, season.png."""

from __future__ import annotations

import httpx
from playwright.async_api import Browser, Page, expect

from arch_stats.core.database import Connection
from tests.conftest import MakeArcher
from tests.matches.helpers import API, competition, end, values
from tests.web.conftest import Phone, WebServer, screenshot, sign_in
from tests.web.helpers import screen_point

# Qualification totals of seeds 1…4 (guest n shot the n-th): semi-finals 1 v 4, 2 v 3.
FOUR = [29, 28, 27, 26]
# The match cards whose table is wider than the card (scrolls sideways): their archers.
WIDE_CARDS = """() => [...document.querySelectorAll('.match-card')]
    .filter(c => {
        const t = c.querySelector('.table-scroll');
        return t.scrollWidth > t.clientWidth;
    })
    .map(c => c.getAttribute('aria-label'))"""


async def score_end(page: Page, side: int, values: tuple[str, ...], then: str) -> None:
    """Enter one archer's end on the keypad and send it; `then`: the panel's heading after."""
    panel = page.locator(".match-scoring")
    await panel.locator(f'.bale-row[data-side="{side}"]').click()
    for v in values:
        await panel.locator(f'.keypad .value[data-value="{v}"]').click()
    await panel.locator('[data-action="send"]').click()
    await expect(panel.locator("h2")).to_contain_text(then)
    if side == 0:
        await expect(panel.locator('.bale-row[data-side="0"]')).to_contain_text("sent")


async def plot(phone: Phone, side: int, dx_mm: float) -> None:
    """One shoot-off arrow, `dx_mm` right of the centre of the side's face, by touch."""
    page = phone.page
    panel = page.locator(".match-scoring")
    await expect(panel.locator(f'.bale-row[data-side="{side}"]')).to_have_attribute(
        "aria-checked", "true"
    )
    face = panel.locator("svg.target")
    await expect(face).to_be_visible()
    cx = float(await face.evaluate("svg => svg.viewBox.baseVal.width")) / 2
    cy = float(await face.evaluate("svg => svg.viewBox.baseVal.height")) / 2
    await phone.finger.tap(await screen_point(page, cx + dx_mm, cy))
    await expect(panel.locator("output")).to_contain_text("arrow plotted")
    await panel.locator('[data-action="send"]').click()


async def test_semi_final_on_a_phone_to_a_shoot_off_by_distance_bracket_live(
    phone: Phone,
    browser: Browser,
    web: WebServer,
    client: httpx.AsyncClient,
    db: Connection,
    make_archer: MakeArcher,
) -> None:
    owner = await make_archer("Olive Owner")
    cid, key, _ = await competition(
        client, db, owner, round_code="wa720_70", bowstyle="recurve", totals=FOUR
    )
    r = await client.post(f"{API}/competition/{cid}/results/link", headers=owner.headers)
    public_path = r.json()["data"]["path"]
    page = phone.page
    await sign_in(page, web, owner)
    await page.goto(f"/app/competitions/{cid}/bracket")
    await expect(page.locator("h1")).to_contain_text("Club championship")
    # The organiser draws the bracket on the phone.
    await page.locator("#bracket-category").select_option(key)
    await page.get_by_role("button", name="Draw the bracket").click()
    semi = page.locator(".bracket-round").first.locator(".match-card").first
    await expect(semi).to_contain_text("Guest 01")
    await expect(semi).to_contain_text("Guest 04")

    laptop = await browser.new_context(viewport={"width": 1280, "height": 800}, base_url=web.url)
    results = await laptop.new_page()
    await results.goto(public_path)
    public_semi = results.locator(".bracket-round").first.locator(".match-card").first
    await expect(public_semi).to_contain_text("shooting")

    # Five sets of 27 each: 5–5 in set points, then a shoot-off.
    await semi.locator('[data-action="score"]').click()
    for n in range(1, 6):
        await score_end(page, 0, ("9", "9", "9"), f"end {n}")
        await score_end(page, 1, ("9", "9", "9"), f"end {n + 1}" if n < 5 else "shoot-off")
    await expect(semi).to_have_attribute("data-status", "shoot_off")
    await expect(semi).to_contain_text("5–5")
    await expect(public_semi).to_contain_text("shoot-off")
    # Both arrows in the X ring (scored 10): seed 1's 12 mm from the centre, seed 4's 21 mm.
    await plot(phone, 0, 12.0)
    # The other semi-final's first end, sent from elsewhere, comes in a live frame: the face
    # waiting for seed 4's arrow is not drawn again under the finger.
    panel = page.locator(".match-scoring")
    await expect(panel.locator('.bale-row[data-side="1"]')).to_have_attribute(
        "aria-checked", "true"
    )
    face = panel.locator("svg.target")
    await expect(face).to_be_visible()
    await face.evaluate("svg => (window.scoredFace = svg)")
    r = await client.get(f"{API}/competition/{cid}/bracket", headers=owner.headers)
    other = r.json()["data"][0]["rounds"][0]["matches"][1]["id"]
    for side, arrows in ((0, ("10", "9", "8")), (1, ("10", "10", "9"))):
        r = await end(client, owner, other, side, 1, values(*arrows))
        assert r.status_code == 200, r.text
    other_semi = page.locator(".bracket-round").first.locator(".match-card").nth(1)
    await expect(other_semi).to_contain_text("0–2")
    assert await page.evaluate("window.scoredFace.isConnected"), phone.console.errors
    await plot(phone, 1, 21.0)
    await expect(semi).to_have_attribute("data-status", "decided")
    await expect(semi).to_contain_text("closer to the centre: 12.0 mm against 21.0 mm")
    await expect(semi.locator("th.winner")).to_contain_text("Guest 01")
    final = page.locator(".bracket-round").nth(1).locator(".match-card").first
    await expect(final).to_contain_text("Guest 01")
    # The laptop's public results follow, without the scoring controls.
    await expect(public_semi).to_contain_text("12.0 mm against 21.0 mm")
    await expect(results.locator(".bracket-round").nth(1)).to_contain_text("Guest 01")
    await expect(results.locator('[data-action="score"]')).to_have_count(0)
    shots = await db.fetch(
        """SELECT s.end_no, s.score, s.is_x FROM shot s
           JOIN bracket_match_archer a ON a.session_id = s.session_id
           WHERE s.end_no = 6 ORDER BY a.side"""
    )
    assert [(r["score"], r["is_x"]) for r in shots] == [(10, True), (10, True)]

    # Five sets and a shoot-off fit the cards, on the phone and on the laptop: nothing scrolls
    # sideways.
    for p in (page, results):
        assert await p.evaluate(WIDE_CARDS) == [], p.viewport_size
    await page.locator('[data-action="close"]').click()
    await expect(page.locator("#announce")).not_to_have_class("toast show")
    await expect(page.locator("#announce")).to_have_css("opacity", "0")  # faded out
    await screenshot(page, "bracket-phone.png")
    await screenshot(results, "bracket-laptop.png")
    await laptop.close()
    assert not phone.console.unexpected(), phone.console.errors


async def test_public_season_page_shows_the_league_table(
    page: Page,
    web: WebServer,
    client: httpx.AsyncClient,
    db: Connection,
    make_archer: MakeArcher,
) -> None:
    owner = await make_archer("Olive Owner")
    cid, _, _ = await competition(
        client, db, owner, round_code="wa720_70", bowstyle="recurve", totals=[29, 27, 27]
    )
    r = await client.get(f"{API}/competition/{cid}", headers=owner.headers)
    club_id = r.json()["data"]["club_id"]
    body = {
        "club_id": club_id,
        "name": "Winter league",
        "basis": "raw",
        "best_of": 1,
        "competition_ids": [cid],
    }
    r = await client.post(f"{API}/league", json=body, headers=owner.headers)
    assert r.status_code == 201, r.text
    r = await client.post(
        f"{API}/league/{r.json()['data']['league']['id']}/link", headers=owner.headers
    )
    await page.goto(r.json()["data"]["path"])
    await expect(page.locator("h1")).to_have_text("Winter league")
    rows = page.locator(".season-table tbody tr")
    await expect(rows).to_have_count(3)
    await expect(rows.nth(0)).to_contain_text("Guest 01")
    await expect(rows.nth(0).locator(".results-total")).to_have_text("29")
    await expect(rows.nth(1).locator(".place")).to_have_text("=2")
    await expect(page.locator(".results-sub")).to_contain_text("best 1 of 1")
    await screenshot(page, "season.png")
