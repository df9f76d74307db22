"""Running the assembler: exactly one process assembles, the others stand by.

The process that holds a PostgreSQL advisory lock (session level, on a connection kept only
for that) assembles; every other one tries again every `lock_retry` seconds. When the holder
dies its connections close, the server releases the lock, and a standby takes over within
about `lock_retry`. The assembling process LISTENs on `arch_stats_sensor` (one NOTIFY per
inserting statement) and also ticks, because misses are decided by the clock when no event
follows them. Any database error closes both connections and starts over (lock first), so
the work resumes from what the database says, never from memory.

Inside `serve` it runs on a thread of its own with its own event loop (and its own
connections: asyncpg connections belong to one loop), so that a pass never waits behind the
web loop's work, such as a fan-out to many WebSocket clients; `arch-stats assemble` runs it on
the main thread (`run`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import asyncpg

from arch_stats.assembler import repository as repo
from arch_stats.assembler.service import Config, PassResult, assemble_once
from arch_stats.core.database import SERVER_SETTINGS, Connection
from arch_stats.core.settings import Settings

log = logging.getLogger("arch_stats.assembler")
# The interpreter's thread switch interval while the assembler runs on its own thread (s).
SWITCH_INTERVAL = 0.001


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
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop `run` runs on
        self._owner: asyncio.AbstractEventLoop | None = None  # the loop that called `start`
        self._thread: threading.Thread | None = None
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def from_settings(cls, dsn: str, settings: Settings, **kwargs: Any) -> Assembler:
        config = Config(
            identify_window=timedelta(milliseconds=settings.assembler_identify_ms),
            engage_timeout=timedelta(seconds=settings.assembler_engage_timeout_s),
            late=timedelta(milliseconds=settings.assembler_late_ms),
            batch=settings.assembler_batch,
            max_shots=settings.session_max_shots,
        )
        return cls(
            dsn,
            config,
            tick=settings.assembler_tick_ms / 1000,
            lock_retry=settings.assembler_lock_retry_ms / 1000,
            **kwargs,
        )

    def start(self) -> None:
        """Run in the background (inside `serve`), on a thread with an event loop of its own.

        `on_pass` is still called on the loop that called `start`."""
        self._owner = asyncio.get_running_loop()
        # A woken assembler waits for the GIL while the web thread runs Python (a fan-out to
        # many WebSocket clients): at most the switch interval, 5 ms by default. 1 ms keeps
        # that wait short; two threads switching more often cost nothing measurable.
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
        self._wake = asyncio.Event()  # bound to the loop that first waits on it: a fresh one
        self._loop = loop = _new_loop()
        self._task = loop.create_task(self.run(), name="assembler")
        self._thread = threading.Thread(
            target=self._run_thread, args=(loop, self._task), name="assembler", daemon=True
        )
        self._thread.start()

    @staticmethod
    def _run_thread(loop: asyncio.AbstractEventLoop, task: asyncio.Task[None]) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(task)
        except asyncio.CancelledError:
            pass
        except Exception:  # run() catches everything else; this is a last resort
            log.exception("assembler: its thread failed")
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def request_stop(self) -> None:
        """Stop after the current pass; callable from any thread."""
        self._stopping = True
        loop = self._loop
        if loop is None or _running_loop() is loop:
            self._wake.set()
        else:
            with contextlib.suppress(RuntimeError):  # its loop has already closed
                loop.call_soon_threadsafe(self._wake.set)

    async def close(self, grace: float = 5.0) -> None:
        self.request_stop()
        thread, loop, task = self._thread, self._loop, self._task
        if thread is None or loop is None or task is None:
            return
        await asyncio.to_thread(thread.join, grace)
        if thread.is_alive():
            log.warning("assembler: did not stop in %g s, cancelled", grace)
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(task.cancel)
            await asyncio.to_thread(thread.join, grace)
        self._thread = self._loop = self._task = None

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
                if self._owner is not None and self._owner is not _running_loop():
                    with contextlib.suppress(RuntimeError):  # its loop has closed
                        self._owner.call_soon_threadsafe(self.on_pass, result)
                else:
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


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # pragma: no cover (a dependency of uvicorn[standard])
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop
