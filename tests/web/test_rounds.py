"""A round on the live page (issue 20), in a real Chromium on a 390 × 844 touch phone and a
1280 × 800 laptop: where the archer is, the face of each pass in turn (the boundary crossed by
touch), an earlier end corrected on its own face, the result once the round is complete and
no arrow after it; scores by value on a keypad of the face's own values."""

from __future__ import annotations

import random
from typing import Any

import httpx
from playwright.async_api import Browser, Page, ViewportSize, expect

from tests.conftest import ArcherCtx, MakeArcher
from tests.rounds.helpers import shoot, targets
from tests.stats.test_scoresheet import position
from tests.web.conftest import Phone, WebServer, screenshot, sign_in
from tests.web.helpers import screen_point
from tests.web.phone import marker_centres, settled, until

API = "/api/v0"
LAPTOP: ViewportSize = {"width": 1280, "height": 800}
LABELS = ["X", "10", "10", "9", "9", "9", "8", "8", "7", "6", "5", "M"]


async def open_session(
    client: httpx.AsyncClient, who: ArcherCtx, arrows: int = 6, **body: Any
) -> dict[str, Any]:
    for k in range(1, arrows + 1):
        r = await client.post(f"{API}/arrow", json={"identifier": f"A{k:02}"}, headers=who.headers)
        assert r.status_code == 201, r.text
    r = await client.post(f"{API}/session", json={"distance_m": 70, **body}, headers=who.headers)
    assert r.status_code == 201, r.text
    session: dict[str, Any] = r.json()["data"]
    return session


async def open_live(page: Page, web: WebServer, who: ArcherCtx, session_id: str) -> None:
    await sign_in(page, web, who)
    await page.goto(f"/app/sessions/{session_id}/live")
    await expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    await expect(page.locator("[data-page=live]")).to_have_attribute("data-ready", "true")


async def stored(client: httpx.AsyncClient, who: ArcherCtx, session_id: str) -> list[Any]:
    r = await client.get(f"{API}/session/{session_id}/shot", headers=who.headers)
    assert r.status_code == 200, r.text
    return list(r.json()["data"])


async def face_point(page: Page, target: dict[str, Any], label: str) -> tuple[float, float]:
    """Where on the screen an arrow scoring `label` lands on the target shown."""
    x, y = position(target, label)
    assert x is not None and y is not None
    return await screen_point(page, x, y)


async def shows(page: Page, target: dict[str, Any]) -> None:
    await expect(page.locator(".face-area")).to_have_attribute("data-targets", target["id"])
    await expect(page.locator(".face-area")).to_have_attribute(
        "data-faces", target["faces"][0]["face_type"]
    )


