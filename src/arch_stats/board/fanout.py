"""The club board's live fan-out, built on the hub's event callback.

Every shot note the hub hears (`LiveHub.on_event`) names its session and archer. The board
keeps, per session, the clubs of its archer and where they appear on each one's board
(`repository.Shown`: read once from the database, cached until the session closes or the
archer's memberships change) and sends each shot to the viewers of every watched club that
shows the archer. A session it does not know yet (opened before anyone watched, or since) is
looked up once; its notes wait meanwhile, in order, and follow its board entry.

Who sees whom (the club's rules):
- the members' board (`?club_id=`, any role) shows the members who share with the club's
  coaches: a member who withdrew that consent is on no board of the club — the board is
  watched by its owners and coaches too, so showing them there would be showing them to the
  coaches beyond their consent — not even on their own screen;
- a public link (`?board=`) shows, of those, the members who allow it (`show_on_public_board`,
  their choice per club, off by default), with names, bowstyles, categories, rounds and scores
  only: no ids (an entry's `key` is opaque, per link), no times (`service.board_view`).
A change of either choice (or of a membership) takes the archer off the club's open boards at
once, and shows them again where they still appear.

Viewers of one club who see it the same way — its members, or one link's — are one
`Audience`: a frame is built once per audience (not per viewer), encoded once, and written to
each viewer's socket as it is (`live.direct`, shared with live results: `WRITE_BATCH` viewers
per turn of the event loop; a viewer whose socket has more than `ws_protocol.SLOW_BYTES`
unread is dropped, 4408). A viewer is fed through its hub queue (bounded, as every
subscriber's) only while its snapshot is due or being sent: the snapshot goes first, what
came meanwhile after it, then the socket is written to directly.

Viewers are hub subscribers keyed by their club's id (hub.subscribers is keyed by what a
subscriber watches): the hub's heartbeats, credential expiry and `close_where` (token
revocation: 4401) apply to them as they do to a session's subscribers.

Public links are bounded, per process: `BOARD_VIEWERS_PER_LINK` viewers of one link, and
`BOARD_VIEWERS_PER_ADDRESS` public viewers from one client address (the request's, which is
the forwarded client's with `--proxy-headers`; counted with the range timers' public screens,
`core.viewers`); more are refused with 4429.

Frames (`{"type","ts","request_id","data"}`; `key` is the session's id on the members' board,
an opaque per-link key on a public one):
- `board.snapshot`: the whole board (first frame, and again after the listener reconnects);
- `board.session`: one member's entry (a session opened, or first seen), replacing theirs;
- `board.shot.created|updated|deleted`: `{key, shot, tally}` — `tally`: the entry's counts
  after it, for its ranking (`service.ranked`; kept per session here, `Known.count`) —
  (members' boards also `session_id`, `archer_id`);
- `board.session.closed`: `{key}` (members': also `session_id`, `archer_id`): closed,
  deleted, or its archer no longer shown there;
- `board.archer.removed`: `{archer_id}` (members' boards only): no longer shown there;
- `heartbeat`.
Clients apply them idempotently (a shot is keyed by its entry's key and seq), so a frame that
repeats what the snapshot already had is harmless.

Closes: 4403 "access withdrawn" (the viewer left or was removed from the club) or "board link
revoked", in every process (changes heard by `access.live.AccessWatch`, and `arch_stats_board`
notes); 4408 too slow (frames not read); 4429 too many viewers (of the link, or from the
address); 1009 a message over 4 KiB (clients send none).
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
from arch_stats.board import repository, service
from arch_stats.board.repository import Link, Shown
from arch_stats.core.database import Pool
from arch_stats.core.viewers import PublicViewers
from arch_stats.core.ws_protocol import SendPrepared
from arch_stats.live.direct import DirectViewer, Fanout
from arch_stats.live.hub import LiveHub, frame
from arch_stats.ranking.standings import Rule, Tally, arrow

log = logging.getLogger("arch_stats.board")

BOARD_CHANNEL = "arch_stats_board"
ACCESS_WITHDRAWN = (4403, "access withdrawn")
LINK_REVOKED = (4403, "board link revoked")
LINK_FULL = (4429, "too many viewers of this board link")
ADDRESS_FULL = (4429, "too many board viewers from this address")
NOBODY = UUID(int=0)  # the archer of a viewer who came by a public link


class BoardViewer(DirectViewer):
    """One WebSocket client watching one club's board (by membership or a public link)."""

    __slots__ = ("address", "club_id", "link")

    def __init__(
        self,
        club_id: UUID,
        archer_id: UUID | None,
        *,
        link: Link | None = None,
        address: str | None = None,
        send: SendPrepared | None = None,
        token_id: UUID | None = None,
        expires_at: float | None = None,
    ) -> None:
        # No replay here: the snapshot is sent first, and frames queue behind it.
        super().__init__(
            club_id,
            archer_id or NOBODY,
            send=send,
            holding=True,
            token_id=token_id,
            expires_at=expires_at,
        )
        self.club_id = club_id
        self.link = link
        self.address = address  # a public viewer's client address (the per-address limit)

    @property
    def link_id(self) -> UUID | None:
        return None if self.link is None else self.link.id


