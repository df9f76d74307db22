"""The club board's live fan-out, built on the hub's event callback.

Every shot note the hub hears (`LiveHub.on_event`) names its session and archer. The board
keeps, per session, the clubs of its archer (read once from the database, cached until the
session closes or the archer's memberships change) and sends each shot, as one frame built
once, to the viewers of every watched club the archer belongs to. A session it does not know
yet (opened before anyone watched, or since) is looked up once; its notes wait meanwhile, in
order, and follow its board entry.

Viewers are hub subscribers keyed by their club's id (hub.subscribers is keyed by what a
subscriber watches): the hub's bounded queues, heartbeats, credential expiry and
`close_where` (token revocation: 4401) apply to them as they do to a session's subscribers,
and a stalled viewer holds nothing shared (its queue drops its oldest frames).

Frames (`{"type","ts","request_id","data"}`):
- `board.snapshot`: the whole board (first frame, and again after the listener reconnects);
- `board.session`: one member's entry (a session opened, or first seen), replacing theirs;
- `board.shot.created|updated|deleted`: `{session_id, archer_id, shot}`;
- `board.session.closed`: `{session_id, archer_id}` (closed or deleted);
- `board.archer.removed`: `{archer_id}` (no longer a member);
- `heartbeat`.
Clients apply them idempotently (a shot is keyed by session and seq), so a frame that repeats
what the snapshot already had is harmless.

Closes: 4403 "access withdrawn" (the viewer left or was removed from the club) or
"board link revoked", in every process (changes heard by `access.live.AccessWatch`, and
`arch_stats_board` notes).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson

from arch_stats.access.live import AccessWatch
from arch_stats.board import repository
from arch_stats.core.database import Pool
from arch_stats.live.hub import LiveHub, Subscriber, frame

log = logging.getLogger("arch_stats.board")

BOARD_CHANNEL = "arch_stats_board"
ACCESS_WITHDRAWN = (4403, "access withdrawn")
LINK_REVOKED = (4403, "board link revoked")
NOBODY = UUID(int=0)  # the archer of a viewer who came by a public link


class BoardViewer(Subscriber):
    """One WebSocket client watching one club's board (by membership or a public link)."""

    __slots__ = ("club_id", "link_id")

    def __init__(
        self,
        club_id: UUID,
        archer_id: UUID | None,
        *,
        link_id: UUID | None = None,
        token_id: UUID | None = None,
        expires_at: float | None = None,
    ) -> None:
        super().__init__(
            club_id, archer_id or NOBODY, last_seq=0, token_id=token_id, expires_at=expires_at
        )
        self.club_id = club_id
        self.link_id = link_id
        # No replay here: the snapshot is sent first, and frames queue behind it.
        self._held = None

    def lead(self, text: str) -> None:
        """Queue `text` before everything queued (a snapshot: what follows applies to it)."""
        self.queue.appendleft(text)
        self._wakeup()


@dataclass(frozen=True, slots=True)
class Known:
    archer_id: UUID
    clubs: frozenset[UUID]


