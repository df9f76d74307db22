"""Plain SQL migrations, and the database code defined once beside them.

Versioned migrations (`migrations/YYYYMMDDHHMM__what.sql`, `-- migrate:up` / `-- migrate:down`)
hold tables, columns, constraints, indexes and data changes. They are applied in lexical
order, each inside its own transaction, and recorded with a SHA-256 checksum so that an edited
applied file is refused.

Definitions (`definitions/NAME.sql`) hold the functions, triggers and views: one file each,
named for what it defines (a trigger function with its triggers), written so that running it
again replaces what it defines (`CREATE OR REPLACE`; drop and create where that cannot). After
the migrations, every definition that is new, whose file changed since it was applied, or that
requires (`-- requires: other, …`) one applied now, is applied: all in one transaction, in the
order of their requirements, each recorded with its checksum. A migration applied or reverted
forgets the definitions' records (it may have replaced what they define), so they are all
applied again after it. All of it under one advisory lock: processes starting at once apply
each file once.
"""

from __future__ import annotations

import graphlib
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
DEFINITIONS_DIR = Path(str(resources.files("arch_stats") / "definitions"))
_NAME = re.compile(r"^(\d{12})__([a-z0-9_]+)\.sql$")
_DEFINITION_NAME = re.compile(r"^([a-z][a-z0-9_]*)\.sql$")
_REQUIRES = re.compile(r"^--\s*requires:(.*)$", re.MULTILINE)
# Any constant works as long as every process uses the same one.
_LOCK_KEY = 7_202_611_220_001

_CREATE_TABLES = """
CREATE TABLE IF NOT EXISTS schema_migration (
    version    text PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS schema_definition (
    name       text PRIMARY KEY,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""
# A migration may replace or drop what the definitions define: they are all applied again.
_FORGET_DEFINITIONS = "DELETE FROM schema_definition"


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
class Definition:
    name: str
    checksum: str
    sql: str
    requires: tuple[str, ...]

    @property
    def filename(self) -> str:
        return f"definitions/{self.name}.sql"


@dataclass(frozen=True, slots=True)
class MigrationStatus:
    version: str
    name: str
    state: str  # "applied", "pending", "changed" (applied but edited since), "missing"
    applied_at: datetime | None


@dataclass(frozen=True, slots=True)
class DefinitionStatus:
    name: str
    # "applied"; "pending" (new, or to be applied again after pending migrations or with a
    # definition it requires); "changed" (its file changed since it was applied); "removed"
    # (applied, its file is gone: `up` forgets it, a migration drops what it defined).
    state: str
    applied_at: datetime | None

    @property
    def filename(self) -> str:
        return f"definitions/{self.name}.sql"


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


def parse_definition(path: Path) -> Definition:
    match = _DEFINITION_NAME.match(path.name)
    if match is None:
        raise MigrationError(f"definitions/{path.name}: name must look like what_it_defines.sql")
    text = path.read_text(encoding="utf-8")
    requires = [n for line in _REQUIRES.findall(text) for n in re.split(r"[\s,]+", line) if n]
    return Definition(
        name=match.group(1),
        checksum=hashlib.sha256(text.encode()).hexdigest(),
        sql=text,
        requires=tuple(requires),
    )


def discover_definitions(directory: Path = DEFINITIONS_DIR) -> list[Definition]:
    """The definitions in the order they are applied: each after those it requires, else by
    name."""
    found = {d.name: d for d in (parse_definition(p) for p in sorted(directory.glob("*.sql")))}
    for d in found.values():
        for name in d.requires:
            if name not in found or name == d.name:
                raise MigrationError(f"{d.filename} requires '{name}': no other definition")
    order = graphlib.TopologicalSorter({d.name: d.requires for d in found.values()})
    try:
        order.prepare()
    except graphlib.CycleError as exc:
        raise MigrationError(f"definitions require each other: {' → '.join(exc.args[1])}") from None
    result: list[Definition] = []
    while order.is_active():
        ready = sorted(order.get_ready())
        result.extend(found[name] for name in ready)
        order.done(*ready)
    return result


async def _applied(conn: Connection) -> dict[str, asyncpg.Record]:
    await conn.execute(_CREATE_TABLES)
    rows = await conn.fetch("SELECT version, name, checksum, applied_at FROM schema_migration")
    return {r["version"]: r for r in rows}


async def _recorded(conn: Connection) -> dict[str, asyncpg.Record]:
    rows = await conn.fetch("SELECT name, checksum, applied_at FROM schema_definition")
    return {r["name"]: r for r in rows}


def _check_unchanged(known: list[Migration], applied: dict[str, asyncpg.Record]) -> None:
    for m in known:
        row = applied.get(m.version)
        if row is not None and row["checksum"] != m.checksum:
            raise MigrationError(
                f"migration {m.filename} was edited after it was applied "
                f"(checksum {row['checksum'][:12]} in the database, {m.checksum[:12]} on disk); "
                "add a new migration instead of changing an applied one"
            )


def _to_define(
    defined: list[Definition], recorded: dict[str, asyncpg.Record], *, again: bool = False
) -> list[Definition]:
    """What `up` applies (all when `again`): the new, the changed and those that require
    them, in order."""
    todo: list[Definition] = []
    names: set[str] = set()
    for d in defined:
        row = recorded.get(d.name)
        if again or row is None or row["checksum"] != d.checksum or names & set(d.requires):
            todo.append(d)
            names.add(d.name)
    return todo


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


async def definition_status(
    conn: Connection,
    directory: Path = MIGRATIONS_DIR,
    definitions: Path = DEFINITIONS_DIR,
) -> list[DefinitionStatus]:
    """Each definition, in the order `up` applies them, then those whose file is gone."""
    defined = discover_definitions(definitions)
    pending = any(s.state == "pending" for s in await status(conn, directory))
    recorded = await _recorded(conn)
    todo = {d.name for d in _to_define(defined, recorded, again=pending)}
    result = []
    for d in defined:
        row = recorded.pop(d.name, None)
        if row is None:
            result.append(DefinitionStatus(d.name, "pending", None))
        elif row["checksum"] != d.checksum:
            result.append(DefinitionStatus(d.name, "changed", row["applied_at"]))
        else:
            state = "pending" if d.name in todo else "applied"
            result.append(DefinitionStatus(d.name, state, row["applied_at"]))
    for name, row in sorted(recorded.items()):
        result.append(DefinitionStatus(name, "removed", row["applied_at"]))
    return result


async def up(
    conn: Connection,
    directory: Path = MIGRATIONS_DIR,
    definitions: Path = DEFINITIONS_DIR,
    on_apply: Callable[[Migration | Definition], None] | None = None,
) -> list[Migration | Definition]:
    """Apply every pending migration, then every definition to apply; returns those applied."""
    known = discover(directory)
    defined = discover_definitions(definitions)
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        applied = await _applied(conn)
        _check_unchanged(known, applied)
        done: list[Migration | Definition] = []
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
                await conn.execute(_FORGET_DEFINITIONS)
            done.append(m)
        done.extend(await _define(conn, defined, on_apply))
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)


async def _define(
    conn: Connection,
    defined: list[Definition],
    on_apply: Callable[[Migration | Definition], None] | None,
) -> list[Definition]:
    """Apply the definitions to apply and forget those whose file is gone, in one
    transaction: the database's code changes all at once, or not at all."""
    recorded = await _recorded(conn)
    todo = _to_define(defined, recorded)
    gone = sorted(recorded.keys() - {d.name for d in defined})
    if not todo and not gone:
        return []
    async with conn.transaction():
        for d in todo:
            if on_apply is not None:
                on_apply(d)
            try:
                await conn.execute(d.sql)
            except asyncpg.PostgresError as exc:
                exc.add_note(f"in {d.filename}")
                raise
            await conn.execute(
                """INSERT INTO schema_definition (name, checksum) VALUES ($1, $2)
                   ON CONFLICT (name) DO UPDATE
                   SET checksum = excluded.checksum, applied_at = excluded.applied_at""",
                d.name,
                d.checksum,
            )
        await conn.execute("DELETE FROM schema_definition WHERE name = ANY($1::text[])", gone)
    return todo