class Audience(Fanout[BoardViewer]):
    """The viewers of one club's board who see it the same way: its members (any role), or
    those of one public link (`secret`: the link's, for its opaque keys)."""

    __slots__ = ("secret",)

    def __init__(self, secret: bytes | None) -> None:
        super().__init__()
        self.secret = secret


@dataclass(slots=True)
class Known:
    """A session this process follows: its archer, their clubs, and its counts by the rule
    of its round (each shot's by seq, so that a note repeated is counted once)."""

    archer_id: UUID
    clubs: dict[UUID, Shown]
    rule: Rule
    arrows: dict[int, Tally]
    tally: Tally

    def count(self, kind: str, shot: dict[str, Any]) -> Tally:
        """The session's counts after a shot note."""
        seq = shot.get("seq")
        old = self.arrows.pop(seq, None) if isinstance(seq, int) else None
        if old is not None:
            self.tally -= old
        if kind != "shot.deleted" and isinstance(seq, int):
            self.arrows[seq] = arrow(int(shot.get("score") or 0), bool(shot.get("is_x")), self.rule)
            self.tally += self.arrows[seq]
        return self.tally


class ClubBoard:
    """The board fan-out of one process."""

    def __init__(
        self,
        hub: LiveHub,
        pool: Pool,
        access: AccessWatch,
        public: PublicViewers,
    ) -> None:
        self.hub = hub
        self.pool = pool
        self.public = public  # the public links' viewer limits (shared with the timer's)
        # club → None (its members) or a link's id → who watches it that way
        self.audiences: dict[UUID, dict[UUID | None, Audience]] = {}
        self._known: dict[UUID, Known] = {}  # session → its archer and their clubs
        self._pending: dict[UUID, list[tuple[str, dict[str, Any]]]] = {}  # looked up now
        self._tasks: set[asyncio.Task[None]] = set()
        hub.on_event(self.on_event)
        hub.listen(BOARD_CHANNEL, self.on_board_note)
        access.on_change(self.on_access_change)
        hub.on_connect(self.reconnected)

    # -- viewers -------------------------------------------------------------------------

    def add(self, viewer: BoardViewer) -> tuple[int, str] | None:
        """Watch; or the close code and reason of a refusal (a public link's limits)."""
        if viewer.link is not None:
            full = self.public.admit(viewer.link.id, viewer.address)
            if full is not None:
                return LINK_FULL if full == "link" else ADDRESS_FULL
        secret = None if viewer.link is None else viewer.link.secret
        audiences = self.audiences.setdefault(viewer.club_id, {})
        audience = audiences.setdefault(viewer.link_id, Audience(secret))
        audience.viewers.add(viewer)
        self.hub.add(viewer)
        return None

    def remove(self, viewer: BoardViewer) -> None:
        self.hub.remove(viewer)
        audiences = self.audiences.get(viewer.club_id, {})
        audience = audiences.get(viewer.link_id)
        if audience is None or viewer not in audience.viewers:
            return
        audience.viewers.discard(viewer)
        if viewer.link is not None:
            self.public.release(viewer.link.id, viewer.address)
        if not audience.viewers:
            del audiences[viewer.link_id]
            if not audiences:
                del self.audiences[viewer.club_id]
        if not self.audiences:  # nobody watches: nothing to keep up to date
            self._known.clear()

    def _viewers(self) -> list[BoardViewer]:
        return [v for a in self.audiences.values() for aud in a.values() for v in aud.viewers]

    def _end(self, predicate: Callable[[BoardViewer], bool], code: int, reason: str) -> None:
        for viewer in self._viewers():
            if not viewer.closed and predicate(viewer):
                viewer.end(code, reason)

    def _send(
        self,
        clubs: dict[UUID, Shown],
        members: Callable[[], str] | None,
        public: Callable[[bytes], str] | None,
    ) -> None:
        """Frames to the audiences of `clubs` that show the archer: `members()` to members'
        boards, `public(secret)` to each public link's; each built once, when needed."""
        members_text: str | None = None
        for club_id, shown in clubs.items():
            for link_id, audience in self.audiences.get(club_id, {}).items():
                if link_id is None:
                    if shown.members and members is not None:
                        members_text = members_text or members()
                        audience.send(members_text)
                elif shown.public and public is not None and audience.secret is not None:
                    audience.send(public(audience.secret))

    # -- shots and sessions (the hub's notes) ----------------------------------------------

    def on_event(self, kind: str, session_id: UUID, note: dict[str, Any]) -> None:
        if not self.audiences:
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
            self._closed(session_id, known.archer_id, known.clubs)
            return
        if not kind.startswith("shot."):
            return
        data = note.get("data") or {}
        sid, request_id = str(session_id), note.get("request_id")
        counts = service.tally_json(known.count(kind, data))

        def members() -> str:
            shot = {key: data.get(key) for key in repository.SHOT_KEYS}
            body = {
                "key": sid,
                "session_id": sid,
                "archer_id": str(known.archer_id),
                "shot": shot,
                "tally": counts,
            }
            return frame("board." + kind, body, request_id=request_id)

        def public(secret: bytes) -> str:
            key = service.public_key(secret, sid)
            body = {"key": key, "shot": service.public_shot(data), "tally": counts}
            return frame("board." + kind, body)

        self._send(known.clubs, members, public)

    def _closed(self, session_id: UUID, archer_id: UUID, clubs: dict[UUID, Shown]) -> None:
        sid = str(session_id)
        members = {"key": sid, "session_id": sid, "archer_id": str(archer_id)}
        self._send(
            clubs,
            lambda: frame("board.session.closed", members),
            lambda secret: frame("board.session.closed", {"key": service.public_key(secret, sid)}),
        )

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
        parsed = orjson.loads(entry)
        rule = service.ranked(parsed)
        arrows = {s["seq"]: arrow(s["score"], s["is_x"], rule) for s in parsed["shots"]}
        known = Known(UUID(parsed["archer_id"]), clubs, rule, arrows, Tally(**parsed["tally"]))
        self._known[session_id] = known
        self._send(
            clubs,
            lambda: frame("board.session", parsed),
            lambda secret: frame("board.session", service.public_entry(parsed, secret)),
        )
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
            clubs = await repository.memberships(conn, archer_id)
        self._closed(session_id, archer_id, clubs)

    # -- board and access notes --------------------------------------------------------------

    def on_board_note(self, payload: str) -> None:
        note = orjson.loads(payload)
        kind = note.get("type")
        if kind == "link.revoked":
            link_id = UUID(note["link_id"])
            self._end(lambda v: v.link_id == link_id, *LINK_REVOKED)
            return
        if not self.audiences:
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
        """A membership (or a consent, or a role) changed: re-read that archer's clubs, close
        their viewers of a club they left, take them off the boards watching it, and show them
        again where they still appear. (None, None) after a reconnect: `reconnected` starts
        every board again."""
        if archer_id is None:
            return
        for session_id, known in list(self._known.items()):
            if known.archer_id == archer_id:
                del self._known[session_id]
        clubs = {club_id} if club_id is not None else set(self.audiences)
        if clubs & self.audiences.keys():
            self._spawn(self._recheck(archer_id, clubs & self.audiences.keys()))

    async def _recheck(self, archer_id: UUID, clubs: set[UUID]) -> None:
        async with self.pool.acquire() as conn:
            now = await repository.memberships(conn, archer_id)
            session_id = await repository.open_session_of(conn, archer_id)
        gone = clubs - now.keys()
        if gone:
            self._end(lambda v: v.club_id in gone and v.archer_id == archer_id, *ACCESS_WITHDRAWN)
        # Off every board of these clubs; back (`_look_up`) wherever they still appear.
        everywhere = dict.fromkeys(clubs, Shown(members=True, public=True))
        removed = frame("board.archer.removed", {"archer_id": str(archer_id)})
        self._send(everywhere, lambda: removed, None)
        if session_id is not None:
            sid = str(session_id)
            self._send(
                everywhere,
                None,
                lambda secret: frame(
                    "board.session.closed", {"key": service.public_key(secret, sid)}
                ),
            )
            shown = [now[c] for c in clubs if c in now]
            if session_id not in self._pending and any(s.members for s in shown):
                self._look_up(session_id, [])

    # -- reconnects ------------------------------------------------------------------------

    def reconnected(self) -> None:
        """Notes sent while the listener was away are lost: every board starts again."""
        self._known.clear()
        if self.audiences:
            self._spawn(self._refresh_all())

    async def _refresh_all(self) -> None:
        for viewer in self._viewers():
            viewer.hold()
        for viewer in self._viewers():
            await self.send_snapshot(viewer)

    async def send_snapshot(self, viewer: BoardViewer) -> bool:
        """Queue the viewer's board as a `board.snapshot` frame (first, before anything
        queued); False, and the viewer ended with 4403, when it may no longer see it."""
        viewer.hold()
        link = viewer.link
        async with self.pool.acquire() as conn:
            text = await repository.snapshot(
                conn,
                viewer.club_id,
                archer_id=None if link else viewer.archer_id,
                link_id=None if link is None else link.id,
            )
        if text is None:
            viewer.end(*(LINK_REVOKED if link else ACCESS_WITHDRAWN))
            return False
        board = service.board_view(text, None if link is None else link.secret)
        viewer.lead(frame("board.snapshot", board))
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
