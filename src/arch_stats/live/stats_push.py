"""`stats.updated`: after a shot changes, subscribers get the session's statistics again.

Computed once per process per change (not per subscriber), only for sessions somebody here
watches, and coalesced: the first change is answered at once; while a computation runs, and for
`min_interval` after it, further changes of that session only mark it dirty, and one more
computation follows. Subscribers always end with the current numbers, and a session costs at
most one statistics query per `min_interval` however fast shots come (it is the most expensive
part of the live fan-out, measured with bench/live).

A large session's statistics are computed in a worker thread (`session_stats_json`), never on
the event loop; and the pause after a computation is at least `COST_FACTOR` times what it took,
so that however fast shots come, one session's live statistics use at most a third of a core.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from uuid import UUID

import orjson

from arch_stats.live.hub import LiveHub, frame
from arch_stats.stats.service import session_stats_json

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
        self._dirty: set[UUID] = set()
        hub.on_event(self.on_event)

    def on_event(self, kind: str, session_id: UUID, note: dict[str, Any]) -> None:
        if not kind.startswith("shot.") or not self.hub.subscribers.get(session_id):
            return
        if session_id in self._running:
            self._dirty.add(session_id)
            return
        archer_id = UUID(note["archer_id"])
        task = asyncio.get_running_loop().create_task(
            self._push(session_id, archer_id, note.get("request_id"))
        )
        self._running[session_id] = task

    async def _push(self, session_id: UUID, archer_id: UUID, request_id: str | None) -> None:
        try:
            loop = asyncio.get_running_loop()
            while True:
                self._dirty.discard(session_id)
                started = loop.time()
                json = await session_stats_json(self.hub.pool, session_id, archer_id)
                if json is not None:
                    data = frame(KIND, orjson.Fragment(json), request_id=request_id)
                    self.hub.publish(session_id, KIND, data)
                await asyncio.sleep(pause_after(loop.time() - started, self.min_interval))
                if session_id not in self._dirty:
                    return
        except Exception:
            log.exception("could not compute live statistics for session %s", session_id)
        finally:
            self._running.pop(session_id, None)

    async def close(self) -> None:
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
