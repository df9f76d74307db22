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
from collections.abc import AsyncIterator
from dataclasses import dataclass
import httpx
import pytest
from axe_playwright_python.async_playwright import Axe  # type: ignore[import-untyped]
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize

from arch_stats.core.database import Connection
from tests.admin.helpers import issue_link, make_admin
from tests.clubs.helpers import invite, join
from tests.conftest import ArcherCtx, MakeArcher
from tests.web.conftest import WebServer, sign_in
from tests.web.helpers import C, Range, close_session, make_range, post_shots

PHONE: ViewportSize = {"width": 390, "height": 844}
LAPTOP: ViewportSize = {"width": 1280, "height": 800}
# Besides axe's default rules: its experimental ones and WCAG 2.2's target size (off by default).
EXTRA_RULES = "axe.getRules(['experimental']).map(r => r.ruleId).concat(['target-size'])"
GRAVE = ("serious", "critical")
axe = Axe()


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
    member_live: Range  # the member's open session (an end shot), with a coach's note
    board_path: str
    reset_url: str


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
    owner = await make_admin(db, await make_archer("Olive Owner"))
    coach = await make_archer("Carl Coach")
    member = await make_archer("Sam Sharing")
    newcomer = await make_archer("Nina New")
    r = await client.post("/api/v0/club", json={"name": "Riverside Bowmen"}, headers=owner.headers)
    assert r.status_code == 201, r.text
    club_id = r.json()["data"]["id"]
    await join(client, coach, await invite(client, club_id, owner, "coach"))
    await join(client, member, await invite(client, club_id, owner, "member"))
    await db.execute(
        "UPDATE club_member SET show_on_public_board = true WHERE archer_id = $1", member.id
    )
    await invite(client, club_id, owner, "member")  # one left open, on the owner's page

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

    r = await client.post(f"/api/v0/club/{club_id}/board/link", headers=owner.headers)
    assert r.status_code == 201, r.text
    reset_url = await issue_link(client, owner, coach.id)
    return World(
        owner,
        coach,
        member,
        newcomer,
        club_id,
        past,
        live,
        triple,
        coach_live,
        member_live,
        r.json()["data"]["path"],
        "/app/reset#" + reset_url.split("#", 1)[1],
    )


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
        Visit(w.owner, f"/app/sessions/{own}/live", live, (".current-end button[data-place='1']", ".editor")),
        Visit(w.coach, f"/app/sessions/{w.coach_live.session_id}/live", live),
        Visit(w.coach, f"/app/sessions/{member}/live", live),
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
    ]


@pytest.fixture
async def world(
    client: httpx.AsyncClient, make_archer: MakeArcher, db: Connection
) -> AsyncIterator[World]:
    yield await a_world(client, make_archer, db)


async def findings(page: Page) -> list[str]:
    await page.evaluate(axe.axe_script)
    extra: list[str] = await page.evaluate(EXTRA_RULES)
    options = {"resultTypes": ["violations"], "rules": {rule: {"enabled": True} for rule in extra}}
    result = await axe.run(page, options=options)
    return [
        f"{v['id']} ({v['impact']}): {node['target']} {node.get('failureSummary', '')!r}"
        for v in result.response["violations"]
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
        await context.add_init_script(f"localStorage.setItem('arch-stats.theme', '{theme}')")
    return context


@pytest.mark.parametrize("theme", ["light", "dark", "sun"])
async def test_every_page_has_no_serious_or_critical_axe_finding(
    theme: str, browser: Browser, web: WebServer, world: World
) -> None:
    found: list[str] = []
    for viewport in (PHONE, LAPTOP):
        context = await a_context(browser, web, viewport, theme)
        errors: list[str] = []
        try:
            for visit in visits(world):
                await context.clear_cookies()
                page = await context.new_page()
                page.on("pageerror", lambda exc: errors.append(str(exc)))
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
                await page.close()
        finally:
            await context.close()
        assert not errors, f"JavaScript errors on the page: {errors}"
    assert not found, "\n".join(found)
