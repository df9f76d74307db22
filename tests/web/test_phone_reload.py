"""A phone's live page reloaded mid-end (issue 21, item 1): the tab reloaded after the screen
slept, with or without a network. The next arrow and every marker's number come from the
server's state (the device's copy drawn at once, then reconciled), and an offline reload shows
every arrow of the session, sent and waiting, with the right totals.
"""

from __future__ import annotations

import math
from typing import Any

import httpx
from playwright.async_api import Page, expect

from tests.conftest import MakeArcher
from tests.web.conftest import Phone, WebServer
from tests.web.helpers import C, Range, make_range, post_shots
from tests.web.phone import settled
from tests.web.test_phone import SIX, open_live, screen, stored


def ring(n: int, radius: float = 260.0) -> list[tuple[float, float]]:
    """`n` view points (mm) on a circle around the centre of a 122 cm face, none on another."""
    return [
        (C + radius * math.cos(2 * math.pi * k / n), C + radius * math.sin(2 * math.pi * k / n))
        for k in range(n)
    ]


async def choose(page: Page, r: Range, identifier: str) -> None:
    """The archer taps an arrow of the chooser for the next shot."""
    await page.locator(f'label[for="arrow-{r.arrows[identifier]}"]').tap()
    await expect(page.locator(f"#arrow-{r.arrows[identifier]}")).to_be_checked()


async def shoot(phone: Phone, r: Range, identifier: str | None, at: tuple[float, float]) -> None:
    """One arrow: chosen in the chooser (None: the one suggested), then one touch on the face."""
    count = await phone.page.locator("svg.target .shot").count()
    if identifier is not None:
        await choose(phone.page, r, identifier)
    await phone.finger.tap(await screen(phone.page, *at))
    await expect(phone.page.locator("svg.target .shot")).to_have_count(count + 1)


def number(identifier: str) -> str:
    return str(int(identifier[1:]))


async def numbers_drawn(page: Page, end: int) -> dict[str, str]:
    """Shot id → the number on its marker, for the markers of an end."""
    found: dict[str, str] = await page.eval_on_selector_all(
        f'svg.target .shot[data-end="{end}"]',
        "els => Object.fromEntries(els.map(e => [e.dataset.shotId, e.dataset.text]))",
    )
    return found


async def end_one_by_api(client: httpx.AsyncClient, r: Range) -> None:
    for identifier, point in zip(SIX, ring(6, 120.0), strict=True):
        await post_shots(client, r, [point], arrow=identifier)


def arrows_of(shots: list[dict[str, Any]], r: Range, end: int) -> list[str]:
    names = {v: k for k, v in r.arrows.items()}
    return [
        names[s["arrow_id"]]
        for s in sorted(shots, key=lambda s: s["end_place"])
        if s["end_no"] == end
    ]


async def end_two_as_chosen(client: httpx.AsyncClient, page: Page, r: Range) -> None:
    """End 2 stored with the arrows in the order the archer took them, each marker numbered
    with its own arrow's number."""
    shots = await stored(client, r)
    assert arrows_of(shots, r, 2) == ["A03", "A01", "A06", "A02", "A04", "A05"]
    assert [s["end_place"] for s in shots if s["end_no"] == 2] == [1, 2, 3, 4, 5, 6]
    names = {v: k for k, v in r.arrows.items()}
    await expect(page.locator("svg.target .shot.unsent")).to_have_count(0)
    drawn = await numbers_drawn(page, 2)
    assert drawn == {s["id"]: number(names[s["arrow_id"]]) for s in shots if s["end_no"] == 2}


