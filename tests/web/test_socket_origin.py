"""A page of another origin of the same host (another port of 127.0.0.1) in a real Chromium:
the browser sends the login cookie along with its WebSocket handshake, whatever the page puts
in the URL, and the page must read none of the archer's frames."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Page

from arch_stats.core.database import Connection
from tests.conftest import ArcherCtx
from tests.live.test_ws_origin import TOKEN_PARAMS, session_with_a_shot
from tests.web.conftest import WebServer, sign_in

BODY = b"<!doctype html><title>Elsewhere</title>"
PAGE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n"
    b"Content-Length: %d\r\n\r\n%s" % (len(BODY), BODY)
)
# Opens the socket and settles when it closes: refused, or closed here after its first frame.
FIRST_FRAME = """(url) => new Promise((resolve) => {
    const got = [];
    const ws = new WebSocket(url);
    ws.onmessage = (e) => { got.push(String(e.data)); ws.close(); };
    ws.onclose = (e) => resolve({ closed: e.code, got });
})"""


@pytest.mark.parametrize("token", TOKEN_PARAMS)
async def test_a_page_on_another_port_reads_nothing_over_the_socket(
    page: Page, web: WebServer, archer: ArcherCtx, db: Connection, token: str
) -> None:
    session_id = await session_with_a_shot(db, archer)
    await sign_in(page, web, archer)

    async def elsewhere_page(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(PAGE)
        await writer.drain()
        writer.close()

    elsewhere = await asyncio.start_server(elsewhere_page, "127.0.0.1", 0)
    port = elsewhere.sockets[0].getsockname()[1]
    try:
        await page.goto(f"http://127.0.0.1:{port}/")
    finally:
        elsewhere.close()
    url = f"ws://127.0.0.1:{web.port}/api/v0/ws?session_id={session_id}&after=0&{token}"
    result = await page.evaluate(FIRST_FRAME, url)
    assert result == {"closed": 1006, "got": []}  # the handshake refused (HTTP 403)
    # The same page of the app's own origin gets the shot: the cookie is what was refused.
    await page.goto(f"{web.url}/api/health")
    own = f"ws://127.0.0.1:{web.port}/api/v0/ws?session_id={session_id}&after=0"
    result = await page.evaluate(FIRST_FRAME, own)
    assert result["closed"] == 1005  # closed by the page, after:
    assert '"seq":1' in result["got"][0]
