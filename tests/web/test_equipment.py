"""Equipment in Chromium on a phone (390 × 844, touch): a bow and a set of 12 arrows made on
the page, sight marks plotted with their curve and a predicted mark, a tuning session's two
groups compared with the bare-shaft advice. Screenshots into artifacts/screenshots."""

from __future__ import annotations

import httpx
import numpy as np
from playwright.async_api import expect

from tests.conftest import ArcherCtx
from tests.equipment.helpers import call, session_with_shots
from tests.web.conftest import SCREENSHOTS, Phone, WebServer, screenshot, sign_in


async def _keep(phone: Phone, name: str, selector: str | None = None) -> None:
    """A screenshot of the page (or of one element) into the test artifacts, once the last
    announcement's toast has gone (docs/screenshots are taken from them by hand, never by a
    test run: a run leaves the working tree as it found it)."""
    await expect(phone.page.locator("#announce.show")).to_have_count(0, timeout=6000)
    if selector is None:
        await screenshot(phone.page, name)
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await phone.page.locator(selector).screenshot(path=str(SCREENSHOTS / name))


async def test_bow_set_and_sight_marks_on_a_phone(
    phone: Phone, web: WebServer, client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    page = phone.page
    await sign_in(page, web, archer)
    await page.goto("/app/equipment")
    await expect(page.locator("h1")).to_have_text("Equipment")

    # a bow, from the form
    await page.locator("details.add-bow summary").tap()
    form = page.locator("form.bow-form")
    await form.locator("input[name=name]").fill("Hoyt Formula")
    await form.locator("input[name=riser]").fill("Formula Xi 25in")
    await form.locator("input[name=limbs]").fill("Velos 38 lb")
    await form.locator("input[name=draw_weight_lb]").fill("38.5")
    await form.locator("input[name=brace_height_mm]").fill("218")
    await form.locator("input[name=nocking_point_mm]").fill("9")
    await form.locator("input[name=sight_radius_mm]").fill("850")
    await form.locator("button[type=submit]").tap()
    await expect(page.locator("h1")).to_have_text("Hoyt Formula")
    bows = await call(client, archer, "GET", "/bow")
    assert len(bows) == 1 and bows[0]["current"]["sight_radius_mm"] == 850
    bow_id = bows[0]["id"]
    await expect(page.locator(".spec-list")).to_contain_text("38.5 lb")

    # sight marks: two on the page, the rest through the API; then a predicted mark
    marks = page.locator("form.mark-form")
    for distance, mark in ((18, "10.4"), (30, "14.6")):
        await marks.locator("input[name=distance_m]").fill(str(distance))
        await marks.locator("input[name=mark]").fill(mark)
        await marks.locator("button[type=submit]").tap()
        await expect(page.locator(".marks-table tbody tr")).to_have_count(
            1 if distance == 18 else 2
        )
    for d, m in ((50, 22.1), (60, 26.3), (70, 30.8), (90, 40.6)):
        body = {"distance_m": d, "mark": m}
        await call(client, archer, "POST", f"/bow/{bow_id}/sight-mark", body, 201)
    await page.locator("input[name=predict]").fill("40")
    await page.get_by_role("button", name="Predict").tap()
    await expect(page.locator(".prediction")).to_contain_text("At 40 m: mark 18.")
    chart = page.locator(".marks svg.chart")
    await expect(chart).to_have_attribute("data-points", "7")  # 6 marks and the prediction
    await expect(chart.locator("polyline.curve")).to_have_count(1)
    await expect(chart.locator("polygon.band")).to_have_count(1)
    await expect(page.locator(".marks-table tbody tr")).to_have_count(6)

    # a new version of the setup
    await page.locator("details.edit-bow summary").tap()
    edit = page.locator("details.edit-bow form")
    await edit.locator("input[name=brace_height_mm]").fill("222")
    await edit.locator("button[type=submit]").tap()
    await expect(page.locator("#setup-h + div > p.hint")).to_contain_text("Version 2")
    await expect(page.locator("section[aria-labelledby=versions-h] li")).to_have_count(2)
    await _keep(phone, "bow.png")
    await _keep(phone, "sight-marks.png", "section[aria-labelledby=marks-h]")

    # a set of 12, from the form
    await page.goto("/app/equipment")
    await page.locator("details.add-set summary").tap()
    set_form = page.locator("form.set-form")
    await set_form.locator("input[name=name]").fill("X10 500")
    await set_form.locator("input[name=shaft]").fill("Easton X10")
    await set_form.locator("input[name=spine]").fill("500")
    await set_form.locator("input[name=point_grains]").fill("110")
    await set_form.locator("button[type=submit]").tap()
    card = page.locator("li[data-set-id]")
    await expect(card).to_contain_text("12 arrows: A01 A02")
    sets = await call(client, archer, "GET", "/arrow-set")
    assert [len(s["arrows"]) for s in sets] == [12] and sets[0]["arrows"][0]["spine"] == 500
    assert not phone.console.unexpected()


async def test_a_tuning_session_compared_on_a_phone(
    phone: Phone, web: WebServer, client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    page = phone.page
    bow = await call(
        client, archer, "POST", "/bow",
        {"name": "Hoyt", "handedness": "right", "sight_radius_mm": 850}, 201,
    )  # fmt: skip
    body = {"name": "X10", "spine": 500, "arrows": {"prefix": "A", "count": 12}}
    arrows = await call(client, archer, "POST", "/arrow-set", body, 201)
    ids = [a["id"] for a in arrows["arrows"]]
    rng = np.random.default_rng(8)
    shots = [(a, *map(float, rng.normal(0, 15, 2))) for _ in range(2) for a in ids[:9]]
    shots += [
        (a, -80 + rng.normal(0, 15), 60 + rng.normal(0, 15)) for _ in range(3) for a in ids[9:]
    ]
    sid = await session_with_shots(client, archer, shots, distance=18)

    await sign_in(page, web, archer)
    await page.goto(f"/app/sessions/{sid}")
    await page.get_by_role("link", name="Equipment & tuning").tap()
    await expect(page.locator("h1")).to_have_text("Equipment and tuning")
    await page.locator("select[name=bow_id]").select_option(bow["id"])
    await page.locator("select[name=arrow_set_id]").select_option(arrows["id"])
    await page.get_by_role("button", name="Save").tap()
    await expect(page.locator("#eq-h + form p.hint")).to_contain_text("Shot with Hoyt, version 1")

    for a in arrows["arrows"]:
        group = "b" if a["identifier"] in ("A10", "A11", "A12") else "a"
        await page.locator(f"fieldset[data-arrow-id='{a['id']}'] input[value='{group}']").tap()
    await page.get_by_role("button", name="Compare the groups").tap()
    advice = page.locator(".advice-list .advice")
    await expect(advice).to_have_count(2)
    await expect(advice.nth(0)).to_have_text(
        "Bare shafts high: the nocking point is too low — raise it."
    )
    await expect(advice.nth(1)).to_contain_text("Bare shafts left: the arrow acts too stiff")
    await expect(page.locator("svg.groups circle.pt.group-b")).to_have_count(9)
    await expect(page.locator("svg.groups circle.pt.group-a")).to_have_count(18)
    # the mark shot with, confirmed from the session
    confirm = page.locator("form.confirm-mark")
    await confirm.locator("input[name=mark]").fill("9.6")
    await confirm.get_by_role("button").tap()
    await expect(page.locator("#announce")).to_contain_text("mark 9.6 for 18 m saved")
    marks = await call(client, archer, "GET", f"/bow/{bow['id']}/sight-mark")
    assert [(m["distance_m"], m["mark"], m["session_id"]) for m in marks["marks"]] == [
        (18, 9.6, sid)
    ]
    stored = await call(client, archer, "GET", f"/session/{sid}/tuning")
    assert len(stored["arrows_b"]) == 3 and stored["from_bow"]
    await _keep(phone, "tuning.png")

    # back on the page, the groups and the comparison are there
    await page.reload()
    await expect(page.locator(".advice-list .advice")).to_have_count(2)
    # a 404 for the tuning before its groups were set is expected
    assert not phone.console.unexpected("404")
