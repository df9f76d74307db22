"""The club board in a real Chromium: archers shooting (REST) on one board page, with their
totals and ranking updating live; the public read-only link, then withdrawn; the big screen
(1920 × 1080): categories apart, ties by the rules, legible, no navigation, pages through
every archer."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from playwright.async_api import Browser, Page, expect
from playwright.async_api import TimeoutError as PlaywrightTimeout

from arch_stats.core.database import Connection
from arch_stats.web.assets import build
from tests.board.helpers import make_club
from tests.conftest import MakeArcher
from tests.shots.test_shots import C, Range, make_range, shot
from tests.web.conftest import WebServer, screenshot, sign_in

# Offsets from the centre of a 122 cm face (arrow 5.5 mm): X, 10, 9, 8.
X, TEN, NINE, EIGHT = 0.0, 50.0, 100.0, 150.0


async def shoot(client: httpx.AsyncClient, r: Range, *offsets: float) -> None:
    body = [shot(r, C + dx, C) for dx in offsets]
    resp = await client.post("/api/v0/shot", json=body, headers=r.archer.headers)
    assert resp.status_code == 201, resp.text


async def board_rows(page: Page) -> list[tuple[str, str, str]]:
    """(place, name, total) of every card, in the order shown."""
    rows: list[tuple[str, str, str]] = await page.eval_on_selector_all(
        ".board-card",
        """els => els.map(e => [e.querySelector('.board-place').textContent,
                                e.querySelector('.board-name').textContent,
                                e.querySelector('.board-total-value').textContent])""",
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


async def wait_rows(page: Page, expected: list[tuple[str, str, str]]) -> None:
    try:
        await _wait_rows(page, expected)
    except PlaywrightTimeout:
        await screenshot(page, "board-failed.png")
        raise AssertionError(f"board shows {await board_rows(page)}, not {expected}") from None


async def _wait_rows(page: Page, expected: list[tuple[str, str, str]]) -> None:
    await page.wait_for_function(
        """expected => {
               const rows = [...document.querySelectorAll('.board-card')].map(e =>
                   [e.querySelector('.board-place').textContent,
                    e.querySelector('.board-name').textContent,
                    e.querySelector('.board-total-value').textContent]);
               return JSON.stringify(rows) === JSON.stringify(expected);
           }""",
        arg=[list(r) for r in expected],
        timeout=30_000,
    )


async def test_three_archers_shooting_on_one_board_then_public_link(
    page: Page,
    browser: Browser,
    web: WebServer,
    client: httpx.AsyncClient,
    db: Connection,
    make_archer: MakeArcher,
) -> None:
    owner = await make_archer("Olive Owner")
    ann = await make_archer("Ann Archer")
    ben = await make_archer("Ben Bowman")
    cora = await make_archer("Cora Fletcher")
    club_id = await make_club(db, owner, (ann, "member"), (ben, "member"), (cora, "coach"))
    # Ann and Ben appear on the public board, Cora does not (her choice, off by default).
    await db.execute(
        "UPDATE club_member SET show_on_public_board = true WHERE archer_id = ANY($1::uuid[])",
        [ann.id, ben.id],
    )
    ranges = {a.id: await make_range(db, a) for a in (ann, ben, cora)}
    # Before the page opens: in its first frame.
    await shoot(client, ranges[ann.id], X, TEN, NINE)  # 29, 1 X
    await shoot(client, ranges[ben.id], NINE, NINE, EIGHT)  # 26

    await page.set_viewport_size({"width": 1920, "height": 1080})
    await sign_in(page, web, owner)
    await page.goto(f"/app/clubs/{club_id}/board")
    await expect(page.locator(".board-title")).to_have_text("Riverside Archers")
    await expect(page.locator(".board-status")).to_have_attribute("data-state", "live")
    # Cora's session is open, no arrow yet: she is on the board already, not ranked yet.
    await wait_rows(
        page, [("1", "Ann Archer", "29"), ("2", "Ben Bowman", "26"), ("–", "Cora Fletcher", "0")]
    )
    await expect(page.locator(".board-basis")).to_have_text("Ranked by total · ties: 10+X, then X")

    # While it is open: Cora starts (30, no X); Ben's fourth arrow, an X, makes the most
    # points (36) but in more arrows: ranked by average per arrow, he is third (9.0).
    await shoot(client, ranges[cora.id], TEN, TEN, TEN)
    await wait_rows(
        page, [("1", "Cora Fletcher", "30"), ("2", "Ann Archer", "29"), ("3", "Ben Bowman", "26")]
    )
    await shoot(client, ranges[ben.id], X)
    await wait_rows(
        page, [("1", "Cora Fletcher", "30"), ("2", "Ann Archer", "29"), ("3", "Ben Bowman", "36")]
    )
    await expect(page.locator(".board-basis")).to_contain_text("by average per arrow")
    ben_card = page.locator(".board-card", has_text="Ben Bowman")
    # Its face shows every arrow; its end scores (end 1: 9 + 9 + 8 + 10 of six arrows per end).
    await expect(ben_card.locator("svg.board-face-svg .point")).to_have_count(4)
    await expect(ben_card.locator(".board-ends li[data-end='1'] .board-end-score")).to_have_text(
        "36"
    )
    await expect(ben_card.locator(".board-arrows .chip")).to_have_text(["9", "9", "8", "X"])
    await expect(ben_card.locator(".board-stat[data-stat=arrows] b")).to_have_text("4")
    await expect(ben_card.locator(".board-stat[data-stat=avg] b")).to_have_text("9.00")
    await expect(page.locator(".board-round-name")).to_contain_text("70 m")
    await expect(page.locator(".board-round-name")).to_contain_text("Recurve Men")
    await screenshot(page, "board-1920x1080.png")
    await page.set_viewport_size({"width": 390, "height": 844})
    await screenshot(page, "board-390x844.png")
    # Nothing overflows sideways on a phone.
    assert await page.evaluate("document.documentElement.scrollWidth <= 390")
    await page.set_viewport_size({"width": 1920, "height": 1080})

    # The owner makes a public link with the page's control.
    await page.get_by_role("button", name="Public link…").click()
    await page.locator("[data-action=create-link]").click()
    url_box = page.locator(".board-link-url")
    await expect(url_box).to_have_value(re.compile(r"/app/board/asb_"))
    public_url = await url_box.input_value()

    # Anyone with it, without an account: the board, read-only (no control), live.
    context = await browser.new_context(viewport={"width": 1920, "height": 1080})
    context.set_default_timeout(10_000)
    errors: list[str] = []
    try:
        anon = await context.new_page()
        anon.on("pageerror", lambda exc: errors.append(str(exc)))
        await anon.goto(public_url)
        await expect(anon.locator(".board-title")).to_have_text("Riverside Archers")
        await wait_rows(anon, [("1", "Ann Archer", "29"), ("2", "Ben Bowman", "36")])
        await expect(anon.get_by_role("button", name="Public link…")).to_have_count(0)
        await expect(anon.locator("header.top")).to_be_hidden()  # a big screen's page
        await expect(anon.locator(".board-foot")).to_contain_text("chose to appear")
        await shoot(client, ranges[ann.id], X, X)  # 49
        await wait_rows(anon, [("1", "Ann Archer", "49"), ("2", "Ben Bowman", "36")])
        ann_card = anon.locator(".board-card", has_text="Ann Archer")
        await expect(ann_card.locator("svg.board-face-svg .point")).to_have_count(5)
        await expect(anon.locator(".board-round-name")).to_contain_text("Recurve Men")
        # No ids on the page: its cards are keyed by the link's own keys.
        assert not await anon.locator("[data-session], [data-archer]").count()
        await screenshot(anon, "board-public-1920x1080.png")
        await anon.set_viewport_size({"width": 390, "height": 844})
        await screenshot(anon, "board-public-390x844.png")
        assert await anon.evaluate("document.documentElement.scrollWidth <= 390")
        await anon.set_viewport_size({"width": 1920, "height": 1080})
        # Ben leaves the public board: gone from it at once, still on the club's own.
        resp = await client.put(
            f"/api/v0/club/{club_id}/consent",
            json={"share_with_coaches": True, "show_on_public_board": False},
            headers=ben.headers,
        )
        assert resp.status_code == 200, resp.text
        await wait_rows(anon, [("1", "Ann Archer", "49")])
        await wait_rows(
            page,
            [("1", "Cora Fletcher", "30"), ("2", "Ann Archer", "49"), ("3", "Ben Bowman", "36")],
        )

        # Withdrawn from the owner's page: the open public board stops, and the link is dead.
        await page.locator("[data-action=revoke-link]").click()
        await expect(page.locator(".board-link-gone")).to_be_visible()
        await expect(anon.locator(".board-notice")).to_contain_text("no longer shared")
        await expect(anon.locator(".board-card")).to_have_count(0)
        await anon.reload()
        await expect(anon.locator(".board-notice")).to_contain_text("no such board")
        assert (
            await client.get(f"/api/v0/board/{public_url.rsplit('/', 1)[1]}")
        ).status_code == 404
    finally:
        await context.close()
    assert not errors, errors
    # The owner's own board carried on.
    await expect(page.locator(".board-status")).to_have_attribute("data-state", "live")


async def test_board_of_a_club_one_is_not_in_says_so(
    page: Page, web: WebServer, db: Connection, make_archer: MakeArcher, client: Any
) -> None:
    owner = await make_archer("Olive Owner")
    outsider = await make_archer("Otto Outsider")
    club_id = await make_club(db, owner)
    await sign_in(page, web, outsider)
    await page.goto(f"/app/clubs/{club_id}/board")
    await expect(page.locator(".board-notice")).to_contain_text("no such board")
    await expect(page.locator(".board-card")).to_have_count(0)


async def screen_rows(page: Page) -> list[dict[str, Any]]:
    """Every card shown: its group's heading, place, name and total, and where it is."""
    rows: list[dict[str, Any]] = await page.eval_on_selector_all(
        ".board-card",
        """els => els.map(e => {
               const box = e.getBoundingClientRect();
               return {group: e.closest('.board-round').querySelector('.board-round-name')
                                .firstChild.textContent,
                       place: e.querySelector('.board-place').textContent,
                       name: e.querySelector('.board-name').textContent,
                       total: e.querySelector('.board-total-value').textContent,
                       top: box.top, bottom: box.bottom, right: box.right};
           })""",
    )
    return rows


