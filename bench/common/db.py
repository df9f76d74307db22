"""The database of a run: an embedded PostgreSQL in a temporary directory (deleted after), or
a disposable one given by `--database-url`; connections, migrating, and removing what a run
added."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID, uuid4

import asyncpg
import psutil

from arch_stats.core import migrations
from arch_stats.core.database import Connection
from bench.common.ceiling import WRITE_TABLES
from bench.common.report import say


@contextmanager
def database(url: str | None, *, prefix: str = "asbench") -> Iterator[str]:
    """The given URL, or an embedded PostgreSQL in a temporary directory, deleted after."""
    if url:
        yield url
        return
    from arch_stats.core.embedded import start_embedded

    base = Path(tempfile.mkdtemp(prefix=prefix))  # short: the unix socket path has a limit
    say(f"starting an embedded PostgreSQL in {base}")
    server = start_embedded(base, cleanup="delete")
    try:
        yield server.dsn
    finally:
        say("stopping the embedded PostgreSQL")
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


@asynccontextmanager
async def connect(dsn: str) -> AsyncIterator[Connection]:
    """A connection as the app makes them (its codecs), closed after."""
    conn = await migrations.connect(dsn)
    try:
        yield conn
    finally:
        await conn.close()


async def migrate(dsn: str) -> None:
    async with connect(dsn) as conn:
        applied = await migrations.up(conn)
    say(f"migrations: {len(applied)} applied")


async def remove_archers(conn: Connection, archers: Iterable[UUID]) -> None:
    """The archers and everything of theirs (shots first: a target with shots refuses to go)."""
    async with conn.transaction():
        for archer_id in archers:
            await conn.execute("DELETE FROM shot WHERE archer_id = $1", archer_id)
            await conn.execute("DELETE FROM archer WHERE id = $1", archer_id)


async def unseed(dsn: str, archers: Iterable[UUID]) -> None:
    """`remove_archers` on a connection of its own (after a run on --database-url)."""
    async with connect(dsn) as conn:
        await remove_archers(conn, archers)


async def create_database(dsn: str, name: str) -> str:
    """A new (emptied) database `name` on the server of `dsn`; its URL."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return urlunsplit(urlsplit(dsn)._replace(path=f"/{name}"))


async def postmaster_pid(dsn: str) -> int:
    """The pid of the PostgreSQL server (the parent of every backend)."""
    conn = await asyncpg.connect(dsn)
    try:
        backend: int = await conn.fetchval("SELECT pg_backend_pid()")
        return psutil.Process(backend).ppid()
    finally:
        await conn.close()


async def backend_pids(conn: Connection) -> list[int]:
    """Every PostgreSQL process the server lists now (backends and its own workers)."""
    rows = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL")
    return [r["pid"] for r in rows]


async def write_tables(conn: Connection, sessions: int) -> list[UUID]:
    """The write ceilings' tables (`ceiling.WRITE_TABLES`) with `sessions` new session rows;
    their ids."""
    await conn.execute(WRITE_TABLES)
    ids = [uuid4() for _ in range(sessions)]
    await conn.executemany("INSERT INTO bench_write_session (id) VALUES ($1)", [(s,) for s in ids])
    return ids
