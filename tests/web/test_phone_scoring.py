"""Scoring an end on a phone (issue 21, items 3 and 4): the end's review after its last arrow,
confirmations that never cover the scorecard, a chooser that shows a set of 12 at once, and a
full-screen face.
"""

from __future__ import annotations

from typing import Any

import httpx
from playwright.async_api import FloatRect, Locator, Page, expect

from tests.conftest import MakeArcher
from tests.web.conftest import Phone, WebServer, screenshot
from tests.web.helpers import high_to_low, make_range
from tests.web.phone import face_box, settled
from tests.web.test_phone import SIX, open_live, stored
from tests.web.test_phone_reload import choose, ring, shoot

TWELVE = tuple(f"A{k:02d}" for k in range(1, 13))


async def box(locator: Locator) -> FloatRect:
    found = await locator.bounding_box()
    assert found is not None
    return found


def overlap(a: FloatRect, b: FloatRect) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


async def chip_values(page: Page) -> list[str]:
    """The values shown in the end's chips, in their order (not the hidden words)."""
    found: list[str] = await page.eval_on_selector_all(
        ".current-end .end-chips .chip", "els => els.map(e => e.dataset.label)"
    )
    return found


async def test_the_end_stays_in_view_for_review_until_a_touch_starts_the_next(
    phone: Phone, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    page = phone.page
    r = await make_range(client, await make_archer(), per_end=6, arrows=SIX)
    await open_live(page, web, r)
    points = ring(7, 200.0)
    for at in points[:6]:
        await shoot(phone, r, None, at)
    await settled(page)
    shots = await stored(client, r)
    total = sum(s["score"] for s in shots)

    # After the sixth arrow: end 1, its values high to low, its total and the running total.
    end = page.locator(".current-end")
    await expect(end).to_have_attribute("data-end", "1")
    await expect(end).to_have_attribute("data-review", "true")
    await expect(end.locator("h2")).to_contain_text("6/6")
    assert await chip_values(page) == high_to_low([s["label"] for s in shots])
    await expect(page.locator("#end-total")).to_have_text(str(total))
    await expect(page.locator("#running-total")).to_have_text(str(total))
    await expect(end).to_contain_text("Touch the face to start end 2")
    # The end's markers stay the current ones on the face; the next arrow is the set's first.
    await expect(page.locator("svg.target .shot.current")).to_have_count(6)
    await expect(page.locator(f"#arrow-{r.arrows['A01']}")).to_be_checked()

    # The confirmation of the last arrow covers nothing an archer reads to score.
    toast = page.locator("#announce.show")
    await expect(toast).to_be_visible()
    t = await box(toast)
    for selector in ("svg.target", ".arrow-row", ".current-end", ".entry-actions", "#scorecard"):
        assert not overlap(t, await box(page.locator(selector).first)), selector
    await screenshot(page, "end-review.png")

    # A touch on the face starts end 2 with that arrow.
    await shoot(phone, r, None, points[6])
    await expect(end).to_have_attribute("data-end", "2")
    await expect(end).not_to_have_attribute("data-review", "true")
    await expect(end.locator("h2")).to_contain_text("1/6")
    await expect(end.locator("h2")).not_to_contain_text("END 0", ignore_case=True)
    await settled(page)
    last = max(await stored(client, r), key=lambda s: s["seq"])
    assert (last["end_no"], last["end_place"], last["arrow_id"]) == (2, 1, r.arrows["A01"])
    await expect(page.locator("svg.target .shot.current")).to_have_count(1)
    assert not phone.console.unexpected()


async def test_a_set_of_twelve_fits_the_chooser_and_the_suggestion_is_the_first_not_shot(
    phone: Phone, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    page = phone.page
    r = await make_range(client, await make_archer(), per_end=6, arrows=TWELVE)
    await open_live(page, web, r)
    chips = page.locator(".arrow-chips")
    labels = chips.locator("label")
    await expect(labels).to_have_count(13)  # the twelve and "None"
    sizes: list[int] = await chips.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert sizes[0] <= sizes[1]  # nothing hidden sideways
    for k in range(13):
        b = await box(labels.nth(k))
        assert b["x"] >= 0 and b["x"] + b["width"] <= 390 and b["height"] >= 44, k
    widths: list[int] = await page.evaluate("[document.documentElement.scrollWidth]")
    assert widths == [390]
    # The face, the chooser, the end and its buttons: on the first screen still.
    for selector in ("svg.target", ".arrow-row", ".current-end", ".entry-actions"):
        b = await box(page.locator(selector).first)
        assert b["y"] >= 0 and b["y"] + b["height"] <= 844, selector

    # Arrows taken in another order: the suggestion is the first of the set not shot in the end.
    points: list[Any] = ring(6)
    await shoot(phone, r, "A09", points[0])
    await expect(page.locator(f"#arrow-{r.arrows['A01']}")).to_be_checked()
    await shoot(phone, r, None, points[1])
    await expect(page.locator(f"#arrow-{r.arrows['A02']}")).to_be_checked()
    await choose(page, r, "A12")
    await expect(chips.locator(".chip-radio.used")).to_have_count(2)  # A09, A01 shown as shot
    await settled(page)
    await screenshot(page, "chooser-12.png")
    assert not phone.console.unexpected()


async def test_the_face_goes_full_screen_and_comes_back(
    phone: Phone, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    page = phone.page
    r = await make_range(client, await make_archer(), per_end=6, arrows=SIX)
    await open_live(page, web, r)
    before = await face_box(page)
    await page.get_by_role("button", name="Full screen").click()
    await expect(page.locator(".live-main")).to_have_class("live-main full")
    full = await face_box(page)
    assert full["width"] > before["width"] and full["width"] >= 388  # edge to edge
    assert full["y"] >= 0 and full["y"] + full["height"] <= 844
    # Scoring goes on in full screen: the end and the chooser are there too.
    await shoot(phone, r, None, ring(1)[0])
    await expect(page.locator(".current-end")).to_be_visible()
    await screenshot(page, "full-screen.png")
    await page.set_viewport_size({"width": 844, "height": 390})  # turned sideways
    side = await face_box(page)
    assert side["height"] >= 330 and side["y"] + side["height"] <= 390
    await page.get_by_role("button", name="Leave full screen").click()
    await expect(page.locator(".live-main")).to_have_class("live-main")
    await settled(page)
    assert len(await stored(client, r)) == 1
    assert not phone.console.unexpected()
