"""A phone in the browser tests: a 390 × 844 touch screen, and a finger on it.

Touches go through the DevTools protocol (Input.dispatchTouchEvent), as a touch screen
delivers them: the page sees pointer events of type "touch", with no click synthesis.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from playwright.async_api import Browser, BrowserContext, CDPSession, FloatRect, Page, ViewportSize

PHONE: ViewportSize = {"width": 390, "height": 844}
Point = tuple[float, float]


class Console:
    """What the page wrote to its console as errors, and the errors it threw."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))

    def unexpected(self, *allowed: str) -> list[str]:
        return [e for e in self.errors if not any(a in e for a in allowed)]


class Finger:
    """One finger (or two) on the page's touch screen."""

    def __init__(self, cdp: CDPSession) -> None:
        self.cdp = cdp
        self.gestures = 0

    async def _send(self, kind: str, points: Sequence[Point], t: float | None = None) -> None:
        touch = [
            {"x": x, "y": y, "id": i, "radiusX": 5, "radiusY": 5, "force": 1}
            for i, (x, y) in enumerate(points)
        ]
        event: dict[str, Any] = {"type": kind, "touchPoints": touch}
        if t is not None:
            event["timestamp"] = t  # the event's own time (s since the epoch), whenever it is sent
        await self.cdp.send("Input.dispatchTouchEvent", event)

    async def down(self, at: Point, t: float | None = None) -> None:
        await self._send("touchStart", [at], t)

    async def move(self, to: Point, t: float | None = None) -> None:
        await self._send("touchMove", [to], t)

    async def up(self, t: float | None = None) -> None:
        await self._send("touchEnd", [], t)
        self.gestures += 1

    async def gesture(self, path: Sequence[Point]) -> None:
        """Touch down at the first point, slide through the others, lift at the last."""
        await self.down(path[0])
        for point in path[1:]:
            await self.move(point)
        await self.up()

    async def tap(self, at: Point) -> None:
        await self.gesture([at])

    async def pinch(self, a: tuple[Point, Point], b: tuple[Point, Point], steps: int = 6) -> None:
        """Two fingers from a[0], b[0] to a[1], b[1]."""
        await self._send("touchStart", [a[0]])
        await self._send("touchStart", [a[0], b[0]])
        for k in range(1, steps + 1):
            f = k / steps
            pa = (a[0][0] + (a[1][0] - a[0][0]) * f, a[0][1] + (a[1][1] - a[0][1]) * f)
            pb = (b[0][0] + (b[1][0] - b[0][0]) * f, b[0][1] + (b[1][1] - b[0][1]) * f)
            await self._send("touchMove", [pa, pb])
        await self._send("touchEnd", [a[1]])
        await self._send("touchEnd", [])
        self.gestures += 1


async def phone_context(browser: Browser, base_url: str, **options: Any) -> BrowserContext:
    context = await browser.new_context(
        viewport=PHONE, has_touch=True, is_mobile=True, base_url=base_url, **options
    )
    context.set_default_timeout(15_000)
    return context


async def face_box(page: Page) -> FloatRect:
    box = await page.locator("svg.target").first.bounding_box()
    assert box is not None
    return box


async def to_view(page: Page, at: Point) -> tuple[float, float]:
    """The view point (mm, y up) under a screen point, at 1× (the SVG shows the whole view)."""
    box = await face_box(page)
    face = page.locator("svg.target").first
    width = float(await face.get_attribute("data-view-width") or 0)
    height = float(await face.get_attribute("data-view-height") or 0)
    return (
        (at[0] - box["x"]) / box["width"] * width,
        height - (at[1] - box["y"]) / box["height"] * height,
    )


async def marker_centres(page: Page) -> dict[str, Point]:
    """The centre on the screen of every marker's circle, by shot id."""
    found: dict[str, Point] = await page.eval_on_selector_all(
        "svg.target .shot",
        """els => Object.fromEntries(els.map(el => {
            const r = el.querySelector("circle.mark").getBoundingClientRect();
            return [el.dataset.shotId, [r.left + r.width / 2, r.top + r.height / 2]];
        }))""",
    )
    return found


async def settled(page: Page) -> None:
    """Wait until nothing waits in the outbox (every change reached the server)."""
    await page.wait_for_function(
        """() => {
            const q = document.querySelector('.queue');
            const adding = document.querySelector('[data-page=live]').dataset.adding || '0';
            return q && q.hidden && adding === '0';
        }"""
    )


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 15.0) -> None:
    """Wait until `check()` holds (e.g. the server has what the page sent), or fail."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still not so after {timeout} s: {check.__doc__ or check}")
        await asyncio.sleep(0.1)
