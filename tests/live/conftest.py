"""A real HTTP/WebSocket server on 127.0.0.1 around the suite's app, and WebSocket helpers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
import uvicorn
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection, connect

from arch_stats.core.serving import UVICORN


@pytest.fixture(scope="session")
async def server_url(app: FastAPI) -> AsyncIterator[str]:
    # lifespan off: the suite's app is already started (pool, live hub).
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, lifespan="off", log_config=None, **UVICORN
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"127.0.0.1:{port}"
    server.should_exit = True
    await task


async def ws_connect(url: str, path: str, token: str | None = None, **kw: Any) -> ClientConnection:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await connect(f"ws://{url}{path}", additional_headers=headers, **kw)


async def next_frame(
    ws: ClientConnection,
    *,
    skip: tuple[str, ...] = ("heartbeat", "stats.updated"),
    timeout: float = 30,
) -> dict[str, Any]:
    """The next frame not of a `skip` kind. The default `timeout` only bounds a wait for a
    frame that is due (a loaded machine is slow); tests that expect none pass a short one."""
    while True:
        raw = await asyncio.wait_for(ws.recv(), timeout=timeout)
        frame: dict[str, Any] = orjson.loads(raw)
        if frame["type"] not in skip:
            return frame


async def frames_until(
    ws: ClientConnection,
    count: int,
    *,
    kinds: tuple[str, ...] = ("shot.created",),
    timeout: float = 60,
) -> list[dict[str, Any]]:
    """The next `count` frames of `kinds` (others skipped)."""
    out: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(out) < count:
        raw = await asyncio.wait_for(ws.recv(), timeout=max(0.01, deadline - loop.time()))
        frame: dict[str, Any] = orjson.loads(raw)
        if frame["type"] in kinds:
            out.append(frame)
    return out
