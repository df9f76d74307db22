"""Live results: `GET /api/v0/ws?results=TOKEN` (the public link, no account) or
`?competition_id=ID` (a member of its club, or an archer entered). Served on the live
channel's path (`live.router` hands these over, as it does the club board's).

Every frame is `results` with the whole results (`service.results_doc`; public: no ids) and
the competition's head-to-head `brackets` (the part the app adds: `matches.service`), the
first at once, then again after each change: a shot of an entry's session (the hub's notes)
or a change of the competition itself (entries, places, confirmations, start and finish: the
`arch_stats_competition` note its transaction sends at commit; a match's end recorded or a
bracket drawn sends it too).

What a change costs. While a competition has viewers here, what its frames are made of is
kept (`_Watched`): the competition, its round, categories and entries (`service.ResultsBase`)
and the brackets are read again only after a note of the competition (or a reconnect of the
listener, when notes may have been lost); a shot costs one query, every entry's arrows
(`service.scores_of`: always the whole truth, so a lost shot note is made good by the next
change), and only the categories whose archers' arrows changed are ranked again. Changes that
come while the results are being read are folded into one more reading, so a burst of shots
costs a reading or two, not one per shot. Each audience (public, members) gets one frame,
encoded once and written straight to its viewers' sockets, as the club board's (`live.direct`:
in order, a batch of viewers per turn of the event loop, a viewer far behind dropped with
4408); a viewer is sent a frame only if it differs from the last one it was sent (a
newcomer's reading sends nothing to the others).

Viewers are hub subscribers keyed by the competition's id: heartbeats, credential expiry and
revocation (4401) apply as to any. Viewers of the public link count in the public viewers'
limits, per link and per address, with the club boards' and the range timers'
(`core.viewers`: `BOARD_VIEWERS_PER_LINK`, `BOARD_VIEWERS_PER_ADDRESS`), and are closed when
the link is revoked or replaced. Close codes: 4401 not logged in; 4403 the link was revoked or
replaced; 4404 no such competition or link (or not the viewer's to see); 4408 too slow (frames
not read); 4422 bad parameters; 4429 too many viewers of the link, or public viewers from the
address; 1009 a message too big."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg
import orjson
from fastapi import WebSocket, WebSocketDisconnect

from arch_stats.auth.deps import resolve
from arch_stats.auth.tokens import token_hash
from arch_stats.competitions import service
from arch_stats.core.addresses import address_key
from arch_stats.core.database import Executor, Pool
from arch_stats.core.errors import AppError, NotAuthenticated
from arch_stats.core.viewers import PublicViewers
from arch_stats.core.ws_protocol import SendPrepared, prepared_sender
from arch_stats.live.direct import DirectViewer, Fanout
from arch_stats.live.hub import LiveHub, frame
from arch_stats.live.router import close_socket, drain_incoming, refuse, socket_token

log = logging.getLogger("arch_stats.competitions")

CHANNEL = "arch_stats_competition"
PARAMS = ("results", "competition_id")
NOBODY = UUID(int=0)
LINK_REVOKED = (4403, "results link revoked")
LINK_FULL = (4429, "too many viewers of this results link")
ADDRESS_FULL = (4429, "too many public viewers from this address")


class ResultsViewer(DirectViewer):
    """One WebSocket client watching one competition's results (public or not)."""

    __slots__ = ("address", "link_hash", "public", "sent")

    def __init__(
        self,
        competition_id: UUID,
        archer_id: UUID | None,
        *,
        link_hash: bytes | None = None,
        address: str | None = None,
        send: SendPrepared | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(competition_id, archer_id or NOBODY, send=send, holding=False, **kw)
        self.public = archer_id is None
        self.link_hash = link_hash  # the public link it came by
        self.address = address  # a public viewer's client address (the per-address limit)
        self.sent: str | None = None  # the last results frame it was given


# More of a competition for its results frames (the app passes the brackets'), keyed by name:
# (connection, competition id, public) → the keys to add.
ResultsPart = Callable[[Executor, UUID, bool], Awaitable[dict[str, Any]]]
Audience = bool  # public (True) or members (False)


@dataclass(eq=False)
class _Watched:
    """One competition watched here: its viewers, and what its frames are made of."""

    audiences: dict[Audience, Fanout[ResultsViewer]] = field(default_factory=dict)
    base: service.ResultsBase | None = None  # None: to be read again (a note of the competition)
    parts: dict[Audience, dict[str, Any]] = field(default_factory=dict)
    scores: dict[UUID, asyncpg.Record] = field(default_factory=dict)  # by entry
    categories: dict[tuple[str, Audience], dict[str, Any]] = field(default_factory=dict)
    data: dict[Audience, bytes] = field(default_factory=dict)  # the results, encoded
    frames: dict[Audience, str] = field(default_factory=dict)  # ... in a frame
    sent: dict[Audience, str] = field(default_factory=dict)  # the last frame all were sent
    dirty: bool = False  # a change came after the reading under way began
    generation: int = 0  # counts the competition's changes (a reading that spans one is void)
    task: asyncio.Task[None] | None = None

    def stale(self) -> None:
        self.generation += 1
        self.base = None
        self.parts = {}
        self.categories.clear()


class LiveResults:
    """The results fan-out of one process."""

    def __init__(
        self,
        hub: LiveHub,
        pool: Pool,
        public: PublicViewers,
        *,
        part: ResultsPart | None = None,
    ) -> None:
        self.hub = hub
        self.pool = pool
        self.public = public
        self.part = part
        self.watched: dict[UUID, _Watched] = {}
        self._sessions: dict[UUID, UUID] = {}  # an entry's session → its competition
        hub.on_event(self.on_event)
        hub.listen(CHANNEL, self.on_note)
        hub.on_connect(self.reconnected)

    def add(self, viewer: ResultsViewer) -> tuple[int, str] | None:
        """Watch; or the close code and reason of a refusal (a public link's limits)."""
        if viewer.link_hash is not None:
            full = self.public.admit(viewer.session_id, viewer.address)
            if full is not None:
                return LINK_FULL if full == "link" else ADDRESS_FULL
        watched = self.watched.setdefault(viewer.session_id, _Watched())
        watched.audiences.setdefault(viewer.public, Fanout()).viewers.add(viewer)
        self.hub.add(viewer)
        self.changed(viewer.session_id)
        return None

    def remove(self, viewer: ResultsViewer) -> None:
        self.hub.remove(viewer)
        watched = self.watched.get(viewer.session_id)
        fanout = None if watched is None else watched.audiences.get(viewer.public)
        if watched is None or fanout is None or viewer not in fanout.viewers:
            return
        fanout.viewers.discard(viewer)
        if viewer.link_hash is not None:
            self.public.release(viewer.session_id, viewer.address)
        if not fanout.viewers:
            del watched.audiences[viewer.public]
        if not watched.audiences:
            del self.watched[viewer.session_id]
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
        self.changed(competition_id, whole=True)

    def reconnected(self) -> None:  # notes were lost meanwhile: read every one again
        for competition_id in list(self.watched):
            self.changed(competition_id, whole=True)

    def changed(self, competition_id: UUID, *, whole: bool = False) -> None:
        """Read the results again (once more after the reading under way, if any); `whole`:
        the competition itself changed, not only arrows."""
        watched = self.watched.get(competition_id)
        if watched is None:
            return
        if whole:
            watched.stale()
        watched.dirty = True
        if watched.task is None:
            watched.task = asyncio.create_task(self._send(competition_id, watched))

    async def _send(self, competition_id: UUID, watched: _Watched) -> None:
        try:
            while watched.dirty and self.watched.get(competition_id) is watched:
                watched.dirty = False
                try:
                    await self._read(competition_id, watched)
                except (TimeoutError, AppError, OSError) as exc:
                    log.warning("results not read: %s", type(exc).__name__)
                    watched.stale()
                    continue
                self._deliver(watched)
        finally:
            watched.task = None
            watched.dirty = False

    def _deliver(self, watched: _Watched) -> None:
        """Each audience's frame: a new one to all its viewers in one pass (in order behind
        the one under way, if any), the same one to newcomers alone; public viewers of a
        revoked link are closed."""
        link = None if watched.base is None else watched.base.row["results_token_hash"]
        for public, fanout in watched.audiences.items():
            text = watched.frames.get(public)
            if text is None:
                continue
            if watched.base is not None:
                for viewer in tuple(fanout.viewers):
                    if viewer.link_hash not in (None, link):
                        viewer.end(*LINK_REVOKED)
            new = watched.sent.get(public) is not text
            watched.sent[public] = text
            for viewer in fanout.viewers:
                if viewer.sent is not text and not viewer.closed:
                    viewer.sent = text
                    if not new:
                        viewer.push(text)
            if new:
                fanout.send(text)

    async def _read(self, competition_id: UUID, watched: _Watched) -> None:
        """Read what changed and make each audience's frame again (unless the competition
        changed meanwhile: the next reading, due at once, makes them)."""
        generation = watched.generation
        audiences = set(watched.audiences)
        base, parts = watched.base, dict(watched.parts)
        async with self.pool.acquire() as conn:
            if base is None:
                base = await service.results_base(conn, competition_id)
            for public in audiences - parts.keys():
                parts[public] = (
                    {} if self.part is None else await self.part(conn, competition_id, public)
                )
            scores = await service.scores_of(conn, competition_id)
        if watched.generation != generation:
            return
        if watched.base is not base:
            watched.base = base
            watched.categories.clear()
            for entries in base.entries.values():
                for e in entries:
                    if e["session_id"] is not None:
                        self._sessions[e["session_id"]] = competition_id
        watched.parts = parts
        moved = {k for k, row in scores.items() if watched.scores.get(k) != row}
        watched.scores = scores
        for public in audiences:
            categories = []
            for c in base.categories:
                key = (c["key"], public)
                if key not in watched.categories or any(
                    e["id"] in moved for e in base.entries.get(c["key"], ())
                ):
                    watched.categories[key] = service.category_results(
                        base, c, scores, public=public
                    )
                categories.append(watched.categories[key])
            data = orjson.dumps(service.results_doc(base, categories) | parts[public], default=str)
            if data != watched.data.get(public):
                watched.data[public] = data
                watched.frames[public] = frame("results", orjson.Fragment(data))

    async def close(self) -> None:
        tasks = [w.task for w in self.watched.values() if w.task is not None]
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def results_socket(ws: WebSocket) -> None:
    feed: LiveResults = ws.app.state.live_results
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
        reader = asyncio.create_task(drain_incoming(ws, viewer))
        while not viewer.closed:
            for text in await viewer.next_frames():
                await ws.send_text(text)
            viewer.stream()  # all sent: from now on frames go straight to the socket
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass
    finally:
        feed.remove(viewer)
        await close_socket(ws, viewer, reader)


async def _viewer(ws: WebSocket) -> ResultsViewer | None:
    """The viewer the handshake asks for, or None when it was refused (and closed)."""
    pool: Pool = ws.app.state.pool
    link = ws.query_params.get("results")
    async with pool.acquire() as conn:
        try:
            if link is not None:
                address = address_key(ws.client.host if ws.client else None)
                return ResultsViewer(
                    await service.public_competition(conn, link),
                    None,
                    link_hash=token_hash(link),
                    address=address,
                    send=prepared_sender(ws.scope),
                )
            try:
                competition_id = UUID(ws.query_params.get("competition_id", ""))
            except ValueError:
                await refuse(ws, 4422, "competition_id must be a UUID")
                return None
            principal = await resolve(
                conn, socket_token(ws), scope="login", cache=ws.app.state.token_cache
            )
            await service.results(conn, principal.archer_id, competition_id)  # may see it
            return ResultsViewer(
                competition_id,
                principal.archer_id,
                send=prepared_sender(ws.scope),
                token_id=principal.token_id,
                expires_at=principal.expires_at,
            )
        except NotAuthenticated as exc:
            await refuse(ws, 4401, exc.messages[0])
        except AppError:
            await refuse(ws, 4404, "competition not found")
    return None
