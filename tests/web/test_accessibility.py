"""axe-core on every page of the UI, in Chromium, at 390 × 844 (touch) and 1280 × 800, in each
theme: no serious and no critical finding.

The pages are drawn from realistic data: a club (its owner is also the instance's
administrator, a coach, a member who shares and shows on the public board), sessions with
rounds and shots (one on a triple face, with a second arrow in a spot), a coach's note, an open
session being shot, the club's public board link and a password reset link. axe-core comes with
the `axe-playwright-python` package (its own pinned copy of axe-core, injected into the page:
nothing is fetched); its experimental rules (label and content-name mismatch among them) run
too."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from axe_playwright_python.async_playwright import Axe  # type: ignore[import-untyped]
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, expect

from arch_stats.core.database import Connection
from tests.admin.helpers import issue_link, make_admin
from tests.clubs.helpers import invite, make_club
from tests.conftest import ArcherCtx, MakeArcher
from tests.equipment.helpers import call, session_with_shots
from tests.matches.helpers import competition, end, values
from tests.web.conftest import WebServer, sign_in
from tests.web.helpers import C, Range, close_session, make_range, post_shots

PHONE: ViewportSize = {"width": 390, "height": 844}
LAPTOP: ViewportSize = {"width": 1280, "height": 800}
# axe-core's 570 kB, run in each page of a context before the page's own scripts: a third of
# the time of evaluating it in each page after it is drawn (twice, as `Axe.run` does).
AXE_SCRIPT: str = Axe().axe_script
# Besides axe's default rules: its experimental ones and WCAG 2.2's target size (off by default).
AXE_RUN = """async () => {
    const extra = axe.getRules(['experimental']).map(r => r.ruleId).concat(['target-size']);
    const rules = Object.fromEntries(extra.map(id => [id, {enabled: true}]));
    return (await axe.run(document, {resultTypes: ['violations'], rules})).violations;
}"""
GRAVE = ("serious", "critical")


@dataclass(frozen=True)
class World:
    owner: ArcherCtx  # owns the club, administers the instance, shoots
    coach: ArcherCtx
    member: ArcherCtx  # shares with the coaches and shows on the public board
    newcomer: ArcherCtx  # no arrows, no sessions, no club yet
    club_id: str
    past: Range  # the owner's closed WA 720, with a miss
    live: Range  # the owner's open session, shot into
    triple: Range  # the owner's closed indoor session on a triple face
    coach_live: Range  # the coach's own open session on a triple face, a spot hit twice
    member_live: Range  # the member's open session (an end shot), a coach's note on end 1
    board_path: str
    reset_url: str
    bow_id: str  # the owner's bow, with sight marks
    tuning: str  # the owner's closed tuning session: fletched and bare shafts
    bracket_path: str  # a competition's brackets: a semi-final under way
    season_path: str  # a league's public season page
    competition_id: str  # the club's competition, running: guests on a bale, an end confirmed
    results_path: str  # its public results link


def spread(n: int, radius: float, phase: float = 0.0) -> list[tuple[float, float]]:
    """`n` impacts around the centre, some close, some out to `radius` mm (deterministic)."""
    return [
        (
            round(C + radius * ((k * 7 + 3) % 10) / 10 * math.cos(phase + k * 2.4), 1),
            round(C + radius * ((k * 3 + 1) % 10) / 10 * math.sin(phase + k * 2.4), 1),
        )
        for k in range(n)
    ]


async def a_world(client: httpx.AsyncClient, make_archer: MakeArcher, db: Connection) -> World:
    club = await make_club(client, make_archer)  # and a member who does not share
    owner, coach, member = await make_admin(db, club.owner), club.coach, club.sharing
    newcomer = await make_archer("Nina New")
    await db.execute(
        "UPDATE club_member SET show_on_public_board = true WHERE archer_id = $1", member.id
    )
    await invite(client, club.id, owner, "member")  # one left open, on the owner's page

    # The owner's history: two closed WA 720 sessions (one arrow missed), a triple face.
    for days, phase in ((20, 0.0), (6, 1.0)):
        past = await make_range(
            client,
            owner,
            round_code="wa720_70",
            arrows=("A01", "A02", "A03") if days == 20 else (),
            start_time=f"2026-01-{30 - days:02d}T10:00:00+00:00",
        )
        points: list[tuple[float, float] | None] = [*spread(11, 300, phase), None]
        await post_shots(client, past, points, arrow=None)
        await close_session(client, past)
    top = C + 220  # the spots are 220 mm apart: two arrows in the top one, one in the middle
    triple = await make_range(
        client, owner, face="wa_40_triple_vertical", per_end=3, distance=18.0, arrows=()
    )
    await post_shots(client, triple, [(C, top), (C + 25, top), (C, C)], arrow=None)
    await close_session(client, triple)
    bow_id, tuning = await equipment(client, owner)
    coach_live = await make_range(
        client, coach, face="wa_40_triple_vertical", per_end=3, distance=18.0, arrows=("C1",)
    )
    await post_shots(
        client, coach_live, [(C, top), (C + 25, top), (C, C), (C, C - 210)], arrow="C1"
    )
    live = await make_range(client, owner, round_code="wa720_70", arrows=())
    await post_shots(client, live, spread(6, 250), arrow=None)
    await post_shots(client, live, spread(3, 150, 0.5), arrow=None)

    member_live = await make_range(client, member, round_code="wa720_70", arrows=("B1", "B2"))
    await post_shots(client, member_live, spread(6, 200, 0.3), arrow="B1")
    r = await client.post(
        f"/api/v0/session/{member_live.session_id}/note",
        json={"body": "Bow arm drops: hold the follow-through", "end_no": 1},
        headers=coach.headers,
    )
    assert r.status_code == 201, r.text

    r = await client.post(f"/api/v0/club/{club.id}/board/link", headers=owner.headers)
    assert r.status_code == 201, r.text
    reset_url = await issue_link(client, owner, coach.id)
    bracket_path, season_path = await a_tournament(client, db, owner)
    competition_id, results_path = await a_competition(client, owner, club.id)
    return World(
        owner,
        coach,
        member,
        newcomer,
        club.id,
        past,
        live,
        triple,
        coach_live,
        member_live,
        r.json()["data"]["path"],
        "/app/reset#" + reset_url.split("#", 1)[1],
        bow_id,
        tuning,
        bracket_path,
        season_path,
        competition_id,
        results_path,
    )


async def equipment(client: httpx.AsyncClient, owner: ArcherCtx) -> tuple[str, str]:
    """A bow with sight marks, a set of 6, and a tuning session in two groups."""
    body = {"name": "Formula", "sight_radius_mm": 850}
    bow = await call(client, owner, "POST", "/bow", body, 201)
    for d in (18, 30, 50, 70):
        mark = {"distance_m": d, "mark": 5 + 0.4 * d}
        await call(client, owner, "POST", f"/bow/{bow['id']}/sight-mark", mark, 201)
    body = {"name": "X10", "arrows": {"prefix": "T", "count": 6}}
    ids = [a["id"] for a in (await call(client, owner, "POST", "/arrow-set", body, 201))["arrows"]]
    shots = [(a, 20.0 * (k % 3) - 20, 10.0 * k - 10) for k, a in enumerate(ids) for _ in range(2)]
    sid = await session_with_shots(client, owner, shots, distance=18)
    groups = {"arrows_a": ids[:3], "arrows_b": ids[3:]}
    await call(client, owner, "PUT", f"/session/{sid}/tuning", groups)
    return bow["id"], sid


async def a_tournament(
    client: httpx.AsyncClient, db: Connection, owner: ArcherCtx
) -> tuple[str, str]:
    """A competition of 4 with its bracket drawn and a semi-final's first set shot; a league
    of it with a public link: (the bracket page, the season page)."""
    cid, key, _ = await competition(
        client, db, owner, round_code="wa720_70", bowstyle="recurve", totals=[29, 28, 27, 26]
    )
    r = await client.post(
        f"/api/v0/competition/{cid}/bracket", json={"category_key": key}, headers=owner.headers
    )
    assert r.status_code == 201, r.text
    semi = r.json()["data"]["rounds"][0]["matches"][0]["id"]
    for side, scores in ((0, ("10", "9", "9")), (1, ("9", "8", "7"))):
        r = await end(client, owner, semi, side, 1, values(*scores))
        assert r.status_code == 200, r.text
    club_id = (await client.get(f"/api/v0/competition/{cid}", headers=owner.headers)).json()[
        "data"
    ]["club_id"]
    league = {"club_id": club_id, "name": "Winter league", "basis": "handicap", "best_of": 1}
    r = await client.post(
        "/api/v0/league", json={**league, "competition_ids": [cid]}, headers=owner.headers
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        f"/api/v0/league/{r.json()['data']['league']['id']}/link", headers=owner.headers
    )
    return f"/app/competitions/{cid}/bracket", r.json()["data"]["path"]


async def a_competition(
    client: httpx.AsyncClient, owner: ArcherCtx, club_id: str
) -> tuple[str, str]:
    """A running club night of guests (the members' open sessions stay as they are), one
    end scored and confirmed, its public results link."""
    api = "/api/v0/competition"
    r = await client.post(
        api,
        json={
            "club_id": club_id,
            "name": "Club night",
            "starts_on": "2026-12-08",
            "round_code": "bray_i",
            "categories": [{"bowstyle": "recurve"}, {"bowstyle": "barebow"}],
        },
        headers=owner.headers,
    )
    assert r.status_code == 201, r.text
    cid = r.json()["data"]["id"]
    for name, bow in (("Gus Guest", "recurve"), ("Vera Visitor", "recurve"), ("Bo", "barebow")):
        r = await client.post(
            f"{api}/{cid}/entry", json={"guest_name": name, "bowstyle": bow}, headers=owner.headers
        )
        assert r.status_code == 201, r.text
    for step in ("targets", "start"):
        r = await client.post(f"{api}/{cid}/{step}", headers=owner.headers)
        assert r.status_code == 200, r.text
    gus = next(e for e in r.json()["data"]["entrants"] if e["name"] == "Gus Guest")
    bale = (await client.get(f"{api}/{cid}/bale/1", headers=owner.headers)).json()["data"]
    session = next(a["session"] for a in bale["archers"] if a["id"] == gus["id"])
    shots = [
        {"session_id": session["id"], "target_id": session["progress"]["target_id"], "value": v}
        for v in ("10", "9", "7")
    ]
    r = await client.post(f"{api}/shot", json=shots, headers=owner.headers)
    assert r.status_code == 201, r.text
    r = await client.post(f"{api}/{cid}/entry/{gus['id']}/end/1/confirm", headers=owner.headers)
    assert r.status_code == 200, r.text
    r = await client.post(f"{api}/{cid}/results/link", headers=owner.headers)
    assert r.status_code == 201, r.text
    return cid, r.json()["data"]["path"]


@dataclass(frozen=True)
class Visit:
    who: ArcherCtx | None
    path: str
    drawn: str  # what shows that the page is drawn
    # Then, where it is shown: a click, and what shows that it took effect.
    then: tuple[str, str] | None = None


def visits(w: World) -> list[Visit]:
    """Every page of the router (js/main.js), some in a second state."""
    own, member = w.live.session_id, w.member_live.session_id
    live = "#conn[data-state=live]"
    return [
        Visit(None, "/app/signin", "form button[type=submit]"),
        Visit(None, "/app/signup", "form button[type=submit]"),
        Visit(None, w.reset_url, "form button[type=submit]"),
        Visit(None, w.board_path, ".board-card"),
        Visit(w.owner, "/app/", "#open-h", ("#menu-button", "#nav.open")),
        Visit(w.owner, "/app/arrows", ".arrow-card"),
        Visit(w.owner, "/app/sessions", ".session-link"),
        Visit(w.newcomer, "/app/", "#start-h"),
        Visit(w.newcomer, "/app/sessions/new", "#new-session"),
        Visit(w.newcomer, "/app/clubs", "#join-h"),
        Visit(w.owner, f"/app/sessions/{own}/live", live, ("button.miss", "#announce.show")),
        Visit(
            w.owner,
            f"/app/sessions/{own}/live",
            live,
            (".current-end button[data-place='1']", ".editor"),
        ),
        Visit(w.coach, f"/app/sessions/{w.coach_live.session_id}/live", live),
        Visit(w.coach, f"/app/sessions/{member}/live", live, (".note-badge", ".notes-dialog")),
        Visit(w.member, f"/app/sessions/{member}/live", live, (".note-badge", ".notes-dialog")),
        Visit(w.owner, f"/app/sessions/{w.past.session_id}", "#scorecard"),
        Visit(w.owner, f"/app/sessions/{w.triple.session_id}", "#scorecard"),
        Visit(w.coach, f"/app/sessions/{member}", ".note"),
        Visit(w.owner, "/app/history", "#trend-h ~ * svg"),
        Visit(w.owner, "/app/clubs", "#consent-h, .club-card"),
        Visit(w.owner, f"/app/clubs/{w.club_id}", "#invites-h"),
        Visit(w.member, f"/app/clubs/{w.club_id}", "#consent-h"),
        Visit(w.owner, f"/app/members/{w.member.id}", "#member-sessions-h"),
        Visit(w.owner, f"/app/clubs/{w.club_id}/board", ".board-card"),
        Visit(w.owner, "/app/profile", "#sign-ins li"),
        Visit(w.owner, "/app/admin", ".account-card"),
        Visit(w.owner, "/app/equipment", "li[data-bow-id]", ("li[data-set-id] button", ".cull")),
        Visit(w.owner, f"/app/equipment/bows/{w.bow_id}", ".marks svg.chart"),
        Visit(w.owner, f"/app/sessions/{w.tuning}/tuning", ".tuning-result"),
        Visit(w.owner, w.bracket_path, ".match-card", ("[data-action=score]", ".keypad .value")),
        Visit(None, w.season_path, ".season-table"),
        Visit(w.owner, "/app/competitions", ".competition-list"),
        Visit(w.owner, "/app/competitions/new", "form.form"),
        Visit(w.owner, f"/app/competitions/{w.competition_id}", ".target-list"),
        Visit(
            w.owner,
            f"/app/competitions/{w.competition_id}/bale/1",
            "[data-page=bale][data-ready=true]",
            (".bale-card tr[data-end='1'] .chip", ".locked-note"),
        ),
        Visit(w.owner, f"/app/competitions/{w.competition_id}/bale/1", ".bale-end"),
        Visit(w.owner, f"/app/competitions/{w.competition_id}/results", ".results-table"),
        Visit(None, w.results_path, ".results-table"),
    ]


@pytest.fixture
async def world(client: httpx.AsyncClient, make_archer: MakeArcher, db: Connection) -> World:
    return await a_world(client, make_archer, db)


async def findings(page: Page) -> list[str]:
    """axe's serious and critical findings on `page` (of a context given `AXE_SCRIPT`)."""
    violations: list[dict[str, Any]] = await page.evaluate(AXE_RUN)
    return [
        f"{v['id']} ({v['impact']}): {node['target']} {node.get('failureSummary', '')!r}"
        for v in violations
        if v["impact"] in GRAVE
        for node in v["nodes"]
    ]


async def a_context(
    browser: Browser, web: WebServer, viewport: ViewportSize, theme: str
) -> BrowserContext:
    phone = viewport == PHONE
    context = await browser.new_context(
        viewport=viewport,
        has_touch=phone,
        is_mobile=phone,
        base_url=web.url,
        # "dark": nothing chosen on the device, the system's preference followed.
        color_scheme="dark" if theme == "dark" else "light",
    )
    context.set_default_timeout(15_000)
    if theme != "dark":
        # (Not in about:blank, which has no storage.)
        await context.add_init_script(
            f"if (origin !== 'null') localStorage.setItem('arch-stats.theme', '{theme}')"
        )
    return context


@pytest.mark.parametrize("theme", ["light", "dark", "sun"])
async def test_every_page_has_no_serious_or_critical_axe_finding(
    theme: str, browser: Browser, web: WebServer, world: World
) -> None:
    found: list[str] = []
    errors: list[str] = []
    for viewport in (PHONE, LAPTOP):
        context = await a_context(browser, web, viewport, theme)
        await context.add_init_script(AXE_SCRIPT)
        # One tab for every visit, each a new document: a new tab costs Chromium a renderer
        # process and the pages' scripts compiled again (half of the test's time).
        page = await context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        try:
            for visit in visits(world):
                # Away first: a path that differs from the last one only in its fragment
                # would otherwise not load the document again.
                await page.goto("about:blank")
                await context.clear_cookies()
                if visit.who is not None:
                    await sign_in(page, web, visit.who)
                await page.goto(visit.path)
                await page.locator(visit.drawn).first.wait_for()
                where = f"{viewport['width']} {visit.path}"
                if visit.then and await page.locator(visit.then[0]).first.is_visible():
                    await page.locator(visit.then[0]).first.click()
                    await page.locator(visit.then[1]).first.wait_for()
                    where += f" after {visit.then[0]}"
                found += [f"{where}: {f}" for f in await findings(page)]
        finally:
            await context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
    assert not found, "\n".join(found)


def luminance(css: str) -> float:
    """Relative luminance (WCAG) of a computed `rgb(r, g, b)` colour."""
    channels = [int(c) / 255 for c in re.findall(r"\d+", css)[:3]]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("theme", ["light", "dark", "sun"])
async def test_focus_ring_stands_out_on_every_background(
    theme: str, browser: Browser, web: WebServer, make_archer: MakeArcher, client: httpx.AsyncClient
) -> None:
    """Two rings, a dark one and a light one, over what was the page around the control: on a
    background of any colour one of them contrasts 3:1 or more when the two contrast 9:1 or
    more with each other (the contrasts with a background multiply to theirs)."""
    archer = await make_archer()
    r = await make_range(client, archer, round_code="wa720_70")
    await post_shots(client, r, [(C, C + 100)])  # a gold cell on the card
    context = await a_context(browser, web, LAPTOP, theme)
    try:
        page = await context.new_page()
        await sign_in(page, web, archer)
        await page.goto(f"/app/sessions/{r.session_id}/live")
        await page.locator("#conn[data-state=live]").wait_for()
        for control in ("button.miss", "#scorecard button.cell", ".top nav a[href='/app/']"):
            await page.focus(control)
            await page.keyboard.press("Shift+Tab")
            await page.keyboard.press("Tab")  # focused from the keyboard: :focus-visible
            ring = await page.evaluate(
                """() => { const s = getComputedStyle(document.activeElement);
                    return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow]; }"""
            )
            style, width, outline, shadow = ring
            assert style == "solid" and float(width.removesuffix("px")) >= 2, (control, ring)
            halo = re.match(r"rgba?\([^)]*\)", shadow)
            assert halo, (control, ring)
            assert contrast(outline, halo.group(0)) >= 9, (control, ring)
    finally:
        await context.close()


async def focused(page: Page) -> str | None:
    """What has the keyboard focus: its `data-focus`, else its tag."""
    found: str | None = await page.evaluate(
        "() => document.activeElement.dataset.focus || document.activeElement.tagName"
    )
    return found


async def settled(page: Page) -> None:
    """Everything recorded has reached the server and is drawn."""
    await expect(page.locator("[data-page=live]")).to_have_attribute("data-adding", "0")
    await expect(page.locator(".queue")).to_be_hidden()


async def test_focus_stays_on_miss_undo_and_the_chosen_scorecard_arrow(
    page: Page, web: WebServer, make_archer: MakeArcher, client: httpx.AsyncClient
) -> None:
    archer = await make_archer()
    r = await make_range(client, archer)
    [shot] = await post_shots(client, r, [(C, C + 100)])
    await sign_in(page, web, archer)
    await page.goto(f"/app/sessions/{r.session_id}/live")
    await page.locator("#conn[data-state=live]").wait_for()

    await page.focus("button.miss")
    await page.keyboard.press("Enter")
    await expect(page.locator("#scorecard td.arrow-col[data-label='M']")).to_have_count(1)
    await settled(page)
    assert await focused(page) == "miss"
    await page.keyboard.press("Enter")  # again, from where the focus stayed
    await expect(page.locator("#scorecard td.arrow-col[data-label='M']")).to_have_count(2)
    await settled(page)
    assert await focused(page) == "miss"

    await page.focus("[data-focus=undo]")
    await page.keyboard.press("Enter")
    await expect(page.locator("#scorecard td.arrow-col[data-label='M']")).to_have_count(1)
    await settled(page)
    assert await focused(page) == "undo"

    # An arrow of the card chosen to correct it: the editor opens, the focus stays on it.
    await page.focus(f"#scorecard [data-focus='card-{shot['id']}']")
    await page.keyboard.press("Enter")
    await expect(page.locator(".editor")).to_be_visible()
    assert await focused(page) == f"card-{shot['id']}"
    await page.locator(".editor").get_by_role("button", name="Done").click()
    await expect(page.locator(".editor")).to_be_hidden()
    assert await focused(page) == f"card-{shot['id']}"


async def test_every_recorded_arrow_is_announced_with_its_value(
    page: Page, web: WebServer, make_archer: MakeArcher, client: httpx.AsyncClient
) -> None:
    archer = await make_archer()
    r = await make_range(client, archer)
    await sign_in(page, web, archer)
    await page.goto(f"/app/sessions/{r.session_id}/live")
    await page.locator("#conn[data-state=live]").wait_for()
    said = page.locator("#announce[role=status]")

    face = page.get_by_role("application")
    await face.focus()
    await page.keyboard.press("Enter")  # the cross at the centre: an X
    await expect(page.locator("#record-shot")).to_be_visible()
    await expect(face).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(said).to_have_text("A01: X")
    await page.get_by_role("button", name="Miss").click()  # A02 is suggested next
    await expect(said).to_have_text("A02: Miss")
    # An arrow recorded elsewhere (the sensors, another device) is said as it arrives.
    await post_shots(client, r, [(C, C + 100)], arrow="A03")
    await expect(said).to_have_text("A03: 9")
    await post_shots(client, r, [(C - 200, C)], arrow=None)
    await expect(said).to_have_text("Arrow 4: 7")
