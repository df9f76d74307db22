"""The web UI's files, read once, compressed once, named by their content.

Nothing is built ahead of time: the first request reads `static/`, keeps every file in memory
with its gzip and brotli forms (text files only, when that makes them smaller), and names the
whole tree by one content hash, its *version*. The HTML shell refers to files as
`/app/static/<version>/…`, so a browser may keep them for good (`immutable`): any change to
any file gives a new version and new addresses, and the shell itself is always revalidated.
ES modules import each other by relative paths, so they stay inside the version they were
loaded from.

Files changed on disk (an upgrade, or a developer editing) are noticed within a second.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import posixpath
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import brotli

STATIC_DIR = Path(__file__).parent / "static"
# Templates filled in here, not served as they are.
SHELL_NAME = "index.html"
WORKER_NAME = "sw.js"
TEMPLATES = frozenset({SHELL_NAME, WORKER_NAME})

MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".txt": "text/plain; charset=utf-8",
}
# Which page module draws a path under /app/ (as js/main.js routes it), so that the shell
# preloads what that page needs and nothing else. The service worker gets the same table.
_ID = "[0-9a-fA-F-]{36}"
PAGES: list[tuple[str, str]] = [
    (rf"^sessions/{_ID}/live/?$", "js/pages/live.js"),
    (rf"^clubs/{_ID}/board/?$", "js/pages/board.js"),
    (r"^board/asb_[A-Za-z0-9_-]+/?$", "js/pages/board.js"),
    (rf"^clubs/{_ID}/timer(/{_ID})?/?$", "js/pages/timer.js"),
    (r"^timer/ast_[A-Za-z0-9_-]+/?$", "js/pages/timer.js"),
    (rf"^competitions(/new|/{_ID}(/bale/[0-9]{{1,3}}|/results)?)?/?$", "js/pages/competitions.js"),
    (r"^results/asc_[A-Za-z0-9_-]+/?$", "js/pages/competitions.js"),
    (rf"^competitions/{_ID}/bracket/?$", "js/pages/brackets.js"),
    (r"^season/asn_[A-Za-z0-9_-]+/?$", "js/pages/brackets.js"),
    (rf"^sessions/{_ID}/?$", "js/pages/session.js"),
    (rf"^(sessions/{_ID}/tuning|equipment(/bows/{_ID})?)/?$", "js/pages/equipment.js"),
    (r"^sessions(/new)?/?$", "js/pages/sessions.js"),
    (r"^arrows/?$", "js/pages/arrows.js"),
    (r"^history/?$", "js/pages/history.js"),
    (rf"^(clubs(/{_ID}|/join/[A-Za-z0-9_%-]{{1,64}})?|members/{_ID})/?$", "js/pages/clubs.js"),
    (r"^profile/?$", "js/pages/profile.js"),
    (r"^admin/?$", "js/pages/admin.js"),
    (r"^reset/?$", "js/pages/reset.js"),
    (r"^sign(in|up)/?$", "js/pages/auth.js"),
    (r"^$", "js/pages/home.js"),
]
_PAGES = [(re.compile(pattern), module) for pattern, module in PAGES]
# Any other path (a page not found): a shell that preloads every module.
ALL_PAGES = "*"


def page_module(page: str) -> str | None:
    """The module of the page at /app/`page`, or None."""
    return next((module for pattern, module in _PAGES if pattern.match(page)), None)


def shell_url(module: str) -> str:
    """Where the service worker fetches the shell of a page module (or ALL_PAGES)."""
    return f"/app/?shell={'all' if module == ALL_PAGES else module}"


COMPRESSIBLE = frozenset({".js", ".css", ".html", ".svg", ".json", ".webmanifest", ".txt"})
RESCAN_SECONDS = 1.0


@dataclass(frozen=True)
class Asset:
    """One file as served: its bytes in each encoding that is worth sending."""

    media_type: str
    digest: str  # of the identity bytes
    bodies: dict[str, bytes]  # encoding ("identity", "br", "gzip") → bytes

    def etag(self, encoding: str) -> str:
        return f'"{self.digest}-{encoding}"' if encoding != "identity" else f'"{self.digest}"'


def make_asset(data: bytes, suffix: str) -> Asset:
    media_type = MEDIA_TYPES.get(suffix, "application/octet-stream")
    bodies = {"identity": data}
    if suffix in COMPRESSIBLE and len(data) > 256:
        for encoding, packed in (
            ("br", brotli.compress(data, quality=11)),
            ("gzip", gzip.compress(data, compresslevel=9, mtime=0)),
        ):
            if len(packed) < len(data) * 0.9:
                bodies[encoding] = packed
    return Asset(media_type, hashlib.sha256(data).hexdigest()[:16], bodies)


@dataclass(frozen=True)
class Bundle:
    """Every file of one version of the UI, the shells and the service worker made for it."""

    version: str
    files: dict[str, Asset]  # path relative to static/ → asset
    shells: dict[str | None, Asset]  # the page's module (None: any page) → its HTML shell
    worker: Asset

    @property
    def prefix(self) -> str:
        return f"/app/static/{self.version}"

    def shell(self, page: str | None = None) -> Asset:
        return self.shells.get(page) or self.shells[None]


# `import … from "./x.js"`, `export … from "../y.js"`, `import "./z.js"` (static imports only:
# a dynamic import() is a page loaded when it is shown).
STATIC_IMPORT = re.compile(
    r"""^\s*(?:import|export)\s(?:[^;'"]*?\sfrom\s)?\s*["'](\.{1,2}/[^"']+)["']""", re.M
)


def imports(files: dict[str, Asset], module: str) -> list[str]:
    """`module` and every module it imports statically, directly or not (paths in static/)."""
    seen: list[str] = []
    todo = [module]
    while todo:
        rel = todo.pop()
        if rel in seen or rel not in files:
            continue
        seen.append(rel)
        text = files[rel].bodies["identity"].decode("utf-8", errors="replace")
        base = posixpath.dirname(rel)
        todo.extend(
            posixpath.normpath(posixpath.join(base, spec)) for spec in STATIC_IMPORT.findall(text)
        )
    return sorted(seen)


def _signature(root: Path) -> tuple[tuple[str, int, int], ...]:
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            stat = path.stat()
            found.append((path.relative_to(root).as_posix(), stat.st_mtime_ns, stat.st_size))
    return tuple(found)


def build(root: Path = STATIC_DIR) -> Bundle:
    files: dict[str, Asset] = {}
    templates: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        rel = path.relative_to(root).as_posix()
        if rel in TEMPLATES:
            templates[rel] = path.read_text(encoding="utf-8")
        else:
            files[rel] = make_asset(path.read_bytes(), path.suffix)
    whole = hashlib.sha256()
    for rel, asset in sorted(files.items()):
        whole.update(f"{rel}\0{asset.digest}\n".encode())
    for rel, text in sorted(templates.items()):
        whole.update(f"{rel}\0{text}\n".encode())
    version = whole.hexdigest()[:12]
    prefix = f"/app/static/{version}"

    # The modules a page needs, all at once: the browser need not discover the import graph
    # level by level (one round trip per level on a phone network).
    core = imports(files, "js/main.js")
    pages = sorted(rel for rel in files if rel.startswith("js/pages/") and rel.endswith(".js"))

    def shell_for(page: str | None) -> Asset:
        if page == ALL_PAGES:
            needed = sorted(rel for rel in files if rel.startswith("js/") and rel.endswith(".js"))
        else:
            needed = sorted(set(core) | set(imports(files, page) if page else []))
        preload = "\n".join(f'  <link rel="modulepreload" href="{prefix}/{rel}">' for rel in needed)
        html = templates.get(SHELL_NAME, "").replace("%STATIC%", prefix)
        return make_asset(html.replace("  <!-- %PRELOAD% -->", preload).encode(), ".html")

    # Once each: a module may draw several paths, and `Cache.addAll` refuses duplicates.
    shells = [ALL_PAGES, *dict.fromkeys(module for _, module in PAGES)]
    precache = [
        *(shell_url(module) for module in shells),
        # Icons are for the launcher (fetched when the app is installed), not for pages.
        *(f"{prefix}/{rel}" for rel in sorted(files) if not rel.startswith("icons/")),
    ]
    worker = templates.get(WORKER_NAME, "").replace('"%VERSION%"', json.dumps(version))
    worker = worker.replace('["%PRECACHE%"]', json.dumps(precache, indent=0))
    routes = [[pattern, shell_url(module)] for pattern, module in PAGES]
    worker = worker.replace('["%PAGES%"]', json.dumps(routes, indent=0))
    worker = worker.replace('"%ANY_PAGE%"', json.dumps(shell_url(ALL_PAGES)))
    return Bundle(
        version=version,
        files=files,
        shells={
            None: shell_for(None),
            ALL_PAGES: shell_for(ALL_PAGES),
            **{page: shell_for(page) for page in pages},
        },
        worker=make_asset(worker.encode(), ".js"),
    )


class Assets:
    """The current bundle, rebuilt when the files on disk change (checked at most once a second)."""

    def __init__(self, root: Path = STATIC_DIR) -> None:
        self.root = root
        self._bundle: Bundle | None = None
        self._signature: tuple[tuple[str, int, int], ...] = ()
        self._checked = 0.0
        self._lock = threading.Lock()

    def current(self) -> Bundle:
        now = time.monotonic()
        bundle = self._bundle
        if bundle is not None and now - self._checked < RESCAN_SECONDS:
            return bundle
        with self._lock:
            self._checked = now
            signature = _signature(self.root)
            if self._bundle is None or signature != self._signature:
                self._bundle = build(self.root)
                self._signature = signature
            return self._bundle


def choose_encoding(accept_encoding: str, asset: Asset) -> str:
    """The best encoding of `asset` the client accepts (brotli, then gzip, else identity)."""
    accepted: dict[str, float] = {}
    for part in accept_encoding.split(","):
        name, _, params = part.strip().partition(";")
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        accepted[name.strip().lower()] = q
    for encoding in ("br", "gzip"):
        q = accepted.get(encoding, accepted.get("*", 0.0))
        if encoding in asset.bodies and q > 0:
            return encoding
    return "identity"
