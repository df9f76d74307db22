"""Password hashing (argon2id through pwdlib), in threads, a few at a time.

An argon2id hash costs tens of milliseconds of CPU and 64 MiB of memory by design. It runs in a
worker thread (argon2 releases the GIL), never while a pooled database connection or a
transaction is held, and at most `concurrency` at once per process: a burst of registrations
or logins queues here instead of taking every core and connection from the other archers.
At most `queue` more may wait; beyond that the request is answered 429 at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from pwdlib import PasswordHash

from arch_stats.core.errors import TooManyRequests

T = TypeVar("T")

_hasher = PasswordHash.recommended()


class PasswordHasher:
    def __init__(self, *, concurrency: int, queue: int) -> None:
        self.concurrency = concurrency
        self.queue = queue
        self._slots = asyncio.Semaphore(concurrency)
        self._waiting = 0
        # Verifying against this when the account does not exist keeps the timing the same.
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        return await self._run(_hasher.hash, password)

    async def verify(self, password: str, hashed: str | None) -> bool:
        """Whether `password` matches `hashed`; None (no such account) costs the same time."""
        if hashed is None:
            if self._dummy is None:
                self._dummy = await self._run(_hasher.hash, "not-a-real-password")
            await self._run(_hasher.verify, password, self._dummy)
            return False
        return await self._run(_hasher.verify, password, hashed)

    async def _run(self, fn: Callable[..., T], *args: str) -> T:
        if self._slots.locked():
            if self._waiting >= self.queue:
                raise TooManyRequests(
                    "the server is busy checking passwords; try again in a moment", retry_after=1
                )
            self._waiting += 1
            try:
                await self._slots.acquire()
            finally:
                self._waiting -= 1
        else:
            await self._slots.acquire()
        # The slot is given back when the thread is done, even if the request is cancelled
        # meanwhile (its client gone): the bound holds for the threads, not the requests.
        work = asyncio.ensure_future(asyncio.to_thread(fn, *args))
        work.add_done_callback(self._done)
        return await asyncio.shield(work)

    def _done(self, work: asyncio.Future[Any]) -> None:
        self._slots.release()
        if not work.cancelled():
            work.exception()  # retrieved: no "never retrieved" warning when nobody awaits it
