"""The web UI's routes: the shell for every page under /app, static files, redirects."""

from __future__ import annotations

import httpx
import pytest

from arch_stats.web.router import STATIC_DIR


@pytest.mark.parametrize("path", ["/", "/app"])
async def test_root_and_bare_app_redirect_to_the_ui(client: httpx.AsyncClient, path: str) -> None:
    resp = await client.get(path)
    assert resp.status_code == 307
    assert resp.headers["location"] == "/app/"


@pytest.mark.parametrize(
    "path",
    ["/app/", "/app/signin", "/app/sessions/2f0a3c1e-5b7d-4f4e-9a7b-3c2d1e0f9a8b/live", "/app/x"],
)
async def test_every_page_gets_the_html_shell_with_a_strict_csp(
    client: httpx.AsyncClient, path: str
) -> None:
    resp = await client.get(path)
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "text/html; charset=utf-8"
    assert '<script type="module" src="/app/static/js/main.js">' in resp.text
    csp = resp.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe" not in csp
    assert resp.headers["x-content-type-options"] == "nosniff"


async def test_static_module_is_served_as_javascript_and_revalidated(
    client: httpx.AsyncClient,
) -> None:
    resp = await client.get("/app/static/js/main.js")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/javascript")
    assert resp.headers["cache-control"] == "no-cache"
    again = await client.get(
        "/app/static/js/main.js", headers={"If-None-Match": resp.headers["etag"]}
    )
    assert again.status_code == 304


@pytest.mark.parametrize(
    "path", ["/app/static/nope.js", "/app/static/%2e%2e/router.py", "/app/static/..%2frouter.py"]
)
async def test_missing_or_outside_static_file_404(client: httpx.AsyncClient, path: str) -> None:
    resp = await client.get(path)
    assert resp.status_code == 404
    assert resp.json()["errors"]


async def test_ui_routes_are_not_in_the_api_document(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/api/openapi.json")).json()["paths"]
    assert not [p for p in paths if p == "/" or p.startswith("/app")]


def test_static_files_load_nothing_from_elsewhere() -> None:
    """No CDN, no build step: every module and stylesheet is a plain file of the package."""
    texts = [p.read_text() for p in STATIC_DIR.rglob("*") if p.suffix in {".js", ".css", ".html"}]
    assert texts
    for text in texts:
        assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in text
