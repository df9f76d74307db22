"""Clubs in Chromium on phones: an owner creates a club and an invite, an archer joins by
the link, the owner (as coach) opens the archer's session read-only from the roster and
leaves a note on an end, the archer sees it arrive live, then stops sharing."""

from __future__ import annotations

import httpx
from playwright.async_api import Browser, Page, ViewportSize, expect

from tests.clubs.helpers import session_with_shots
from tests.conftest import ArcherCtx, MakeArcher
from tests.web.conftest import NewPage, WebServer, screenshot

PHONE: ViewportSize = {"width": 390, "height": 844}
LAPTOP: ViewportSize = {"width": 1280, "height": 800}


async def post_shot(client: httpx.AsyncClient, who: ArcherCtx, session_id: str) -> None:
    target = (await client.get(f"/api/v0/session/{session_id}/target", headers=who.headers)).json()[
        "data"
    ][0]
    face = target["faces"][0]
    r = await client.post(
        "/api/v0/shot",
        json={
            "session_id": session_id,
            "target_id": target["id"],
            "x_mm": face["center_x_mm"],
            "y_mm": face["center_y_mm"],
        },
        headers=who.headers,
    )
    assert r.status_code == 201, r.text


async def both_sizes(page: Page, name: str) -> None:
    await screenshot(page, f"{name}-390x844.png")
    await page.set_viewport_size(LAPTOP)
    await screenshot(page, f"{name}-1280x800.png")
    await page.set_viewport_size(PHONE)


async def test_club_invite_join_roster_read_only_session_note_and_consent(
    new_page: NewPage, make_archer: MakeArcher, client: httpx.AsyncClient, web: WebServer
) -> None:
    owner = await make_archer("Olive Owner")
    archer = await make_archer("Sam Archer")
    session_id = await session_with_shots(client, archer, 6)

    # The owner creates a club and an invite.
    coach = await new_page(owner)
    await coach.goto("/app/clubs")
    await expect(coach.get_by_text("You are in no club yet.")).to_be_visible()
    await coach.get_by_label("Club name").fill("Riverside Bowmen")
    await coach.get_by_role("button", name="Create club").click()
    await expect(coach.get_by_role("heading", name="Riverside Bowmen", level=1)).to_be_visible()
    await coach.get_by_role("button", name="Make an invite").click()
    link = await coach.get_by_label("Link").input_value()
    assert "/app/clubs/join/" in link
    await both_sizes(coach, "club-owner")

    # The archer follows the link and joins: shared with coaches by default, shown plainly.
    phone = await new_page(archer)
    await phone.goto(link)
    await phone.get_by_role("button", name="Join").click()
    card = phone.locator(".club-card")
    await expect(card).to_contain_text("Riverside Bowmen")
    await expect(card.locator(".consent-state")).to_have_text("Shared with coaches")
    await expect(card.locator("[data-choice=share_with_coaches]")).to_be_checked()
    # Not on the club board's public link unless the archer says so.
    await expect(card.locator(".public-state")).to_have_text("Not on the public board")
    await card.locator("[data-choice=show_on_public_board]").check()
    await expect(card.locator(".public-state")).to_have_text("On the public board")
    mine = (await client.get("/api/v0/club", headers=archer.headers)).json()["data"]
    assert [(c["share_with_coaches"], c["show_on_public_board"]) for c in mine] == [(True, True)]
    await both_sizes(phone, "clubs-member")

    # The archer watches their own session page; the owner opens it from the roster.
    await phone.goto(f"/app/sessions/{session_id}")
    await expect(phone.get_by_text("No notes yet.")).to_be_visible()
    await coach.reload()
    entry = coach.locator(".roster-entry", has_text="Sam Archer")
    await expect(entry).to_contain_text("6 arrows")
    await entry.locator("dd a").click()
    await expect(coach.locator(".read-only-banner")).to_contain_text("Sam Archer's session")
    await expect(coach.get_by_role("button", name="Delete")).to_have_count(0)
    await expect(coach.get_by_role("button", name="Close session")).to_have_count(0)
    await coach.get_by_label("Write a note").fill("Bow arm drops on end 1: hold the follow-through")
    await coach.get_by_label("About").select_option("1")
    await coach.get_by_role("button", name="Add note").click()
    await expect(coach.locator(".note")).to_contain_text("hold the follow-through")
    await both_sizes(coach, "session-coach-read-only")

    # The archer shoots on: the coach's page follows.
    await expect(coach.locator('[data-figure="arrows"] dd')).to_have_text("6")
    await post_shot(client, archer, session_id)
    await expect(coach.locator('[data-figure="arrows"] dd')).to_have_text("7")
    await expect(coach.locator(".note")).to_contain_text("hold the follow-through")

    # It arrives on the archer's page without a reload.
    note = phone.locator(".note")
    await expect(note).to_contain_text("hold the follow-through")
    await expect(note).to_contain_text("end 1")
    await expect(note).to_contain_text("Olive Owner")
    await both_sizes(phone, "session-archer-note")

    # The archer stops sharing: the owner's next request for the session is refused.
    await phone.goto("/app/clubs")
    await phone.locator(".club-card [data-choice=share_with_coaches]").uncheck()
    await expect(phone.locator(".consent-state")).to_have_text("Not shared")
    # The other choice stays as it was.
    await expect(phone.locator("[data-choice=show_on_public_board]")).to_be_checked()
    r = await client.get(f"/api/v0/session/{session_id}", headers=owner.headers)
    assert r.status_code == 404
    await coach.reload()
    await expect(coach.get_by_role("heading", name="Not found")).to_be_visible()