async def down(
    conn: Connection,
    steps: int = 1,
    directory: Path = MIGRATIONS_DIR,
    on_apply: Callable[[Migration], None] | None = None,
) -> list[Migration]:
    """Revert the `steps` most recently applied migrations; returns those reverted.

    The definitions are not applied (the files are those of the newest version, written for
    its tables): they are left as the migrations' down sections leave them, forgotten, and
    all applied by the next `up`, from the files of whatever version is checked out then."""
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
                await conn.execute(_FORGET_DEFINITIONS)
            done.append(m)
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)


async def is_current(
    conn: Connection, directory: Path = MIGRATIONS_DIR, definitions: Path = DEFINITIONS_DIR
) -> bool:
    """True when every migration on disk is applied, unchanged, and every definition too."""
    exists = await conn.fetchval(
        "SELECT to_regclass('schema_migration') IS NOT NULL "
        "AND to_regclass('schema_definition') IS NOT NULL"
    )
    if not exists:
        return False
    rows = await conn.fetch("SELECT version, checksum FROM schema_migration")
    applied = {r["version"]: r["checksum"] for r in rows}
    if not all(applied.get(m.version) == m.checksum for m in discover(directory)):
        return False
    defined = discover_definitions(definitions)
    recorded = await _recorded(conn)
    return not _to_define(defined, recorded) and recorded.keys() <= {d.name for d in defined}


async def connect(dsn: str) -> Connection:
    conn: Connection = await asyncpg.connect(dsn, server_settings=SERVER_SETTINGS)
    return conn
