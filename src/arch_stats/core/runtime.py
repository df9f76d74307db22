"""What the commands share: the database they work on, the migrate-up step, messages.

`database()` yields a DSN: DATABASE_URL when set, otherwise the embedded PostgreSQL of
DATA_DIR, started if it is not running yet. On the way out the embedded server is stopped
only when no other live process uses it (`serve` beside an `export`, say), and the
"stopping" line is printed only then. `serve` also keeps it alive: a watchdog thread starts
it again when it dies.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from arch_stats.core import migrations

if TYPE_CHECKING:
    from arch_stats.core.embedded import EmbeddedPostgres
    from arch_stats.core.settings import Settings

log = logging.getLogger("arch_stats.runtime")

# How often `serve` checks that its embedded PostgreSQL still runs, and the longest wait
# between two attempts to start it again when it does not start at once.
WATCH_INTERVAL_S = 1.0
WATCH_MAX_BACKOFF_S = 30.0


def say(msg: str) -> None:
    """A line for the operator, on stderr (stdout is for what a command outputs)."""
    print(msg, file=sys.stderr, flush=True)


@contextmanager
def database(settings: Settings, *, keep_alive: bool = False) -> Iterator[str]:
    """DATABASE_URL when set; otherwise the embedded server in DATA_DIR.

    `keep_alive` (serve): the embedded server is started again whenever it dies."""
    if settings.database_url:
        yield settings.database_url
        return
    with embedded_database(settings, keep_alive=keep_alive) as server:
        yield server.dsn


@contextmanager
def embedded_database(
    settings: Settings, *, keep_alive: bool = False
) -> Iterator[EmbeddedPostgres]:
    from arch_stats.core.embedded import server_pid, start_embedded

    pgdata = settings.data_dir / "pgdata"
    running = server_pid(pgdata.resolve()) if pgdata.exists() else None
    if running is None:
        say(f"DATABASE_URL not set: starting the embedded PostgreSQL in {pgdata} …")
    else:
        say(f"DATABASE_URL not set: using the embedded PostgreSQL in {pgdata} (pid {running})")
    server = start_embedded(settings.data_dir)
    watchdog = Watchdog(server) if keep_alive else None
    if watchdog is not None:
        watchdog.start()
    try:
        yield server
    finally:
        if watchdog is not None:
            watchdog.stop()
        stopped = server.release(before_stop=lambda: say("stopping the embedded PostgreSQL …"))
        if stopped:
            say("embedded PostgreSQL stopped")
        elif keep_alive:
            others = server.other_users()
            who = f" (pid {', '.join(map(str, others))})" if others else ""
            say(f"the embedded PostgreSQL keeps running: another arch-stats process uses it{who}")


class Watchdog:
    """A thread that starts the embedded server again when it is found not running."""

    def __init__(self, server: EmbeddedPostgres, *, interval: float = WATCH_INTERVAL_S) -> None:
        self.server = server
        self.interval = interval
        self.restarts = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-watchdog", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stopping.set()
        self._thread.join(timeout)
        if self._thread.is_alive():  # stuck starting the server: do not hang the exit on it
            log.warning("the embedded PostgreSQL watchdog is still starting it; not waiting")

    def _run(self) -> None:
        backoff = self.interval
        wait = self.interval
        while not self._stopping.wait(wait):
            wait = self.interval
            try:
                if self.server.is_running():
                    backoff = self.interval
                    continue
                log.warning("the embedded PostgreSQL is not running: starting it again")
                if self.server.restart_if_dead():
                    self.restarts += 1
                    log.warning(
                        "the embedded PostgreSQL is running again (pid %s)", self.server.pid
                    )
                backoff = self.interval
            except Exception as exc:  # it may need a moment (e.g. crash recovery): try again
                backoff = wait = min(WATCH_MAX_BACKOFF_S, 2.0 * backoff)
                log.error(
                    "the embedded PostgreSQL did not start (%s); next try in %.0f s", exc, wait
                )


async def migrate_up(dsn: str, *, quiet: bool = False) -> int:
    """Apply pending migrations and definitions; how many were applied."""
    conn = await migrations.connect(dsn)
    try:
        done = await migrations.up(
            conn, on_apply=None if quiet else (lambda m: say(f"  applying {m.filename}"))
        )
    finally:
        await conn.close()
    return len(done)
