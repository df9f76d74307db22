"""The web UI's routes: the shell for every page under /app, static files (versioned names,
compression, caching), the service worker and the manifest, redirects."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import brotli
import httpx
import pytest

from arch_stats.web import assets as assets_module
from arch_stats.web.assets import Assets, choose_encoding, make_asset
from arch_stats.web.router import STATIC_DIR, assets

VERSIONED = re.compile(r'src="/app/static/([0-9a-f]{12})/js/main\.js"')


def version() -> str:
    return assets.current().version


@pytest.mark.parametrize("path", ["/", "/app"])
async def test_root_and_bare_app_redirect_to_the_ui(client: httpx.AsyncClient, path: str) -> None:
    resp = await client.get(path)
    assert resp.status_code == 307
    assert resp.headers["location"] == "/app/"


@pytest.mark.parametrize(
    "path",
    ["/app/", "/app/signin", "/app/sessions/2f0a3c1e-5b7d-4f4e-9a7b-3c2d1e0f9a8b/live", "/app/x"],
)
async def test_every_page_gets_the_html_shell_with_a_strict_csp_revalidated(
    client: httpx.AsyncClient, path: str
) -> None:
    resp = await client.get(path)
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "text/html; charset=utf-8"
    match = VERSIONED.search(resp.text)
    assert match and match.group(1) == version()
    assert resp.headers["cache-control"] == "no-cache"  # an upgrade is seen at once
    csp = resp.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe" not in csp
    assert resp.headers["x-content-type-options"] == "nosniff"


def preloaded(html: str) -> set[str]:
    prefix = f"/app/static/{version()}/"
    found = re.findall(r'<link rel="modulepreload" href="([^"]+)">', html)
    assert all(url.startswith(prefix) for url in found)
    return {url.removeprefix(prefix) for url in found}


async def test_shell_preloads_what_the_page_needs_and_the_workers_shell_everything(
    client: httpx.AsyncClient,
) -> None:
    live = preloaded(
        (await client.get(f"/app/sessions/{'0' * 8}-0000-4000-8000-{'0' * 12}/live")).text
    )
    # The page's module and what it imports, directly or not; no other page.
    assert {"js/main.js", "js/api.js", "js/pages/live.js", "js/face.js", "js/outbox.js"} <= live
    assert "js/pages/history.js" not in live and "js/charts.js" not in live
    history = preloaded((await client.get("/app/history")).text)
    assert {"js/main.js", "js/pages/history.js", "js/charts.js"} <= history
    assert "js/pages/live.js" not in history
    every = {p.relative_to(STATIC_DIR).as_posix() for p in STATIC_DIR.rglob("js/**/*.js")}
    assert preloaded((await client.get("/app/?shell=all")).text) == every


async def test_shell_links_the_manifest_and_its_icons(client: httpx.AsyncClient) -> None:
    text = (await client.get("/app/")).text
    prefix = f"/app/static/{version()}"
    manifest_href = re.search(r'<link rel="manifest" href="([^"]+)"', text)
    assert manifest_href and manifest_href.group(1) == f"{prefix}/manifest.webmanifest"
    resp = await client.get(manifest_href.group(1))
    assert resp.headers["content-type"] == "application/manifest+json"
    manifest = json.loads(resp.content)
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == (
        "/app/",
        "/app/",
        "standalone",
    )
    sizes = {(i["sizes"], i["purpose"]) for i in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        got = await client.get(f"{prefix}/{icon['src']}")
        assert got.status_code == 200 and got.headers["content-type"] == icon["type"]


async def test_versioned_files_are_immutable_others_revalidated(client: httpx.AsyncClient) -> None:
    fresh = await client.get(f"/app/static/{version()}/js/main.js")
    assert fresh.status_code == 200
    assert fresh.headers["content-type"] == "text/javascript; charset=utf-8"
    assert fresh.headers["cache-control"] == "public, max-age=31536000, immutable"
    plain = await client.get("/app/static/js/main.js")
    assert plain.headers["cache-control"] == "no-cache"
    # A page loaded before an upgrade asks for its old version: today's file, not for good.
    old = await client.get("/app/static/0123456789ab/js/main.js")
    assert old.status_code == 200 and old.headers["cache-control"] == "no-cache"
    assert fresh.content == plain.content == old.content
    again = await client.get(
        "/app/static/js/main.js", headers={"If-None-Match": plain.headers["etag"]}
    )
    assert again.status_code == 304 and not again.content


@pytest.mark.parametrize(
    ("accept", "encoding"),
    [("gzip, deflate, br", "br"), ("gzip", "gzip"), ("br;q=0, gzip", "gzip"), ("", None)],
)
async def test_text_files_are_compressed_as_the_browser_accepts(
    client: httpx.AsyncClient, accept: str, encoding: str | None
) -> None:
    raw = (STATIC_DIR / "js" / "face.js").read_bytes()
    resp = await client.get(
        f"/app/static/{version()}/js/face.js", headers={"Accept-Encoding": accept}
    )
    assert resp.headers["vary"] == "Accept-Encoding"
    assert resp.headers.get("content-encoding") == encoding
    # httpx decodes gzip and brotli itself: the bytes received are the file.
    assert resp.content == raw
    if encoding:
        assert int(resp.headers["content-length"]) < len(raw) / 2
        assert resp.headers["etag"].endswith(f'-{encoding}"')
        same = await client.get(
            f"/app/static/{version()}/js/face.js",
            headers={"Accept-Encoding": accept, "If-None-Match": resp.headers["etag"]},
        )
        assert same.status_code == 304


async def test_head_answers_the_headers_of_get(client: httpx.AsyncClient) -> None:
    get = await client.get("/app/static/app.css", headers={"Accept-Encoding": "br"})
    head = await client.head("/app/static/app.css", headers={"Accept-Encoding": "br"})
    assert head.status_code == 200 and not head.content
    for name in ("etag", "content-encoding", "content-type", "cache-control"):
        assert head.headers[name] == get.headers[name]
    assert int(head.headers["content-length"]) == len(
        assets.current().files["app.css"].bodies["br"]
    )


async def test_png_icons_are_not_compressed_again(client: httpx.AsyncClient) -> None:
    resp = await client.get("/app/static/icons/icon-192.png", headers={"Accept-Encoding": "br"})
    assert resp.status_code == 200 and "content-encoding" not in resp.headers
    assert resp.content[:8] == b"\x89PNG\r\n\x1a\n"


async def test_service_worker_precaches_this_version_and_is_revalidated(
    client: httpx.AsyncClient,
) -> None:
    resp = await client.get("/app/sw.js")
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "text/javascript; charset=utf-8"
    assert resp.headers["cache-control"] == "no-cache"
    text = resp.text
    assert f'const VERSION = "{version()}";' in text
    found = re.search(r"const PRECACHE = (\[.*?\]);", text, re.S)
    assert found
    precache = json.loads(found.group(1))
    prefix = f"/app/static/{version()}/"
    shells = [url for url in precache if url.startswith("/app/?shell=")]
    assert "/app/?shell=all" in shells and "/app/?shell=js/pages/live.js" in shells
    assert f"{prefix}js/main.js" in precache and f"{prefix}app.css" in precache
    for url in precache:
        if url in shells:
            # Each page's shell, as the worker answers it for that page.
            page = (await client.get(url)).text
            assert f"{prefix}js/main.js" in page
            if url.endswith("live.js"):
                assert preloaded(page) == preloaded(
                    (
                        await client.get(f"/app/sessions/{'0' * 8}-0000-4000-8000-{'0' * 12}/live")
                    ).text
                )
        else:
            assert url.startswith(prefix)
            assert (STATIC_DIR / url.removeprefix(prefix)).is_file()
    # The worker picks a page's shell with the server's own table of pages.
    found = re.search(r"const PAGES = (\[.*?\n\])\.map", text, re.S)
    assert found
    pages = json.loads(found.group(1))
    assert ["^history/?$", "/app/?shell=js/pages/history.js"] in pages
    # The templates themselves are not served as files.
    assert (await client.get("/app/static/sw.js")).status_code == 404
    assert (await client.get("/app/static/index.html")).status_code == 404


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


def test_no_inline_scripts_or_handlers_so_a_strict_csp_holds() -> None:
    for path in STATIC_DIR.rglob("*"):
        if path.suffix in {".html", ".js"}:
            text = path.read_text()
            assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
            assert not re.search(r"""\son[a-z]+\s*=\s*["']""", text), path
            assert "innerHTML" not in text and "eval(" not in text, path


