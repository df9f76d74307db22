"""`GET /api/v0/ws?session_id=…[&after=SEQ]`: live frames of one session.

Frames are JSON text `{"type", "ts", "request_id", "data"}`: `shot.created`, `shot.updated`,
`shot.deleted`, `stats.updated`, `session.closed` and `heartbeat`. With `after`, the client first
gets every shot with a greater `seq`, in order, then live frames — no gap, no duplicate. Without
it, a client gets what happens from the moment it joins, as if it had given the session's last
`seq` then: a shot written before it joined is never sent to it, even when this process hears of
it late (a loaded database can be slow to deliver a NOTIFY). The
missed shots are read `REPLAY_PAGE` at a time, each page on a pooled connection held only for its
query, and sent at the client's pace (each send waits while the client's socket is full): a
client that reads nothing holds no connection, and none of its missed shots is dropped.
Clients send nothing that changes data; what they send is read and ignored.

A coach may watch a club member's session while the member shares with the club's coaches
(`access.policy`); the socket is closed 4403 as soon as that stops, and no frame of anything
written after the change was acknowledged reaches it (`access.live`: every replayed page is
read in the same snapshot as the check that the socket may still have it). Coach notes come as
`note.created` / `note.deleted` frames.

Other subscriptions share this path, told apart by a query parameter and handled elsewhere
(`app.state.subscriptions`, wired in app.py so that this domain imports none of theirs): e.g.
`club_id` or `board`, the club's live board (`board.socket`).

Credentials: `Authorization: Bearer`, else a `token` query parameter, else the login cookie;
a credential that is named is the only one tried (`socket_token`), and a handshake that carries
the cookie must come from the app's own origin whatever else it names (`core.guards`: refused
with HTTP 403).

Close codes: 4401 not logged in (also: a malformed Authorization header, or a `token`
parameter empty, blank or repeated), or the token was revoked or expired while the socket was
open (in every server process: see `live.revocation`); 4403 access withdrawn (consent, role,
leaving the club); 4404 no such session (or not yours to watch); 4422 bad parameters; 1009 a
message over `WS_MAX_MESSAGE_BYTES` (4 KiB; refused by its header, before it is read).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from uuid import UUID

import orjson
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from arch_stats.access import policy
from arch_stats.access.live import AccessWatch, entitled, snapshot
from arch_stats.auth.deps import resolve
from arch_stats.auth.tokens import COOKIE_NAME
from arch_stats.core.database import Pool
from arch_stats.core.errors import NotAuthenticated
from arch_stats.core.serving import WS_MAX_MESSAGE_BYTES
from arch_stats.live import repository
from arch_stats.live.hub import LiveHub, Subscriber, frame

router = APIRouter(tags=["live"])
log = logging.getLogger("arch_stats.live")

Handler = Callable[[WebSocket], Awaitable[None]]

MAX_SEQ = 2**31 - 1
REPLAY_PAGE = 500
MESSAGE_TOO_BIG = (1009, "message too big")


def socket_token(ws: WebSocket) -> str | None:
    """The credential of a WebSocket handshake: the bearer header, else the `token` query
    parameter, else the cookie. A credential that is named is the only one used: a malformed
    Authorization header, or a `token` parameter that is empty, blank or repeated, raises
    NotAuthenticated, never falls back to the cookie (which a page of another origin may get
    sent along: `core.guards`)."""
    header = ws.headers.get("authorization")
    if header is not None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise NotAuthenticated("Authorization header must be 'Bearer <token>'")
        return value.strip()
    tokens = ws.query_params.getlist("token")
    if tokens:
        if len(tokens) > 1 or not tokens[0].strip():
            raise NotAuthenticated("token parameter must be given once, not blank")
        return tokens[0]
    return ws.cookies.get(COOKIE_NAME)


async def refuse(ws: WebSocket, code: int, reason: str) -> None:
    """Accept the handshake only to close it at once with `code` (browsers see no reason
    for a refused handshake)."""
    await ws.accept()
    await ws.close(code=code, reason=reason)


@router.websocket("/ws")
async def live(ws: WebSocket) -> None:
    others: dict[str, Handler] = getattr(ws.app.state, "subscriptions", {})
    for param, handler in others.items():
        if param in ws.query_params:
            await handler(ws)
            return
    hub: LiveHub = ws.app.state.hub
    pool: Pool = ws.app.state.pool
    try:
        session_id = UUID(ws.query_params.get("session_id", ""))
        after_text = ws.query_params.get("after")
        after = int(after_text) if after_text is not None else None
        if after is not None and not 0 <= after <= MAX_SEQ:
            raise ValueError
    except ValueError:
        await refuse(ws, 4422, "session_id must be a UUID and after a shot seq ≥ 0")
        return
    cache = ws.app.state.token_cache
    async with pool.acquire() as conn:
        try:
            principal = await resolve(conn, socket_token(ws), scope="login", cache=cache)
        except NotAuthenticated as exc:
            await refuse(ws, 4401, exc.messages[0])
            return
        head = await repository.session_head(conn, session_id)
        owner = None if head is None else head[0]
        if owner is None or (
            owner != principal.archer_id
            and await policy.archer_access(conn, principal.archer_id, owner) is None
        ):
            await refuse(ws, 4404, "session not found")
            return
    assert head is not None and owner is not None
    await ws.accept()
    sub = Subscriber(
        session_id,
        principal.archer_id,
        last_seq=head[1] if after is None else after,
        token_id=principal.token_id,
        expires_at=principal.expires_at,
    )
    # From here on nothing is missed: live frames are held until the replay is done, and
    # every change of access or credential heard acts on the subscriber.
    hub.add(sub)
    access: AccessWatch = ws.app.state.access
    access.watch(sub, owner)
    reader = asyncio.create_task(drain_incoming(ws, sub))
    try:
        # Even without `after`: a shot written since `head` was read may have been announced
        # before the subscriber was added, or while it held its frames. Its first page also
        # checks the token and the access once more: a change made while the handshake ran
        # found no subscriber to act on.
        await _replay(ws, pool, sub, owner)
        sub.live()
        while not sub.closed:
            for text in await sub.next_frames():
                await ws.send_text(text)
            if sub.catching_up and not sub.closed:
                # A shot was announced beyond the next one expected: the ones between are
                # stored (or gone), read them first, as for a join (hub.Subscriber.catch_up).
                await _replay(ws, pool, sub, owner)
                sub.live()
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass
    finally:
        hub.remove(sub)
        access.forget(sub)
        await close_socket(ws, sub, reader)


async def close_socket(ws: WebSocket, sub: Subscriber, reader: asyncio.Task[None] | None) -> None:
    """The end of a live socket: stop reading it, and close it with its subscriber's close
    code (1001, going away, when it has none) unless it is closed already."""
    if reader is not None:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await reader
    if (
        ws.application_state == WebSocketState.CONNECTED
        and ws.client_state == WebSocketState.CONNECTED
    ):
        code, reason = sub.close_code or 1001, sub.close_reason or "server going away"
        with contextlib.suppress(Exception):
            await ws.close(code=code, reason=reason)


async def _replay(ws: WebSocket, pool: Pool, sub: Subscriber, owner: UUID) -> None:
    """Every shot after `sub.last_seq`, page by page, until the replay has reached every shot
    announced live meanwhile (those frames are held by `sub` until then). Each page is read
    in the snapshot that finds the subscriber still entitled to it (else it is ended)."""
    while not sub.closed:
        async with pool.acquire() as conn, snapshot(conn):
            refusal = (await entitled(conn, [(sub, owner)]))[0]
            if refusal is None:
                top, page = await repository.shots_after(
                    conn, sub.session_id, sub.last_seq, REPLAY_PAGE
                )
        if refusal is not None:
            sub.end(*refusal)
            return
        for seq, data in page:  # no connection held while the client reads
            await ws.send_text(frame("shot.created", orjson.Fragment(data)))
            sub.last_seq = seq
        if top is None:  # the session is gone
            return
        if len(page) < REPLAY_PAGE and sub.replayed(top):
            return


async def drain_incoming(ws: WebSocket, sub: Subscriber) -> None:
    """Read (and ignore) what the client sends; notice when it goes away. A message over
    `WS_MAX_MESSAGE_BYTES` (which the protocol refuses by its header: this is for a server
    run with another one) ends the subscription with 1009."""
    try:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
            if len(message.get("text") or message.get("bytes") or b"") > WS_MAX_MESSAGE_BYTES:
                sub.end(*MESSAGE_TOO_BIG)
                break
    except Exception:  # noqa: S110 (a broken socket is a disconnect)
        pass
    finally:
        sub.close()
