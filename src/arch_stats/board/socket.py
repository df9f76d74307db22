"""`GET /api/v0/ws?club_id=…` (a member, any role) or `?board=TOKEN` (a public link): the
club's live board. Served on the live channel's path (`live.router` hands these over).

The first frame is `board.snapshot` (every member shown there shooting now, with every shot
so far); then the board's frames as they happen (see `board.fanout`, which also says who is
shown where). Clients send nothing that changes data; what they send is read and ignored
(over 4 KiB: closed with 1009).

Close codes: 4401 not logged in (or the token was revoked or expired meanwhile); 4403 access
withdrawn (left or removed from the club) or board link revoked; 4404 no such club (or not a
member), no such link; 4408 too slow (frames not read); 4422 bad parameters; 4429 too many
viewers of the public link, or from the client's address (`BOARD_VIEWERS_PER_LINK`,
`BOARD_VIEWERS_PER_ADDRESS`, per process); 1009 a message too big.
"""

from __future__ import annotations

import asyncio
from uuid import UUID

from fastapi import WebSocket, WebSocketDisconnect

from arch_stats.auth.deps import resolve, still_valid
from arch_stats.auth.tokens import token_hash
from arch_stats.board import repository
from arch_stats.board.fanout import BoardViewer, ClubBoard
from arch_stats.board.service import LINK_PREFIX, MAX_LINK_LENGTH
from arch_stats.core.addresses import address_key
from arch_stats.core.database import Pool
from arch_stats.core.errors import NotAuthenticated
from arch_stats.core.ws_protocol import prepared_sender
from arch_stats.live.router import close_socket, drain_incoming, refuse, socket_token

PARAMS = ("club_id", "board")


async def board_socket(ws: WebSocket) -> None:
    board: ClubBoard = ws.app.state.club_board
    pool: Pool = ws.app.state.pool
    link_token = ws.query_params.get("board")
    viewer: BoardViewer
    cache = ws.app.state.token_cache
    generation = cache.generation
    send = prepared_sender(ws.scope)
    if link_token is not None:
        if not link_token.startswith(LINK_PREFIX) or len(link_token) > MAX_LINK_LENGTH:
            await refuse(ws, 4404, "board not found")
            return
        async with pool.acquire() as conn:
            link = await repository.active_link(conn, token_hash(link_token))
        if link is None:
            await refuse(ws, 4404, "board not found")
            return
        address = address_key(ws.client.host if ws.client else None)
        viewer = BoardViewer(link.club_id, None, link=link, address=address, send=send)
    else:
        try:
            club_id = UUID(ws.query_params.get("club_id", ""))
        except ValueError:
            await refuse(ws, 4422, "club_id must be a UUID")
            return
        async with pool.acquire() as conn:
            try:
                principal = await resolve(conn, socket_token(ws), scope="login", cache=cache)
            except NotAuthenticated as exc:
                await refuse(ws, 4401, exc.messages[0])
                return
            if await repository.member_role(conn, club_id, principal.archer_id) is None:
                await refuse(ws, 4404, "club not found")
                return
        viewer = BoardViewer(
            club_id,
            principal.archer_id,
            send=send,
            token_id=principal.token_id,
            expires_at=principal.expires_at,
        )
    # Added before the snapshot is read: nothing that happens after it is missed, and access
    # withdrawn from now on ends it (the snapshot checks access once more).
    refusal = board.add(viewer)
    if refusal is not None:
        await refuse(ws, *refusal)
        return
    reader: asyncio.Task[None] | None = None
    try:
        await ws.accept()
        reader = asyncio.create_task(drain_incoming(ws, viewer))
        # A revocation heard while the handshake ran found no subscriber to close: check once
        # more (as the session channel does). One heard from now on closes it (4401).
        if (
            viewer.token_id is not None
            and (cache.generation != generation or not cache.trusted)
            and not await still_valid(pool, viewer.token_id)
        ):
            viewer.end(4401, "token revoked")
        await board.send_snapshot(viewer)
        while not viewer.closed:
            for text in await viewer.next_frames():
                await ws.send_text(text)
            viewer.stream()  # all sent: from now on frames go straight to the socket
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass
    finally:
        board.remove(viewer)
        await close_socket(ws, viewer, reader)
