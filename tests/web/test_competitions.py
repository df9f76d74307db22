"""A club night in Chromium: 12 archers in 3 categories on 3 bales, each bale scored by one
phone (390 × 844, touch) signed in as one of its archers — by value on the keypad and by
plotting on the face; ends confirmed at the bale; a confirmed end refused to a scorer; a bale
offline for an end that catches up exactly once (and survives a reload meanwhile); the results
page ranking each category with a tie broken by 10+X, then X; guests in the results."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from playwright.async_api import Browser, Page, expect

from arch_stats.core.database import Connection
from tests.competitions.helpers import API, Night, bale, club_night
from tests.conftest import ArcherCtx, MakeArcher
from tests.stats.test_scoresheet import position
from tests.web.conftest import WebServer, a_phone, screenshot, sign_in
from tests.web.helpers import screen_point
from tests.web.phone import Console, Finger, until

# End 1 of each archer (Bray I: 3 arrows an end). Recurve men: 28 three times — Carl has two
# 10s, Adam and Ben one each, Adam's the X: Carl, Adam, Ben, then Dan.
END_1 = {
    "Adam": ["X", "9", "9"],
    "Ben": ["10", "9", "9"],
    "Carl": ["10", "10", "8"],  # plotted on the face
    "Dan": ["9", "8", "7"],
    "Eve": ["10", "10", "10"],
    "Fay": ["9", "9", "9"],
    "Gia": ["8", "8", "8"],
    "Hana": ["7", "7", "7"],
    "Ivo": ["9", "9", "8"],
    "Jo": ["8", "8", "8"],
    "Kim": ["10", "6", "5"],
    "Lou": ["X", "X", "9"],
}
OFFLINE_ERRORS = ("ERR_INTERNET_DISCONNECTED", "Failed to fetch", "WebSocket")


@asynccontextmanager
async def bale_phone(
    browser: Browser, web: WebServer, who: ArcherCtx
) -> AsyncIterator[tuple[Page, Finger, Console]]:
    """A phone (390 × 844, touch) signed in as `who`, an archer on the bale."""
    async with a_phone(browser, web) as phone:
        await sign_in(phone.page, web, who)
        yield phone.page, phone.finger, phone.console


async def open_bale(page: Page, night: Night, n: int) -> None:
    await page.goto(f"/app/competitions/{night.id}/bale/{n}")
    await expect(page.locator(".bale-row")).to_have_count(4)
    await expect(page.locator("[data-page=bale]")).to_have_attribute("data-ready", "true")


async def choose(page: Page, night: Night, name: str) -> None:
    await page.locator(f'.bale-row[data-entry="{night.entries[name]["id"]}"]').tap()
    await expect(page.locator("#bale-archer-h")).to_contain_text(name)


async def by_value(page: Page, values: list[str]) -> None:
    for v in values:
        await page.locator(f'.bale-entry .keypad button[data-value="{v}"]').first.tap()


async def settled(page: Page) -> None:
    await expect(page.locator(".bale-archer .queue")).to_be_hidden()


async def stored(db: Connection, night: Night, name: str) -> list[Any]:
    return await db.fetch(
        """SELECT s.id, s.end_no, s.score, s.is_x FROM shot s
           JOIN competition_entry e ON e.session_id = s.session_id
           WHERE e.id = $1 ORDER BY s.seq""",
        uuid.UUID(str(night.entries[name]["id"])),
    )


async def confirmed(db: Connection, night: Night, name: str) -> list[int]:
    rows = await db.fetch(
        "SELECT end_no FROM competition_end WHERE entry_id = $1 ORDER BY end_no",
        uuid.UUID(str(night.entries[name]["id"])),
    )
    return [r["end_no"] for r in rows]


def score_of(values: list[str]) -> int:
    return sum(10 if v == "X" else 0 if v == "M" else int(v) for v in values)


async def test_a_club_night_on_three_bale_phones_ranks_with_tie_breaks_and_guests(
    browser: Browser,
    web: WebServer,
    client: httpx.AsyncClient,
    make_archer: MakeArcher,
    db: Connection,
    page: Page,
) -> None:
    night = await club_night(client, make_archer, db)
    bale_of = {name: e["bale"] for name, e in night.entries.items()}
    assert len(set(bale_of.values())) == 3
    scorer = {bale_of["Adam"]: "Adam", bale_of["Eve"]: "Eve", bale_of["Ivo"]: "Ivo"}
    assert len(scorer) == 3  # one scorer on each bale

    # --- bale 3 (barebow): offline for its first end, reloaded meanwhile -------------------
    n3 = bale_of["Ivo"]
    async with bale_phone(browser, web, night.members["Ivo"]) as (p3, _finger, console):
        await open_bale(p3, night, n3)
        await p3.wait_for_function("() => navigator.serviceWorker.controller !== null")
        await p3.context.set_offline(True)
        barebow = ["Ivo", "Jo", "Kim", "Lou"]
        for name in barebow:
            await choose(p3, night, name)
            await by_value(p3, END_1[name])
            await expect(p3.locator(".bale-card tr[data-end='1'] .chip.unsent")).to_have_count(3)
        await choose(p3, night, "Lou")  # the guest signs on the bale's phone
        await p3.locator(".confirm-bar button.confirm-end").tap()
        await expect(p3.locator(".queue")).to_contain_text("13 changes waiting")
        assert all([await stored(db, night, n) == [] for n in barebow])
        await p3.reload()  # still offline: the shell from the worker, the arrows from the device
        await expect(p3.locator(".queue")).to_contain_text("13 changes waiting")
        await choose(p3, night, "Kim")
        await expect(p3.locator(".bale-card tr[data-end='1'] .chip.unsent")).to_have_count(3)
        await p3.context.set_offline(False)
        await settled(p3)
        for name in barebow:
            rows = await stored(db, night, name)
            assert len(rows) == 3 and len({r["id"] for r in rows}) == 3, name
            assert sum(r["score"] for r in rows) == score_of(END_1[name]), name
        assert await confirmed(db, night, "Lou") == [1]
        await choose(p3, night, "Lou")
        await expect(p3.locator(".bale-card tr[data-end='1'] .locked")).to_have_text("✓ Confirmed")
        assert not console.unexpected(*OFFLINE_ERRORS)

    # --- bale 1 (recurve men): by value, Carl by plotting; a confirmed end refused -----------
    n1 = bale_of["Adam"]
    async with bale_phone(browser, web, night.members["Adam"]) as (p1, finger, console):
        await open_bale(p1, night, n1)
        for name in ("Adam", "Ben", "Dan"):
            await choose(p1, night, name)
            await by_value(p1, END_1[name])
        await choose(p1, night, "Carl")
        await p1.locator("#plot-mode").tap()
        await expect(p1.locator(".bale-entry svg.target")).to_be_visible()
        carl = (await bale(client, night, n1, night.owner))["archers"]
        [target] = next(a for a in carl if a["name"] == "Carl")["targets"]
        for label in END_1["Carl"]:
            x, y = position(target, label)
            assert x is not None and y is not None
            await finger.tap(await screen_point(p1, x, y))
        await settled(p1)
        await expect(p1.locator(".bale-card tr[data-end='1'] .chip")).to_have_text(
            ["Arrow 1: 10. Correct it.", "Arrow 2: 10. Correct it.", "Arrow 3: 8. Correct it."]
        )
        rows = await stored(db, night, "Carl")
        assert [r["score"] for r in rows] == [10, 10, 8]
        # Ben signs his end on the bale's phone; the scorer (Adam) then tries to change it.
        await choose(p1, night, "Ben")
        await p1.locator(".confirm-bar button.confirm-end").tap()
        await expect(p1.locator(".bale-card tr[data-end='1'] .locked")).to_have_text("✓ Confirmed")
        assert await confirmed(db, night, "Ben") == [1]
        await p1.locator(".bale-card tr[data-end='1'] .chip").first.tap()
        note = p1.locator(".locked-note")
        await expect(note).to_contain_text("End 1 is confirmed by Ben: it is locked.")
        await expect(note).to_contain_text("until Ben (signed in) or an organiser releases it")
        await expect(p1.locator(".bale-edit .value-row")).to_have_count(0)
        await expect(note.get_by_role("button", name="Release end 1")).to_have_count(0)
        assert [r["score"] for r in await stored(db, night, "Ben")] == [10, 9, 9]
        assert not console.unexpected()

    # --- bale 2 (recurve women): a correction made offline after the archer signed ---------
    n2 = bale_of["Eve"]
    async with bale_phone(browser, web, night.members["Eve"]) as (p2, _finger, console):
        await open_bale(p2, night, n2)
        for name in ("Eve", "Fay", "Gia", "Hana"):
            await choose(p2, night, name)
            await by_value(p2, END_1[name])

        async def all_stored() -> bool:
            return all(
                [len(await stored(db, night, n)) == 3 for n in ("Eve", "Fay", "Gia", "Hana")]
            )

        await until(all_stored)
        await choose(p2, night, "Fay")
        await p2.context.set_offline(True)
        # Fay signs end 1 on her own phone; this phone, offline, does not know yet.
        r = await client.post(
            f"{API}/competition/{night.id}/entry/{night.entries['Fay']['id']}/end/1/confirm",
            headers=night.members["Fay"].headers,
        )
        assert r.status_code == 200, r.text
        await p2.locator(".bale-card tr[data-end='1'] .chip").first.tap()
        await p2.locator('.bale-edit .value-row button[data-value="10"]').tap()
        await expect(p2.locator(".queue")).to_contain_text("1 change waiting")
        await p2.context.set_offline(False)
        refused = p2.locator(".queue .refused")
        await expect(refused).to_contain_text("A correction for Fay was refused")
        await expect(refused).to_contain_text("end 1 is confirmed by Fay")
        assert [r["score"] for r in await stored(db, night, "Fay")] == [9, 9, 9]
        await refused.get_by_role("button", name="Discard it").tap()
        await expect(p2.locator(".queue")).to_be_hidden()
        assert not console.unexpected(*OFFLINE_ERRORS, "409 (Conflict)")

    # --- the results: by category, the tie broken by 10+X then X; guests included -----------
    await sign_in(page, web, night.owner)
    await page.goto("/app/")  # running now: on the home page at once
    await expect(page.locator(f"#competition-{night.id}")).to_have_text(
        "Competition in progress: Tuesday club night"
    )
    await page.get_by_role("link", name="Results, live").click()
    await expect(page.locator(".conn")).to_have_text("Live")
    men = page.locator(".results-category", has=page.locator("h2", has_text="Recurve Men"))
    table = men.locator("tbody tr")
    await expect(table).to_have_count(4)
    expected = [
        ("1", "Carl", "28", "2", "0"),
        ("2", "Adam", "28", "1", "1"),
        ("3", "Ben", "28", "1", "0"),
        ("4", "Dan (guest)", "24", "0", "0"),
    ]
    for k, (place, name, total, tens, xs) in enumerate(expected):
        cells = table.nth(k).locator("td, th")
        await expect(cells.nth(0)).to_have_text(place)
        await expect(cells.nth(1)).to_have_text(name)
        await expect(cells.nth(4)).to_have_text(total)
        await expect(cells.nth(5)).to_have_text(tens)
        await expect(cells.nth(6)).to_have_text(xs)
    barebow_table = page.locator(".results-category", has=page.locator("h2", has_text="Barebow"))
    await expect(barebow_table.locator("tbody tr").first.locator("th")).to_have_text("Lou (guest)")
    women = page.locator(".results-category", has=page.locator("h2", has_text="Recurve Women"))
    await expect(women.locator("tbody th")).to_have_text(["Eve", "Fay", "Gia", "Hana (guest)"])
    # Live: end 2 scored now (the API, as a bale would) moves the table without a reload; it
    # is ranked at equal progress, so all four shoot it.
    for a in (await bale(client, night, bale_of["Dan"], night.owner))["archers"]:
        value = "X" if a["name"] == "Dan" else "M"
        r = await client.post(
            f"{API}/competition/shot",
            json=[
                {
                    "session_id": a["session_id"],
                    "target_id": a["session"]["progress"]["target_id"],
                    "value": value,
                }
                for _ in range(3)
            ],
            headers=night.owner.headers,
        )
        assert r.status_code == 201, r.text
    await expect(table.nth(0).locator("th")).to_have_text("Dan (guest)")
    await expect(table.nth(0).locator("td").nth(3)).to_have_text("54")

    # The public link: the same results without an account, guests by name.
    r = await client.post(f"{API}/competition/{night.id}/results/link", headers=night.owner.headers)
    assert r.status_code == 201, r.text
    await page.context.clear_cookies()
    await page.goto(r.json()["data"]["path"])
    await expect(page.locator(".conn")).to_have_text("Live")
    await expect(page.locator(".results-table tbody th", has_text="Lou (guest)")).to_have_count(1)
    await expect(page.locator(".results-table tbody tr")).to_have_count(12)


def entry_row(page: Page, name: str) -> Any:
    return page.locator(".target-list tbody tr", has=page.locator("th", has_text=name))


async def test_an_organiser_creates_enters_places_starts_and_shares_a_competition(
    page: Page, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher, db: Connection
) -> None:
    night = await club_night(client, make_archer, db, start=False)
    club_id = night.club_id
    await sign_in(page, web, night.owner)
    await page.goto("/app/competitions")
    await page.get_by_role("link", name="New competition").click()
    # The form: the club, the round from the new-session page's list, the categories.
    await page.get_by_label("Club").select_option(club_id)
    await page.get_by_label("Name").fill("Winter league round 1")
    await page.get_by_label("Date").fill("2026-12-15")
    await page.get_by_label("Round").select_option("portsmouth")
    await page.get_by_label("Archers per bale").select_option("2")
    await page.get_by_label("Compound").uncheck()
    await page.get_by_role("button", name="Create").click()
    await expect(page.locator("h1")).to_have_text("Winter league round 1")
    await expect(page.locator(".page > p.muted").first).to_contain_text("Portsmouth")
    cid = page.url.rstrip("/").rsplit("/", 1)[1]
    r = await client.get(f"{API}/competition/{cid}", headers=night.owner.headers)
    made = r.json()["data"]
    assert (made["round_code"], made["archers_per_bale"]) == ("portsmouth", 2)
    assert [c["label"] for c in made["categories"]] == [
        "Recurve Men",
        "Recurve Women",
        "Barebow Men",
        "Barebow Women",
    ]

    # Entries: two members from the club's list, a guest by name.
    for name in ("Adam", "Ben"):
        await page.get_by_label("Club member", exact=True).select_option(label=name)
        await page.get_by_role("button", name="Enter", exact=True).click()
        await expect(entry_row(page, name)).to_have_count(1)
    await page.get_by_label("Guest's name", exact=True).fill("Gwen Guest")
    await page.get_by_label("Bowstyle").select_option("recurve")
    await page.get_by_label("Gender").select_option("female")
    await page.get_by_role("button", name="Enter the guest").click()
    guest_row = entry_row(page, "Gwen Guest")
    await expect(guest_row).to_contain_text("Recurve Women")
    await expect(page.get_by_role("button", name="Start the competition")).to_be_disabled()

    # The target list: made by category (2 to a bale), then Ben moved, then swapped.
    await page.get_by_role("button", name="Make the target list afresh").click()
    places = page.locator(".target-list tbody td.place")
    await expect(places).to_have_text(["1A", "1B", "2A"])  # Adam, Ben; Gwen from a new bale
    await page.get_by_label("Move or swap Ben").select_option("3B")
    await expect(entry_row(page, "Ben").locator(".place")).to_have_text("3B")
    await page.get_by_label("Move or swap Adam").select_option("2A")  # Gwen's: a swap
    await expect(guest_row.locator(".place")).to_have_text("1A")
    await expect(entry_row(page, "Adam").locator(".place")).to_have_text("2A")
    entries = {
        e["name"]: (e["bale"], e["detail"])
        for e in (await client.get(f"{API}/competition/{cid}", headers=night.owner.headers)).json()[
            "data"
        ]["entrants"]
    }
    assert entries == {"Gwen Guest": (1, "A"), "Adam": (2, "A"), "Ben": (3, "B")}

    # Start: the bales to score appear; the results' links.
    await page.get_by_role("button", name="Start the competition").click()
    await expect(page.locator("#status-h")).to_have_text("The competition is running")
    await expect(page.locator("a.bale-link")).to_have_text(
        ["Score bale 1", "Score bale 2", "Score bale 3"]
    )
    csv = page.get_by_role("link", name="CSV")
    resp = await client.get(str(await csv.get_attribute("href")), headers=night.owner.headers)
    assert resp.status_code == 200 and "Gwen Guest" in resp.text
    pdf = await page.get_by_role("link", name="Results sheet (PDF)").get_attribute("href")
    resp = await client.get(str(pdf), headers=night.owner.headers)
    assert resp.status_code == 200 and resp.content.startswith(b"%PDF")
    await page.get_by_role("button", name="Make a public link").click()
    link = page.locator(".public-link a")
    await expect(link).to_contain_text("/app/results/asc_")
    public = await link.get_attribute("href")
    resp = await client.get(f"{API}/results/{str(public).rsplit('/', 1)[1]}")
    assert resp.status_code == 200, resp.text
    await page.get_by_role("button", name="Withdraw the public link").click()
    await expect(link).to_have_count(0)
    resp = await client.get(f"{API}/results/{str(public).rsplit('/', 1)[1]}")
    assert resp.status_code == 404

    # Finish: the sessions close, the results are final.
    await page.get_by_role("button", name="Finish the competition").click()
    await expect(page.locator("#status-h")).to_have_text("The competition is finished")
    await expect(page.locator("a.bale-link")).to_have_count(0)
    assert not await db.fetchval(
        "SELECT bool_or(s.is_open) FROM session s JOIN competition_entry e ON e.session_id = s.id "
        "WHERE e.competition_id = $1",
        uuid.UUID(cid),
    )


async def test_the_competitions_range_timer_is_made_on_its_page_and_shown_at_the_bale(
    page: Page,
    browser: Browser,
    web: WebServer,
    client: httpx.AsyncClient,
    make_archer: MakeArcher,
    db: Connection,
) -> None:
    """The organiser makes the competition's timer on its page (its times from the
    competition's ends), runs it from there; a bale phone and the members' results show its
    phase and seconds left as they change."""
    night = await club_night(client, make_archer, db)
    await sign_in(page, web, night.owner)
    await page.goto(f"/app/competitions/{night.id}")
    await page.get_by_role("button", name="Make the competition's range timer").click()
    strip = page.locator(".competition-timer .timer-strip")
    await expect(strip).to_have_attribute("data-state", "live")
    await expect(strip).to_have_attribute("data-phase", "ready")
    await expect(strip.locator(".timer-strip-phase")).to_have_text("Waiting")
    r = await client.get(
        f"{API}/club/{night.club_id}/timer",
        params={"competition_id": night.id},
        headers=night.owner.headers,
    )
    [timer] = r.json()["data"]
    assert (timer["name"], timer["arrows"], timer["details"]) == ("Tuesday club night", 3, 2)
    # A walk-up long enough for a loaded machine to see it before the test ends it.
    r = await client.patch(
        f"{API}/timer/{timer['id']}", json={"walkup_seconds": 60}, headers=night.owner.headers
    )
    assert r.status_code == 200, r.text

    async with bale_phone(browser, web, night.members["Ivo"]) as (ph, _finger, _console):
        await open_bale(ph, night, 3)
        at_bale = ph.locator(".timer-strip")
        await expect(at_bale).to_have_attribute("data-phase", "ready")
        # Run from the competition's page: the timer's controls.
        await strip.get_by_role("link", name="Run the timer").click()
        await page.get_by_role("button", name="Start end 1").click()
        await expect(at_bale).to_have_attribute("data-phase", "walkup")
        await expect(at_bale.locator(".timer-strip-phase")).to_have_text("To the line · AB · end 1")
        await expect(at_bale.locator(".timer-strip-digits")).to_have_text(re.compile(r"^\d+$"))
        await page.get_by_role("button", name="Start shooting now").click()
        await expect(at_bale).to_have_attribute("data-phase", "shoot")
        await expect(at_bale).to_have_attribute("data-colour", "green")
        await screenshot(ph, "competition-timer-bale.png")
        # The members' results show it too.
        await page.goto(f"/app/competitions/{night.id}/results")
        on_results = page.locator(".timer-line .timer-strip")
        await expect(on_results).to_have_attribute("data-phase", "shoot")
        await expect(on_results.locator(".timer-strip-phase")).to_have_text("Shoot · AB · end 1")
        await screenshot(page, "competition-timer-results.png")
