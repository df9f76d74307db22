"""The UI in a real Chromium: signing up, arrows, opening a session, entering shots by hand."""

from __future__ import annotations

import httpx
from playwright.async_api import Page, expect

from arch_stats.core.database import Connection
from tests.conftest import MakeArcher
from tests.web.conftest import WebServer, sign_in
from tests.web.helpers import C, make_range, markers, scorecard_rows, screen_point


async def test_new_archer_signs_up_adds_arrows_opens_session_and_tapped_nine_is_scored(
    page: Page, db: Connection
) -> None:
    await page.goto("/app/")
    await page.wait_for_url("**/app/signin?next=*")  # not signed in yet
    await page.get_by_role("link", name="Create an account").click()
    await page.get_by_label("Name").fill("Robin")
    await page.get_by_label("Email").fill("robin@example.org")
    await page.get_by_label("Password").fill("sherwood forest")
    await page.get_by_label("Bowstyle").select_option("barebow")
    await page.get_by_role("button", name="Create my account").click()
    await page.wait_for_url("**/app/")
    await expect(page.get_by_role("heading", name="Getting started")).to_be_visible()

    await page.get_by_role("navigation").get_by_role("link", name="Arrows").click()
    await expect(page.get_by_text("You have no arrows yet.")).to_be_visible()
    # A numbered set in one step (open by itself when there are no arrows yet).
    add_set = page.locator("form.set-form")
    await add_set.get_by_label("Prefix").fill("A")
    await add_set.get_by_label("How many").fill("2")
    await add_set.get_by_label("Shaft diameter (mm)").fill("5.2")
    await expect(page.locator(".set-preview")).to_have_text("Adds 2 arrows: A01, A02.")
    await page.get_by_role("button", name="Add the set").click()
    await expect(page.locator(".arrow-id")).to_have_text(["A01", "A02"])
    await expect(page.locator(".arrow-spec").first).to_contain_text("Ø 5.20 mm")

    await page.get_by_role("navigation").get_by_role("link", name="Sessions").click()
    await expect(page.get_by_text("No sessions yet.")).to_be_visible()
    await page.get_by_role("link", name="Open your first session").click()
    await page.get_by_label("Location").fill("Sherwood")
    await page.get_by_label("Face", exact=True).select_option("wa_122")
    await page.get_by_label("Distance (m)").fill("70")
    await page.get_by_role("button", name="Open session").click()
    await page.wait_for_url("**/live")
    await expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    await expect(page.get_by_text("No shots yet.")).to_be_visible()

    # 90 mm above the centre: the 9 ring of a 122 cm face (61 < 90 − 2.75 ≤ 122 mm). The
    # arrow is chosen first; a click records at once where the mouse was released.
    await page.locator(".arrow-chips label", has_text="A02").click()
    x, y = await screen_point(page, C, C + 90)
    await page.mouse.click(x, y)

    await expect(page.locator("#scorecard td.arrow-col[data-label='9']")).to_have_count(1)
    assert await scorecard_rows(page) == [["1", "9", "9", "9"]]
    await expect(page.locator("#running-total")).to_have_text("9")
    row = await db.fetchrow(
        "SELECT s.x_mm, s.y_mm, s.score, a.identifier, ar.bowstyle FROM shot s "
        "JOIN arrow a ON a.id = s.arrow_id JOIN archer ar ON ar.id = s.archer_id"
    )
    assert row is not None
    # One screen pixel is about 2 mm of the view here; the point is the one clicked.
    assert abs(row["x_mm"] - C) < 3 and abs(row["y_mm"] - (C + 90)) < 3
    assert (row["score"], row["identifier"], row["bowstyle"]) == (9, "A02", "barebow")
    [marker] = await markers(page)
    x, y = await screen_point(page, C, C + 90)
    assert abs(marker["x"] - x) < 1.5 and abs(marker["y"] - y) < 1.5


async def test_face_is_usable_with_the_keyboard_alone(
    page: Page, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    archer = await make_archer()
    r = await make_range(client, archer)
    await sign_in(page, web, archer)
    await page.goto(f"/app/sessions/{r.session_id}/live")
    face = page.get_by_role("application")
    await face.focus()
    await page.keyboard.press("Enter")  # the cross appears at the face's centre
    for _ in range(3):
        await page.keyboard.press("Shift+ArrowRight")  # 3 × 50 mm to the right: the 8 ring
    await page.keyboard.press("Enter")  # records it
    await expect(page.locator("#scorecard td.arrow-col[data-label='8']")).to_have_count(1)
    assert await scorecard_rows(page) == [["1", "8", "8", "8"]]
    shot = (await client.get(f"/api/v0/session/{r.session_id}/shot", headers=archer.headers)).json()
    assert (shot["data"][0]["x_mm"], shot["data"][0]["y_mm"]) == (C + 150, C)


async def test_api_errors_are_shown_in_words(
    page: Page, web: WebServer, make_archer: MakeArcher, client: httpx.AsyncClient
) -> None:
    await page.goto("/app/signin")
    await page.get_by_label("Email").fill("nobody@example.org")
    await page.get_by_label("Password").fill("not the password")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_have_text("wrong e-mail address or password")

    archer = await make_archer()
    await make_range(client, archer, arrows=("A01",))
    await sign_in(page, web, archer)
    await page.goto("/app/arrows")
    await page.get_by_text("Add an arrow").click()
    await page.get_by_label("Identifier").fill("A01")
    await page.get_by_role("button", name="Add arrow").click()
    await expect(page.get_by_role("alert")).to_contain_text(
        "another active arrow already has the identifier"
    )

    # A second open session is refused: the page says so and offers the open one.
    await page.goto("/app/sessions/new")
    await expect(page.get_by_text("A session is already open")).to_be_visible()
    await expect(page.get_by_role("link", name="Go to the live page")).to_be_visible()


async def test_arrow_is_edited_then_retired_and_sign_out_ends_the_login(
    page: Page, web: WebServer, make_archer: MakeArcher, client: httpx.AsyncClient
) -> None:
    archer = await make_archer()
    await make_range(client, archer, arrows=("A01", "A02"))
    await sign_in(page, web, archer)
    await page.goto("/app/arrows")
    card = page.locator(".arrow-card", has=page.locator(".arrow-id", has_text="A02"))
    await card.get_by_role("button", name="Edit").click()
    await card.get_by_label("Shaft diameter (mm)").fill("4.2")
    await card.get_by_role("button", name="Save").click()
    await expect(card.locator(".arrow-spec")).to_contain_text("Ø 4.20 mm")
    await card.get_by_role("button", name="Retire").click()
    await expect(page.locator(".arrow-id")).to_have_count(1)  # retired ones are hidden
    await page.get_by_label("Show retired arrows").check()
    await expect(page.locator(".arrow-card.retired .arrow-id")).to_have_text("A02")

    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url("**/app/signin")
    me = await client.get("/api/v0/auth/me", headers=archer.headers)
    assert me.status_code == 401  # the token is revoked, not only forgotten
