"""The range timer in real Chromium: two screens (the public big screen at 1920 × 1080, and a
member's screen in another browser whose clock is 5 s ahead) show the same phase and the same
remaining time after start, pause and next detail, run from the organiser's phone
(390 × 844, touch). A check of the clock synchronisation (each screen counts down from the
server's times corrected by its measured offset), not a speed test: the tolerance is the
documented 100 ms."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from playwright.async_api import Browser, BrowserContext, Page, expect

from arch_stats.core.database import Connection
from tests.board.helpers import make_club
from tests.conftest import MakeArcher
from tests.web.conftest import Phone, WebServer, screenshot, sign_in

API = "/api/v0"
TOLERANCE_MS = 100  # README: screens agree within 100 ms
SKEW_MS = 5_000  # the second screen's clock runs this far ahead of the server's
BIG_SCREEN = {"width": 1920, "height": 1080}
# A clock that is wrong: this page's `performance.timeOrigin` (its idea of the time) is 5 s
# ahead of the real one (which Date.now still gives, for the test's own comparisons).
SKEWED_CLOCK = f"""{{
    const real = performance.timeOrigin;
    Object.defineProperty(performance, "timeOrigin", {{ get: () => real + {SKEW_MS} }});
}}"""

SHOWN = """() => new Promise(resolve => requestAnimationFrame(() => {
    const f = document.querySelector('.timer-face');
    resolve({
        phase: f.dataset.phase, detail: f.dataset.detail, paused: f.dataset.paused,
        emergency: f.dataset.emergency, colour: f.dataset.colour,
        remaining: f.dataset.remainingMs === '' ? null : Number(f.dataset.remainingMs),
        digits: document.querySelector('.timer-digits').textContent,
        now: Date.now(),
    });
}))"""


async def shown(page: Page) -> dict[str, Any]:
    """What the screen shows, read in the animation frame right after it drew its time."""
    data: dict[str, Any] = await page.evaluate(SHOWN)
    return data


async def wait_phase(page: Page, phase: str, *, detail: str = "", paused: bool = False) -> None:
    await page.wait_for_function(
        """([phase, detail, paused]) => {
            const f = document.querySelector('.timer-face');
            return f && f.dataset.phase === phase && f.dataset.detail === detail
                && f.dataset.paused === paused && f.dataset.remainingMs !== undefined;
        }""",
        arg=[phase, detail, str(paused).lower()],
        timeout=15_000,
    )


async def same_on_both(
    a: Page, b: Page, phase: str, *, detail: str = "", paused: bool = False
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both screens show `phase` (of `detail`), and the same remaining time: a running clock
    ends at the same real moment on both (now + remaining), a paused one shows the same."""
    await asyncio.gather(
        wait_phase(a, phase, detail=detail, paused=paused),
        wait_phase(b, phase, detail=detail, paused=paused),
    )
    sa, sb = await asyncio.gather(shown(a), shown(b))
    assert sa["remaining"] is not None and sb["remaining"] is not None, (sa, sb)
    if paused:
        gap = abs(sa["remaining"] - sb["remaining"])
    else:
        gap = abs((sa["now"] + sa["remaining"]) - (sb["now"] + sb["remaining"]))
    assert gap <= TOLERANCE_MS, f"{phase}: screens differ by {gap} ms: {sa} {sb}"
    return sa, sb


async def test_two_screens_agree_run_from_the_organisers_phone(
    browser: Browser,
    web: WebServer,
    phone: Phone,
    client: httpx.AsyncClient,
    db: Connection,
    make_archer: MakeArcher,
) -> None:
    owner, coach = await make_archer("Olive Owner"), await make_archer("Cora Coach")
    club_id = await make_club(db, owner, (coach, "coach"), name="Riverside Archers")
    r = await client.post(
        f"{API}/club/{club_id}/timer",
        json={"name": "Indoor club night", "walkup_seconds": 30},
        headers=owner.headers,
    )
    timer_id = r.json()["data"]["id"]
    r = await client.post(f"{API}/timer/{timer_id}/link", headers=owner.headers)
    link = r.json()["data"]["path"]

    contexts: list[BrowserContext] = []
    try:
        big = await browser.new_context(viewport=BIG_SCREEN, base_url=web.url)  # type: ignore[arg-type]
        other = await browser.new_context(viewport={"width": 1280, "height": 800}, base_url=web.url)
        contexts += [big, other]
        await other.add_init_script(SKEWED_CLOCK)
        screen, member = await big.new_page(), await other.new_page()
        errors: list[str] = []
        for p in (screen, member):
            p.on("pageerror", lambda exc: errors.append(str(exc)))
        await screen.goto(link)
        await sign_in(member, web, coach)
        await member.goto(f"/app/clubs/{club_id}/timer/{timer_id}?screen=1")
        # The skewed screen has measured its clock: about 5 s ahead of the server's.
        await member.wait_for_function(
            f"""() => {{
                const t = document.querySelector('.timer');
                const o = t ? t.dataset.clockOffsetMs : undefined;
                return o !== undefined && Math.abs(Number(o) + {SKEW_MS}) < 50;
            }}"""
        )
        for p in (screen, member):
            await expect(p.locator(".timer-face")).to_have_attribute("data-phase", "ready")
            await expect(p.locator(".timer-controls")).to_be_hidden()  # screens: no controls
        # Sound waits for a tap (autoplay rules), and says so.
        sound = screen.get_by_role("button", name="Tap to enable sound")
        await expect(sound).to_be_visible()

        # The organiser's phone, by touch.
        ph = phone.page
        await sign_in(ph, web, owner)
        await ph.goto(f"/app/clubs/{club_id}/timer/{timer_id}")
        start = ph.get_by_role("button", name="Start end 1")
        box = await start.bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 44
        await start.tap()
        walkup, _ = await same_on_both(screen, member, "walkup", detail="AB")
        assert walkup["colour"] == "red"
        await sound.click()
        await expect(screen.locator(".timer-sound")).to_have_attribute("data-sound", "on")

        await ph.get_by_role("button", name="Pause").tap()
        await same_on_both(screen, member, "walkup", detail="AB", paused=True)
        await ph.get_by_role("button", name="Resume").tap()
        await same_on_both(screen, member, "walkup", detail="AB")
        await ph.get_by_role("button", name="Start shooting now").tap()
        shooting, _ = await same_on_both(screen, member, "shoot", detail="AB")
        assert shooting["colour"] == "green" and 110 <= int(shooting["digits"]) <= 120
        await screenshot(screen, "timer-screen.png")
        await screenshot(ph, "timer-phone.png")

        await ph.get_by_role("button", name="Detail done: next detail").tap()
        await same_on_both(screen, member, "walkup", detail="CD")
        await ph.get_by_role("button", name="Pause").tap()
        await same_on_both(screen, member, "walkup", detail="CD", paused=True)

        await ph.get_by_role("button", name="Emergency stop").tap()
        for p in (screen, member):
            await expect(p.locator(".timer-face")).to_have_attribute("data-emergency", "true")
            await expect(p.locator(".timer-digits")).to_have_text("STOP")
        await ph.get_by_role("button", name="Resume after the emergency").tap()
        await same_on_both(screen, member, "walkup", detail="CD")
        assert not errors, errors
        assert phone.console.unexpected() == []
    finally:
        for context in contexts:
            await context.close()
