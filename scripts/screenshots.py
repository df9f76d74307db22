"""Phone screenshots of the main screens for the README, taken from a running demo server.

    python3 -m uv run arch-stats serve --demo --port 8000     # in one terminal
    .venv/bin/python scripts/screenshots.py --url http://127.0.0.1:8000

Signs in as the demo archer, gives it a set of 12 arrows (A01–A12), closes its open session,
opens a fresh WA 720 (70 m) one with two ends shot through the API, then saves
docs/screenshots/*.png (390 × 844, and one laptop view at 1366 × 768); the live page in the
light theme, then in the dark and sunlight ones; the end reviewed after its last arrow, the
chooser of 12, full-screen scoring (portrait and landscape), the round picker; and the demo
club's board: on a 1920 × 1080 screen (its big-screen page, board.png) and on a phone
(board-phone.png). Uses Debian's Chromium, as the browser tests do.
"""

from __future__ import annotations

import argparse
import asyncio
import math
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import BrowserContext, Page, async_playwright

from arch_stats.auth.tokens import COOKIE_NAME

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "has_touch": True,
    "is_mobile": True,
}


def prepare(url: str, email: str, password: str) -> tuple[str, str, str | None]:
    with httpx.Client(base_url=url + "/api/v0") as api:
        token = api.post("/auth/login", json={"email": email, "password": password}).json()["data"][
            "token"
        ]
        api.headers["Authorization"] = f"Bearer {token}"
        for s in api.get("/session", params={"is_open": "true"}).json()["data"]:
            api.post(f"/session/{s['id']}/close")
        have = {a["identifier"] for a in api.get("/arrow").json()["data"]}
        for n in range(1, 13):  # a set of 12: the chooser shows them all at once
            if f"A{n:02d}" not in have:
                api.post("/arrow", json={"identifier": f"A{n:02d}"}).raise_for_status()
        arrows = api.get("/arrow").json()["data"]
        session = api.post(
            "/session",
            json={"distance_m": 70, "round_code": "wa720_70", "location": "Club field"},
        ).json()["data"]
        # A round brings its own targets (the first pass's here).
        target = api.get(f"/session/{session['id']}/target").json()["data"][0]
        cx, cy = target["faces"][0]["center_x_mm"], target["faces"][0]["center_y_mm"]
        shots = []
        for k in range(9):
            r = 25 + 22 * ((k * 5) % 7)
            a = k * 2.4
            shots.append(
                {
                    "session_id": session["id"],
                    "target_id": target["id"],
                    "arrow_id": arrows[k % 6]["id"] if arrows else None,
                    "x_mm": round(cx + 12 + r * math.cos(a), 1),
                    "y_mm": round(cy - 6 + r * math.sin(a), 1),
                }
            )
        api.post("/shot", json=shots).raise_for_status()
        clubs = api.get("/club").json()["data"]
        return token, session["id"], clubs[0]["id"] if clubs else None


async def context(pw: Any, url: str, token: str, **options: Any) -> BrowserContext:
    browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    ctx: BrowserContext = await browser.new_context(base_url=url, **options)
    await ctx.add_cookies([{"name": COOKIE_NAME, "value": token, "url": url, "httpOnly": True}])
    return ctx


async def live(page: Page, session_id: str) -> None:
    await page.goto(f"/app/sessions/{session_id}/live")
    await page.wait_for_selector("#conn[data-state=live]")
    await page.wait_for_timeout(600)


async def theme(page: Page, name: str) -> None:
    """The theme chosen on the device, as the profile page chooses it (js/device.js)."""
    await page.evaluate(
        "t => { localStorage.setItem('arch-stats.theme', t);"
        " dispatchEvent(new Event('arch-stats:theme')); }",
        name,
    )


