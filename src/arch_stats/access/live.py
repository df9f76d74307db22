"""Live subscriptions that exist by a member's consent end when the consent goes.

A coach watching a member's session holds it only while the policy allows it. Every change
of a membership (consent, role, leaving, removal, a club deleted) is announced on the
`arch_stats_access` channel by a trigger (payload: archer id and club id); each server
process then asks the policy again, in one query, about its coach subscriptions that
involve that archer (as the viewer or as the session's archer) and closes those no longer
allowed with 4403. After the LISTEN connection comes back, all of them are checked, since
notes sent meanwhile are lost. An archer's own subscriptions are never watched: they cost
nothing here.

Others may follow the same notes with `on_change` (the hub takes one callback per channel).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from uuid import UUID

import orjson

from arch_stats.access import policy
from arch_stats.core.database import Pool
from arch_stats.live.hub import LiveHub, Subscriber

log = logging.getLogger("arch_stats.access")

CHANNEL = "arch_stats_access"
ACCESS_WITHDRAWN = (4403, "access withdrawn")


class AccessWatch:
    def __init__(self, hub: LiveHub, pool: Pool) -> None:
        self.hub = hub
        self.pool = pool
        # Coach subscriptions of this process → the archer whose session they watch.
        self.watched: dict[Subscriber, UUID] = {}
        self._callbacks: list[Callable[[UUID | None, UUID | None], None]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        hub.listen(CHANNEL, self.notified)
        hub.on_connect(self.reconnected)

    def on_change(self, callback: Callable[[UUID | None, UUID | None], None]) -> None:
        """Also call `callback(archer_id, club_id)` for every membership change heard
        (both None after a reconnect: anything may have changed)."""
        self._callbacks.append(callback)

    def watch(self, sub: Subscriber, owner: UUID) -> None:
        self.watched[sub] = owner

    def forget(self, sub: Subscriber) -> None:
        self.watched.pop(sub, None)

    async def allowed_now(self, sub: Subscriber) -> bool:
        """Whether the viewer may still watch (asked once after joining: a change made while
        the socket was being opened found nothing to close)."""
        async with self.pool.acquire() as conn:
            return (await policy.still_allowed(conn, [(sub.archer_id, sub.session_id)]))[0]

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
            sub
            for sub, owner in self.watched.items()
            if archer_id in (sub.archer_id, owner) and not sub.closed
        ]
        self._recheck(subs)

    def reconnected(self) -> None:
        for callback in self._callbacks:
            try:
                callback(None, None)
            except Exception:
                log.exception("access change callback failed")
        self._recheck([sub for sub in self.watched if not sub.closed])

    def _recheck(self, subs: list[Subscriber]) -> None:
        if not subs:
            return
        task = asyncio.get_running_loop().create_task(self._close_refused(subs))
        self._tasks.add(task)
        task.add_done_callback(self._done)

    async def _close_refused(self, subs: list[Subscriber]) -> None:
        async with self.pool.acquire() as conn:
            allowed = await policy.still_allowed(
                conn, [(sub.archer_id, sub.session_id) for sub in subs]
            )
        refused = {sub for sub, ok in zip(subs, allowed, strict=True) if not ok}
        if refused:
            self.hub.close_where(lambda sub: sub in refused, *ACCESS_WITHDRAWN)

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
