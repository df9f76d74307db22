"""The range timer's screens, kept in step: every process tells its own.

A timer's row changes only by its organisers' commands (or settings, or link); the trigger
`range_timer_notify` tells every process (channel `arch_stats_timer`), and each one that has
screens of that timer reads it again and sends them its state (`timer.state`, the timer as
its public link shows it: `service.public_view`). What happens by the clock alone — a walk-up
turning into shooting time, a detail's time running out — is derived from the row and the
time (`machine.settle`), so each process sends it at that moment by itself (`_tick`), the
same in all of them, and nothing is written.

The state's times are the server's (epoch milliseconds); each screen learns how far its own
clock is from the server's by pings on its socket (`socket`, `{"type":"ping","t":…}` answered
`pong` with the server's time), and counts down from `ends_at` corrected by that offset: every
screen shows the same remaining time, whatever its network delay.

Screens are hub subscribers keyed by their timer's id (hub.subscribers is keyed by what a
subscriber watches): the hub's heartbeats, credential expiry and token revocation (4401) apply
to them. Members' screens close with 4403 when the member leaves the club; public screens when
the link is revoked or replaced; all with 4404 when the timer is deleted. Public screens are
bounded per link and per address (`core.viewers`, shared with the club board): 4429.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from uuid import UUID

import orjson

from arch_stats.access.live import AccessWatch
from arch_stats.core.database import Pool
from arch_stats.core.viewers import PublicViewers
from arch_stats.live.hub import LiveHub, Subscriber, frame
from arch_stats.timer import machine, repository, service
from arch_stats.timer.repository import Timer

log = logging.getLogger("arch_stats.timer")

CHANNEL = "arch_stats_timer"
DELETED = (4404, "timer deleted")
LINK_REVOKED = (4403, "timer link revoked")
ACCESS_WITHDRAWN = (4403, "access withdrawn")
LINK_FULL = (4429, "too many screens of this timer link")
ADDRESS_FULL = (4429, "too many public screens from this address")
NOBODY = UUID(int=0)  # the archer of a screen that came by a public link


class TimerViewer(Subscriber):
    """One WebSocket client showing one timer (a member's, or by its public link)."""

    __slots__ = ("address", "link_hash", "timer_id")

    def __init__(
        self,
        timer_id: UUID,
        archer_id: UUID | None,
        *,
        link_hash: bytes | None = None,
        address: str | None = None,
        token_id: UUID | None = None,
        expires_at: float | None = None,
    ) -> None:
        super().__init__(
            timer_id, archer_id or NOBODY, last_seq=0, token_id=token_id, expires_at=expires_at
        )
        self.timer_id = timer_id
        self.link_hash = link_hash  # the link it came by (None: a member's screen)
        self.address = address
        self._held = None  # no replay: the state comes first, then its changes


class TimerFeed:
    """The timer screens of one process."""

    def __init__(
        self, hub: LiveHub, pool: Pool, access: AccessWatch, public: PublicViewers
    ) -> None:
        self.hub = hub
        self.pool = pool
        self.public = public
        self.viewers: dict[UUID, set[TimerViewer]] = {}
        self._timers: dict[UUID, Timer] = {}  # as last read, for the clock's changes
        self._due: dict[UUID, asyncio.TimerHandle] = {}  # its next change by the clock
        self._locks: dict[UUID, asyncio.Lock] = {}  # one read and send at a time per timer
        self._tasks: set[asyncio.Task[None]] = set()
        hub.listen(CHANNEL, self.on_note)
        hub.on_connect(self.reconnected)
        access.on_change(self.on_access_change)

    # -- screens ---------------------------------------------------------------------------

    def add(self, viewer: TimerViewer) -> tuple[int, str] | None:
        """Show; or the close code and reason of a refusal (a public link's limits)."""
        if viewer.link_hash is not None:
            full = self.public.admit(viewer.timer_id, viewer.address)
            if full is not None:
                return LINK_FULL if full == "link" else ADDRESS_FULL
        self.viewers.setdefault(viewer.timer_id, set()).add(viewer)
        self.hub.add(viewer)
        return None

    def remove(self, viewer: TimerViewer) -> None:
        self.hub.remove(viewer)
        viewers = self.viewers.get(viewer.timer_id)
        if viewers is None or viewer not in viewers:
            return
        viewers.discard(viewer)
        if viewer.link_hash is not None:
            self.public.release(viewer.timer_id, viewer.address)
        if not viewers:  # nobody shows it here: nothing to keep up to date
            del self.viewers[viewer.timer_id]
            self._timers.pop(viewer.timer_id, None)
            self._locks.pop(viewer.timer_id, None)
            handle = self._due.pop(viewer.timer_id, None)
            if handle is not None:
                handle.cancel()

    async def send_current(self, viewer: TimerViewer) -> None:
        """The timer as it is now, to a screen just added (or its close, if it may no longer
        show it)."""
        await self._reload(viewer.timer_id, only=viewer)

    # -- changes ---------------------------------------------------------------------------

    def on_note(self, payload: str) -> None:
        timer_id = UUID(orjson.loads(payload)["timer_id"])
        if timer_id in self.viewers:
            self._spawn(self._reload(timer_id))

    async def _reload(self, timer_id: UUID, only: TimerViewer | None = None) -> None:
        """Read the timer and send it to its screens here (or to `only`). One at a time per
        timer, so that screens get its states in the order they were read."""
        lock = self._locks.setdefault(timer_id, asyncio.Lock())
        async with lock:
            async with self.pool.acquire() as conn:
                timer = await repository.get(conn, timer_id)
            viewers = [only] if only is not None else list(self.viewers.get(timer_id, ()))
            if timer is None:
                for viewer in viewers:
                    viewer.end(*DELETED)
                return
            if timer_id not in self.viewers:  # every screen went meanwhile
                return
            self._timers[timer_id] = timer
            now = service.now_ms()
            self._send(timer, now, viewers)
            self._schedule(timer, now)

    def _send(self, timer: Timer, now: int, viewers: list[TimerViewer]) -> None:
        text = frame("timer.state", service.public_view(timer, now))
        for viewer in viewers:
            if viewer.closed:
                continue
            if viewer.link_hash is not None and viewer.link_hash != timer.link_hash:
                viewer.end(*LINK_REVOKED)
                continue
            viewer.push(text)

    def _schedule(self, timer: Timer, now: int) -> None:
        """Send the timer again when its state next changes by the clock."""
        handle = self._due.pop(timer.id, None)
        if handle is not None:
            handle.cancel()
        ends = machine.settle(timer.plan, timer.state, now).ends_at()
        if ends is not None:
            delay = max(0.0, (ends - service.now_ms()) / 1000)
            self._due[timer.id] = asyncio.get_running_loop().call_later(
                delay, self._tick, timer.id, ends
            )

    def _tick(self, timer_id: UUID, ends: int) -> None:
        self._due.pop(timer_id, None)
        timer = self._timers.get(timer_id)
        if timer is None or timer_id not in self.viewers:
            return
        # The loop's clock may wake a little early: the change is due at `ends` all the same.
        now = max(service.now_ms(), ends)
        self._send(timer, now, list(self.viewers[timer_id]))
        self._schedule(timer, now)

    # -- access and reconnects ---------------------------------------------------------------

    def on_access_change(self, archer_id: UUID | None, club_id: UUID | None) -> None:
        """A membership changed: that member's screens of the club's timers are checked
        again (every member's screen after a reconnect: `archer_id` None)."""
        watching = [
            v
            for viewers in self.viewers.values()
            for v in viewers
            if v.link_hash is None and (archer_id is None or v.archer_id == archer_id)
        ]
        if watching:
            self._spawn(self._recheck(watching))

    async def _recheck(self, viewers: list[TimerViewer]) -> None:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                """SELECT v.i FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY
                          AS v(timer_id, archer_id, i)
                   JOIN range_timer t ON t.id = v.timer_id
                   JOIN club_member m ON m.club_id = t.club_id AND m.archer_id = v.archer_id""",
                [v.timer_id for v in viewers],
                [v.archer_id for v in viewers],
            )
        allowed = {row["i"] for row in rows}
        for i, viewer in enumerate(viewers, 1):
            if i not in allowed:
                viewer.end(*ACCESS_WITHDRAWN)

    def reconnected(self) -> None:
        """Notes sent while the listener was away are lost: every timer is read again."""
        for timer_id in list(self.viewers):
            self._spawn(self._reload(timer_id))
        self.on_access_change(None, None)

    # -- plumbing ----------------------------------------------------------------------------

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("timer task failed: %r", task.exception())

    async def close(self) -> None:
        for handle in self._due.values():
            handle.cancel()
        self._due.clear()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
