"""How many imports and exports may run: one of each per account, a few per process.

* `Lease`: one import and one export at a time per account, whichever process serves them
  (a row of `exchange_lease`, renewed while the work lives, deleted at the end, expiring by
  itself if its process dies). A second one is refused at once with 429 and Retry-After.
  When the database fails under the work (a restart, dropped connections), the lease cannot
  be deleted at once: it is deleted as soon as the database answers again, not left until it
  expires, so that the Retry-After of the 429 holds.
* `Slots`: how many imports and exports of all accounts use a database connection at once in
  this process (EXCHANGE_MAX_RUNNING), so that they never take the whole pool; the others
  wait their turn, at most `SLOT_WAIT_SECONDS`, then get 503 with Retry-After.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from uuid import UUID, uuid4

from arch_stats.core.database import Executor
from arch_stats.core.errors import ServiceUnavailable, TooManyRequests
from arch_stats.exchange import repository as repo

log = logging.getLogger("arch_stats.exchange")

LEASE_SECONDS = 60.0
RENEW_SECONDS = 20.0
RETRY_AFTER_SECONDS = 10
RELEASE_RETRY_SECONDS = 1.0
# Releases that failed and are tried again (a strong reference, as asyncio asks).
_RELEASING: set[asyncio.Task[None]] = set()
SLOT_WAIT_SECONDS = 30.0


class Lease:
    """The account's one running import (or export). `take`, then `release` (always)."""

    def __init__(self, db: Executor, archer_id: UUID, kind: str, holder: UUID) -> None:
        self.db = db
        self.archer_id = archer_id
        self.kind = kind
        self.holder = holder
        self._renewer: asyncio.Task[None] | None = None
        self._released = False

    @classmethod
    async def take(cls, db: Executor, archer_id: UUID, kind: str) -> Lease:
        holder = uuid4()
        if not await repo.take_lease(db, archer_id, kind, holder, LEASE_SECONDS):
            raise TooManyRequests(
                f"an {kind} of this account is already running: one at a time, try again "
                "when it has finished",
                retry_after=RETRY_AFTER_SECONDS,
            )
        lease = cls(db, archer_id, kind, holder)
        lease._renewer = asyncio.create_task(lease._renew_forever(), name=f"{kind}-lease")
        return lease

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(RENEW_SECONDS)
            try:
                await repo.renew_lease(
                    self.db, self.archer_id, self.kind, self.holder, LEASE_SECONDS
                )
            except Exception as exc:  # it expires by itself if it cannot be renewed
                log.warning("%s lease not renewed: %s", self.kind, type(exc).__name__)

    async def release(self) -> None:
        """Let go (once; later calls do nothing)."""
        if self._released:
            return
        self._released = True
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
            self._renewer = None
        try:
            await repo.release_lease(self.db, self.archer_id, self.kind, self.holder)
        except Exception as exc:
            log.warning("%s lease not released: %s; trying again", self.kind, type(exc).__name__)
            task = asyncio.create_task(self._release_later(), name=f"{self.kind}-lease-release")
            _RELEASING.add(task)
            task.add_done_callback(_RELEASING.discard)

    async def _release_later(self) -> None:
        """Try again every second until the database answers, or the lease has expired."""
        loop = asyncio.get_running_loop()
        expired = loop.time() + LEASE_SECONDS
        while loop.time() < expired:
            await asyncio.sleep(RELEASE_RETRY_SECONDS)
            try:
                await repo.release_lease(self.db, self.archer_id, self.kind, self.holder)
            except Exception:  # noqa: S112 (still away: the next try, or it expires)
                continue
            log.info("%s lease released once the database answered again", self.kind)
            return


class Slots:
    """At most `size` imports and exports of this process on a database connection."""

    def __init__(self, size: int) -> None:
        self._semaphore = asyncio.Semaphore(size)

    async def acquire(self) -> None:
        """Wait for a slot; 503 with Retry-After when none frees up in time."""
        try:
            await asyncio.wait_for(self._semaphore.acquire(), SLOT_WAIT_SECONDS)
        except TimeoutError:
            raise ServiceUnavailable(
                "too many imports and exports are running: try again in a moment",
                retry_after=RETRY_AFTER_SECONDS,
            ) from None

    def release(self) -> None:
        self._semaphore.release()

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        await self.acquire()
        try:
            yield
        finally:
            self.release()
