"""Live results: `GET /api/v0/ws?results=TOKEN` (the public link, no account) or
`?competition_id=ID` (a member of its club, or an archer entered). Served on the live
channel's path (`live.router` hands these over, as it does the club board's).

Every frame is `results` with the whole results (`service.results_of`; public: no ids) and
the competition's head-to-head `brackets` (the part the app adds: `matches.service`), the
first at once, then again after each change: a shot of an entry's session (the hub's notes)
or a change of the competition itself (entries, places, confirmations, start and finish: the
`arch_stats_competition` note its transaction sends at commit; a match's end recorded
or a bracket drawn sends it too). Changes that come while the
results are being read are folded into one more reading, so a burst of shots costs a reading
or two, not one per shot, and viewers of one competition share each reading and its frame.

Viewers are hub subscribers keyed by the competition's id: heartbeats, credential expiry and
revocation (4401) apply as to any. Close codes: 4401 not logged in; 4404 no such competition
or link (or not the viewer's to see), 4422 bad parameters; 1009 a message too big."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import orjson
from fastapi import WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from arch_stats.auth.deps import resolve
from arch_stats.competitions import service
from arch_stats.core.database import Executor, Pool
from arch_stats.core.errors import AppError, NotAuthenticated
from arch_stats.live.hub import LiveHub, Subscriber, frame
from arch_stats.live.router import drain_incoming, refuse, socket_token

log = logging.getLogger("arch_stats.competitions")

CHANNEL = "arch_stats_competition"
PARAMS = ("results", "competition_id")
NOBODY = UUID(int=0)


class ResultsViewer(Subscriber):
    """One WebSocket client watching one competition's results (public or not)."""

    __slots__ = ("public",)

    def __init__(self, competition_id: UUID, archer_id: UUID | None, **kw: Any) -> None:
        super().__init__(competition_id, archer_id or NOBODY, last_seq=0, **kw)
        self.public = archer_id is None
        self.live()  # no shots to replay: results frames only


# More of a competition for its results frames (the app passes the brackets'), keyed by name:
# (connection, competition id, public) → the keys to add.
ResultsPart = Callable[[Executor, UUID, bool], Awaitable[dict[str, Any]]]


class LiveResults:
    """The results fan-out of one process."""

    def __init__(self, hub: LiveHub, pool: Pool, *, part: ResultsPart | None = None) -> None:
        self.hub = hub
        self.pool = pool
        self.part = part
        self.viewers: dict[UUID, set[ResultsViewer]] = {}
        self._sessions: dict[UUID, UUID] = {}  # an entry's session → its competition
        self._dirty: set[UUID] = set()
        self._running: dict[UUID, asyncio.Task[None]] = {}
        hub.on_event(self.on_event)
        hub.listen(CHANNEL, self.on_note)
        hub.on_connect(self.reconnected)

    def add(self, viewer: ResultsViewer) -> None:
        self.viewers.setdefault(viewer.session_id, set()).add(viewer)
        self.hub.add(viewer)
        self.changed(viewer.session_id)

    def remove(self, viewer: ResultsViewer) -> None:
        self.hub.remove(viewer)
        watching = self.viewers.get(viewer.session_id)
        if watching is not None:
            watching.discard(viewer)
            if not watching:
                del self.viewers[viewer.session_id]
                self._sessions = {s: c for s, c in self._sessions.items() if c != viewer.session_id}

    def on_event(self, kind: str, session_id: UUID, note: dict[str, Any]) -> None:
        competition_id = self._sessions.get(session_id)
        if competition_id is not None and kind.startswith("shot."):
            self.changed(competition_id)

    def on_note(self, payload: str) -> None:
        try:
            competition_id = UUID(payload)
        except ValueError:
            return
        if competition_id in self.viewers:
            self.changed(competition_id)

    def reconnected(self) -> None:  # notes were lost meanwhile: read every one again
        for competition_id in list(self.viewers):
            self.changed(competition_id)

    def changed(self, competition_id: UUID) -> None:
        """Read the results again (once more after the reading under way, if any)."""
        self._dirty.add(competition_id)
        if competition_id not in self._running:
            self._running[competition_id] = asyncio.create_task(self._send(competition_id))

    async def _send(self, competition_id: UUID) -> None:
        try:
            while competition_id in self._dirty and competition_id in self.viewers:
                self._dirty.discard(competition_id)
                try:
                    frames = await self._frames(competition_id)
                except (TimeoutError, AppError, OSError) as exc:
                    log.warning("results not read: %s", type(exc).__name__)
                    continue
                for viewer in tuple(self.viewers.get(competition_id, ())):
                    text = frames.get(viewer.public)
                    if text is not None and not viewer.closed:
                        viewer.push(text)
        finally:
            self._running.pop(competition_id, None)
            self._dirty.discard(competition_id)

    async def _frames(self, competition_id: UUID) -> dict[bool, str]:
        async with self.pool.acquire() as conn:
            sessions = await conn.fetch(
                """SELECT session_id FROM competition_entry
                   WHERE competition_id = $1 AND session_id IS NOT NULL""",
                competition_id,
            )
            for s in sessions:
                self._sessions[s["session_id"]] = competition_id
            kinds = {v.public for v in self.viewers.get(competition_id, ())}
            out = {}
            for public in kinds:
                data = await service.results_of(conn, competition_id, public=public)
                if self.part is not None:
                    data |= await self.part(conn, competition_id, public)
                out[public] = frame("results", orjson.Fragment(orjson.dumps(data, default=str)))
            return out

    async def close(self) -> None:
        for task in list(self._running.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def results_socket(ws: WebSocket) -> None:
    feed: LiveResults = ws.app.state.live_results
    pool: Pool = ws.app.state.pool
    link = ws.query_params.get("results")
    viewer: ResultsViewer
    async with pool.acquire() as conn:
        try:
            if link is not None:
                viewer = ResultsViewer(await service.public_competition(conn, link), None)
            else:
                try:
                    competition_id = UUID(ws.query_params.get("competition_id", ""))
                except ValueError:
                    await refuse(ws, 4422, "competition_id must be a UUID")
                    return
                principal = await resolve(
                    conn, socket_token(ws), scope="login", cache=ws.app.state.token_cache
                )
                await service.results(conn, principal.archer_id, competition_id)  # may see it
                viewer = ResultsViewer(
                    competition_id,
                    principal.archer_id,
                    token_id=principal.token_id,
                    expires_at=principal.expires_at,
                )
        except NotAuthenticated as exc:
            await refuse(ws, 4401, exc.messages[0])
            return
        except AppError:
            await refuse(ws, 4404, "competition not found")
            return
    feed.add(viewer)
    reader: asyncio.Task[None] | None = None
    try:
        await ws.accept()
        reader = asyncio.create_task(drain_incoming(ws, viewer))
        while not viewer.closed:
            for text in await viewer.next_frames():
                await ws.send_text(text)
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass
    finally:
        feed.remove(viewer)
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
        if (
            ws.application_state == WebSocketState.CONNECTED
            and ws.client_state == WebSocketState.CONNECTED
        ):
            code, reason = viewer.close_code or 1001, viewer.close_reason or "server going away"
            with contextlib.suppress(Exception):
                await ws.close(code=code, reason=reason)
