"""Browser tests: a real headless Chromium (Debian's `chromium`, driven by Playwright) against a
real HTTP server around the suite's app.

One browser for the whole run; each test gets its own browser context (cookies, storage) and
page. The server can be stopped and started again on the same port, to drop the page's
WebSocket for real.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from playwright.async_api import (
    Browser,
    BrowserContext,
    Dialog,
    Page,
    ViewportSize,
    async_playwright,
)

from arch_stats.auth.tokens import COOKIE_NAME
from arch_stats.core.serving import UVICORN
from tests.conftest import ArcherCtx
from tests.web.phone import Console, Finger, phone_context

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
HAVE_CHROMIUM = Path(CHROMIUM).exists()
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
DESKTOP: ViewportSize = {"width": 1280, "height": 900}


class WebServer:
    """uvicorn on 127.0.0.1 around the suite's app; `stop()` and `start()` keep the port."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        # lifespan off: the suite's app is already started (pool, live hub).
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            lifespan="off",
            log_config=None,
            timeout_graceful_shutdown=2,
            **UVICORN,
        )
        self._server = server = uvicorn.Server(config)
        self._task = task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()  # raises what stopped it
                raise RuntimeError("the web server stopped before it started")
            await asyncio.sleep(0.01)
        self.port = server.servers[0].sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        await self._task
        self._server = None
        self._task = None


@pytest.fixture(scope="session")
async def web(app: FastAPI) -> AsyncIterator[WebServer]:
    server = WebServer(app)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not HAVE_CHROMIUM:
        # Never a silent skip: scripts/test installs Chromium before it runs pytest.
        pytest.fail(f"no Chromium at {CHROMIUM}: run scripts/install-chromium")
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def page(browser: Browser, web: WebServer, client: httpx.AsyncClient) -> AsyncIterator[Page]:
    """A fresh page at desktop size; `client` is requested so that the tables are emptied after.

    Confirmation dialogs are accepted. The test fails when the page throws a JavaScript error."""
    context = await browser.new_context(viewport=DESKTOP, base_url=web.url)
    context.set_default_timeout(10_000)
    pg = await context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))

    async def accept(dialog: Dialog) -> None:
        await dialog.accept()

    pg.on("dialog", accept)
    try:
        yield pg
    finally:
        await context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@dataclass
class Phone:
    page: Page
    finger: Finger
    console: Console


@asynccontextmanager
async def a_phone(browser: Browser, web: WebServer) -> AsyncIterator[Phone]:
    """A fresh 390 × 844 touch-screen page, a finger on it and its console. Dialogs are accepted."""
    context = await phone_context(browser, web.url)
    page = await context.new_page()
    console = Console(page)

    async def accept(dialog: Dialog) -> None:
        await dialog.accept()

    page.on("dialog", accept)
    finger = Finger(await context.new_cdp_session(page))
    try:
        yield Phone(page, finger, console)
    finally:
        await context.close()


NewPage = Callable[[ArcherCtx], Awaitable[Page]]


@pytest.fixture
async def new_page(
    browser: Browser, web: WebServer, client: httpx.AsyncClient
) -> AsyncIterator[NewPage]:
    """Signed-in phone pages (390 × 844, touch), each in its own browser; dialogs accepted;
    the test fails on a JavaScript error."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    async def make(who: ArcherCtx) -> Page:
        context = await phone_context(browser, web.url)
        contexts.append(context)
        pg = await context.new_page()
        pg.on("pageerror", lambda exc: errors.append(str(exc)))
        pg.on("dialog", lambda dialog: dialog.accept())
        await sign_in(pg, web, who)
        return pg

    try:
        yield make
    finally:
        for context in contexts:
            await context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
async def phone(
    browser: Browser, web: WebServer, client: httpx.AsyncClient
) -> AsyncIterator[Phone]:
    """A phone (a_phone) for one test."""
    async with a_phone(browser, web) as made:
        yield made


async def sign_in(page: Page, web: WebServer, archer: ArcherCtx) -> None:
    """Sign the page's browser in as `archer` (its login token as the HttpOnly cookie)."""
    await page.context.add_cookies(
        [{"name": COOKIE_NAME, "value": archer.token, "url": web.url, "httpOnly": True}]
    )


async def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    await page.screenshot(path=str(path), full_page=True)
    return path