class ClubBoard:
    """The board fan-out of one process."""

    def __init__(self, hub: LiveHub, pool: Pool, access: AccessWatch) -> None:
        self.hub = hub
        self.pool = pool
        self.viewers: dict[UUID, set[BoardViewer]] = {}
        self._known: dict[UUID, Known] = {}  # session → its archer and their clubs
        self._pending: dict[UUID, list[tuple[str, dict[str, Any]]]] = {}  # looked up now
        self._tasks: set[asyncio.Task[None]] = set()
        hub.on_event(self.on_event)
        hub.listen(BOARD_CHANNEL, self.on_board_note)
        access.on_change(self.on_access_change)
        hub.on_connect(self.reconnected)

    # -- viewers -------------------------------------------------------------------------

    def add(self, viewer: BoardViewer) -> None:
        self.hub.add(viewer)
        self.viewers.setdefault(viewer.club_id, set()).add(viewer)

    def remove(self, viewer: BoardViewer) -> None:
        self.hub.remove(viewer)
        viewers = self.viewers.get(viewer.club_id)
        if viewers is not None:
            viewers.discard(viewer)
            if not viewers:
                del self.viewers[viewer.club_id]
        if not self.viewers:  # nobody watches: nothing to keep up to date
            self._known.clear()

    def _send(self, clubs: frozenset[UUID] | set[UUID], text: str) -> None:
        for club_id in clubs:
            for viewer in tuple(self.viewers.get(club_id, ())):
                viewer.push(text)

    def _end(self, predicate: Callable[[BoardViewer], bool], code: int, reason: str) -> None:
        for viewers in list(self.viewers.values()):
            for viewer in tuple(viewers):
                if not viewer.closed and predicate(viewer):
                    viewer.end(code, reason)

    # -- shots and sessions (the hub's notes) ----------------------------------------------

    def on_event(self, kind: str, session_id: UUID, note: dict[str, Any]) -> None:
        if not self.viewers:
            return
        pending = self._pending.get(session_id)
        if pending is not None:
            pending.append((kind, note))
            return
        known = self._known.get(session_id)
        if known is None:
            if kind.startswith("shot."):
                self._look_up(session_id, [(kind, note)])
            elif kind == "session.closed":  # a board may have it from its snapshot
                self._spawn(self._closed_unknown(session_id, note))
            return
        self._deliver(session_id, known, kind, note)

    def _deliver(self, session_id: UUID, known: Known, kind: str, note: dict[str, Any]) -> None:
        if kind == "session.closed":
            self._known.pop(session_id, None)
        watched = known.clubs & self.viewers.keys()
        if not watched:
            return
        if kind.startswith("shot."):
            data = note.get("data") or {}
            shot = {key: data.get(key) for key in repository.SHOT_KEYS}
            body = {"session_id": str(session_id), "archer_id": str(known.archer_id), "shot": shot}
            self._send(watched, frame("board." + kind, body, request_id=note.get("request_id")))
        elif kind == "session.closed":
            body = {"session_id": str(session_id), "archer_id": str(known.archer_id)}
            self._send(watched, frame("board.session.closed", body))

    def _look_up(self, session_id: UUID, notes: list[tuple[str, dict[str, Any]]]) -> None:
        self._pending[session_id] = notes
        self._spawn(self._resolve(session_id))

    async def _resolve(self, session_id: UUID) -> None:
        try:
            async with self.pool.acquire() as conn:
                clubs, entry = await repository.session_entry(conn, session_id)
        except Exception:
            log.warning("board: could not look up session %s", session_id, exc_info=True)
            self._pending.pop(session_id, None)
            return
        notes = self._pending.pop(session_id, [])
        if entry is None:  # closed or gone meanwhile: boards that show it drop it
            for _kind, note in notes[:1]:
                await self._closed_unknown(session_id, note)
            return
        archer_id = UUID(str(orjson.loads(entry)["archer_id"]))
        known = Known(archer_id, frozenset(clubs))
        self._known[session_id] = known
        watched = known.clubs & self.viewers.keys()
        if watched:
            self._send(watched, frame("board.session", orjson.Fragment(entry)))
        for kind, note in notes:
            if session_id in self._known:
                self._deliver(session_id, known, kind, note)

    async def _closed_unknown(self, session_id: UUID, note: dict[str, Any]) -> None:
        """A session this process did not know closed: tell its archer's watched clubs."""
        try:
            archer_id = UUID(str(note["archer_id"]))
        except (KeyError, ValueError):
            return
        async with self.pool.acquire() as conn:
            clubs = await repository.clubs_of(conn, archer_id)
        watched = set(clubs) & self.viewers.keys()
        body = {"session_id": str(session_id), "archer_id": str(archer_id)}
        self._send(watched, frame("board.session.closed", body))

    # -- board and access notes --------------------------------------------------------------

    def on_board_note(self, payload: str) -> None:
        note = orjson.loads(payload)
        kind = note.get("type")
        if kind == "link.revoked":
            link_id = UUID(note["link_id"])
            self._end(lambda v: v.link_id == link_id, *LINK_REVOKED)
            return
        if not self.viewers:
            return
        session_id = UUID(note["session_id"])
        if kind == "session.opened":
            if session_id in self._pending:
                return
            self._known.pop(session_id, None)
            self._look_up(session_id, [])
        elif kind == "session.gone":
            self.on_event("session.closed", session_id, note)

    def on_access_change(self, archer_id: UUID | None, club_id: UUID | None) -> None:
        """A membership (or consent, or role) changed: re-read that archer's clubs, close their
        viewers of a club they left, and show or drop them on the boards watching it. (None,
        None) after a reconnect: `reconnected` starts every board again."""
        if archer_id is None:
            return
        for session_id, known in list(self._known.items()):
            if known.archer_id == archer_id:
                del self._known[session_id]
        clubs = {club_id} if club_id is not None else set(self.viewers)
        if clubs & self.viewers.keys():
            self._spawn(self._recheck(archer_id, clubs & self.viewers.keys()))

    async def _recheck(self, archer_id: UUID, clubs: set[UUID]) -> None:
        async with self.pool.acquire() as conn:
            roles = {c: await repository.member_role(conn, c, archer_id) for c in clubs}
            session_id = await repository.open_session_of(conn, archer_id)
        gone = {c for c, role in roles.items() if role is None}
        if gone:
            self._end(lambda v: v.club_id in gone and v.archer_id == archer_id, *ACCESS_WITHDRAWN)
            self._send(gone, frame("board.archer.removed", {"archer_id": str(archer_id)}))
        if session_id is not None and session_id not in self._pending and gone != clubs:
            self._look_up(session_id, [])

    # -- reconnects ------------------------------------------------------------------------

    def reconnected(self) -> None:
        """Notes sent while the listener was away are lost: every board starts again."""
        self._known.clear()
        if self.viewers:
            self._spawn(self._refresh_all())

    async def _refresh_all(self) -> None:
        for viewers in list(self.viewers.values()):
            for viewer in tuple(viewers):
                await self.send_snapshot(viewer)

    async def send_snapshot(self, viewer: BoardViewer) -> bool:
        """Queue the viewer's board as a `board.snapshot` frame (first, before anything
        queued); False, and the viewer ended with 4403, when it may no longer see it."""
        async with self.pool.acquire() as conn:
            text = await repository.snapshot(
                conn,
                viewer.club_id,
                archer_id=None if viewer.link_id else viewer.archer_id,
                link_id=viewer.link_id,
            )
        if text is None:
            viewer.end(*(LINK_REVOKED if viewer.link_id else ACCESS_WITHDRAWN))
            return False
        viewer.lead(frame("board.snapshot", orjson.Fragment(text)))
        return True

    # -- plumbing ----------------------------------------------------------------------------

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("board task failed: %r", task.exception())

    async def close(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
