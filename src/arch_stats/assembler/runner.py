"""Running the assembler: exactly one process assembles, the others stand by.

The process that holds a PostgreSQL advisory lock (session level, on a connection kept only
for that) assembles; every other one tries again every `lock_retry` seconds. When the holder
dies its connections close, the server releases the lock, and a standby takes over within
about `lock_retry`. The assembling process LISTENs on `arch_stats_sensor` (one NOTIFY per
inserting statement) and also ticks, because misses are decided by the clock when no event
follows them. Any database error closes both connections and starts over (lock first), so
the work resumes from what the database says, never from memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import asyncpg

from arch_stats.assembler import repository as repo
from arch_stats.assembler.service import Config, PassResult, assemble_once
from arch_stats.core.database import SERVER_SETTINGS, Connection
from arch_stats.core.settings import Settings

log = logging.getLogger("arch_stats.assembler")


class Assembler:
    def __init__(
        self,
        dsn: str,
        config: Config | None = None,
        *,
        tick: float = 0.2,
        lock_retry: float = 1.0,
        on_pass: Callable[[PassResult], None] | None = None,
    ) -> None:
        self.dsn = dsn
        self.config = config or Config()
        self.tick = tick
        self.lock_retry = lock_retry
        self.on_pass = on_pass
        self.holding = False  # this process is the one assembling
        self._stopping = False
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def from_settings(cls, dsn: str, settings: Settings, **kwargs: Any) -> Assembler:
        config = Config(
            identify_window=timedelta(milliseconds=settings.assembler_identify_ms),
            engage_timeout=timedelta(seconds=settings.assembler_engage_timeout_s),
            late=timedelta(milliseconds=settings.assembler_late_ms),
            batch=settings.assembler_batch,
        )
        return cls(
            dsn,
            config,
            tick=settings.assembler_tick_ms / 1000,
            lock_retry=settings.assembler_lock_retry_ms / 1000,
            **kwargs,
        )

    def start(self) -> None:
        """Run in the background (inside `serve`)."""
        self._task = asyncio.create_task(self.run(), name="assembler")

    def request_stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def close(self, grace: float = 5.0) -> None:
        self.request_stop()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, grace)
            except TimeoutError:
                log.warning("assembler: did not stop in %g s, cancelled", grace)
            self._task = None

    async def run(self) -> None:
        """Assemble (or stand by) until `request_stop`; never raises on database errors."""
        while not self._stopping:
            try:
                await self._session()
            except Exception as exc:
                if isinstance(exc, OSError | asyncpg.PostgresError | asyncpg.InterfaceError):
                    log.warning("assembler: database error (%s); reconnecting", exc)
                else:
                    log.exception("assembler: unexpected error; starting again")
            finally:
                if self.holding:
                    log.info("assembler: released the lock")
                self.holding = False
            self._wake.clear()  # a NOTIFY from before the failure must not skip the pause
            await self._sleep(self.lock_retry)

    async def _sleep(self, seconds: float) -> None:
        """Wait for `seconds`, a NOTIFY or a stop request, whichever comes first."""
        if self._stopping:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    async def _connect(self, role: str) -> Connection:
        settings = {**SERVER_SETTINGS, "application_name": f"arch-stats-assembler-{role}"}
        conn: Connection = await asyncpg.connect(self.dsn, server_settings=settings)
        return conn

    async def _session(self) -> None:
        lock_conn = await self._connect("lock")
        try:
            waiting_logged = False
            while not await repo.try_lock(lock_conn):
                if not waiting_logged:
                    log.info("assembler: another process assembles; standing by")
                    waiting_logged = True
                await self._sleep(self.lock_retry)
                self._wake.clear()
                if self._stopping:
                    return
            self.holding = True
            log.info("assembler: this process assembles (took the lock)")
            work = await self._connect("work")
            try:
                await work.add_listener(repo.CHANNEL, self._notified)
                await self._work(work, lock_conn)
            finally:
                await _close(work)
        finally:
            await _close(lock_conn)

    def _notified(self, *_: object) -> None:
        self._wake.set()

    async def _work(self, work: Connection, lock_conn: Connection) -> None:
        while not self._stopping:
            if lock_conn.is_closed():
                raise ConnectionError("the lock connection was lost")
            self._wake.clear()
            result = await assemble_once(work, self.config)
            if self.on_pass is not None:
                self.on_pass(result)
            if result.events:
                log.info(
                    "assembler: %d event(s) → %d shot(s) (%d miss(es)), %d set aside",
                    result.events,
                    result.shots,
                    result.misses,
                    result.strays,
                )
            if result.more and result.events:
                continue  # a full batch: go on at once while it makes progress
            wait = self.tick
            if result.next_check is not None and result.now is not None:
                until = (result.next_check - result.now).total_seconds()
                wait = min(wait, max(until, 0.005))
            await self._sleep(wait)


async def _close(conn: Connection) -> None:
    try:
        await asyncio.wait_for(conn.close(), 2)
    except Exception:  # already broken: make sure the socket goes
        conn.terminate()
