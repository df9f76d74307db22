"""Swagger UI at /api/swagger: its files come from this server (a pinned package), under a CSP,
and it works in a real Chromium with that CSP."""

from __future__ import annotations

import httpx
from playwright.async_api import ConsoleMessage, Page, Request

from tests.web.conftest import WebServer


async def test_swagger_page_loads_only_this_origins_files_under_a_csp(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get("/api/swagger")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe" not in csp and "frame-ancestors 'none'" in csp
    assert "cdn" not in r.text and "http" not in r.text.replace("http-equiv", "")
    assert "<script>" not in r.text  # no inline script: the CSP would refuse it
    for path, kind in (
        ("/api/swagger/static/swagger-ui-bundle.js", "text/javascript"),
        ("/api/swagger/static/swagger-ui.css", "text/css"),
        ("/api/swagger/init.js", "text/javascript"),
    ):
        asset = await client.get(path)
        assert asset.status_code == 200, path
        assert asset.headers["content-type"].startswith(kind)
    assert (await client.get("/api/swagger/static/index.html")).status_code == 404
    assert (await client.get("/api/swagger/static/../../router.py")).status_code == 404


async def test_swagger_ui_renders_in_chromium_without_csp_violations(
    page: Page, web: WebServer
) -> None:
    console: list[str] = []
    requests: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            console.append(message.text)

    def on_request(request: Request) -> None:
        requests.append(request.url)

    page.on("console", on_console)
    page.on("request", on_request)
    await page.goto("/api/swagger")
    title = page.locator(".swagger-ui .info .title")
    await title.wait_for()
    assert "Arch Stats API" in await title.inner_text()
    await page.locator(".opblock-tag", has_text="session").first.wait_for()
    assert not [m for m in console if "Content Security Policy" in m], console
    assert requests and all(url.startswith(web.url) for url in requests), requests
