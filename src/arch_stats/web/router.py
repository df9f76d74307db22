"""Serves the web UI under `/app`: static files, one HTML shell, the service worker.

Nothing is built or compiled: the browser loads plain ES modules from `static/js/`. Every
path under `/app` that is not a file answers the shell, and the client-side router draws the
page, so a bookmarked `/app/sessions/<id>` works.

Caching (see `assets.py`): `/app/static/<version>/…` is immutable (the version is a hash of
every file); the shell, the service worker and unversioned `/app/static/…` paths are
revalidated on every use (ETag → 304). Text files go out brotli- or gzip-compressed when the
browser accepts it.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException, Request
from starlette.responses import RedirectResponse, Response

from arch_stats.web.assets import (
    ALL_PAGES,
    STATIC_DIR,
    Asset,
    Assets,
    choose_encoding,
    page_module,
)

__all__ = ["STATIC_DIR", "router"]

# Everything comes from this origin: no inline script, no CDN. `connect-src 'self'` covers the
# same-origin WebSocket (ws:/wss:) as well.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; worker-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
REVALIDATE = "no-cache"
FOREVER = "public, max-age=31536000, immutable"
VERSION = re.compile(r"[0-9a-f]{12}")

router = APIRouter(include_in_schema=False)
assets = Assets()


def _send(request: Request, asset: Asset, cache_control: str) -> Response:
    encoding = choose_encoding(request.headers.get("accept-encoding", ""), asset)
    etag = asset.etag(encoding)
    headers = {**HEADERS, "Cache-Control": cache_control, "ETag": etag, "Vary": "Accept-Encoding"}
    if encoding != "identity":
        headers["Content-Encoding"] = encoding
    match = request.headers.get("if-none-match")
    if match and (match.strip() == "*" or etag in [m.strip() for m in match.split(",")]):
        return Response(status_code=304, headers=headers)
    body = asset.bodies[encoding]
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(body))
        return Response(status_code=200, headers=headers, media_type=asset.media_type)
    return Response(body, status_code=200, headers=headers, media_type=asset.media_type)


@router.api_route("/", methods=["GET", "HEAD"])
async def root() -> Response:
    return RedirectResponse("/app/", status_code=307)


@router.api_route("/app", methods=["GET", "HEAD"])
async def app_root() -> Response:
    return RedirectResponse("/app/", status_code=307)


@router.api_route("/app/sw.js", methods=["GET", "HEAD"])
async def service_worker(request: Request) -> Response:
    """The service worker: it keeps this version's shell and files for use offline."""
    return _send(request, assets.current().worker, REVALIDATE)


@router.api_route("/app/static/{path:path}", methods=["GET", "HEAD"])
async def static(path: str, request: Request) -> Response:
    """A file of `static/`; under the current version's prefix it may be cached for good."""
    bundle = assets.current()
    head, _, rest = path.partition("/")
    cache_control = REVALIDATE
    if VERSION.fullmatch(head) and rest:
        path = rest
        # An older version (a page loaded before an upgrade) gets today's file, revalidated.
        if head == bundle.version:
            cache_control = FOREVER
    asset = bundle.files.get(path)
    if asset is None:
        raise HTTPException(status_code=404, detail="no such file")
    return _send(request, asset, cache_control)


@router.api_route("/app/{page:path}", methods=["GET", "HEAD"])
async def shell(page: str, request: Request) -> Response:
    """The HTML shell for every page of the UI; the client-side router draws the page."""
    bundle = assets.current()
    # The service worker asks for each page's shell by its module (`?shell=`).
    wanted = request.query_params.get("shell")
    if wanted == "all":
        module: str | None = ALL_PAGES
    elif wanted is not None and wanted in bundle.shells:
        module = wanted
    else:
        module = page_module(page)
    return _send(request, bundle.shell(module), REVALIDATE)
