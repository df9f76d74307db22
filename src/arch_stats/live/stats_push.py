"""`stats.updated`: after a shot changes, subscribers get the session's statistics again.

Cheap, and never in the way of the shots' own frames:

- Coalesced per session: at most one computation of a session is under way in a process; the
  shot notes heard meanwhile only mark it due again (the latest one wins: its request id goes
  with the frame), and one more computation follows. However fast shots come, a session costs
  at most one statistics query per `min_interval`, and the pause after a computation is at
  least `COST_FACTOR` times what it took, so that one session's live statistics use at most a
  third of a core.
- After the shot: a computation starts only once the event loop has sent what it was sending
  (the `shot.created` frames of the shot that triggered it are queued before it runs); its
  Python part runs in a worker thread (`stats.service.stats_json`), never on the event loop.
- Built once: one query, one computation and one encoded frame per session, the same text
  queued to every subscriber (`Subscriber.offer`).
- Kept to access (`access.live`): the statistics are read in the same snapshot as the check
  that each subscriber may still have them; one that may not gets none (its socket is being
  closed).

Computed only for sessions somebody here watches.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from uuid import UUID

import orjson

from arch_stats.access.live import entitled, snapshot
from arch_stats.live.hub import LiveHub, Subscriber, frame
from arch_stats.stats.service import session_columns, stats_json

log = logging.getLogger("arch_stats.live")

KIND = "stats.updated"
COST_FACTOR = 2.0


def pause_after(elapsed: float, min_interval: float) -> float:
    """How long to wait after a computation that took `elapsed` seconds."""
    return max(min_interval, COST_FACTOR * elapsed)


class StatsPusher:
    def __init__(self, hub: LiveHub, *, min_interval: float = 0.25) -> None:
        self.hub = hub
        self.min_interval = min_interval
        self._running: dict[UUID, asyncio.Task[None]] = {}
        # Sessions due a computation → the archer and request id of the latest change.
        self._due: dict[UUID, tuple[UUID, str | None]] = {}
        hub.on_event(self.on_event)

    def on_event(self, kind: str, session_id: UUID, note: dict[str, Any]) -> None:
        if not kind.startswith("shot.") or not self.hub.subscribers.get(session_id):
            return
        self._due[session_id] = (UUID(note["archer_id"]), note.get("request_id"))
        if session_id not in self._running:
            task = asyncio.get_running_loop().create_task(self._push(session_id))
            self._running[session_id] = task

    async def _push(self, session_id: UUID) -> None:
        loop = asyncio.get_running_loop()
        try:
            await asyncio.sleep(0)  # the frames queued with the change go first
            while session_id in self._due:
                archer_id, request_id = self._due.pop(session_id)
                started = loop.time()
                await self._compute(session_id, archer_id, request_id)
                await asyncio.sleep(pause_after(loop.time() - started, self.min_interval))
        except Exception:
            log.exception("could not compute live statistics for session %s", session_id)
        finally:
            self._running.pop(session_id, None)
            self._due.pop(session_id, None)

    async def _compute(self, session_id: UUID, archer_id: UUID, request_id: str | None) -> None:
        watching: list[tuple[Subscriber, UUID]] = [
            (sub, archer_id) for sub in self.hub.subscribers.get(session_id, ()) if not sub.closed
        ]
        if not watching:
            return
        async with self.hub.pool.acquire() as conn, snapshot(conn):
            row = await session_columns(conn, session_id, archer_id)
            refusals = await entitled(conn, watching)
        if row is None:
            return
        data = frame(
            KIND, orjson.Fragment(await stats_json(row, inline_shots=0)), request_id=request_id
        )
        for (sub, _), refusal in zip(watching, refusals, strict=True):
            if refusal is None:
                sub.offer(KIND, 0, data)

    async def close(self) -> None:
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
