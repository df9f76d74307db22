"""The session page and the history page in a real Chromium: their charts have the right
number of points."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import httpx
from playwright.async_api import Page, expect

from tests.conftest import ArcherCtx, MakeArcher
from tests.web.conftest import WebServer, screenshot, sign_in
from tests.web.helpers import (
    C,
    Range,
    close_session,
    high_to_low,
    make_range,
    post_shots,
    scorecard_rows,
)


def ring_of_points(n: int, radius: float, phase: float = 0.0) -> list[tuple[float, float]]:
    return [
        (
            round(C + radius * math.cos(phase + 2 * math.pi * k / n), 1),
            round(C + radius * math.sin(phase + 2 * math.pi * k / n), 1),
        )
        for k in range(n)
    ]


def group(n: int, spread: float, seed: int) -> list[tuple[float, float]]:
    """`n` impacts scattered over about `spread` mm around the centre (deterministic)."""
    return [
        (
            round(C + spread * (0.3 + 0.7 * ((k * 7 + seed) % 10) / 10) * math.cos(k * 2.4), 1),
            round(C + spread * (0.3 + 0.7 * ((k * 3 + seed) % 10) / 10) * math.sin(k * 2.4), 1),
        )
        for k in range(n)
    ]


async def past_session(
    client: httpx.AsyncClient,
    archer: ArcherCtx,
    days_ago: int,
    points: Sequence[tuple[float, float]],
    *,
    distance: float = 70.0,
    arrows: tuple[str, ...] = (),
) -> Range:
    """A closed session of `days_ago`; its shots rotate over A01, A02, A03, and A03 flies
    40 mm right of the others."""
    start = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()
    r = await make_range(
        client, archer, distance=distance, arrows=arrows, start_time=start, per_end=6
    )
    r = Range(r.archer, r.session_id, r.target_id, await arrow_ids(client, archer))
    for i, (x, y) in enumerate(points):
        name = ("A01", "A02", "A03")[i % 3]
        await post_shots(client, r, [(x + 40, y) if name == "A03" else (x, y)], arrow=name)
    await close_session(client, r)
    return r


async def arrow_ids(client: httpx.AsyncClient, archer: ArcherCtx) -> dict[str, str]:
    resp = await client.get("/api/v0/arrow", headers=archer.headers)
    return {a["identifier"]: a["id"] for a in resp.json()["data"]}


async def test_session_page_plots_every_impact_with_group_centre_and_spread(
    page: Page, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    archer = await make_archer()
    r = await make_range(client, archer, round_code="wa720_70", per_end=6, arrows=("A01", "A02"))
    hits = [*ring_of_points(10, 80), (C + 40, C - 20)]
    await post_shots(client, r, hits[:6], arrow="A01")
    await post_shots(client, r, [*hits[6:], None], arrow="A02")  # 5 hits and a miss
    await sign_in(page, web, archer)
    await page.goto(f"/app/sessions/{r.session_id}")

    plot = page.locator("svg.group-plot")
    await expect(plot).to_have_attribute("data-points", str(len(hits)))
    await expect(plot.locator("circle.point")).to_have_count(len(hits))
    await expect(plot.locator("ellipse.spread")).to_have_count(1)
    await expect(plot.locator("path.centre")).to_have_count(1)
    rows = await scorecard_rows(page)
    assert [row[0] for row in rows] == ["1", "2"]
    assert rows[1][-3] == "M"  # the miss, last in its end
    # As on paper: high to low in each end; the shooting order one tap away.
    card = (
        await client.get(f"/api/v0/session/{r.session_id}/scorecard", headers=archer.headers)
    ).json()["data"]
    for row, end in zip(rows, card["ends"], strict=True):
        assert row[1:-2] == high_to_low([a["label"] for a in end["arrows"]])
        assert row[-2:] == [str(end["total"]), str(end["running_total"])]
    await page.get_by_role("button", name="High to low").click()
    await expect(page.locator("#scorecard")).to_have_attribute("data-order", "shot")
    shot_order = await scorecard_rows(page)
    shots = (
        await client.get(f"/api/v0/session/{r.session_id}/shot", headers=archer.headers)
    ).json()["data"]
    for row in shot_order:
        in_end = sorted(
            (s for s in shots if str(s["end_no"]) == row[0]), key=lambda s: s["end_place"]
        )
        assert row[1:-2] == [s["label"] for s in in_end]
    # The round's name, never its code.
    await expect(page.locator(".sub")).to_contain_text(card["round_name"])
    await expect(page.locator("main")).not_to_contain_text("wa720_70")
    await expect(page.locator("table.per-arrow tbody tr")).to_have_count(2)
    await expect(page.locator("[data-figure=round-score] dd")).to_contain_text("12 of 72 arrows")
    await expect(page.locator("[data-figure=handicap] dt")).to_have_text("Handicap so far")
    await expect(page.locator("svg.chart.bars")).to_be_visible()
    export = page.get_by_role("link", name="shots of this day (CSV)")
    resp = await client.get(str(await export.get_attribute("href")), headers=archer.headers)
    assert resp.status_code == 200 and resp.text.count("\n") == 1 + 12


async def test_history_trends_one_distance_at_a_time_with_handicaps_and_per_arrow(
    page: Page, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    archer = await make_archer()
    arrows = ("A01", "A02", "A03")
    await past_session(client, archer, 30, group(36, 260, 1), arrows=arrows)
    await past_session(client, archer, 20, group(12, 200, 2))
    await past_session(client, archer, 10, group(6, 150, 3), distance=50.0)
    await past_session(client, archer, 3, group(18, 140, 4))
    await sign_in(page, web, archer)

    await page.goto("/app/history")
    # 70 m and 50 m never in one line: the 70 m sessions first (the most), 50 m one choice away.
    trend = page.locator("#trend-chart")
    await expect(trend).to_have_attribute("data-series", "distance:70:outdoor")
    await expect(trend).to_have_attribute("data-points", "3")
    await expect(trend.locator("circle.pt")).to_have_count(3)
    await expect(trend.locator("line.trend")).to_have_count(1)
    await expect(page.locator(".trend-text")).to_contain_text("per arrow per month")
    await page.get_by_label("Trend of").select_option(label="50 m outdoor · 1 session")
    await expect(trend.locator("circle.pt")).to_have_count(1)
    await expect(page.locator("#trend-chart")).to_have_attribute(
        "data-series", "distance:50:outdoor"
    )
    # The handicap of every session that has one (36 arrows at one distance: practice).
    await expect(page.locator("#handicap-chart circle.pt")).not_to_have_count(0)
    await expect(page.locator(".bests li")).to_have_count(1)  # 70 m: 30 arrows or more

    # The filters are a control that opens; filtered to 50 m: one session.
    await page.locator("summary.filter-toggle").click()
    await page.get_by_label("Distance (m)").fill("50")
    await page.get_by_role("button", name="Apply").click()
    await expect(page.locator("summary.filter-toggle")).to_contain_text("1 set")
    await expect(page.locator("#trend-chart circle.pt")).to_have_count(1)
    await page.get_by_role("link", name="Clear").click()
    await expect(page.locator("#trend-chart circle.pt")).to_have_count(3)

    # One arrow: A03, shot in every session.
    await page.get_by_label("Arrow", exact=True).select_option(label="A03")
    arrow_chart = page.locator("#arrow-chart")
    await expect(arrow_chart).to_have_attribute("data-points", "4")
    await expect(arrow_chart.locator("[data-series=arrow] circle.pt")).to_have_count(4)
    await screenshot(page, "history.png")


async def test_empty_history_and_session_list_tell_a_newcomer_what_to_do(
    page: Page, web: WebServer, make_archer: MakeArcher
) -> None:
    await sign_in(page, web, await make_archer())
    await page.goto("/app/history")
    await expect(page.get_by_text("Nothing to show yet.")).to_be_visible()
    await expect(page.get_by_role("link", name="Open a session")).to_be_visible()
    await page.goto("/app/sessions")
    await expect(page.get_by_role("link", name="Open your first session")).to_be_visible()


async def test_a_second_arrow_in_the_same_spot_shows_as_a_miss_on_the_card(
    page: Page, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    archer = await make_archer()
    r = await make_range(
        client, archer, face="wa_40_triple_vertical", view=1300.0, per_end=3, distance=18.0
    )
    # Two arrows in the top spot (the 10 and the 8) and one in the middle spot.
    top = C + 220  # the vertical triple's spots are 220 mm apart
    await post_shots(client, r, [(C, top), (C + 25, top), (C, C)])
    await sign_in(page, web, archer)
    await page.goto(f"/app/sessions/{r.session_id}")
    card = (
        await client.get(f"/api/v0/session/{r.session_id}/scorecard", headers=archer.headers)
    ).json()["data"]
    [spot_miss] = [a for a in card["ends"][0]["arrows"] if a["same_spot_miss"]]
    cell = page.locator(f'#scorecard td[data-shot-id="{spot_miss["id"]}"]')
    await expect(cell).to_have_attribute("data-label", "M")
    await expect(cell.locator("s.same-spot")).to_have_text(spot_miss["hit_label"])
    await expect(page.get_by_text("scores as a miss (World Archery rule)")).to_be_visible()
    await expect(page.locator('#scorecard tr[data-end="1"] .end-total')).to_have_text(
        str(card["ends"][0]["total"])
    )
