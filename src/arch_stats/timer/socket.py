"""`GET /api/v0/ws?timer=ID` (a member of its club) or `?timer=ast_…` (its public link): a
range timer's screen. Served on the live channel's path (`live.router` hands it over).

The first frame is `timer.state` (as `GET /timer/public/{token}`), then one each time the
state changes (an organiser's command, or the clock: `feed`), and `heartbeat`. A screen sets
its clock against the server's: it sends `{"type": "ping", "t": <its time>}` (a number, as it
likes) and gets `{"type": "pong", "data": {"t": <the same>, "server": <epoch ms>}}` back at
once; anything else it sends is read and ignored.

Close codes: 4401 not logged in (or the token was revoked or expired meanwhile); 4403 the
member left the club, or the link was revoked or replaced; 4404 no such timer (or not a
member), no such link, or the timer was deleted; 4408 too slow; 4422 bad parameters; 4429
too many screens of the link, or public viewers from the address; 1009 a message too big.
"""

from __future__ import annotations

import asyncio
import math
from uuid import UUID

import orjson
from fastapi import WebSocket, WebSocketDisconnect

from arch_stats.auth.deps import resolve, still_valid
from arch_stats.auth.tokens import token_hash
from arch_stats.core.addresses import address_key
from arch_stats.core.errors import NotAuthenticated
from arch_stats.core.serving import WS_MAX_MESSAGE_BYTES
from arch_stats.live.hub import frame
from arch_stats.live.router import MESSAGE_TOO_BIG, close_socket, refuse, socket_token
from arch_stats.timer import repository
from arch_stats.timer.feed import TimerFeed, TimerViewer
from arch_stats.timer.service import LINK_PREFIX, MAX_LINK_LENGTH, now_ms

PARAMS = ("timer",)
# Pongs are not queued behind more than this many frames (a screen that pings without
# reading gets no more of them).
PONG_QUEUE = 8


async def timer_socket(ws: WebSocket) -> None:
    feed: TimerFeed = ws.app.state.timer_feed
    cache = ws.app.state.token_cache
    generation = cache.generation
    viewer = await _viewer(ws)
    if viewer is None:
        return
    refusal = feed.add(viewer)
    if refusal is not None:
        await refuse(ws, *refusal)
        return
    reader: asyncio.Task[None] | None = None
    try:
        await ws.accept()
        reader = asyncio.create_task(_read(ws, viewer))
        # A revocation heard while the handshake ran found no subscriber to close.
        if (
            viewer.token_id is not None
            and (cache.generation != generation or not cache.trusted)
            and not await still_valid(ws.app.state.pool, viewer.token_id)
        ):
            viewer.end(4401, "token revoked")
        await feed.send_current(viewer)
        while not viewer.closed:
            for text in await viewer.next_frames():
                await ws.send_text(text)
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass
    finally:
        feed.remove(viewer)
        await close_socket(ws, viewer, reader)


async def _viewer(ws: WebSocket) -> TimerViewer | None:
    """The screen the handshake asks for, or None when it was refused (and closed)."""
    pool = ws.app.state.pool
    value = ws.query_params.get("timer", "")
    if value.startswith(LINK_PREFIX):
        if len(value) > MAX_LINK_LENGTH:
            await refuse(ws, 4404, "timer not found")
            return None
        async with pool.acquire() as conn:
            timer = await repository.by_link(conn, token_hash(value))
        if timer is None:
            await refuse(ws, 4404, "timer not found")
            return None
        address = address_key(ws.client.host if ws.client else None)
        return TimerViewer(timer.id, None, link_hash=timer.link_hash, address=address)
    try:
        timer_id = UUID(value)
    except ValueError:
        await refuse(ws, 4422, "timer must be a timer's id or its public link")
        return None
    async with pool.acquire() as conn:
        try:
            principal = await resolve(
                conn, socket_token(ws), scope="login", cache=ws.app.state.token_cache
            )
        except NotAuthenticated as exc:
            await refuse(ws, 4401, exc.messages[0])
            return None
        timer = await repository.get(conn, timer_id, principal.archer_id)
    if timer is None or timer.role is None:
        await refuse(ws, 4404, "timer not found")
        return None
    return TimerViewer(
        timer.id,
        principal.archer_id,
        token_id=principal.token_id,
        expires_at=principal.expires_at,
    )


def pong(text: str | None, now: int) -> str | None:
    """The answer to a ping (`{"type": "ping", "t": number}`); None to anything else."""
    try:
        message = orjson.loads(text or "")
    except orjson.JSONDecodeError:
        return None
    if not isinstance(message, dict) or message.get("type") != "ping":
        return None
    t = message.get("t")
    if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t):
        return None
    return frame("pong", {"t": t, "server": now})


async def _read(ws: WebSocket, viewer: TimerViewer) -> None:
    """Answer pings; notice when the client goes away. A message over
    `WS_MAX_MESSAGE_BYTES` ends the screen with 1009."""
    try:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
            if len(message.get("text") or message.get("bytes") or b"") > WS_MAX_MESSAGE_BYTES:
                viewer.end(*MESSAGE_TOO_BIG)
                break
            answer = pong(message.get("text"), now_ms())
            if answer is not None and len(viewer.queue) < PONG_QUEUE:
                viewer.push(answer)
    except Exception:  # noqa: S110 (a broken socket is a disconnect)
        pass
    finally:
        viewer.close()
