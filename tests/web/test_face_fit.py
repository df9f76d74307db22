"""Every face fits (issue 20): a triple spot, vertical or triangular, on the first screen of a
phone (390 × 844, touch) and of a laptop (1280 × 800) with what an end is shot with, and the
page never scrolled; each spot placed on under its own magnifier; a swipe records nothing."""

from __future__ import annotations

import time
from typing import Any

import httpx
from playwright.async_api import Page, ViewportSize, expect

from tests.conftest import MakeArcher
from tests.web.conftest import Phone, WebServer, screenshot, sign_in
from tests.web.helpers import Range, make_range, screen_point
from tests.web.phone import settled, until

LAPTOP: ViewportSize = {"width": 1280, "height": 800}
VERTICAL = "wa_40_triple_vertical"
TRIANGULAR = "wa_40_triple_triangular"
# What an archer at the line shoots an end with: the face, the arrow, the end's arrows and
# its total, the running total, Miss and Undo.
ESSENTIALS = (
    "svg.target",
    ".arrow-row",
    ".end-chips",
    "#end-total",
    "#running-total",
    ".entry-actions",
)
NINE_MM = 25.0  # from a spot's centre: in its 9 (the 40 cm face's 10 reaches 20 mm, its 9 40 mm)


async def open_indoor(
    page: Page, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher, face: str
) -> Range:
    """The live page of a WA 18 m triple-spot session scored by hand (the server lays the face
    out in its view)."""
    r = await make_range(
        client,
        await make_archer(),
        face=face,
        view=None,
        distance=18.0,
        per_end=3,
        round_code="wa18_triple",
    )
    await open_live(page, web, r)
    return r


async def open_live(page: Page, web: WebServer, r: Range) -> None:
    await sign_in(page, web, r.archer)
    await page.goto(f"/app/sessions/{r.session_id}/live")
    await expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    await expect(page.locator("[data-page=live]")).to_have_attribute("data-ready", "true")


async def spot_centres(client: httpx.AsyncClient, r: Range) -> list[tuple[float, float]]:
    """Each spot's centre in the view (mm, y up), face by face, by the API: the face's centre
    plus the spot's offset."""
    resp = await client.get(f"/api/v0/session/{r.session_id}/target", headers=r.archer.headers)
    centres = []
    for face in resp.json()["data"][0]["faces"]:
        spec = await client.get(f"/api/v0/face/{face['face_type']}", headers=r.archer.headers)
        centres += [
            (face["center_x_mm"] + spot["x_mm"], face["center_y_mm"] + spot["y_mm"])
            for spot in spec.json()["data"]["spots"]
        ]
    return centres


async def loupe_view(page: Page) -> tuple[float, float, float]:
    """The magnifier's centre in the view (mm, y up) and how many mm it shows across."""
    box = await page.locator(".loupe svg").get_attribute("viewBox")
    x, y, w, h = (float(v) for v in (box or "").split())
    view_h = float(await page.locator("svg.target").get_attribute("data-view-height") or 0)
    return x + w / 2, view_h - (y + h / 2), w


async def stored(client: httpx.AsyncClient, r: Range) -> list[dict[str, Any]]:
    resp = await client.get(f"/api/v0/session/{r.session_id}/shot", headers=r.archer.headers)
    assert resp.status_code == 200, resp.text
    shots: list[dict[str, Any]] = resp.json()["data"]
    return sorted(shots, key=lambda s: s["seq"])


async def scroll_top(page: Page) -> float:
    return float(await page.evaluate("document.scrollingElement.scrollTop"))


async def assert_fits(page: Page, spots: int) -> None:
    """Every spot and every essential row inside the window, the page not scrolled, and the
    face drawn in its view's proportions (a point on screen is one point of the view)."""
    assert await scroll_top(page) == 0
    width, height = await page.evaluate("[innerWidth, innerHeight]")
    drawn = page.locator("svg.target g.spot")
    await expect(drawn).to_have_count(spots)
    for what, box in [(f"spot {i}", await drawn.nth(i).bounding_box()) for i in range(spots)] + [
        (selector, await page.locator(selector).first.bounding_box()) for selector in ESSENTIALS
    ]:
        assert box is not None, what
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, (what, box)
        assert box["y"] >= 0 and box["y"] + box["height"] <= height, (what, box)
    face = page.locator("svg.target")
    box = await face.bounding_box()
    assert box is not None
    view = [
        float(await face.get_attribute(a) or 0) for a in ("data-view-width", "data-view-height")
    ]
    assert abs(box["width"] / box["height"] - view[0] / view[1]) < 0.005 * view[0] / view[1]


