"""The administrator's page in Chromium, on a phone: find an account, disable it (its
sign-ins stop at once), enable it again, hand over a reset link that the archer opens to set a
new password. A non-administrator has no such page."""

from __future__ import annotations

import httpx
from playwright.async_api import Page, expect

from arch_stats.core.database import Connection
from tests.admin.helpers import API, make_admin
from tests.conftest import ArcherCtx, MakeArcher
from tests.web.conftest import Phone, WebServer, screenshot, sign_in


async def me_status(client: httpx.AsyncClient, who: ArcherCtx) -> int:
    return (await client.get(f"{API}/auth/me", headers=who.headers)).status_code


async def fits(page: Page, width: int) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth") <= width


async def test_admin_disables_enables_and_hands_over_a_reset_link_on_a_phone(
    phone: Phone,
    web: WebServer,
    client: httpx.AsyncClient,
    make_archer: MakeArcher,
    db: Connection,
) -> None:
    page = phone.page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    admin = await make_admin(db, await make_archer("Ada Admin"))
    bob = await make_archer("Bob Bowman")
    for i in range(3):
        await make_archer(f"Archer {i}")
    await sign_in(page, web, admin)
    await page.goto("/app/")
    await page.get_by_role("button", name="Menu").tap()
    await page.get_by_role("link", name="Accounts").tap()
    await expect(page.get_by_role("heading", name="Accounts")).to_be_visible()
    cards = page.locator(".account-card")
    await expect(cards).to_have_count(5)
    await expect(page.locator(".account-card", has_text="Ada Admin")).to_contain_text("you")
    await screenshot(page, "admin-accounts-phone.png")
    await fits(page, 390)

    await page.get_by_role("searchbox", name="Search accounts").fill("bowman")
    await expect(cards).to_have_count(1)
    card = cards.first
    await expect(card).to_contain_text(bob.email)
    await card.get_by_role("button", name="Disable", exact=True).tap()
    await expect(card).to_contain_text("Every sign-in and sensor reader")
    assert await me_status(client, bob) == 200  # nothing yet: it asks first
    await card.get_by_role("button", name="Disable account").tap()
    await expect(page.locator(".account-card.disabled")).to_have_count(1)
    await expect(page.locator(".account-card").first).to_contain_text("disabled")
    assert await me_status(client, bob) == 401
    await screenshot(page, "admin-disabled-phone.png")

    card = page.locator(".account-card").first
    await card.get_by_role("button", name="Enable").tap()
    await expect(page.locator(".account-card.disabled")).to_have_count(0)
    card = page.locator(".account-card").first
    await card.get_by_role("button", name="Reset link").tap()
    link = card.get_by_role("textbox", name="Password reset link for Bob Bowman")
    await expect(link).to_be_visible()
    url = await link.input_value()
    assert "/app/reset#token=asr_" in url
    await card.get_by_role("button", name="Copy").tap()
    await expect(card).to_contain_text("Copied.")
    assert await page.evaluate("navigator.clipboard.readText()") == url
    await screenshot(page, "admin-reset-link-phone.png")
    await fits(page, 390)

    # Bob opens the link in his own browser and chooses a password.
    other = await page.context.browser.new_context(  # type: ignore[union-attr]
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True
    )
    try:
        bob_page = await other.new_page()
        await bob_page.goto(url)
        await expect(bob_page.get_by_role("heading", name="Set a new password")).to_be_visible()
        assert "#token" not in bob_page.url  # taken out of the address bar
        await bob_page.get_by_label("New password").fill("bobs-new-password")
        await bob_page.get_by_label("The same again").fill("bobs-new-password")
        await screenshot(bob_page, "reset-password-phone.png")
        await bob_page.get_by_role("button", name="Set the password").tap()
        await expect(bob_page.get_by_role("status")).to_contain_text("Password set")
        login = {"email": bob.email, "password": "bobs-new-password"}
        assert (await client.post(f"{API}/auth/login", json=login)).status_code == 200
        # The same link again: refused, in words.
        await bob_page.goto(url)
        await bob_page.get_by_label("New password").fill("another-password")
        await bob_page.get_by_label("The same again").fill("another-password")
        await bob_page.get_by_role("button", name="Set the password").tap()
        await expect(bob_page.get_by_role("alert")).to_contain_text("does not work")
    finally:
        await other.close()

    # At desktop size too.
    await page.set_viewport_size({"width": 1280, "height": 800})
    await page.get_by_role("searchbox", name="Search accounts").fill("")
    await expect(cards).to_have_count(5)
    await screenshot(page, "admin-accounts-desktop.png")
    await fits(page, 1280)
    assert not errors, errors


async def test_no_accounts_page_for_an_archer(
    page: Page, web: WebServer, archer: ArcherCtx
) -> None:
    await sign_in(page, web, archer)
    await page.goto("/app/")
    await expect(page.get_by_role("link", name="Profile")).to_be_visible()
    await expect(page.get_by_role("link", name="Accounts")).to_have_count(0)
    await page.goto("/app/admin")
    await expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    await expect(page.locator(".account-card")).to_have_count(0)
