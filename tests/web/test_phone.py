"""Scoring on a phone (issue 10): a 390 × 844 touch screen in a real Chromium.

One touch per arrow with a magnifier, the point stored where the finger lifted, corrections
that keep every other arrow in its end and place, shots recorded offline sent exactly once.
"""

from __future__ import annotations

from typing import Any

import httpx
from playwright.async_api import Page, Route, expect

from tests.conftest import ArcherCtx, MakeArcher
from tests.web.conftest import Phone, WebServer, screenshot, sign_in
from tests.web.helpers import C, Range, make_range, post_shots
from tests.web.phone import face_box, marker_centres, phone_context, settled, to_view, until

SIX = ("A01", "A02", "A03", "A04", "A05", "A06")


async def stored(client: httpx.AsyncClient, r: Range) -> list[dict[str, Any]]:
    resp = await client.get(f"/api/v0/session/{r.session_id}/shot", headers=r.archer.headers)
    assert resp.status_code == 200, resp.text
    shots: list[dict[str, Any]] = resp.json()["data"]
    return sorted(shots, key=lambda s: s["seq"])


async def open_live(page: Page, web: WebServer, r: Range) -> None:
    await sign_in(page, web, r.archer)
    await page.goto(f"/app/sessions/{r.session_id}/live")
    await expect(page.locator("#conn")).to_have_attribute("data-state", "live")


async def scroll_y(page: Page) -> float:
    return float(await page.evaluate("window.scrollY"))


def spots(n: int) -> list[tuple[float, float]]:
    """`n` view points (mm) spread over the gold, red and blue of a 122 cm face."""
    return [(C - 150 + 55 * k, C + 120 - 40 * k) for k in range(n)]


async def screen(page: Page, x_mm: float, y_mm: float) -> tuple[float, float]:
    box = await face_box(page)
    return (box["x"] + x_mm / 1300 * box["width"], box["y"] + (1300 - y_mm) / 1300 * box["height"])


