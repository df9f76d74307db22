"""What the phone itself does, in Chromium: the theme (the system's, or the one chosen on the
profile page, in place before the first paint), the screen kept on while a session is open on
the live page, and a short vibration on record (which can be turned off)."""

from __future__ import annotations

import httpx
from playwright.async_api import Browser, Page, expect

from tests.conftest import MakeArcher
from tests.web.conftest import WebServer, sign_in
from tests.web.helpers import make_range

# What the page looks like at its first frame (before its first paint), noted by a script the
# browser runs before the page's own.
FIRST_FRAME = """
requestAnimationFrame(() => {
  window.firstFrame = {
    theme: document.documentElement.dataset.theme || null,
    background: getComputedStyle(document.body || document.documentElement).backgroundColor,
  };
});
"""
# The real Screen Wake Lock API, with every lock it hands out kept in sight.
LOCKS = """
window.locks = [];
const request = WakeLock.prototype.request;
WakeLock.prototype.request = async function (...args) {
  const lock = await request.apply(this, args);
  window.locks.push(lock);
  return lock;
};
"""
HELD = "window.locks.filter((lock) => !lock.released).length"


async def held(page: Page, count: int) -> None:
    """Wait until `count` wake locks are held."""
    await page.wait_for_function(f"() => {HELD} === {count}")


# The vibrations asked for (the browser of the suite has no motor to feel).
VIBRATIONS = """
window.vibrations = [];
navigator.vibrate = (pattern) => { window.vibrations.push(pattern); return true; };
"""
DARK_BACKGROUND = "rgb(15, 20, 25)"  # --bg of the dark theme
SUN_BACKGROUND = "rgb(255, 255, 255)"


async def live_page(
    page: Page, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher, script: str
) -> str:
    """An archer's open session on the live page (its address), `script` run before the
    page's own."""
    archer = await make_archer()
    r = await make_range(client, archer)
    await page.add_init_script(script)
    await sign_in(page, web, archer)
    live = f"/app/sessions/{r.session_id}/live"
    await page.goto(live)
    return live


async def first_frame(page: Page) -> dict[str, str | None]:
    await page.wait_for_function("() => window.firstFrame !== undefined")
    seen: dict[str, str | None] = await page.evaluate("window.firstFrame")
    return seen


async def test_theme_follows_the_system_until_one_is_chosen_and_is_there_at_first_paint(
    browser: Browser, web: WebServer, make_archer: MakeArcher, client: httpx.AsyncClient
) -> None:
    archer = await make_archer()
    context = await browser.new_context(base_url=web.url, color_scheme="dark")
    try:
        await context.add_init_script(FIRST_FRAME)
        page = await context.new_page()
        await sign_in(page, web, archer)
        await page.goto("/app/profile")
        assert await first_frame(page) == {"theme": "dark", "background": DARK_BACKGROUND}
        await expect(page.get_by_label("As the system (light or dark)")).to_be_checked()
        other = await context.new_page()  # another tab of the same browser
        await other.goto("/app/")

        await page.get_by_label("Sunlight (high contrast, for bright sun)").check()
        html = page.locator("html")
        await expect(html).to_have_attribute("data-theme", "sun")  # at once
        await expect(other.locator("html")).to_have_attribute("data-theme", "sun")
        await page.reload()
        assert await first_frame(page) == {"theme": "sun", "background": SUN_BACKGROUND}
        await expect(page.get_by_label("Sunlight (high contrast, for bright sun)")).to_be_checked()

        await page.get_by_label("As the system (light or dark)").check()
        await expect(html).to_have_attribute("data-theme", "dark")
        await page.emulate_media(color_scheme="light")  # the system turns light: followed
        await expect(html).to_have_attribute("data-theme", "light")
    finally:
        await context.close()


async def test_screen_stays_on_while_the_session_is_open_on_the_live_page(
    page: Page, web: WebServer, make_archer: MakeArcher, client: httpx.AsyncClient
) -> None:
    await live_page(page, web, client, make_archer, LOCKS)
    await held(page, 1)

    # The browser drops the lock when the page is hidden; shown again, it is asked for again.
    await page.evaluate("window.locks[0].release()")
    assert await page.evaluate(f"() => {HELD}") == 0
    await page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    await held(page, 1)
    assert await page.evaluate("window.locks.length") == 2

    await page.get_by_role("button", name="Close session").click()  # the dialog is accepted
    await expect(page.locator("#conn")).to_have_text("Session closed")
    await held(page, 0)
    await page.get_by_role("button", name="Reopen session").click()
    await held(page, 1)
    await page.get_by_role("navigation").get_by_role("link", name="Home").click()
    await held(page, 0)


async def test_live_page_works_where_the_device_has_no_wake_lock_nor_vibration(
    page: Page, web: WebServer, make_archer: MakeArcher, client: httpx.AsyncClient
) -> None:
    missing = "delete Navigator.prototype.wakeLock; delete Navigator.prototype.vibrate"
    await live_page(page, web, client, make_archer, missing)
    await page.get_by_role("button", name="Miss").click()
    await expect(page.locator("#scorecard td.arrow-col[data-label='M']")).to_have_count(1)
    # `page` fails the test on any JavaScript error.


async def test_recording_an_arrow_vibrates_briefly_unless_turned_off(
    page: Page, web: WebServer, make_archer: MakeArcher, client: httpx.AsyncClient
) -> None:
    live = await live_page(page, web, client, make_archer, VIBRATIONS)
    face = page.get_by_role("application")
    await face.focus()
    await page.keyboard.press("Enter")  # the cross at the centre
    await expect(page.locator("#record-shot")).to_be_visible()
    await expect(face).to_be_focused()
    await page.keyboard.press("Enter")  # recorded
    await expect(page.locator("#scorecard td.arrow-col[data-label='X']")).to_have_count(1)
    [pattern] = await page.evaluate("window.vibrations")
    assert 10 <= pattern <= 20

    await page.goto("/app/profile")
    tick = page.get_by_label("A short vibration when an arrow is recorded (on phones that have it)")
    await expect(tick).to_be_checked()
    await tick.uncheck()
    await page.goto(live)
    await page.get_by_role("button", name="Miss").click()
    await expect(page.locator("#scorecard td.arrow-col[data-label='M']")).to_have_count(1)
    assert await page.evaluate("window.vibrations") == []
