"""`arch-stats backup` / `restore`: real processes, real pg_dump and pg_restore."""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from arch_stats.core.database import Connection
from arch_stats.core.embedded import start_embedded
from tests.conftest import MakeArcher
from tests.core.processes import run_cli, stop_leftovers


@pytest.fixture
def dirs(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """Two data directories whose servers stay up for the test (started here, as `serve`
    would): the commands attach to them instead of starting and stopping one each."""
    a, b = tmp_path / "a", tmp_path / "b"
    servers = []
    try:
        servers = [start_embedded(a), start_embedded(b)]
        yield a, b
    finally:
        for server in servers:
            server.release()
        stop_leftovers(a)
        stop_leftovers(b)


def _ok(result: object) -> None:
    assert getattr(result, "returncode", None) == 0, getattr(result, "stderr", "")


def _files(directory: Path, pattern: str) -> list[Path]:
    return list(directory.glob(pattern))


def _export(kind: str, data_dir: Path, cwd: Path, name: str) -> bytes:
    out = cwd / name
    _ok(
        run_cli(
            "export",
            kind,
            "--email",
            "demo@example.com",
            "-o",
            str(out),
            data_dir=data_dir,
            cwd=cwd,
        )
    )
    return out.read_bytes()


def test_backup_restored_into_a_new_data_dir_exports_byte_identical_csv(
    dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    a, b = dirs
    _ok(run_cli("seed", "--demo", data_dir=a, cwd=tmp_path))
    dump = tmp_path / "nightly.dump"

    backup = run_cli("backup", "-o", str(dump), data_dir=a, cwd=tmp_path)
    _ok(backup)
    assert "backup written" in backup.stderr
    assert "table public.shot" in backup.stderr  # progress, table by table
    assert dump.stat().st_size > 10_000
    assert not _files(tmp_path, "*.partial")

    again = run_cli("backup", "-o", str(dump), data_dir=a, cwd=tmp_path)
    assert again.returncode == 1
    assert "exists" in again.stderr and "--force" in again.stderr

    restored = run_cli("restore", str(dump), data_dir=b, cwd=tmp_path)
    _ok(restored)
    # The demo archer (8 sessions), the demo club's coach and three members (7), and the
    # eight guests of its competition night (a session each).
    assert "restored: 13 archers, 23 sessions" in restored.stderr

    originals = {}
    for kind in ("shots", "sessions"):
        originals[kind] = _export(kind, a, tmp_path, f"a-{kind}.csv")
        copy = _export(kind, b, tmp_path, f"b-{kind}.csv")
        assert originals[kind].count(b"\n") > 8  # a header and every row
        assert copy == originals[kind], kind

    # Not over data that is there, unless told.
    refused = run_cli("restore", str(dump), data_dir=b, cwd=tmp_path)
    assert refused.returncode == 1
    assert "not empty" in refused.stderr and "--clean" in refused.stderr
    _ok(run_cli("restore", "--clean", str(dump), data_dir=b, cwd=tmp_path))
    assert _export("shots", b, tmp_path, "b2.csv") == originals["shots"]


async def test_backup_default_name_has_a_timestamp_and_a_recent_enough_pg_dump(
    migrated: str, db: Connection, make_archer: MakeArcher, tmp_path: Path
) -> None:
    await make_archer("Someone")
    made = run_cli("backup", data_dir=tmp_path / "unused", cwd=tmp_path, DATABASE_URL=migrated)
    _ok(made)
    (dump,) = _files(tmp_path, "arch-stats-*.dump")
    assert len(dump.stem.removeprefix("arch-stats-")) == len("20261126-131500")
    # The server is PostgreSQL 18; a pg_dump at least as new was found without being told.
    assert "PostgreSQL 18" in made.stderr
    assert "backup written" in made.stderr


async def test_backup_is_private_and_never_written_through_a_planted_partial_link(
    migrated: str, db: Connection, make_archer: MakeArcher, tmp_path: Path
) -> None:
    """A backup holds every account's e-mail and password hash: 0600 whatever the umask, and
    a symbolic link planted where a backup in progress would have been written is ignored."""
    await make_archer("Someone")
    victim = tmp_path / "victim.txt"
    victim.write_text("not a backup")
    dump = tmp_path / "nightly.dump"
    planted = tmp_path / "nightly.dump.partial"
    planted.symlink_to(victim)
    previous = os.umask(0o022)
    try:
        _ok(
            run_cli(
                "backup",
                "-o",
                str(dump),
                data_dir=tmp_path / "unused",
                cwd=tmp_path,
                DATABASE_URL=migrated,
            )
        )
    finally:
        os.umask(previous)
    assert victim.read_bytes() == b"not a backup"
    assert planted.is_symlink() and planted.readlink() == victim
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600
    assert dump.read_bytes().startswith(b"PGDMP")  # pg_dump's custom format
    assert _files(tmp_path, "*.partial") == [planted]


async def test_backup_without_pg_dump_says_where_it_looked_and_what_to_do(
    migrated: str, tmp_path: Path
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    result = run_cli(
        "backup",
        "-o",
        str(tmp_path / "x.dump"),
        data_dir=tmp_path / "unused",
        cwd=tmp_path,
        DATABASE_URL=migrated,
        PG_BIN_DIR=str(empty),
    )
    assert result.returncode == 1
    assert "no usable pg_dump" in result.stderr
    assert str(empty) in result.stderr
    assert "PG_BIN_DIR" in result.stderr
    assert not (tmp_path / "x.dump").exists()


@pytest.fixture
async def empty_database(pg_dsn: str) -> AsyncIterator[str]:
    """A new, empty database on the suite's server (an "external" one), dropped after."""
    name = f"restore_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(pg_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
        parts = urlsplit(pg_dsn)
        yield urlunsplit(parts._replace(path=f"/{name}"))
        await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def test_restore_into_an_external_database_and_refused_while_in_use(
    migrated: str, db: Connection, make_archer: MakeArcher, empty_database: str, tmp_path: Path
) -> None:
    archer = await make_archer("Carried Over")
    dump = tmp_path / "b.dump"
    _ok(run_cli("backup", "-o", str(dump), data_dir=tmp_path, cwd=tmp_path, DATABASE_URL=migrated))

    other = await asyncpg.connect(empty_database)
    try:
        busy = run_cli(
            "restore", str(dump), data_dir=tmp_path, cwd=tmp_path, DATABASE_URL=empty_database
        )
    finally:
        await other.close()
    assert busy.returncode == 1
    assert "other connection" in busy.stderr and "serve" in busy.stderr

    junk = tmp_path / "junk.dump"
    junk.write_text("not a backup\n")
    bad = run_cli(
        "restore", str(junk), data_dir=tmp_path, cwd=tmp_path, DATABASE_URL=empty_database
    )
    assert bad.returncode == 1
    assert "not a pg_dump custom-format archive" in bad.stderr

    _ok(run_cli("restore", str(dump), data_dir=tmp_path, cwd=tmp_path, DATABASE_URL=empty_database))
    conn = await asyncpg.connect(empty_database)
    try:
        emails = await conn.fetch("SELECT email FROM archer")
    finally:
        await conn.close()
    assert [r["email"] for r in emails] == [archer.email]
