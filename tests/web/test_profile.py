"""The profile page on a phone: where the account is signed in, signing out one device or all
others, and what a password change says."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from playwright.async_api import Browser, Dialog, Page, expect

from tests.auth.test_tokens import FIREFOX, login
from tests.conftest import PASSWORD, ArcherCtx
from tests.web.conftest import WebServer, screenshot, sign_in

PHONE_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Mobile Safari/537.36"
)


@pytest.fixture
async def phone(browser: Browser, web: WebServer, client: httpx.AsyncClient) -> AsyncIterator[Page]:
    """A 390 × 844 touch screen; dialogs accepted; the test fails on a JavaScript error."""
    context = await browser.new_context(
        viewport={"width": 390, "height": 844},
        has_touch=True,
        is_mobile=True,
        user_agent=PHONE_AGENT,
        base_url=web.url,
    )
    context.set_default_timeout(10_000)
    pg = await context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))

    async def accept(dialog: Dialog) -> None:
        await dialog.accept()

    pg.on("dialog", accept)
    try:
        yield pg
    finally:
        await context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


async def test_sign_ins_listed_one_signed_out_then_all_others_on_a_phone(
    phone: Page, web: WebServer, client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    laptop = await login(client, archer, agent=FIREFOX)
    script = await login(client, archer, agent="curl/8.5.0")
    # This phone signed in as a phone does (the fixture's token has no browser to show).
    here = replace(archer, token=await login(client, archer, agent=PHONE_AGENT))
    await sign_in(phone, web, here)
    await phone.goto("/app/profile")
    rows = phone.locator("#sign-ins li")
    await expect(rows).to_have_count(4)
    await expect(phone.locator("#sign-ins li.current")).to_contain_text("Chrome Mobile on Android")
    current = phone.locator("#sign-ins li.current")
    await expect(current).to_have_count(1)
    await expect(current).to_contain_text("this device")
    await expect(phone.locator("#sign-ins")).to_contain_text("Firefox on Linux")
    await expect(phone.locator("#sign-ins")).to_contain_text("127.0.0.1")
    shot = await screenshot(phone, "profile-sign-ins-phone.png")
    assert shot.stat().st_size > 0
    # Nothing runs off the side of the phone's screen.
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390

    firefox = phone.locator("#sign-ins li", has_text="Firefox on Linux")
    await firefox.get_by_role("button", name="Sign out").tap()
    await expect(rows).to_have_count(3)
    assert (await me(client, laptop)) == 401
    assert (await me(client, script)) == 200

    await phone.get_by_role("button", name="Sign out all other devices").tap()
    await expect(rows).to_have_count(1)
    await expect(phone.get_by_role("button", name="Sign out all other devices")).to_be_hidden()
    assert (await me(client, script)) == 401
    assert (await me(client, archer.token)) == 401
    assert (await me(client, here.token)) == 200  # this phone is still signed in


async def test_password_change_says_readers_must_be_paired_again(
    phone: Page, web: WebServer, client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    await login(client, archer, agent=FIREFOX)
    r = await client.post("/api/v0/auth/token", json={"name": "bow"}, headers=archer.headers)
    assert r.status_code == 201
    await sign_in(phone, web, archer)
    await phone.goto("/app/profile")
    await expect(phone.locator("#sign-ins li")).to_have_count(2)
    await phone.get_by_label("Current password").fill(PASSWORD)
    await phone.get_by_label("New password").fill("a-brand-new-one")
    await phone.get_by_role("button", name="Change password").tap()
    notice = phone.locator("#password-notice")
    await expect(notice).to_be_visible()
    await expect(notice).to_contain_text("1 sign-in elsewhere ended")
    await expect(notice).to_contain_text("paired again")
    await expect(phone.locator("#sign-ins li")).to_have_count(1)
    await screenshot(phone, "profile-password-changed-phone.png")


async def test_sign_out_everywhere_ends_this_one_too(
    phone: Page, web: WebServer, client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    await sign_in(phone, web, archer)
    await phone.goto("/app/profile")
    await expect(phone.locator("#sign-ins li")).to_have_count(1)
    await phone.get_by_role("button", name="Sign out everywhere").tap()  # confirmed
    await phone.wait_for_url("**/app/signin*")
    assert (await me(client, archer.token)) == 401


async def me(client: httpx.AsyncClient, token: str) -> int:
    r = await client.get("/api/v0/auth/me", headers={"Authorization": f"Bearer {token}"})
    return r.status_code
