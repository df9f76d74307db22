"""Choosing the round of a new session on a phone (issue 21, item 4): a search in place of a
select of some two hundred rounds, the archer's recent rounds and favourite ones.
"""

from __future__ import annotations

import httpx
from playwright.async_api import expect

from tests.conftest import MakeArcher
from tests.web.conftest import Phone, WebServer, screenshot, sign_in
from tests.web.helpers import make_range


async def test_a_round_is_found_by_typing_its_name_score_or_distance_and_starred(
    phone: Phone, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    page = phone.page
    archer = await make_archer()
    # An earlier session, shot to a WA 18m round: a recent round.
    earlier = await make_range(
        client, archer, arrows=(), view=None, face="wa_40", round_code="wa18"
    )
    resp = await client.post(f"/api/v0/session/{earlier.session_id}/close", headers=archer.headers)
    assert resp.status_code == 200
    await sign_in(page, web, archer)
    await page.goto("/app/sessions/new")
    recent = page.locator("section.round-group", has=page.get_by_role("heading", name="Recent"))
    await expect(recent.locator(".round-name")).to_have_text(["WA 18m"])

    search = page.get_by_label("Find a round")
    await search.fill("york")
    york = page.locator("#round-options .round-option").first
    await expect(york.locator(".round-name")).to_have_text("York")
    await search.fill("720")
    await expect(page.locator("#round-options .round-name", has_text="WA 70m")).to_have_count(1)
    await search.fill("18 m")
    await expect(
        page.locator("#round-options .round-name", has_text="WA 18m").first
    ).to_be_visible()
    assert await page.locator("#round-options .round-name", has_text="York").count() == 0
    widths = await page.evaluate("[document.documentElement.scrollWidth]")
    assert widths == [390]

    await search.fill("York")
    await page.get_by_role("button", name="Favourite: York", exact=True).tap()
    await expect(page.get_by_role("button", name="Favourite: York", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    await page.locator("#round-options .round-option", has_text="York").first.tap()
    await expect(page.locator("#round-chosen")).to_have_text("Chosen: York")
    await expect(page.locator("#round-hint")).to_contain_text("144 arrows at 100 yd, 80 yd, 60 yd")
    await screenshot(page, "round-picker.png")
    await page.get_by_role("button", name="Open session").tap()
    await page.wait_for_url("**/live")
    resp = await client.get("/api/v0/session/open", headers=archer.headers)
    assert resp.json()["data"]["round_code"] == "york"

    # Back on the page (the session closed): York is a favourite on this phone, and recent.
    await client.post(f"/api/v0/session/{resp.json()['data']['id']}/close", headers=archer.headers)
    await page.goto("/app/sessions/new")
    favourites = page.locator(
        "section.round-group", has=page.get_by_role("heading", name="Favourites")
    )
    await expect(favourites.locator(".round-name")).to_have_text(["York"])
    await expect(recent.locator(".round-name")).to_have_text(["York", "WA 18m"])
    assert not phone.console.unexpected()
