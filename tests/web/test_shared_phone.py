"""One phone, two archers (issue 18): what the app keeps on the device belongs to one account.

Archer A's sign-in ends elsewhere ("sign out everywhere" from another device) while the phone
holds A's pages and an arrow A recorded offline; B then signs in on the same browser profile.
B never sees A's sessions, online or offline; A's arrow waits on the phone, unsent, and goes
to A's session when A signs in there again.
"""

from __future__ import annotations

import httpx
from playwright.async_api import Page, expect

from arch_stats.core.database import Connection
from tests.conftest import PASSWORD, ArcherCtx, MakeArcher
from tests.web.conftest import Phone, WebServer, screenshot, sign_in
from tests.web.helpers import C, Range, make_range, post_shots
from tests.web.phone import Console, face_box, until

A_FIELD = "Alice's meadow"
B_FIELD = "Bob's barn"


async def stored(db: Connection, r: Range) -> int:
    """Shots the server has in the range's session (A's login token no longer works)."""
    n: int = await db.fetchval("SELECT count(*) FROM shot WHERE session_id = $1", r.session_id)
    return n


async def sign_in_with_the_form(page: Page, who: ArcherCtx) -> None:
    if "/app/signin" not in page.url:
        await page.goto("/app/signin")
    await page.get_by_label("Email").fill(who.email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").tap()
    await expect(page.locator("#menu-button")).to_be_visible()


async def kept_caches(page: Page) -> list[str]:
    names: list[str] = await page.evaluate("caches.keys()")
    return sorted(n for n in names if n.startswith("arch-stats-api"))


async def nothing_of_a_on_its_live_page(page: Page, ra: Range, heading: str, name: str) -> None:
    """B opens A's live page: `heading`, no face, nothing of A's (screenshot `name`)."""
    await page.goto(f"/app/sessions/{ra.session_id}/live")
    await expect(page.locator("main h1")).to_have_text(heading)
    await expect(page.locator("svg.target")).to_have_count(0)
    await expect(page.locator("main")).not_to_contain_text(A_FIELD)
    await screenshot(page, f"shared-phone-{name}.png")


async def test_the_next_archer_on_a_phone_never_sees_the_first_ones_sessions(
    phone: Phone,
    web: WebServer,
    client: httpx.AsyncClient,
    db: Connection,
    make_archer: MakeArcher,
) -> None:
    page, finger = phone.page, phone.finger
    a, b = await make_archer("Alice"), await make_archer("Bob")
    ra = await make_range(client, a, location=A_FIELD, arrows=("A01",))
    await post_shots(client, ra, [(C, C)])
    rb = await make_range(client, b, location=B_FIELD, arrows=("B01",))

    # A browses online: the list, then the live page (kept on the phone for the range).
    await sign_in(page, web, a)
    await page.goto("/app/sessions")
    await expect(page.locator("main")).to_contain_text(A_FIELD)
    await page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    await page.goto(f"/app/sessions/{ra.session_id}/live")
    await expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    await expect(page.locator("svg.target .shot")).to_have_count(1)

    # With no network A records an arrow; meanwhile A's sign-in ends everywhere.
    await page.context.set_offline(True)
    await expect(page.locator("#conn")).to_have_attribute("data-state", "offline")
    box = await face_box(page)
    await finger.tap((box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.45))
    await expect(page.locator("svg.target .shot.unsent")).to_have_count(1)
    r = await client.post(
        "/api/v0/auth/logout/everywhere", json={"keep_current": False}, headers=a.headers
    )
    assert r.status_code == 200, r.text
    # The phone cannot know yet: a reload still shows A's page and A's waiting arrow.
    await page.reload()
    await expect(page.locator("svg.target .shot.unsent")).to_have_count(1)
    await expect(page.locator("#sync")).to_contain_text("1 waiting")
    await screenshot(page, "shared-phone-a-offline-after-remote-sign-out.png")
    # The tab is closed; later, with the network back, B opens the app on the same profile.
    context = page.context
    await page.close()
    await context.set_offline(False)
    page = await context.new_page()
    console = Console(page)
    await page.goto("/app/")
    await page.wait_for_url("**/app/signin*")
    assert await kept_caches(page) == []  # the server said nobody is signed in: forgotten
    assert await stored(db, ra) == 1  # the arrow was not sent without A

    # B signs in on the same browser profile.
    await sign_in_with_the_form(page, b)
    await expect(page.locator("#sync")).to_be_hidden()  # A's waiting arrow is not B's

    # Offline, B opens pages B never opened online: nothing of A's.
    await page.context.set_offline(True)
    await page.goto("/app/sessions")
    await expect(page.locator("main h1")).to_have_text("Sessions")
    await expect(page.locator("main")).not_to_contain_text(A_FIELD)
    await expect(page.locator("main .error-box")).to_be_visible()
    await screenshot(page, "shared-phone-b-offline-sessions.png")
    await nothing_of_a_on_its_live_page(page, ra, "Something went wrong", "b-offline-a-live")

    # Online, the same: B's sessions only, and A's live page is not found for B.
    await page.context.set_offline(False)
    await page.goto("/app/sessions")
    await expect(page.locator("main")).to_contain_text(B_FIELD)
    await expect(page.locator("main")).not_to_contain_text(A_FIELD)
    await screenshot(page, "shared-phone-b-sessions.png")
    await nothing_of_a_on_its_live_page(page, ra, "Not found", "b-a-live")
    assert await kept_caches(page) == [f"arch-stats-api:{b.id}"]

    # B signs out; A signs in again on the phone, and A's arrow goes to A's session.
    await page.goto("/app/")
    await page.locator("#menu-button").tap()
    await page.get_by_role("button", name="Sign out").tap()
    await page.wait_for_url("**/app/signin*")
    assert await kept_caches(page) == []
    await sign_in_with_the_form(page, a)

    async def sent() -> bool:
        """A's arrow reached A's session."""
        return await stored(db, ra) == 2

    await until(sent)
    await expect(page.locator("#sync")).to_be_hidden()
    assert await stored(db, rb) == 0
    assert not console.unexpected(
        "ERR_INTERNET_DISCONNECTED", "Failed to fetch", "401", "404", "WebSocket"
    )
