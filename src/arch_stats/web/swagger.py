"""Swagger UI at `/api/swagger`, from the pinned `swagger-ui-bundle-v2` package, never a CDN.

The page has no inline script (its start-up is `/api/swagger/init.js`) and is served under a
Content-Security-Policy that lets it load nothing but this origin's files.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from starlette.responses import FileResponse, Response
from swagger_ui_bundle import swagger_ui_path

from arch_stats.core.errors import NotFound

SWAGGER_DIR = Path(str(swagger_ui_path))
# Only the files the page uses (the package holds other builds and an index of its own).
FILES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Arch Stats API</title>
<link rel="stylesheet" href="/api/swagger/static/swagger-ui.css">
<link rel="icon" type="image/png" href="/api/swagger/static/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/swagger/static/swagger-ui-bundle.js"></script>
<script src="/api/swagger/init.js"></script>
</body>
</html>
"""

INIT = """window.ui = SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
"""

router = APIRouter(include_in_schema=False)


@router.get("/swagger")
async def swagger() -> Response:
    return Response(PAGE, media_type="text/html; charset=utf-8", headers=HEADERS)


@router.get("/swagger/init.js")
async def swagger_init() -> Response:
    return Response(INIT, media_type="text/javascript; charset=utf-8", headers=HEADERS)


@router.get("/swagger/static/{name}")
async def swagger_file(name: str) -> Response:
    media_type = FILES.get(name)
    if media_type is None:
        raise NotFound("file", name)
    headers = {**HEADERS, "Cache-Control": "public, max-age=86400"}
    return FileResponse(SWAGGER_DIR / name, media_type=media_type, headers=headers)
