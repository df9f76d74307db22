"""Draw the web app's PNG icons from favicon.svg with the suite's Chromium (run once; the
PNGs are committed): `.venv/bin/python scripts/make-icons.py`."""

from __future__ import annotations

import asyncio
from pathlib import Path

from playwright.async_api import async_playwright

STATIC = Path(__file__).resolve().parents[1] / "src" / "arch_stats" / "web" / "static"
CHROMIUM = "/usr/bin/chromium"


def page_html(svg: str, size: int, *, maskable: bool) -> str:
    # Maskable icons keep their drawing inside the central 80 % circle; the rest is background.
    inner = int(size * (0.62 if maskable else 0.94))
    background = "#1f3a5f" if maskable else "transparent"
    return (
        f"<html><body style='margin:0;width:{size}px;height:{size}px;background:{background};"
        "display:flex;align-items:center;justify-content:center'>"
        f"<div style='width:{inner}px;height:{inner}px'>{svg}</div></body></html>"
    ).replace("<svg ", "<svg width='100%' height='100%' ")


async def main() -> None:
    svg = (STATIC / "favicon.svg").read_text()
    out = STATIC / "icons"
    out.mkdir(exist_ok=True)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for name, size, maskable in (
            ("icon-192.png", 192, False),
            ("icon-512.png", 512, False),
            ("maskable-512.png", 512, True),
        ):
            page = await browser.new_page(viewport={"width": size, "height": size})
            await page.set_content(page_html(svg, size, maskable=maskable))
            await page.screenshot(path=str(out / name), omit_background=not maskable)
            await page.close()
        await browser.close()


if __name__ == "__main__":
    asyncio.run(main())
