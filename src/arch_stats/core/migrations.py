"""Plain SQL migrations: `YYYYMMDDHHMM__what.sql` with `-- migrate:up` / `-- migrate:down`.

Applied in lexical order, each inside its own transaction, all under one advisory lock,
and recorded with a SHA-256 checksum so that an edited applied file is refused.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path

import asyncpg

from arch_stats.core.database import SERVER_SETTINGS, Connection

MIGRATIONS_DIR = Path(str(resources.files("arch_stats") / "migrations"))
_NAME = re.compile(r"^(\d{12})__([a-z0-9_]+)\.sql$")
# Any constant works as long as every process uses the same one.
_LOCK_KEY = 7_202_611_220_001

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migration (
    version    text PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


class MigrationError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Migration:
    version: str
    name: str
    checksum: str
    up: str
    down: str

    @property
    def filename(self) -> str:
        return f"{self.version}__{self.name}.sql"


@dataclass(frozen=True, slots=True)
class MigrationStatus:
    version: str
    name: str
    state: str  # "applied", "pending", "changed" (applied but edited since), "missing"
    applied_at: datetime | None


def parse(path: Path) -> Migration:
    match = _NAME.match(path.name)
    if match is None:
        raise MigrationError(f"{path.name}: name must look like YYYYMMDDHHMM__what.sql")
    text = path.read_text(encoding="utf-8")
    parts = re.split(r"^--\s*migrate:(up|down)\s*$", text, flags=re.MULTILINE)
    sections: dict[str, str] = {}
    for i in range(1, len(parts) - 1, 2):
        sections[parts[i]] = parts[i + 1].strip()
    if not sections.get("up"):
        raise MigrationError(f"{path.name}: no '-- migrate:up' section")
    return Migration(
        version=match.group(1),
        name=match.group(2),
        checksum=hashlib.sha256(text.encode()).hexdigest(),
        up=sections["up"],
        down=sections.get("down", ""),
    )


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found = [parse(p) for p in sorted(directory.glob("*.sql"))]
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError("two migration files share a version")
    return found


async def _applied(conn: Connection) -> dict[str, asyncpg.Record]:
    await conn.execute(_CREATE_TABLE)
    rows = await conn.fetch("SELECT version, name, checksum, applied_at FROM schema_migration")
    return {r["version"]: r for r in rows}


def _check_unchanged(known: list[Migration], applied: dict[str, asyncpg.Record]) -> None:
    for m in known:
        row = applied.get(m.version)
        if row is not None and row["checksum"] != m.checksum:
            raise MigrationError(
                f"migration {m.filename} was edited after it was applied "
                f"(checksum {row['checksum'][:12]} in the database, {m.checksum[:12]} on disk); "
                "add a new migration instead of changing an applied one"
            )


async def status(conn: Connection, directory: Path = MIGRATIONS_DIR) -> list[MigrationStatus]:
    known = discover(directory)
    applied = await _applied(conn)
    result = []
    for m in known:
        row = applied.pop(m.version, None)
        if row is None:
            result.append(MigrationStatus(m.version, m.name, "pending", None))
        else:
            state = "applied" if row["checksum"] == m.checksum else "changed"
            result.append(MigrationStatus(m.version, m.name, state, row["applied_at"]))
    for version, row in sorted(applied.items()):
        result.append(MigrationStatus(version, row["name"], "missing", row["applied_at"]))
    return result


async def up(
    conn: Connection,
    directory: Path = MIGRATIONS_DIR,
    on_apply: Callable[[Migration], None] | None = None,
) -> list[Migration]:
    """Apply every pending migration; returns those applied."""
    known = discover(directory)
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        applied = await _applied(conn)
        _check_unchanged(known, applied)
        done = []
        for m in known:
            if m.version in applied:
                continue
            if on_apply is not None:
                on_apply(m)
            async with conn.transaction():
                await conn.execute(m.up)
                await conn.execute(
                    "INSERT INTO schema_migration (version, name, checksum) VALUES ($1, $2, $3)",
                    m.version,
                    m.name,
                    m.checksum,
                )
            done.append(m)
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)


async def down(
    conn: Connection,
    steps: int = 1,
    directory: Path = MIGRATIONS_DIR,
    on_apply: Callable[[Migration], None] | None = None,
) -> list[Migration]:
    """Revert the `steps` most recently applied migrations; returns those reverted."""
    known = {m.version: m for m in discover(directory)}
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        applied = await _applied(conn)
        _check_unchanged(list(known.values()), applied)
        done = []
        for version in sorted(applied, reverse=True)[:steps]:
            m = known.get(version)
            if m is None:
                raise MigrationError(f"migration {version} is applied but its file is missing")
            if not m.down:
                raise MigrationError(f"{m.filename} has no '-- migrate:down' section")
            if on_apply is not None:
                on_apply(m)
            async with conn.transaction():
                await conn.execute(m.down)
                await conn.execute("DELETE FROM schema_migration WHERE version = $1", version)
            done.append(m)
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)


async def is_current(conn: Connection, directory: Path = MIGRATIONS_DIR) -> bool:
    """True when every migration on disk is applied, unchanged."""
    exists = await conn.fetchval("SELECT to_regclass('schema_migration') IS NOT NULL")
    if not exists:
        return False
    rows = await conn.fetch("SELECT version, checksum FROM schema_migration")
    applied = {r["version"]: r["checksum"] for r in rows}
    return all(applied.get(m.version) == m.checksum for m in discover(directory))


async def connect(dsn: str) -> Connection:
    conn: Connection = await asyncpg.connect(dsn, server_settings=SERVER_SETTINGS)
    return conn
