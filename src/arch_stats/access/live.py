"""A session's live frames reach a subscriber only while it may read them: a change of
access or a revoked credential is in force before the change is acknowledged.

The rule: once a consent, role, membership or account change (or a token's revocation) has
been answered 2xx, no server process delivers a frame of data committed after it to a
subscriber that change shut out. The change, and its NOTIFY, commit before the answer: every
membership change (consent, role, leaving, removal, a club deleted) by the trigger on
`club_member` (channel `arch_stats_access`, payload archer id and club id), every revocation
(logout, password change, account disabled, …) by the trigger on `auth_token`
(`arch_stats_auth`, see `live.revocation`). How each kind of frame is kept to it:

- Frames of notes (`shot.created` and the other changes, coach notes): PostgreSQL delivers the
  notifications of committed transactions in commit order, on all channels of one LISTEN
  connection alike, and every process hears even its own posts' shots that way (`live.hub`).
  A shot written after the change was acknowledged committed after it, so its note comes
  after the change's. As the change's note is heard, before any later note is handled, each
  coach subscription it may concern (the archer as viewer or as the session's archer) is
  suspended (`Subscriber.suspend`: nothing more sent, frames keep queueing), then the policy
  is asked again in one query, whose snapshot includes the change: those no longer allowed
  are ended with 4403 (their queued frames dropped), the others resumed. A revocation ends
  its token's subscriptions as its note is heard (4401, `live.revocation`).
- Frames read from the database (a replay of missed shots, statistics): the reader checks in
  the same snapshot that the subscriber's token is still valid and that it may still read the
  session (`entitled`). A snapshot that holds a shot written after the change holds the
  change too.
- While the LISTEN connection is down, notes are lost: every subscription here is suspended
  from the loss until, once reconnected (and resynchronised), all of them are checked against
  the database in one snapshot (`entitled`), the refused ones ended and the rest resumed.

What is not promised: a frame already handed to the socket when a process hears of the change
(data committed before it, which the subscriber was allowed) is not taken back. An archer's
own subscriptions are watched only for their token (their access cannot change).

Others may follow the membership notes with `on_change` (the hub takes one callback per
channel).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from uuid import UUID

import orjson
from asyncpg.transaction import Transaction

from arch_stats.access import policy
from arch_stats.auth import repository as auth_repo
from arch_stats.core.database import Connection, Pool
from arch_stats.live.hub import LiveHub, Subscriber
from arch_stats.live.revocation import TOKEN_REVOKED

log = logging.getLogger("arch_stats.access")

CHANNEL = "arch_stats_access"
ACCESS_WITHDRAWN = (4403, "access withdrawn")
# A check that could not be made: the client reconnects, and its handshake checks again.
NOT_CHECKED = (1013, "try again later")

Refusal = tuple[int, str]


async def entitled(
    conn: Connection, subs: Sequence[tuple[Subscriber, UUID]]
) -> list[Refusal | None]:
    """For each (subscriber, archer whose session it watches): None while it may still have
    the session's frames, else the close code and reason. Both questions are asked in the
    caller's snapshot: call it inside the REPEATABLE READ transaction that reads the frames'
    data (`snapshot`)."""
    tokens = {sub.token_id for sub, _ in subs if sub.token_id is not None}
    valid = await auth_repo.valid_token_ids(conn, list(tokens)) if tokens else set()
    coached = [sub for sub, owner in subs if owner != sub.archer_id]
    allowed = await policy.still_allowed(conn, [(s.archer_id, s.session_id) for s in coached])
    refused = {sub for sub, ok in zip(coached, allowed, strict=True) if not ok}
    return [
        TOKEN_REVOKED
        if sub.token_id is not None and sub.token_id not in valid
        else ACCESS_WITHDRAWN
        if sub in refused
        else None
        for sub, _ in subs
    ]


def snapshot(conn: Connection) -> Transaction:
    """One snapshot for several reads: the data of frames and `entitled`."""
    return conn.transaction(isolation="repeatable_read", readonly=True)


class AccessWatch:
    def __init__(self, hub: LiveHub, pool: Pool) -> None:
        self.hub = hub
        self.pool = pool
        # The session subscriptions of this process → the archer whose session they watch.
        self.watched: dict[Subscriber, UUID] = {}
        # Held since the LISTEN connection was lost, until the check after it is back.
        self._offline: set[Subscriber] = set()
        self._callbacks: list[Callable[[UUID | None, UUID | None], None]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        hub.listen(CHANNEL, self.notified)
        hub.on_lost(self.lost)
        hub.on_connect(self.reconnected)

    def on_change(self, callback: Callable[[UUID | None, UUID | None], None]) -> None:
        """Also call `callback(archer_id, club_id)` for every membership change heard
        (both None after a reconnect: anything may have changed)."""
        self._callbacks.append(callback)

    def watch(self, sub: Subscriber, owner: UUID) -> None:
        """Watch a session subscription (`owner`: the session's archer), just added to the
        hub: from here on every change is heard; what came before, the first replay's
        `entitled` sees."""
        self.watched[sub] = owner
        if not self.hub.connected.is_set():
            self._offline.add(sub)
            sub.suspend()

    def forget(self, sub: Subscriber) -> None:
        self.watched.pop(sub, None)
        self._offline.discard(sub)

    def notified(self, payload: str) -> None:
        try:
            note = orjson.loads(payload)
            archer_id, club_id = UUID(note["archer_id"]), UUID(note["club_id"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            log.warning("unreadable access notification ignored")
            return
        for callback in self._callbacks:
            try:
                callback(archer_id, club_id)
            except Exception:
                log.exception("access change callback failed")
        subs = [
            (sub, owner)
            for sub, owner in self.watched.items()
            if owner != sub.archer_id and archer_id in (sub.archer_id, owner) and not sub.closed
        ]
        self._recheck(subs, set())

    def lost(self) -> None:
        for sub in self.watched:
            if sub not in self._offline:
                self._offline.add(sub)
                sub.suspend()

    def reconnected(self) -> None:
        for callback in self._callbacks:
            try:
                callback(None, None)
            except Exception:
                log.exception("access change callback failed")
        offline, self._offline = self._offline, set()
        self._recheck([(sub, self.watched[sub]) for sub in offline if sub in self.watched], offline)

    def _recheck(self, subs: list[tuple[Subscriber, UUID]], offline: set[Subscriber]) -> None:
        """Suspend `subs` now (each once more; those of `offline` are already), and end or
        resume them when the database has answered."""
        if not subs:
            return
        for sub, _ in subs:
            if sub not in offline:
                sub.suspend()
        task = asyncio.get_running_loop().create_task(self._close_refused(subs))
        self._tasks.add(task)
        task.add_done_callback(self._done)

    async def _close_refused(self, subs: list[tuple[Subscriber, UUID]]) -> None:
        try:
            async with self.pool.acquire() as conn:
                refusals = await entitled(conn, subs)
        except BaseException:
            for sub, _ in subs:
                sub.end(*NOT_CHECKED)
            raise
        for (sub, _), refusal in zip(subs, refusals, strict=True):
            if refusal is not None:
                sub.end(*refusal)
            sub.resume()
        ended = sum(1 for r in refusals if r is not None)
        if ended:
            log.info("%d live subscriber(s) closed: access or credential withdrawn", ended)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("access recheck failed: %r", task.exception())

    async def close(self) -> None:
        for task in tuple(self._tasks):
            task.cancel()
        for task in tuple(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
