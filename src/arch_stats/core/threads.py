"""CPU-bound work in worker threads, a few at a time, with a bounded queue.

At most `concurrency` calls run at once (in asyncio's default thread pool) and at most `queue`
more may wait for a slot; beyond that the request is answered 429 at once, so that a burst of
costly requests (password hashes, PDF score sheets) queues here instead of taking every core
from the other archers. A slot is given back when its thread is done, even if the request was
cancelled meanwhile (its client gone): the bound holds for the threads, not the requests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from arch_stats.core.errors import TooManyRequests

T = TypeVar("T")


class ThreadSlots:
    def __init__(self, *, concurrency: int, queue: int, busy: str) -> None:
        self.concurrency = concurrency
        self.queue = queue
        self.busy = busy  # the 429's message: what the server is busy with
        self._slots = asyncio.Semaphore(concurrency)
        self._waiting = 0

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` in a worker thread, once a slot is free."""
        if self._slots.locked():
            if self._waiting >= self.queue:
                raise TooManyRequests(self.busy, retry_after=1)
            self._waiting += 1
            try:
                await self._slots.acquire()
            finally:
                self._waiting -= 1
        else:
            await self._slots.acquire()
        work = asyncio.ensure_future(asyncio.to_thread(fn, *args))
        work.add_done_callback(self._done)
        return await asyncio.shield(work)

    def _done(self, work: asyncio.Future[Any]) -> None:
        self._slots.release()
        if not work.cancelled():
            work.exception()  # retrieved: no "never retrieved" warning when nobody awaits it