async def face_point(page: Page, dx: float, dy: float) -> tuple[float, float]:
    box = await page.locator("svg.target").bounding_box()
    assert box is not None
    return box["x"] + box["width"] * (0.5 + dx), box["y"] + box["height"] * (0.5 + dy)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--email", default="demo@example.com")
    parser.add_argument("--password", default="demo-archer")
    args = parser.parse_args()
    token, session_id, club_id = prepare(args.url, args.email, args.password)
    OUT.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as pw:
        ctx = await context(pw, args.url, token, **PHONE)
        page = await ctx.new_page()
        cdp = await ctx.new_cdp_session(page)

        await live(page, session_id)
        await page.screenshot(path=OUT / "live.png")
        for name in ("dark", "sun"):
            await theme(page, name)
            await page.screenshot(path=OUT / f"live-{name}.png")
        await theme(page, "light")

        # A finger down on the blue ring: the magnifier above it.
        x, y = await face_point(page, 0.17, -0.08)
        touch = {"x": x, "y": y, "id": 0}
        await cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [touch]})
        await cdp.send(
            "Input.dispatchTouchEvent",
            {"type": "touchMove", "touchPoints": [{**touch, "x": x + 2, "y": y + 1}]},
        )
        await page.wait_for_timeout(200)
        await page.screenshot(path=OUT / "loupe.png")
        await cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        await page.wait_for_selector(".queue", state="hidden")
        await page.wait_for_timeout(400)

        # Correcting arrow 2 of the current end.
        await page.locator('.current-end button[data-place="2"]').click()
        await page.wait_for_timeout(300)
        await page.screenshot(path=OUT / "correct.png")
        await page.get_by_role("button", name="Done").click()

        # No network: arrows wait on the phone, drawn dashed, and the page says so.
        await ctx.set_offline(True)
        for dx, dy in ((-0.05, 0.04), (0.03, -0.06)):
            await page.touchscreen.tap(*await face_point(page, dx, dy))
            await page.wait_for_timeout(150)
        await page.wait_for_timeout(300)
        await page.screenshot(path=OUT / "offline.png")
        await ctx.set_offline(False)
        await page.wait_for_selector(".queue", state="hidden", timeout=30_000)

        # Those two ended end 2: it stays in view, high to low, until a touch starts end 3.
        await page.wait_for_selector(".current-end[data-review]")
        await page.wait_for_timeout(300)
        await page.screenshot(path=OUT / "end-review.png")
        await page.touchscreen.tap(*await face_point(page, 0.02, 0.05))
        await page.wait_for_selector(".queue", state="hidden", timeout=30_000)
        await page.locator(".arrow-chips label", has_text="A09").tap()
        await page.wait_for_timeout(300)
        await page.screenshot(path=OUT / "chooser.png")

        # Full screen: the face as large as the screen allows, upright and sideways.
        await page.get_by_role("button", name="Full screen").click()
        await page.wait_for_timeout(400)
        await page.screenshot(path=OUT / "full-screen.png")
        await page.set_viewport_size({"width": 844, "height": 390})
        await page.wait_for_timeout(400)
        await page.screenshot(path=OUT / "full-screen-landscape.png")
        await page.set_viewport_size(PHONE["viewport"])
        await page.get_by_role("button", name="Leave full screen").click()

        await page.goto(f"/app/sessions/{session_id}")
        await page.wait_for_selector("#scorecard")
        await page.locator("#scorecard").evaluate("el => el.closest('.card').scrollIntoView()")
        await page.wait_for_timeout(300)
        await page.screenshot(path=OUT / "scorecard.png")
        for name, path in (("history", "/app/history"), ("arrows", "/app/arrows")):
            await page.goto(path)
            await page.wait_for_timeout(1200)
            await page.screenshot(path=OUT / f"{name}.png")
        await ctx.browser.close() if ctx.browser else None

        laptop = await context(pw, args.url, token, viewport={"width": 1366, "height": 768})
        page = await laptop.new_page()
        await live(page, session_id)
        await page.screenshot(path=OUT / "live-laptop.png")
        await laptop.browser.close() if laptop.browser else None

        if club_id is not None:
            for name, options, query in (
                ("board.png", {"viewport": {"width": 1920, "height": 1080}}, "?screen=1"),
                ("board-phone.png", PHONE, ""),
            ):
                viewer = await context(pw, args.url, token, **options)
                page = await viewer.new_page()
                await page.goto(f"/app/clubs/{club_id}/board{query}")
                await page.wait_for_selector(".board-status[data-state=live]")
                await page.wait_for_timeout(1200)  # the faces drawn
                await page.screenshot(path=OUT / name)
                await viewer.browser.close() if viewer.browser else None

        # The round picker of a new session (the one shot here closed): York found, starred.
        async with httpx.AsyncClient(base_url=args.url + "/api/v0") as api:
            resp = await api.post(
                f"/session/{session_id}/close", headers={"Authorization": f"Bearer {token}"}
            )
            resp.raise_for_status()
        picker = await context(pw, args.url, token, **PHONE)
        page = await picker.new_page()
        await page.goto("/app/sessions/new")
        await page.get_by_label("Find a round").fill("york")
        await page.get_by_role("button", name="Favourite: York", exact=True).tap()
        await page.locator("#round-options .round-option").first.tap()
        await page.wait_for_selector("#round-hint:not(:empty)")
        await page.locator(".round-picker").scroll_into_view_if_needed()
        await page.screenshot(path=OUT / "round-picker.png")
        await picker.browser.close() if picker.browser else None
    for png in sorted(OUT.glob("*.png")):
        print(f"{png.relative_to(OUT.parents[1])}: {png.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    asyncio.run(main())