async def test_a_wa1440_shot_through_on_a_phone_faces_follow_the_round_and_it_ends(
    phone: Phone, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    page, finger = phone.page, phone.finger
    archer = await make_archer()
    s = await open_session(client, archer, distance_m=90, round_code="wa1440_90")
    made = await targets(client, archer, s["id"])
    await open_live(page, web, archer, s["id"])
    await shows(page, made[0])
    await expect(page.locator("#where")).to_have_text(
        "90 m · 122 cm · end 1 of 6 · arrow 1 of 6 · 144 arrows left"
    )
    rng = random.Random(1440)
    for k, target in enumerate(made):
        # The first 30 arrows of the pass by the API (they arrive over the live channel).
        await shoot(client, archer, s["id"], target, [rng.choice(LABELS) for _ in range(30)])
        label = made[k]["distance_m"]
        await expect(page.locator("#where")).to_contain_text(
            f"{label:g} m · {'122' if k < 2 else '80'} cm · end 6 of 6 · arrow 1 of 6"
        )
        await shows(page, target)
        if k == 0:
            await screenshot(page, "rounds-phone-mid.png")
        # Its last end by touch: six taps, and the next pass's face comes by itself.
        for label_ in ("X", "10", "9", "9", "8", "7"):
            await finger.tap(await face_point(page, target, label_))
        await settled(page)
        if k < 3:
            await shows(page, made[k + 1])
            nxt = f"{made[k + 1]['distance_m']:g} m · {'122' if k + 1 < 2 else '80'} cm"
            await expect(page.locator("#where")).to_have_text(
                f"{nxt} · end 1 of 6 · arrow 1 of 6 · {144 - 36 * (k + 1)} arrows left"
            )
            if k == 1:
                await screenshot(page, "rounds-phone-boundary.png")

    # Complete: the result instead of the face, and no more arrows.
    result = page.locator(".round-result")
    await expect(result).to_be_visible()
    await expect(page.locator(".face-area")).to_be_hidden()
    await expect(page.locator(".entry-actions .miss")).to_be_hidden()
    await expect(page.locator("#where")).to_have_text("Round complete: 144 of 144 arrows")
    card = (await client.get(f"{API}/session/{s['id']}/scorecard", headers=archer.headers)).json()
    card = card["data"]
    await expect(result.locator(".result-total strong")).to_have_text(str(card["total"]))
    await expect(result.locator('[data-figure="tens"] dd')).to_have_text(str(card["ten_x_count"]))
    await expect(result.locator('[data-figure="xs"] dd')).to_have_text(str(card["x_count"]))
    await expect(result.locator('[data-figure="hits"] dd')).to_have_text(str(card["hits"]))
    stats = (await client.get(f"{API}/session/{s['id']}/stats", headers=archer.headers)).json()
    figures = stats["data"]["round"]
    await expect(result.locator('[data-figure="handicap"] dd')).to_have_text(
        f"{figures['handicap']:g}"
    )
    await expect(result.locator(".classification")).to_contain_text(figures["classification_name"])
    await expect(result.locator(".meaning")).to_have_text(figures["classification_meaning"])
    # The page's card has the API's distance subtotals and total.
    for st in card["subtotals"]:
        row = page.locator("#scorecard tfoot tr.subtotal", has_text=st["label"])
        await expect(row.locator(".end-total")).to_have_text(str(st["total"]))
    await expect(page.locator("#scorecard tr.grand-total .end-total")).to_have_text(
        str(card["total"])
    )
    shots = await stored(client, archer, s["id"])
    assert len(shots) == 144
    assert [x["target_id"] for x in sorted(shots, key=lambda x: x["seq"])] == [
        t["id"] for t in made for _ in range(36)
    ]
    # The 145th: nothing on the page takes it, and the API refuses it.
    r = await client.post(
        f"{API}/shot",
        json={"session_id": s["id"], "target_id": made[-1]["id"], "value": "9"},
        headers=archer.headers,
    )
    assert r.status_code == 409 and r.json()["errors"] == ["round complete: 144 of 144 arrows shot"]
    await screenshot(page, "rounds-phone-result.png")
    assert not phone.console.unexpected()


async def test_an_earlier_end_is_corrected_on_its_own_face(
    phone: Phone, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    page, finger = phone.page, phone.finger
    archer = await make_archer()
    s = await open_session(client, archer, distance_m=90, round_code="wa1440_90")
    made = await targets(client, archer, s["id"])
    first = await shoot(client, archer, s["id"], made[0], ["9"] * 36)
    await shoot(client, archer, s["id"], made[1], ["8"] * 6)
    await open_live(page, web, archer, s["id"])
    await shows(page, made[1])
    arrow = first[7]  # end 2, 90 m
    # Its end's row: the end's own face, its first arrow chosen.
    await page.locator('#scorecard tr[data-end="2"] th button').click()
    await expect(page.locator(".editor")).to_contain_text("End 2 · arrow 1")
    await shows(page, made[0])  # its own face: 122 cm at 90 m
    await page.locator(f'#scorecard td[data-shot-id="{arrow["id"]}"] button').click()
    await expect(page.locator(".editor")).to_contain_text("End 2 · arrow 2")
    await shows(page, made[0])
    start = (await marker_centres(page))[arrow["id"]]
    x, y = position(made[0], "X")
    assert x is not None and y is not None
    await finger.gesture([start, await screen_point(page, x, y)])

    async def moved() -> bool:
        shot = next(x for x in await stored(client, archer, s["id"]) if x["id"] == arrow["id"])
        return bool(shot["label"] == "X")

    await until(moved)
    again = next(x for x in await stored(client, archer, s["id"]) if x["id"] == arrow["id"])
    assert (again["target_id"], again["end_no"], again["end_place"]) == (made[0]["id"], 2, 2)
    await page.get_by_role("button", name="Done").click()
    await shows(page, made[1])
    assert not phone.console.unexpected()


async def test_an_end_of_six_by_keypad_in_six_taps_on_a_york_with_hits_and_golds(
    phone: Phone, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    page, finger = phone.page, phone.finger
    archer = await make_archer()
    s = await open_session(client, archer, distance_m=91.44, round_code="york")
    made = await targets(client, archer, s["id"])
    await open_live(page, web, archer, s["id"])
    await page.locator("#keypad-mode").click()
    keypad = page.locator(".keypad")
    await expect(keypad).to_be_visible()
    await expect(page.locator(".face-area")).to_be_hidden()
    values = [await b.get_attribute("data-value") for b in await keypad.locator("button").all()]
    assert values == ["9", "7", "5", "3", "1", "M"]
    await screenshot(page, "rounds-phone-keypad.png")
    for value in ("9", "9", "7", "5", "1", "M"):
        box = await keypad.locator(f'button[data-value="{value}"]').bounding_box()
        assert box is not None and box["y"] + box["height"] <= 844
        await finger.tap((box["x"] + box["width"] / 2, box["y"] + box["height"] / 2))
    await settled(page)
    shots = sorted(await stored(client, archer, s["id"]), key=lambda x: x["seq"])
    assert [(x["label"], x["entered_by"], x["end_no"], x["target_id"]) for x in shots] == [
        (v, "value", 1, made[0]["id"]) for v in ("9", "9", "7", "5", "1", "M")
    ]
    assert [x["arrow_id"] is not None for x in shots] == [True] * 6  # the arrows' own numbers
    await expect(page.locator("#where")).to_contain_text("end 2 of 12 · arrow 1 of 6")
    # The card counts hits and golds (imperial), the same on the page as in the API.
    head = page.locator("#scorecard thead")
    await expect(head).to_contain_text("Golds")
    await expect(head).not_to_contain_text("10+X")
    row = page.locator('#scorecard tr[data-end="1"] td.count-col')
    await expect(row).to_have_text(["5", "2"])
    card = (await client.get(f"{API}/session/{s['id']}/scorecard", headers=archer.headers)).json()
    assert (card["data"]["hits"], card["data"]["golds"]) == (5, 2)
    # Remembered on this device: the keypad again after a reload; plotting one tap away.
    await page.reload()
    await expect(page.locator(".keypad")).to_be_visible()
    await page.locator("#keypad-mode").click()
    await expect(page.locator("svg.target")).to_be_visible()
    assert not phone.console.unexpected()


async def test_on_a_laptop_a_custom_round_by_keypad_and_plot_to_its_result(
    browser: Browser, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    archer = await make_archer()
    r = await client.post(
        f"{API}/round/custom",
        json={
            "name": "Indoor 2 × 6",
            "location": "indoor",
            "arrows_per_end": 3,
            "passes": [
                {"n_arrows": 6, "distance": 18, "face_type": "wa_40_triple_vertical"},
                {"n_arrows": 6, "distance": 25, "face_type": "wa_60"},
            ],
        },
        headers=archer.headers,
    )
    assert r.status_code == 201, r.text
    s = await open_session(client, archer, arrows=3, custom_round_id=r.json()["data"]["id"])
    made = await targets(client, archer, s["id"])
    context = await browser.new_context(viewport=LAPTOP, base_url=web.url)
    page = await context.new_page()
    try:
        await open_live(page, web, archer, s["id"])
        await shows(page, made[0])
        await screenshot(page, "rounds-laptop-mid.png")
        # The triple spot by keypad: a row of values per spot.
        await page.locator("#keypad-mode").click()
        rows = page.locator(".keypad .keypad-row .spot-name")
        await expect(rows).to_have_text(["Top", "Middle", "Bottom"])
        await screenshot(page, "rounds-laptop-keypad.png")
        for spot, value in ((0, "10"), (1, "9"), (2, "X"), (0, "8"), (0, "7"), (2, "6")):
            await page.locator(f'.keypad button[data-spot="{spot}"][data-value="{value}"]').click()
        await expect(page.locator("#where")).to_contain_text("25 m · 60 cm · end 1 of 2")
        await expect(page.locator(".keypad")).to_have_attribute("data-target", made[1]["id"])
        await screenshot(page, "rounds-laptop-boundary.png")
        # Back to plotting for the 60 cm face at 25 m: its own face, clicked six times.
        await page.locator("#keypad-mode").click()
        await shows(page, made[1])
        for label in ("X", "10", "9", "9", "8", "M"):
            if label == "M":
                await page.locator(".entry-actions .miss").click()
            else:
                x, y = await face_point(page, made[1], label)
                await page.mouse.click(x, y)
        await expect(page.locator(".round-result")).to_be_visible()
        await expect(page.locator("#where")).to_have_text("Round complete: 12 of 12 arrows")
        await settled(page)
        handicap = page.locator('.round-result [data-figure="handicap"] dd')
        await expect(handicap).not_to_have_text("…")  # the statistics' handicap arrived
        shots = sorted(await stored(client, archer, s["id"]), key=lambda x: x["seq"])
        # The second 8 of end 2 in the top spot: the one-arrow-per-spot rule, by value too.
        assert [x["label"] for x in shots] == [
            "10",
            "9",
            "X",
            "M",
            "7",
            "6",
            "X",
            "10",
            "9",
            "9",
            "8",
            "M",
        ]
        assert [x["entered_by"] for x in shots] == ["value"] * 6 + ["plot"] * 6
        await screenshot(page, "rounds-laptop-result.png")
    finally:
        await context.close()


async def test_scores_by_value_offline_cross_a_pass_and_reach_the_server_once(
    phone: Phone, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    """The keypad with no network: each value shown at once (not sent yet), the round followed
    on the device (the next pass's values after the last arrow of a pass), kept over a reload,
    sent in order and exactly once when the network is back."""
    page, finger = phone.page, phone.finger
    archer = await make_archer()
    r = await client.post(
        f"{API}/round/custom",
        json={
            "name": "Field and target",
            "arrows_per_end": 3,
            "passes": [
                {"n_arrows": 3, "distance": 30, "face_type": "wa_field_60"},
                {"n_arrows": 3, "distance": 18, "face_type": "wa_40"},
            ],
        },
        headers=archer.headers,
    )
    assert r.status_code == 201, r.text
    s = await open_session(client, archer, arrows=3, custom_round_id=r.json()["data"]["id"])
    made = await targets(client, archer, s["id"])
    await open_live(page, web, archer, s["id"])
    await page.locator("#keypad-mode").click()
    await page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    await page.context.set_offline(True)
    await expect(page.locator("#conn")).to_have_attribute("data-state", "offline")
    keypad = page.locator(".keypad")
    for k, value in enumerate(("6", "5", "M", "X", "10", "9")):
        if k == 3:  # the field face's pass is shot: the 40 cm face's values, by themselves
            await expect(keypad).to_have_attribute("data-target", made[1]["id"])
        box = await keypad.locator(f'button[data-value="{value}"]').bounding_box()
        assert box is not None
        await finger.tap((box["x"] + box["width"] / 2, box["y"] + box["height"] / 2))
        await expect(page.locator(".queue")).to_contain_text(f"{k + 1} change")
    # Each shown at once with its value (and the arrow's number), drawn as not sent yet.
    # (a chip's text: what a screen reader says, the value shown, then the arrow's number)
    await expect(page.locator(".current-end .chip.unsent")).to_have_text(
        [
            f"Arrow {n} (A0{n}): {v}, not sent yet. Correct it.{n}"
            for n, v in ((1, "X"), (2, "10"), (3, "9"))
        ]
    )
    await expect(page.locator("#where")).to_have_text("Round complete: 6 of 6 arrows")
    assert await stored(client, archer, s["id"]) == []

    await page.reload()
    await expect(page.locator(".queue")).to_contain_text("6 changes waiting")
    await page.context.set_offline(False)
    await settled(page)
    shots = sorted(await stored(client, archer, s["id"]), key=lambda x: x["seq"])
    assert [(x["label"], x["target_id"], x["entered_by"]) for x in shots] == [
        ("6", made[0]["id"], "value"),
        ("5", made[0]["id"], "value"),
        ("M", made[0]["id"], "value"),
        ("X", made[1]["id"], "value"),
        ("10", made[1]["id"], "value"),
        ("9", made[1]["id"], "value"),
    ]
    await expect(page.locator(".round-result")).to_be_visible()
    assert not phone.console.unexpected("ERR_INTERNET_DISCONNECTED", "Failed to fetch")
