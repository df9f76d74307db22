"""Serves the web UI under `/app`: static files as they are on disk, and one HTML shell.

Nothing is built or compiled: the browser loads plain ES modules from `static/js/`. Every
path under `/app` that is not a static file answers the shell, and the client-side router
draws the page, so a bookmarked `/app/sessions/<id>` works.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
SHELL = STATIC_DIR / "index.html"

# Everything comes from this origin: no inline script, no CDN. `connect-src 'self'` covers the
# same-origin WebSocket (ws:/wss:) as well.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    # Revalidate each time (ETag / Last-Modified make it a 304): an upgrade is seen at once.
    "Cache-Control": "no-cache",
}

router = APIRouter(include_in_schema=False)
_files = StaticFiles(directory=STATIC_DIR)


@router.api_route("/", methods=["GET", "HEAD"])
async def root() -> Response:
    return RedirectResponse("/app/", status_code=307)


@router.api_route("/app", methods=["GET", "HEAD"])
async def app_root() -> Response:
    return RedirectResponse("/app/", status_code=307)


@router.api_route("/app/static/{path:path}", methods=["GET", "HEAD"])
async def static(path: str, request: Request) -> Response:
    """A file of `static/` (404 for anything else, `..` included)."""
    response = await _files.get_response(path, request.scope)
    response.headers.update(HEADERS)
    return response


@router.api_route("/app/{page:path}", methods=["GET", "HEAD"])
async def shell(page: str) -> Response:
    """The HTML shell for every page of the UI; the client-side router draws the page."""
    return FileResponse(SHELL, media_type="text/html; charset=utf-8", headers=HEADERS)
