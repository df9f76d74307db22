"""A coach watching a club member's live session on a phone (Chromium, 390 × 844, touch): the
member's face with the member's markers and arrow numbers, the end and the card, live; a
touch or a click on the face records nothing and sends no request; the coach writes a note
on an arrow of an end, and it appears on the member's end row (the member's live page open
in another browser) with a badge until the member opens it."""

from __future__ import annotations

import math
from typing import Any

import httpx
from playwright.async_api import Page, Request, expect

from tests.clubs.helpers import make_club
from tests.conftest import MakeArcher
from tests.web.conftest import NewPage, screenshot
from tests.web.helpers import make_range
from tests.web.helpers import markers as drawn
from tests.web.phone import Finger, face_box

# The member's arrows: numbers unlike the places in the end, so that a marker says whose.
MEMBER_ARROWS = ("A07", "A08", "A09", "A10", "A11", "A12")


async def _outbox(page: Page) -> int:
    """The changes this device keeps to send (every account's), read from IndexedDB."""
    count: int = await page.evaluate(
        """() => new Promise((resolve, reject) => {
            const req = indexedDB.open("arch-stats");
            req.onerror = () => reject(req.error);
            req.onsuccess = () => {
                const db = req.result;
                if (!db.objectStoreNames.length) return resolve(0);
                const tx = db.transaction(db.objectStoreNames[0], "readonly");
                const all = tx.objectStore(db.objectStoreNames[0]).count();
                all.onsuccess = () => resolve(all.result);
                all.onerror = () => reject(all.error);
            };
        })"""
    )
    return count


async def test_a_coach_watches_records_nothing_and_notes_reach_the_archer_live(
    new_page: NewPage, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    club = await make_club(client, make_archer)
    member = await make_range(client, club.sharing, arrows=MEMBER_ARROWS)
    # The coach has arrows of their own: none of them may show on the member's markers.
    r = await client.post(
        "/api/v0/arrow/set", json={"prefix": "C", "count": 6}, headers=club.coach.headers
    )
    assert r.status_code == 201, r.text
    shots: list[dict[str, Any]] = []
    for k in range(8):  # end 1 full, two arrows of end 2
        angle = k * 0.8
        shots.append(
            {
                "session_id": member.session_id,
                "target_id": member.target_id,
                "arrow_id": member.arrows[MEMBER_ARROWS[k % 6]],
                "x_mm": 650 + 60 * math.cos(angle),
                "y_mm": 650 + 60 * math.sin(angle),
            }
        )
    r = await client.post("/api/v0/shot", json=shots, headers=club.sharing.headers)
    assert r.status_code == 201, r.text
    live = f"/app/sessions/{member.session_id}/live"

    # The member's own live page, open while the coach watches.
    archer = await new_page(club.sharing)
    await archer.goto(live)
    await expect(archer.locator("[data-page=live][data-ready=true]")).to_be_visible()
    await expect(archer.locator("#conn")).to_have_attribute("data-state", "live")

    coach = await new_page(club.coach)
    finger = Finger(await coach.context.new_cdp_session(coach))
    await coach.goto(live)
    await expect(coach.locator("[data-page=live][data-ready=true]")).to_be_visible()
    await expect(coach.locator("#conn")).to_have_attribute("data-state", "live")
    # A touch, a long press with a slide, and a click on the face: no request, nothing kept.
    requests: list[str] = []

    def seen(request: Request) -> None:
        requests.append(f"{request.method} {request.url}")

    coach.on("request", seen)
    box = await face_box(coach)
    centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    await finger.tap(centre)
    await finger.gesture([centre, (centre[0] + 20, centre[1] + 10), (centre[0] + 30, centre[1])])
    await coach.mouse.click(centre[0] - 25, centre[1] + 15)
    # Whatever the page would do with them happens at once (drawn, kept, sent): give it the
    # time a frame or two takes, then look.
    await coach.wait_for_timeout(1000)
    coach.remove_listener("request", seen)
    assert requests == [], requests
    assert await _outbox(coach) == 0
    await expect(coach.locator("svg.target .shot")).to_have_count(8)
    await expect(coach.locator(".queue")).to_be_hidden()
    await expect(coach.locator(".refused")).to_have_count(0)
    shots_now = await client.get(
        f"/api/v0/session/{member.session_id}/shot", headers=club.sharing.headers
    )
    assert len(shots_now.json()["data"]) == 8

    await expect(coach.locator(".watch-banner")).to_contain_text("Sam Sharing's session")
    # The member's arrows on the markers (7…12), nothing of the coach's, nothing that records.
    markers = coach.locator("svg.target .shot")
    await expect(markers).to_have_count(8)
    numbers = sorted((m["text"] for m in await drawn(coach)), key=int)
    assert numbers == ["7", "7", "8", "8", "9", "10", "11", "12"], numbers
    for gone in (".arrow-chips", "button.miss", "#keypad-mode", "#record-shot", ".keypad:visible"):
        await expect(coach.locator(gone)).to_have_count(0)
    await expect(coach.get_by_role("button", name="Undo")).to_have_count(0)
    await expect(coach.get_by_role("button", name="Close session")).to_have_count(0)
    await expect(coach.locator("svg.target")).to_have_attribute("role", "img")

    # The coach taps the second arrow of end 2 and writes a note on it.
    await expect(coach.locator(".current-end")).to_have_attribute("data-end", "2")
    await coach.locator('.current-end .slot-shot[data-place="2"]').click()
    await expect(coach.get_by_label("End", exact=True)).to_have_value("2")
    await expect(coach.get_by_label("Arrow", exact=True)).to_have_value("2")
    await coach.get_by_label("Note", exact=True).fill("Arrow 2 went low: the bow arm dropped")
    await coach.get_by_role("button", name="Send note").click()
    await expect(coach.get_by_label("Note", exact=True)).to_have_value("")
    # On the coach's own card: a note they wrote, read.
    mark = coach.locator('.scorecard tr[data-end="2"] .note-badge')
    await expect(mark).to_have_text("note on end 2: open again")
    await screenshot(coach, "coach-view-390x844.png")

    # On the member's page, live: a badge on end 2's row, until the member opens it.
    badge = archer.locator('.scorecard tr[data-end="2"] .note-badge')
    await expect(badge).to_have_class("note-badge unread")
    await expect(badge).to_contain_text("1 new")
    await expect(archer.locator(".scorecard .note-badge")).to_have_count(1)
    await badge.click()
    dialog = archer.get_by_role("dialog", name="Notes on end 2")
    await expect(dialog).to_contain_text("Arrow 2 went low: the bow arm dropped")
    await expect(dialog).to_contain_text("end 2, arrow 2")
    await expect(dialog).to_contain_text("Carl Coach")
    await dialog.get_by_role("button", name="Close").click()
    await expect(dialog).to_have_count(0)
    await expect(badge).to_have_class("note-badge")
    await expect(badge).to_contain_text("note")
    # Read for the member on the server too (a reload shows no badge), still unread for the
    # club's owner.
    await archer.reload()
    await expect(archer.locator('.scorecard tr[data-end="2"] .note-badge')).to_have_class(
        "note-badge"
    )
    r = await client.get(f"/api/v0/session/{member.session_id}/note", headers=club.owner.headers)
    assert [n["read"] for n in r.json()["data"]] == [False]