async def test_big_screen_ranks_categories_apart_and_ties_by_the_rules(
    page: Page, web: WebServer, client: httpx.AsyncClient, db: Connection, make_archer: MakeArcher
) -> None:
    owner = await make_archer("Olive Owner")
    rec = {n: await make_archer(n) for n in ("Ann Arrow", "Ben Bow", "Cat Clout", "Dan Draw")}
    comp = {n: await make_archer(n, bowstyle="compound") for n in ("Eve Ender", "Fay Fletch")}
    club_id = await make_club(db, owner, *((a, "member") for a in (*rec.values(), *comp.values())))
    ranges = {n: await make_range(db, a) for n, a in (rec | comp).items()}
    # 28 each: Ann has the most Xs, Ben the most 10+X, Cat and Dan both: 10+X decides
    # before X, and Cat and Dan stay equal.
    await shoot(client, ranges["Ann Arrow"], X, NINE, NINE)
    await shoot(client, ranges["Ben Bow"], TEN, TEN, EIGHT)
    await shoot(client, ranges["Cat Clout"], X, TEN, EIGHT)
    await shoot(client, ranges["Dan Draw"], TEN, X, EIGHT)
    # The compounds outscore every recurve: ranked apart, by the same rules.
    await shoot(client, ranges["Eve Ender"], TEN, TEN, TEN)
    await shoot(client, ranges["Fay Fletch"], X, X, X)

    await page.set_viewport_size({"width": 1920, "height": 1080})
    await sign_in(page, web, owner)
    await page.goto(f"/app/clubs/{club_id}/board?screen=1")
    await expect(page.locator(".board-status")).to_have_attribute("data-state", "live")
    await expect(page.locator(".board-card")).to_have_count(6)
    recurve, compound = (
        "70 m outdoor, no round · Recurve Men",
        "70 m outdoor, no round · Compound Men",
    )
    shown = [(r["group"], r["place"], r["name"], r["total"]) for r in await screen_rows(page)]
    assert shown == [
        (recurve, "=1", "Cat Clout", "28"),
        (recurve, "=1", "Dan Draw", "28"),
        (recurve, "3", "Ben Bow", "28"),
        (recurve, "4", "Ann Arrow", "28"),
        (compound, "1", "Fay Fletch", "30"),
        (compound, "2", "Eve Ender", "30"),
    ]
    # No app navigation; names and totals over 5 % of the screen's height (54 px).
    await expect(page.locator("header.top")).to_be_hidden()
    await expect(page.locator("#nav")).to_be_hidden()
    sizes = await page.eval_on_selector_all(
        ".board-name, .board-total-value",
        "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))",
    )
    assert len(sizes) == 12 and min(sizes) >= 54, sizes
    chips = await page.eval_on_selector_all(
        ".board-arrows .chip", "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert min(chips) >= 54, chips
    for row in await screen_rows(page):
        assert row["bottom"] <= 1080 and row["right"] <= 1920, row
    await screenshot(page, "board-screen-1920x1080.png")
    # The members' page itself keeps the app's navigation, and its way to the big screen.
    await page.goto(f"/app/clubs/{club_id}/board")
    await expect(page.locator("#nav")).to_be_visible()
    await page.locator("[data-action=big-screen]").click()
    await expect(page.locator("header.top")).to_be_hidden()
    await expect(page.locator(".board-card")).to_have_count(6)


async def test_big_screen_pages_through_every_archer(
    page: Page, web: WebServer, client: httpx.AsyncClient, db: Connection, make_archer: MakeArcher
) -> None:
    """26 archers in three categories on a 1920 × 1080 screen: more than fit, so pages, each
    archer whole on one of them, groups headed on every page."""
    people = [
        await make_archer(
            f"Archer {n:02d}",
            bowstyle="compound" if n % 3 == 1 else "recurve",
            gender="female" if n % 5 == 4 else "male",
        )
        for n in range(26)
    ]
    club_id = await make_club(db, people[0], *((p, "member") for p in people[1:]))
    for n, person in enumerate(people):
        r = await make_range(db, person)
        if n != 25:  # the last one has not shot yet
            await shoot(client, r, *([X, TEN, NINE, EIGHT, TEN, NINE][: 1 + n % 6]))
    await page.set_viewport_size({"width": 1920, "height": 1080})
    await sign_in(page, web, people[0])
    await page.goto(f"/app/clubs/{club_id}/board?screen=1")
    await expect(page.locator(".board-status")).to_have_attribute("data-state", "live")
    pager = page.locator(".board-pages-text")
    await expect(pager).to_have_text(re.compile(r"^1 / \d+$"))
    pages = int((await pager.inner_text()).split("/")[1])
    assert pages >= 3, pages
    # The pages turn by themselves…
    await expect(pager).to_have_text(f"2 / {pages}", timeout=30_000)
    seen: list[str] = []
    for n in [*range(2, pages + 1), 1]:  # from page 2 round to 1
        rows = await screen_rows(page)
        assert rows, n
        for row in rows:  # every archer shown whole, none cut off
            assert row["top"] >= 0 and row["bottom"] <= 1080, row
        seen += [row["name"] for row in rows]
        await screenshot(page, f"board-screen-page-{n}.png")
        # … and by hand.
        await page.keyboard.press("PageDown")
        await expect(pager).to_have_text(f"{n % pages + 1} / {pages}")
    assert sorted(seen) == sorted(f"Archer {n:02d}" for n in range(26))
    sizes = await page.eval_on_selector_all(
        ".board-name, .board-total-value",
        "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))",
    )
    assert min(sizes) >= 54, sizes
    groups = set(
        await page.eval_on_selector_all(".board-round", "els => els.map(e => e.dataset.category)")
    )
    assert groups <= {
        "recurve/adult/male",
        "compound/adult/male",
        "recurve/adult/female",
        "compound/adult/female",
    }
    # On a phone the same board scrolls, one card wide, with no pages.
    await page.set_viewport_size({"width": 390, "height": 844})
    await expect(page.locator(".board")).to_have_attribute("data-layout", "cards")
    await expect(page.locator(".board-card")).to_have_count(26)
    await expect(page.locator(".board-pages")).to_be_hidden()
    assert await page.evaluate("document.documentElement.scrollWidth <= 390")
    await screenshot(page, "board-screen-390x844.png")


def test_service_worker_precaches_each_url_once() -> None:
    """Two paths drawn by one module (the board's) must not list its shell twice: the worker's
    `Cache.addAll` refuses duplicates, and the app would never work offline."""
    worker = build().worker.bodies["identity"].decode()
    listed = json.loads(worker.split("const PRECACHE = ", 1)[1].split(";\n", 1)[0])
    assert len(listed) == len(set(listed))
    assert "/app/?shell=js/pages/board.js" in listed