async def test_an_end_of_six_takes_six_touches_and_no_scroll_each_stored_where_lifted(
    phone: Phone, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    page, finger = phone.page, phone.finger
    r = await make_range(client, await make_archer(), per_end=6, arrows=SIX)
    await open_live(page, web, r)
    # Everything needed to shoot an end is on the first screen.
    for selector in ("svg.target", ".arrow-row", ".current-end", ".entry-actions"):
        box = await page.locator(selector).first.bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 844, selector
    await expect(page.locator(".current-end h2")).to_contain_text("1")

    lifted: list[tuple[float, float]] = []  # the view point under each finger as it lifts
    head = await page.locator("header.top").bounding_box()
    for k, (x_mm, y_mm) in enumerate(spots(6)):
        x, y = await screen(page, x_mm, y_mm)
        if k == 3:
            # Lifted 5 px from the first arrow's marker: stored there, never snapped onto it.
            await settled(page)
            first = (await marker_centres(page))[(await stored(client, r))[0]["id"]]
            x, y = first[0] + 5, first[1]
        await finger.down((x - 30, y + 20))
        await finger.move((x - 12, y + 6))
        if k == 0:
            # While the finger is down: the magnifier, above the finger, shows the point.
            loupe = page.locator(".loupe")
            await expect(loupe).to_be_visible()
            lb = await loupe.bounding_box()
            assert lb is not None and lb["y"] + lb["height"] < y + 6
        await finger.move((x, y))
        lifted.append(await to_view(page, (x, y)))
        await finger.up()
        await expect(page.locator("svg.target .shot")).to_have_count(k + 1)
        assert await scroll_y(page) == 0
    await settled(page)
    assert finger.gestures == 6
    await expect(page.locator(".loupe")).to_be_hidden()

    shots = await stored(client, r)
    assert len(shots) == 6
    assert [s["end_no"] for s in shots] == [1] * 6
    assert [s["end_place"] for s in shots] == [1, 2, 3, 4, 5, 6]
    # The next arrow is chosen by itself: A01 … A06 in order.
    assert [s["arrow_id"] for s in shots] == [r.arrows[a] for a in SIX]
    for shot, (x_mm, y_mm) in zip(shots, lifted, strict=True):
        assert abs(shot["x_mm"] - x_mm) <= 0.15 and abs(shot["y_mm"] - y_mm) <= 0.15, shot
    # The one lifted next to the first marker: 5 px ≈ 17 mm away, not on it.
    gap = (shots[3]["x_mm"] - shots[0]["x_mm"]) ** 2 + (shots[3]["y_mm"] - shots[0]["y_mm"]) ** 2
    assert 15 < gap**0.5 < 20

    # Every marker carries its arrow's number; the end stays in view for its review (the
    # next touch starts end 2: test_phone_scoring).
    texts = await page.eval_on_selector_all(
        "svg.target .shot", "els => els.map(e => e.dataset.text)"
    )
    assert sorted(texts) == ["1", "2", "3", "4", "5", "6"]
    await expect(page.locator(".current-end")).to_have_attribute("data-review", "true")
    await expect(page.locator("#running-total")).to_have_text(str(sum(s["score"] for s in shots)))
    assert await scroll_y(page) == 0
    assert await page.locator("header.top").bounding_box() == head  # nothing moved the face
    assert not phone.console.unexpected()
    await screenshot(page, "phone-live.png")


async def test_two_fingers_zoom_and_pan_and_record_nothing_then_a_tap_lands_true(
    phone: Phone, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    page, finger = phone.page, phone.finger
    r = await make_range(client, await make_archer(), arrows=("A01",))
    await open_live(page, web, r)
    box = await face_box(page)
    mid = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    await finger.pinch(
        ((mid[0] - 30, mid[1]), (mid[0] - 90, mid[1])),
        ((mid[0] + 30, mid[1]), (mid[0] + 90, mid[1])),
    )
    zoom = float(await page.locator("svg.target").get_attribute("data-zoom") or 1)
    assert 2.5 < zoom < 3.5  # the fingers went three times as far apart
    await finger.pinch(
        ((mid[0] - 40, mid[1]), (mid[0] - 40, mid[1] - 60)),
        ((mid[0] + 40, mid[1]), (mid[0] + 40, mid[1] - 60)),
    )  # both fingers up by 60 px: the face pans
    await page.wait_for_timeout(300)
    assert await stored(client, r) == []  # zooming records nothing
    await expect(page.locator("svg.target .shot")).to_have_count(0)

    # Zoomed and panned, a touch still lands where the finger lifts.
    at = (mid[0] + 20, mid[1] + 10)
    expected = await page.locator("svg.target").evaluate(
        """(svg, p) => {
            const q = new DOMPoint(p[0], p[1]).matrixTransform(svg.getScreenCTM().inverse());
            return [q.x, +svg.dataset.viewHeight - q.y];
        }""",
        list(at),
    )
    await finger.tap(at)

    async def one_stored() -> bool:
        return len(await stored(client, r)) == 1

    await until(one_stored)
    [shot] = await stored(client, r)
    assert abs(shot["x_mm"] - expected[0]) <= 0.1 and abs(shot["y_mm"] - expected[1]) <= 0.1
    # The buttons zoom too; "1×" shows the whole face again.
    await page.get_by_role("button", name="Whole face").click()
    await expect(page.locator("svg.target")).to_have_attribute("data-zoom", "1")
    await page.get_by_role("button", name="Zoom in").click()
    assert float(await page.locator("svg.target").get_attribute("data-zoom") or 1) > 1
    assert not phone.console.unexpected()


async def test_arrow_three_of_end_one_moved_after_end_two_began_keeps_both_ends(
    phone: Phone, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    page, finger = phone.page, phone.finger
    r = await make_range(client, await make_archer(), per_end=6, arrows=SIX)
    await post_shots(client, r, spots(6))
    await post_shots(client, r, [(C + 10, C - 10), (C - 20, C + 5)])
    before = await stored(client, r)
    await open_live(page, web, r)
    arrow3 = next(s for s in before if s["end_no"] == 1 and s["end_place"] == 3)

    # Chosen from the scorecard, then dragged on the face to where it really is.
    await page.locator(f'#scorecard td[data-shot-id="{arrow3["id"]}"] button').click()
    await expect(page.locator(".editor")).to_contain_text("End 1 · arrow 3")
    start = (await marker_centres(page))[arrow3["id"]]
    await finger.gesture(
        [
            (start[0] + 4, start[1] + 3),
            (start[0] + 60, start[1] + 40),
            (start[0] + 120, start[1] + 80),
        ]
    )
    moved_to = (start[0] + 116, start[1] + 77)  # the grab point's offset is kept

    async def moved_on_server() -> bool:
        shot = next(s for s in await stored(client, r) if s["id"] == arrow3["id"])
        return bool(shot["x_mm"] != arrow3["x_mm"])

    await until(moved_on_server)
    after = await stored(client, r)
    moved = next(s for s in after if s["id"] == arrow3["id"])
    x_mm, y_mm = await to_view(page, moved_to)
    assert abs(moved["x_mm"] - x_mm) < 0.5 and abs(moved["y_mm"] - y_mm) < 0.5
    assert moved["score"] != arrow3["score"]  # rescored by the server
    # No arrow changed end or place; both ends keep their arrows.
    assert [(s["id"], s["end_no"], s["end_place"]) for s in after] == [
        (s["id"], s["end_no"], s["end_place"]) for s in before
    ]
    end1 = sum(s["score"] for s in after if s["end_no"] == 1)
    end2 = sum(s["score"] for s in after if s["end_no"] == 2)
    await expect(page.locator('#scorecard tr[data-end="1"] .end-total')).to_have_text(str(end1))
    await expect(page.locator('#scorecard tr[data-end="1"] .running-total')).to_have_text(str(end1))
    await expect(page.locator('#scorecard tr[data-end="2"] .end-total')).to_have_text(str(end2))
    await expect(page.locator('#scorecard tr[data-end="2"] .running-total')).to_have_text(
        str(end1 + end2)
    )
    await expect(page.locator("#running-total")).to_have_text(str(end1 + end2))
    card = await client.get(f"/api/v0/session/{r.session_id}/scorecard", headers=r.archer.headers)
    ends = card.json()["data"]["ends"]
    assert [(e["total"], e["running_total"]) for e in ends] == [(end1, end1), (end2, end1 + end2)]
    await page.get_by_role("button", name="Done").click()

    # A deleted arrow's place is taken by the next shot; nobody else moves.
    second = next(s for s in after if s["end_no"] == 2 and s["end_place"] == 1)
    await page.locator('.current-end button[data-place="1"]').click()
    await expect(page.locator(".editor")).to_contain_text("End 2 · arrow 1")
    await page.locator(".editor").get_by_role("button", name="Delete").click()
    await expect(page.locator(".editor")).to_be_hidden()

    async def deleted() -> bool:
        return second["id"] not in {s["id"] for s in await stored(client, r)}

    await until(deleted)
    await finger.tap(await screen(page, C + 200, C - 100))

    async def refilled() -> bool:
        return len(await stored(client, r)) == len(after)

    await until(refilled)
    final = await stored(client, r)
    newest = max(final, key=lambda s: s["seq"])
    assert (newest["end_no"], newest["end_place"]) == (2, 1), [
        (x["seq"], x["end_no"], x["end_place"], x["id"] == second["id"]) for x in final
    ]
    assert second["id"] not in {s["id"] for s in final}
    keep = {s["id"]: (s["end_no"], s["end_place"]) for s in after if s["id"] != second["id"]}
    assert {s["id"]: (s["end_no"], s["end_place"]) for s in final if s["id"] in keep} == keep
    assert not phone.console.unexpected()
    await screenshot(page, "phone-corrected.png")


async def test_any_arrow_made_a_miss_or_given_another_arrow_in_the_ui(
    phone: Phone, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    page = phone.page
    r = await make_range(client, await make_archer(), per_end=3, arrows=("A01", "A02"))
    await post_shots(client, r, spots(4))
    await open_live(page, web, r)
    first = (await stored(client, r))[1]  # end 1, arrow 2
    await page.locator(f'#scorecard td[data-shot-id="{first["id"]}"] button').click()
    await page.locator(".editor").get_by_label("Arrow").select_option(label="A02")
    await settled(page)
    await page.locator(".editor").get_by_role("button", name="Make it a miss").click()
    await settled(page)
    shot = next(s for s in await stored(client, r) if s["id"] == first["id"])
    assert (shot["arrow_id"], shot["x_mm"], shot["label"]) == (r.arrows["A02"], None, "M")
    assert (shot["end_no"], shot["end_place"]) == (1, 2)
    await expect(page.locator(f'#scorecard td[data-shot-id="{first["id"]}"]')).to_have_attribute(
        "data-label", "M"
    )
    assert not phone.console.unexpected()


async def test_offline_six_arrows_survive_a_reload_and_reach_the_server_once_in_order(
    phone: Phone, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    page, finger = phone.page, phone.finger
    r = await make_range(client, await make_archer(), per_end=6, arrows=SIX)
    await open_live(page, web, r)
    # The service worker holds the app's files before the network goes.
    await page.wait_for_function("() => navigator.serviceWorker.controller !== null")

    await page.context.set_offline(True)
    await expect(page.locator("#conn")).to_have_attribute("data-state", "offline")
    points = spots(6)
    for k, (x_mm, y_mm) in enumerate(points):
        await finger.tap(await screen(page, x_mm, y_mm))
        await expect(page.locator("svg.target .shot.unsent")).to_have_count(k + 1)
    await expect(page.locator(".queue")).to_contain_text("6 changes waiting")
    await expect(page.locator("#sync")).to_contain_text("6 waiting")
    assert await stored(client, r) == []

    await page.reload()  # still offline: the shell from the worker, the shots from the device
    await expect(page.locator("svg.target .shot.unsent")).to_have_count(6)
    await expect(page.locator(".queue")).to_contain_text("6 changes waiting")
    await page.context.set_offline(False)
    await settled(page)
    await expect(page.locator("svg.target .shot.unsent")).to_have_count(0)
    await expect(page.locator("svg.target .shot")).to_have_count(6)
    shots = await stored(client, r)
    assert len(shots) == 6 and len({s["id"] for s in shots}) == 6
    assert [(s["end_no"], s["end_place"]) for s in shots] == [(1, k) for k in range(1, 7)]
    for shot, (x_mm, y_mm) in zip(shots, points, strict=True):  # in the order shot
        assert abs(shot["x_mm"] - x_mm) < 3 and abs(shot["y_mm"] - y_mm) < 3
    await expect(page.locator("#sync")).to_be_hidden()
    # Offline, the browser logs the requests it could not make; nothing else.
    assert not phone.console.unexpected("ERR_INTERNET_DISCONNECTED", "Failed to fetch")


async def test_a_post_whose_answer_was_lost_is_sent_again_and_stored_once(
    browser: Any, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    archer: ArcherCtx = await make_archer()
    r = await make_range(client, archer, arrows=("A01",))
    # No service worker here: routing sees every request of the page.
    context = await phone_context(browser, web.url, service_workers="block")
    try:
        page = await context.new_page()
        posts: list[int] = []

        async def lose_first_answer(route: Route) -> None:
            if route.request.method != "POST":
                await route.continue_()
                return
            response = await route.fetch()  # the server stores the shot …
            posts.append(response.status)
            if len(posts) == 1:
                await route.abort("connectionreset")  # … and its answer never arrives
            else:
                await route.fulfill(response=response)

        await page.route("**/api/v0/shot", lose_first_answer)
        await open_live(page, web, r)
        box = await face_box(page)
        cdp = await context.new_cdp_session(page)
        at = {"x": box["x"] + box["width"] / 2 + 15, "y": box["y"] + box["height"] / 2}
        await cdp.send(
            "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{**at, "id": 0}]}
        )
        await cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        await settled(page)
        assert posts[0] == 201 and posts[-1] == 200 and len(posts) >= 2
        shots = await stored(client, r)
        assert len(shots) == 1
        await expect(page.locator("svg.target .shot")).to_have_count(1)
        await expect(page.locator("svg.target .shot.unsent")).to_have_count(0)
    finally:
        await context.close()


async def test_a_post_refused_on_reconnect_is_shown_and_resolved(
    phone: Phone, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    page, finger = phone.page, phone.finger
    r = await make_range(client, await make_archer(), arrows=("A01",))
    await open_live(page, web, r)
    await page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    await page.context.set_offline(True)
    await finger.tap(await screen(page, C + 30, C + 30))
    await expect(page.locator("svg.target .shot.unsent")).to_have_count(1)
    # Meanwhile, another device closes the session.
    resp = await client.post(f"/api/v0/session/{r.session_id}/close", headers=r.archer.headers)
    assert resp.status_code == 200
    await page.context.set_offline(False)

    refused = page.locator(".queue .refused")
    await expect(refused).to_be_visible()
    await expect(refused).to_contain_text("refused")
    await expect(page.locator("#sync")).to_contain_text("1 refused")
    await expect(page.locator("svg.target .shot.unsent")).to_have_count(1)  # still on the face
    assert await stored(client, r) == []
    await refused.get_by_role("button", name="Reopen the session and send").click()
    await settled(page)
    [shot] = await stored(client, r)
    assert abs(shot["x_mm"] - (C + 30)) < 3
    await expect(page.locator(".queue")).to_be_hidden()
    await expect(page.locator("#sync")).to_be_hidden()
    assert not phone.console.unexpected(
        "ERR_INTERNET_DISCONNECTED", "Failed to fetch", "status of 400"
    )


async def test_the_refused_arrow_can_be_discarded_on_purpose(
    phone: Phone, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    page, finger = phone.page, phone.finger
    r = await make_range(client, await make_archer(), arrows=("A01",))
    await open_live(page, web, r)
    await page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    await page.context.set_offline(True)
    await finger.tap(await screen(page, C, C + 100))
    await client.post(f"/api/v0/session/{r.session_id}/close", headers=r.archer.headers)
    await page.context.set_offline(False)
    refused = page.locator(".queue .refused")
    await expect(refused).to_be_visible()
    await refused.get_by_role("button", name="Discard").click()  # confirmed (dialog accepted)
    await expect(page.locator(".queue")).to_be_hidden()
    await expect(page.locator("svg.target .shot")).to_have_count(0)
    assert await stored(client, r) == []


async def test_no_horizontal_overflow_on_narrow_phones(
    phone: Phone, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    page = phone.page
    r = await make_range(client, await make_archer(), per_end=6, arrows=SIX, round_code="wa720_70")
    await post_shots(client, r, spots(6) + spots(3))
    await sign_in(page, web, r.archer)
    pages = [
        f"/app/sessions/{r.session_id}/live",
        f"/app/sessions/{r.session_id}",
        "/app/",
        "/app/sessions",
        "/app/arrows",
        "/app/history",
        "/app/profile",
    ]
    for width in (320, 375, 390):
        await page.set_viewport_size({"width": width, "height": 740})
        for url in pages:
            await page.goto(url)
            await expect(page.locator("main h1")).to_be_visible()
            await page.wait_for_timeout(300)
            widths = await page.evaluate(
                "[document.documentElement.scrollWidth, document.body.scrollWidth]"
            )
            assert widths == [width, width], (url, width, widths)
    assert not phone.console.unexpected()


async def test_the_app_opens_while_the_server_is_down_and_sends_once_it_is_back(
    phone: Phone, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    page, finger = phone.page, phone.finger
    r = await make_range(client, await make_archer(), arrows=("A01",))
    await post_shots(client, r, [(C, C)])
    await open_live(page, web, r)
    await page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    await web.stop()  # a restart: nobody answers for a while
    try:
        await page.reload()  # the shell from the service worker, the data from the device
        await expect(page.locator("svg.target .shot")).to_have_count(1)
        await expect(page.locator(".current-end")).to_be_visible()
        await finger.tap(await screen(page, C + 60, C - 60))
        await expect(page.locator("svg.target .shot.unsent")).to_have_count(1)
        await expect(page.locator(".queue")).to_contain_text("1 change waiting")
    finally:
        await web.start()
    # The live channel comes back by itself within seconds, and the outbox goes with it.
    await expect(page.locator(".queue")).to_be_hidden(timeout=20_000)
    shots = await stored(client, r)
    assert len(shots) == 2 and abs(shots[1]["x_mm"] - (C + 60)) < 3
    await expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=20_000)
    assert not phone.console.unexpected("ERR_CONNECTION_REFUSED", "Failed to fetch", "WebSocket")


async def test_the_magnifier_moves_aside_at_the_top_and_lifting_off_the_face_records_nothing(
    phone: Phone, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    page, finger = phone.page, phone.finger
    r = await make_range(client, await make_archer(), arrows=("A01",))
    await open_live(page, web, r)
    box = await face_box(page)
    near_top = (box["x"] + box["width"] * 0.3, box["y"] + 12)
    await finger.down(near_top)
    await finger.move((near_top[0] + 2, near_top[1] + 1))
    loupe = page.locator(".loupe")
    await expect(loupe).to_be_visible()
    lb = await loupe.bounding_box()
    assert lb is not None
    # No room above the finger: beside it, on the side with more room, not under it.
    assert lb["x"] > near_top[0] and lb["y"] >= 0
    # The finger slides off the face (over the arrow row) and lifts: nothing is recorded.
    await finger.move((near_top[0], box["y"] + box["height"] + 40))
    await finger.up()
    await expect(loupe).to_be_hidden()
    await page.wait_for_timeout(300)
    await expect(page.locator("svg.target .shot")).to_have_count(0)
    assert await stored(client, r) == []
    assert not phone.console.unexpected()


async def test_a_place_freed_in_an_earlier_end_is_filled_on_purpose_and_undo_takes_back(
    phone: Phone, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    page, finger = phone.page, phone.finger
    r = await make_range(client, await make_archer(), per_end=3, arrows=("A01", "A02", "A03"))
    shots = await post_shots(client, r, spots(5))  # end 1 full, end 2 has two
    hole = next(s for s in shots if s["end_no"] == 1 and s["end_place"] == 2)
    assert (
        await client.delete(f"/api/v0/shot/{hole['id']}", headers=r.archer.headers)
    ).status_code == 200
    await open_live(page, web, r)
    await expect(page.locator(".current-end")).to_have_attribute("data-end", "2")
    # An arrow of end 1 chosen from the card shows end 1, its free place a "+".
    other = next(s for s in shots if s["end_no"] == 1 and s["end_place"] == 1)
    await page.locator(f'#scorecard td[data-shot-id="{other["id"]}"] button').click()
    await expect(page.locator(".current-end")).to_have_attribute("data-end", "1")
    await page.locator(".current-end .chip.free").click()
    await expect(page.locator(".current-end")).to_have_attribute("data-end", "1")
    await finger.tap(await screen(page, C + 90, C + 90))
    await settled(page)
    after = await stored(client, r)
    filled = max(after, key=lambda s: s["seq"])
    assert (filled["end_no"], filled["end_place"]) == (1, 2)
    # Back to the end being shot; Undo takes the last arrow back.
    await expect(page.locator(".current-end")).to_have_attribute("data-end", "2")
    await finger.tap(await screen(page, C - 90, C - 90))
    await settled(page)
    assert len(await stored(client, r)) == 6
    await page.get_by_role("button", name="Undo").click()
    await settled(page)
    final = await stored(client, r)
    assert len(final) == 5 and filled["id"] in {s["id"] for s in final}
    assert not phone.console.unexpected()


async def test_a_session_longer_than_a_page_of_shots_is_read_page_by_page(
    phone: Phone, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    page = phone.page
    r = await make_range(client, await make_archer(), per_end=6, arrows=("A01",))
    points = [(C - 300 + (k * 37) % 600, C - 300 + (k * 53) % 600) for k in range(1030)]
    for start in range(0, len(points), 500):
        await post_shots(client, r, points[start : start + 500])
    pages: list[str] = []
    page.on(
        "request",
        lambda req: pages.append(req.url) if f"/session/{r.session_id}/shot" in req.url else None,
    )
    await open_live(page, web, r)
    await expect(page.locator("svg.target .shot")).to_have_count(1030)
    await expect(page.locator("#scorecard tbody tr")).to_have_count(172)  # 1030 / 6, rounded up
    assert any("after=" in url for url in pages)  # the second page, after the first's last seq
    assert not phone.console.unexpected()


async def test_the_current_end_stands_out_and_earlier_ends_can_be_hidden(
    phone: Phone, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    page = phone.page
    r = await make_range(client, await make_archer(), per_end=3, arrows=())
    await post_shots(client, r, spots(5), arrow=None)  # no arrows: markers show their places
    await open_live(page, web, r)
    current = page.locator("svg.target .shot.current")
    await expect(current).to_have_count(2)
    await expect(page.locator("svg.target .shot.old")).to_have_count(3)
    texts = await current.evaluate_all("els => els.map(e => e.dataset.text)")
    assert sorted(texts) == ["1", "2"]  # their places in end 2
    toggle = page.get_by_role("button", name="This end only")
    await toggle.click()
    await expect(page.locator("svg.target .shot.old")).to_have_count(0)
    await expect(current).to_have_count(2)
    await page.reload()  # the choice is remembered on this device
    await expect(page.locator("svg.target .shot.current")).to_have_count(2)
    await expect(page.locator("svg.target .shot.old")).to_have_count(0)
    await expect(page.get_by_role("button", name="This end only")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert not phone.console.unexpected()
