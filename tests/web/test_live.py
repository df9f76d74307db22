"""The live page in a real Chromium: shots arriving over the WebSocket, from the API and from
simulated sensor readers; the connection dropped and restored; a phone-sized screen."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from playwright.async_api import Page, WebSocket, expect

from arch_stats.assembler.runner import Assembler
from arch_stats.core.database import Connection
from arch_stats.core.settings import Settings
from arch_stats.live.hub import LiveHub
from tests.assembler.helpers import processes
from tests.conftest import MakeArcher
from tests.web.conftest import WebServer, screenshot, sign_in
from tests.web.helpers import (
    C,
    Range,
    high_to_low,
    make_range,
    markers,
    post_shots,
    scorecard_rows,
    screen_point,
)


async def open_live(page: Page, web: WebServer, r: Range) -> list[str]:
    """Open the live page of `r`; returns the WebSocket URLs the page opens, as it opens them."""
    urls: list[str] = []

    def opened(ws: WebSocket) -> None:
        urls.append(ws.url)

    page.on("websocket", opened)
    await sign_in(page, web, r.archer)
    await page.goto(f"/app/sessions/{r.session_id}/live")
    await expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    # A mark that a reload would wipe out.
    await page.evaluate("window.__sameDocument = true")
    return urls


async def assert_drawn_where_they_landed(page: Page, shots: list[dict[str, Any]]) -> None:
    drawn = await markers(page)
    assert [m["seq"] for m in drawn] == [s["seq"] for s in shots if s["x_mm"] is not None]
    by_seq = {s["seq"]: s for s in shots}
    for m in drawn:
        shot = by_seq[m["seq"]]
        x, y = await screen_point(page, shot["x_mm"], shot["y_mm"])
        assert abs(m["x"] - x) < 1 and abs(m["y"] - y) < 1, (m, shot)
        assert m["label"] == shot["label"]


def expected_rows(shots: list[dict[str, Any]], per_end: int) -> list[list[str]]:
    rows, running = [], 0
    for start in range(0, len(shots), per_end):
        end = shots[start : start + per_end]
        total = sum(s["score"] for s in end)
        running += total
        labels = high_to_low([s["label"] for s in end])
        rows.append([str(end[0]["end_no"]), *labels, str(total), str(running)])
    return rows


async def test_shots_from_the_api_appear_live_at_their_place_and_fill_the_scorecard(
    page: Page, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    r = await make_range(client, await make_archer(), per_end=3)
    await open_live(page, web, r)
    points = [(C, C + 10), (C + 100, C - 40), (C - 200, C + 150), (C + 350, C)]
    shots = []
    for point in points:  # one at a time, as they land
        shots += await post_shots(client, r, [point])
        await expect(page.locator("svg.target .shot")).to_have_count(len(shots))
    shots += await post_shots(client, r, [None], arrow="A02")  # a miss: no marker

    await expect(page.locator("#scorecard tbody tr")).to_have_count(2)
    # The miss changes no total: wait for its own cell, not for a figure it leaves as it was.
    miss = page.locator("#scorecard tbody tr").nth(1).locator("td.arrow-col[data-label=M]")
    await expect(miss).to_have_count(1)
    await expect(page.locator("#running-total")).to_have_text(str(sum(s["score"] for s in shots)))
    assert await scorecard_rows(page) == expected_rows(shots, 3)
    await assert_drawn_where_they_landed(page, shots)
    await expect(page.locator(".current-end h2")).to_contain_text("End 2")
    await expect(page.locator("[data-figure=arrows] dd")).to_have_text("5")  # running stats
    assert await page.evaluate("window.__sameDocument") is True


async def test_simulated_readers_shoot_an_end_that_appears_live(
    page: Page,
    web: WebServer,
    client: httpx.AsyncClient,
    make_archer: MakeArcher,
    db: Connection,
    migrated: str,
    settings: Settings,
    tmp_path: Path,
) -> None:
    r = await make_range(
        client, await make_archer(), per_end=6, window_ms=400, arrows=("A01", "A02", "A03")
    )
    await open_live(page, web, r)
    # Every count of markers the page goes through, as it happens.
    await page.evaluate(
        """() => {
            const g = document.querySelector("svg.target g.shots");
            window.__counts = [];
            new MutationObserver(() => window.__counts.push(g.childElementCount))
                .observe(g, {childList: true});
        }"""
    )
    # The suite's app does not assemble: an assembler of its own, like `serve` runs one.
    assembler = Assembler.from_settings(migrated, settings)
    assembler.start()
    try:
        with processes(migrated, tmp_path) as procs:
            sim = procs.start(
                "simulate", "--session", r.session_id, "--shots", "6", "--speed", "15",
                "--seed", "7", "--spread", "60", "--miss-rate", "0",
            )  # fmt: skip
            # Three reader processes and a simulator start first: generous on a shared machine.
            await expect(page.locator("svg.target .shot")).to_have_count(6, timeout=60_000)
            code = await asyncio.to_thread(sim.wait, 30)
            assert code == 0, procs.output(sim, "err")
    finally:
        await assembler.close()

    resp = await client.get(f"/api/v0/session/{r.session_id}/shot", headers=r.archer.headers)
    shots = resp.json()["data"]
    assert len(shots) == 6 and all(s["arrow_id"] in r.arrows.values() for s in shots)
    await expect(page.locator("#running-total")).to_have_text(str(sum(s["score"] for s in shots)))
    assert await scorecard_rows(page) == expected_rows(shots, 6)
    await assert_drawn_where_they_landed(page, shots)
    assert await page.evaluate("window.__sameDocument") is True
    # The shots came one after another as they landed, not all at the end.
    counts = await page.evaluate("window.__counts")
    assert counts == sorted(counts) and counts[-1] == 6 and len(set(counts) - {0}) >= 3, counts
    await expect(page.locator("[data-figure=arrows] dd")).to_have_text("6")
    await screenshot(page, "live.png")


async def test_page_resumes_after_the_server_drops_without_missing_a_shot(
    page: Page, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    r = await make_range(client, await make_archer(), per_end=3)
    await post_shots(client, r, [(C, C)])
    urls = await open_live(page, web, r)
    assert urls[-1].endswith("after=1")
    await post_shots(client, r, [(C + 20, C)])
    await expect(page.locator("svg.target .shot")).to_have_count(2)

    await web.stop()  # every connection is dropped, and nobody answers any more
    try:
        await expect(page.locator("#conn")).to_have_attribute("data-state", "reconnecting")
        await expect(page.locator("#conn")).to_contain_text("Connection lost")
        # Shot while the page is cut off (straight into the app, not through the server).
        await post_shots(client, r, [(C - 30, C + 30), (C + 60, C - 60), (C, C + 250)])
        await asyncio.sleep(0.5)
        await expect(page.locator("svg.target .shot")).to_have_count(2)
    finally:
        await web.start()  # the same address again

    await expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=15_000)
    await expect(page.locator("svg.target .shot")).to_have_count(5)
    assert urls[-1].endswith("after=2")  # resumed after the last shot it had
    shots = await client.get(f"/api/v0/session/{r.session_id}/shot", headers=r.archer.headers)
    data = shots.json()["data"]
    assert await scorecard_rows(page) == expected_rows(data, 3)
    await assert_drawn_where_they_landed(page, data)
    # Live again: the next shot arrives by itself.
    await post_shots(client, r, [(C + 5, C + 5)])
    await expect(page.locator("svg.target .shot")).to_have_count(6)
    assert await page.evaluate("window.__sameDocument") is True


async def test_page_misses_nothing_when_the_hub_loses_its_database_listener(
    page: Page, web: WebServer, app: FastAPI, client: httpx.AsyncClient, make_archer: MakeArcher,
    db: Connection,
) -> None:  # fmt: skip
    r = await make_range(client, await make_archer())
    await open_live(page, web, r)
    hub: LiveHub = app.state.hub
    reconnects = hub.reconnects
    await db.execute("SELECT pg_terminate_backend($1)", hub.listener_pid)
    await post_shots(client, r, [(C + 10, C), (C - 10, C)])  # possibly while it is away
    await expect(page.locator("svg.target .shot")).to_have_count(2)
    # Posted shots reach this process's page without the listener (announced by their
    # writer): the reconnect may come after them.
    for _ in range(600):
        if hub.reconnects > reconnects:
            break
        await asyncio.sleep(0.05)
    assert hub.reconnects == reconnects + 1
    await expect(page.locator("#conn")).to_have_attribute("data-state", "live")


async def test_live_page_fits_a_375px_screen_without_horizontal_scrolling(
    page: Page, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    await page.set_viewport_size({"width": 375, "height": 812})
    r = await make_range(client, await make_archer(), per_end=6)
    await post_shots(client, r, [(C + 30 * i, C - 20 * i) for i in range(8)])
    await open_live(page, web, r)
    await expect(page.locator("svg.target .shot")).to_have_count(8)
    await expect(page.locator("#scorecard tbody tr")).to_have_count(2)
    await page.wait_for_timeout(900)  # the running statistics
    widths = await page.evaluate(
        "[document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth]"
    )
    assert widths == [375, 375, 375]
    face = await page.locator("svg.target").bounding_box()
    assert face is not None and face["x"] >= 0 and face["x"] + face["width"] <= 375
    # Fingers: the buttons and the arrow choices are large enough to hit.
    for locator in (
        page.get_by_role("button", name="Miss", exact=True),
        page.locator(".chip-radio label").first,
        page.locator(".end-chips .chip").first,
    ):
        box = await locator.bounding_box()
        assert box is not None and box["height"] >= 44
    await screenshot(page, "live-375.png")


async def test_session_without_target_gets_one_then_is_closed_and_reopened_from_the_page(
    page: Page, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    archer = await make_archer()
    resp = await client.post("/api/v0/session", json={"distance_m": 18.0}, headers=archer.headers)
    session_id = resp.json()["data"]["id"]
    await sign_in(page, web, archer)
    await page.goto(f"/app/sessions/{session_id}/live")
    await expect(page.get_by_text("This session has no target yet.")).to_be_visible()
    await page.get_by_label("Face", exact=True).select_option("wa_40_triple_vertical")
    await page.get_by_role("button", name="Add the target").click()
    face = page.locator("svg.target")
    await expect(face.locator("g.spot")).to_have_count(3)  # a triple spot, drawn to scale
    # Scored by hand: no view size asked for; the server's view holds every spot.
    [w, h] = [
        float(await face.get_attribute(a) or 0) for a in ("data-view-width", "data-view-height")
    ]
    spots = await face.locator("g.spot circle[data-value='6']").evaluate_all(
        "cs => cs.map(c => [+c.getAttribute('cx'), +c.getAttribute('cy'), +c.getAttribute('r')])"
    )
    for cx, cy, r in spots:
        assert r <= cx <= w - r and r <= cy <= h - r

    await page.get_by_role("button", name="Close session").click()
    await expect(page.locator("#conn")).to_have_text("Session closed")
    await expect(page.get_by_role("button", name="Miss", exact=True)).to_have_count(0)
    await expect(page.locator("svg.target.pickable")).to_have_count(0)
    await page.get_by_role("button", name="Reopen session").click()
    await expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    await expect(page.get_by_role("button", name="Miss", exact=True)).to_be_visible()
    await expect(page.locator("svg.target.pickable")).to_have_count(1)
    session = await client.get(f"/api/v0/session/{session_id}", headers=archer.headers)
    assert session.json()["data"]["is_open"] is True