async def test_a_newcomer_follows_the_invite_link_signs_up_and_is_in_the_club(
    browser: Browser,
    new_page: NewPage,
    make_archer: MakeArcher,
    client: httpx.AsyncClient,
    web: WebServer,
) -> None:
    owner = await make_archer("Olive Owner")
    r = await client.post("/api/v0/club", json={"name": "Riverside Bowmen"}, headers=owner.headers)
    club_id = r.json()["data"]["id"]

    # The owner makes a link for two accounts, and sees its uses.
    coach = await new_page(owner)
    await coach.goto(f"/app/clubs/{club_id}")
    await expect(coach.get_by_label("Accounts it lets in")).to_have_value("30")
    await coach.get_by_label("Joins as").select_option("coach")
    await expect(coach.get_by_label("Accounts it lets in")).to_have_value("1")
    await coach.get_by_label("Joins as").select_option("member")
    await coach.get_by_label("Accounts it lets in").fill("2")
    await coach.get_by_role("button", name="Make an invite").click()
    await expect(coach.locator(".invite-made")).to_contain_text("lets in 2 accounts")
    link = await coach.get_by_label("Link").input_value()
    await expect(coach.locator(".invite-uses")).to_have_text("0 of 2 used")

    # A newcomer on the range's Wi-Fi opens it: sign in first, so they sign up.
    context = await browser.new_context(
        viewport=PHONE, has_touch=True, is_mobile=True, base_url=web.url
    )
    try:
        context.set_default_timeout(15_000)
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(link)
        await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        await page.get_by_role("link", name="Create an account").click()
        await expect(page.locator(".invite-note")).to_contain_text("joins the club")
        await screenshot(page, "signup-invite-form-390x844.png")
        await page.get_by_label("Name").fill("Nia Newcomer")
        await page.get_by_label("Email").fill("nia@example.org")
        await page.get_by_label("Password").fill("longbow-sherwood")
        await page.get_by_role("button", name="Create my account").click()
        card = page.locator(".club-card")
        await expect(card).to_contain_text("Riverside Bowmen")
        await expect(card.locator(".badge")).to_have_text("Member")
        assert page.url.endswith("/app/clubs")
        await screenshot(page, "signup-invite-joined-390x844.png")
        assert not errors, errors
    finally:
        await context.close()
    await coach.reload()
    await expect(coach.locator(".invite-uses")).to_have_text("1 of 2 used")
    await both_sizes(coach, "club-invites")