def test_a_file_changed_on_disk_gives_a_new_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "main.js").write_text("export const a = 1;\n")
    (tmp_path / "index.html").write_text('<script type="module" src="%STATIC%/js/main.js">')
    (tmp_path / "sw.js").write_text('const VERSION = "%VERSION%";\nconst P = ["%PRECACHE%"];\n')
    monkeypatch.setattr(assets_module, "RESCAN_SECONDS", 0.0)
    files = Assets(tmp_path)
    first = files.current()
    assert files.current() is first  # nothing changed: the same bundle
    assert first.version in first.shell().bodies["identity"].decode()
    (tmp_path / "js" / "main.js").write_text("export const a = 2;\n")
    second = files.current()
    assert second.version != first.version
    assert second.files["js/main.js"].bodies["identity"] == b"export const a = 2;\n"
    worker = second.worker.bodies["identity"].decode()
    assert f'"{second.version}"' in worker and f"/app/static/{second.version}/js/main.js" in worker


def test_encoding_choice_and_what_is_worth_compressing() -> None:
    text = make_asset(b"const x = 1;\n" * 100, ".js")
    assert set(text.bodies) == {"identity", "br", "gzip"}
    assert gzip.decompress(text.bodies["gzip"]) == text.bodies["identity"]
    assert brotli.decompress(text.bodies["br"]) == text.bodies["identity"]
    assert choose_encoding("gzip;q=0.5, br;q=1.0", text) == "br"
    assert choose_encoding("*", text) == "br"
    assert choose_encoding("identity", text) == "identity"
    assert choose_encoding("br;q=0, gzip;q=0", text) == "identity"
    tiny = make_asset(b"x", ".js")
    assert set(tiny.bodies) == {"identity"}
    png = make_asset(b"\x89PNG" + b"\0" * 1000, ".png")
    assert set(png.bodies) == {"identity"}