async def test_reloaded_mid_end_online_the_next_arrow_is_the_first_not_shot_in_the_end(
    phone: Phone, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    page = phone.page
    r = await make_range(client, await make_archer(), per_end=6, arrows=SIX)
    await end_one_by_api(client, r)
    await open_live(page, web, r)
    points = ring(6)
    # End 2, the arrows taken from the quiver in another order than their numbers.
    for identifier, at in zip(("A03", "A01", "A06", "A02"), points, strict=False):
        await shoot(phone, r, identifier, at)
    await settled(page)

    await page.reload()  # the screen slept, the tab was reloaded
    await expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    # The first arrow of the set not shot in this end yet: A04, whatever the device kept.
    await expect(page.locator(f"#arrow-{r.arrows['A04']}")).to_be_checked()
    await expect(page.locator(".current-end")).to_have_attribute("data-end", "2")
    await shoot(phone, r, None, points[4])
    await settled(page)
    await shoot(phone, r, "A05", points[5])  # or the one the archer picks
    await settled(page)
    await end_two_as_chosen(client, page, r)
    assert not phone.console.unexpected()


async def test_reloaded_mid_end_offline_the_next_arrow_and_numbers_hold(
    phone: Phone, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    page = phone.page
    r = await make_range(client, await make_archer(), per_end=6, arrows=SIX)
    await end_one_by_api(client, r)
    await open_live(page, web, r)
    await page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    points = ring(6)
    await shoot(phone, r, "A03", points[0])
    await shoot(phone, r, "A01", points[1])
    await settled(page)
    await page.context.set_offline(True)  # the network goes: two more wait on the phone
    await shoot(phone, r, "A06", points[2])
    await shoot(phone, r, "A02", points[3])

    await page.reload()  # offline: the page from the service worker, the data from the device
    # Every arrow: end 1, the two of end 2 sent, the two waiting.
    await expect(page.locator("svg.target .shot")).to_have_count(10)
    await expect(page.locator("svg.target .shot.unsent")).to_have_count(2)
    await expect(page.locator(".current-end")).to_contain_text("4/6")
    await expect(page.locator(f"#arrow-{r.arrows['A04']}")).to_be_checked()
    await shoot(phone, r, None, points[4])
    await shoot(phone, r, "A05", points[5])
    drawn = await numbers_drawn(page, 2)
    assert sorted(drawn.values()) == ["1", "2", "3", "4", "5", "6"]

    await page.context.set_offline(False)
    await settled(page)
    await end_two_as_chosen(client, page, r)
    assert not phone.console.unexpected("ERR_INTERNET_DISCONNECTED", "Failed to fetch")


async def test_an_offline_reload_shows_every_arrow_sent_and_waiting_with_the_right_total(
    phone: Phone, web: WebServer, client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    page = phone.page
    r = await make_range(client, await make_archer(), per_end=6, arrows=SIX)
    await open_live(page, web, r)
    await page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    points = ring(18)
    for at in points[:12]:  # two ends, sent as they are shot
        await shoot(phone, r, None, at)
    await settled(page)
    await page.context.set_offline(True)
    for at in points[12:]:
        await shoot(phone, r, None, at)
    sent = await stored(client, r)
    assert len(sent) == 12

    await page.reload()
    await expect(page.locator("svg.target .shot")).to_have_count(18)
    await expect(page.locator("svg.target .shot.unsent")).to_have_count(6)
    await expect(page.locator("#scorecard td.arrow-col[data-label]")).to_have_count(18)
    await expect(page.locator(".queue")).to_contain_text("6 changes waiting")
    # The total of what the server has scored (the waiting arrows are scored when sent).
    total = sum(s["score"] for s in sent)
    await expect(page.locator("#running-total")).to_have_text(str(total))

    await page.context.set_offline(False)
    await settled(page)
    shots = await stored(client, r)
    assert len(shots) == 18
    assert [(s["end_no"], s["end_place"]) for s in shots] == [
        (e, p) for e in (1, 2, 3) for p in range(1, 7)
    ]
    await expect(page.locator("#running-total")).to_have_text(str(sum(s["score"] for s in shots)))
    assert not phone.console.unexpected("ERR_INTERNET_DISCONNECTED", "Failed to fetch")