async def test_a_triple_spot_fits_a_phone_with_the_end_and_no_scroll(
    phone: Phone, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    for face, name in ((VERTICAL, "vertical"), (TRIANGULAR, "triangular")):
        await open_indoor(phone.page, web, client, make_archer, face)
        await assert_fits(phone.page, 3)
        await screenshot(phone.page, f"phone-triple-{name}.png")
    assert not phone.console.unexpected()


async def test_a_triple_spot_fits_a_laptop_and_a_click_scores_on_each_spot(
    page: Page, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    await page.set_viewport_size(LAPTOP)
    for face, name in ((TRIANGULAR, "triangular"), (VERTICAL, "vertical")):
        r = await open_indoor(page, web, client, make_archer, face)
        await assert_fits(page, 3)
        await screenshot(page, f"laptop-triple-{name}.png")
    # On the vertical one, a click in the 9 of each spot: stored on that spot, scored 9.
    for x_mm, y_mm in await spot_centres(client, r):
        await page.mouse.click(*await screen_point(page, x_mm - NINE_MM, y_mm))
    await settled(page)
    shots = await stored(client, r)
    assert [(s["spot_index"], s["label"]) for s in shots] == [(0, "9"), (1, "9"), (2, "9")]
    assert await scroll_top(page) == 0


async def test_a_touch_on_each_spot_of_the_vertical_triple_shows_that_spot_and_scores_there(
    phone: Phone, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    page, finger = phone.page, phone.finger
    r = await open_indoor(page, web, client, make_archer, VERTICAL)
    centres = await spot_centres(client, r)
    loupe = page.locator(".loupe")
    for k, (x_mm, y_mm) in enumerate(centres):
        at = await screen_point(page, x_mm + NINE_MM, y_mm)
        await finger.down((at[0] - 6, at[1] + 4))
        await finger.move(at)
        # The magnifier, on the screen, is centred on the point under the finger, in this spot,
        # and shows at most three and a half of its 2 cm rings across.
        await expect(loupe).to_be_visible()
        lb = await loupe.bounding_box()
        assert lb is not None and lb["y"] >= 0 and lb["y"] + lb["height"] <= 844
        cx, cy, across = await loupe_view(page)
        assert abs(cx - (x_mm + NINE_MM)) < 2 and abs(cy - y_mm) < 2, (k, cx, cy)
        assert across <= 70.01, across
        await finger.up()
        await expect(page.locator("svg.target .shot")).to_have_count(k + 1)
    await settled(page)
    shots = await stored(client, r)
    assert [(s["spot_index"], s["label"], s["score"]) for s in shots] == [
        (0, "9", 9),
        (1, "9", 9),
        (2, "9", 9),
    ]
    for shot in shots:  # where the finger lifted, from the centre of the spot it hit
        assert abs(shot["dx_mm"] - NINE_MM) < 2.5 and abs(shot["dy_mm"]) < 2.5, shot
    assert await scroll_top(page) == 0
    await expect(page.locator("#running-total")).to_have_text("27")
    assert not phone.console.unexpected()


async def test_a_row_of_four_faces_fits_and_the_magnifier_shows_the_rings_of_the_spot_touched(
    phone: Phone, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    page, finger = phone.page, phone.finger
    archer = await make_archer()
    r = await make_range(
        client, archer, face="wa_40", faces=4, view=None, distance=18.0, is_indoor=True
    )
    await open_live(page, web, r)
    await assert_fits(page, 4)
    # Each face is small here (1.8 m of view across 374 px): the magnifier shows its rings
    # large all the same, three and a half of its 2 cm rings across, centred on the finger.
    x_mm, y_mm = (await spot_centres(client, r))[2]
    at = await screen_point(page, x_mm + 30, y_mm)
    await finger.down(at)
    await finger.move((at[0] + 1, at[1]))
    await expect(page.locator(".loupe")).to_be_visible()
    cx, cy, across = await loupe_view(page)
    assert abs(cx - (x_mm + 30)) < 6 and abs(cy - y_mm) < 6 and across <= 70.01, (cx, cy, across)
    await finger.up()
    await settled(page)
    [shot] = await stored(client, r)
    assert (shot["face_index"], shot["label"]) == (2, "9")
    assert not phone.console.unexpected()


async def test_a_swipe_on_the_face_records_nothing_and_scrolls_nothing(
    phone: Phone, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    page, finger = phone.page, phone.finger
    r = await open_indoor(page, web, client, make_archer, VERTICAL)
    top, middle, bottom = await spot_centres(client, r)
    for start_mm, step in ((top, 30), (middle, -30)):  # down from the top spot, up from the middle
        x, y = await screen_point(page, *start_mm)
        await finger.gesture([(x, y + step * k) for k in range(6)])  # 150 px in five moves
        await expect(page.locator(".loupe")).to_be_hidden()
        assert await scroll_top(page) == 0
    # Slowly too (the events carry their own times, 0.3 s apart): a finger that went further
    # than a placement goes is swiping.
    x, y = await screen_point(page, *bottom)
    t = time.time()
    await finger.down((x, y), t)
    for k in range(1, 6):
        await finger.move((x, y - 30 * k), t + 0.3 * k)
    await finger.up(t + 1.6)
    await expect(page.locator(".loupe")).to_be_hidden()
    # A tap afterwards records at once: the swipes left nothing behind.
    await finger.tap(await screen_point(page, middle[0], middle[1] - NINE_MM))
    await expect(page.locator("svg.target .shot")).to_have_count(1)
    await settled(page)
    [shot] = await stored(client, r)
    assert (shot["spot_index"], shot["label"]) == (1, "9")
    assert not phone.console.unexpected()


async def test_a_quick_flick_records_nothing_and_a_slide_after_a_look_records_where_it_lifts(
    phone: Phone, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    page, finger = phone.page, phone.finger
    r = await open_indoor(page, web, client, make_archer, VERTICAL)
    _, middle, _ = await spot_centres(client, r)
    x, y = await screen_point(page, *middle)
    path = [(x, y - 30), (x, y), (x, y + 30)]  # 60 px, the same each time; only the pace differs

    # Within a tenth of a second: a flick, not a placement (events carry their own times).
    t = time.time()
    await finger.down(path[0], t)
    await finger.move(path[1], t + 0.05)
    await finger.move(path[2], t + 0.1)
    await finger.up(t + 0.12)
    await expect(page.locator(".loupe")).to_be_hidden()

    # The same path after looking at the magnifier: a placement, stored where the finger lifts.
    t += 1.0
    await finger.down(path[0], t)
    await finger.move(path[1], t + 0.4)
    await finger.move(path[2], t + 0.8)
    await finger.up(t + 1.0)
    await expect(page.locator("svg.target .shot")).to_have_count(1)
    await settled(page)

    async def one_stored() -> bool:
        return len(await stored(client, r)) == 1

    await until(one_stored)
    [shot] = await stored(client, r)
    x_mm, y_mm = await page.locator("svg.target").evaluate(
        """(svg, p) => {
            const q = new DOMPoint(p[0], p[1]).matrixTransform(svg.getScreenCTM().inverse());
            return [q.x, +svg.dataset.viewHeight - q.y];
        }""",
        list(path[2]),
    )
    assert abs(shot["x_mm"] - x_mm) <= 0.15 and abs(shot["y_mm"] - y_mm) <= 0.15
    assert await scroll_top(page) == 0
    assert not phone.console.unexpected()


async def test_a_phone_held_sideways_opens_the_live_page_at_its_top(
    phone: Phone, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    page = phone.page
    await page.set_viewport_size({"width": 844, "height": 390})
    await open_indoor(page, web, client, make_archer, VERTICAL)
    # The rows below the face do not fit beside a whole face: the page still opens at its
    # top (choosing the next arrow scrolls its row sideways only), every spot in view.
    assert await scroll_top(page) == 0
    for k in range(3):
        box = await page.locator("svg.target g.spot").nth(k).bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 390, (k, box)
    assert not phone.console.unexpected()
