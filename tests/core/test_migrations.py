"""The migration runner: order, checksums, down and up again, status, advisory lock."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import asyncpg
import pytest

from arch_stats.core import migrations
from arch_stats.core.database import Connection


async def _tables(conn: Connection) -> set[str]:
    rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {r["tablename"] for r in rows}


async def test_up_down_all_then_up_again(scratch: str) -> None:
    conn = await migrations.connect(scratch)
    try:
        known = migrations.discover()
        defined = migrations.discover_definitions()
        assert len(known) >= 2
        applied = await migrations.up(conn)
        # The migrations in order, then every definition.
        assert applied == [*known, *defined]
        assert {"archer", "arrow", "session", "target", "target_face", "shot"} <= await _tables(
            conn
        )
        assert await migrations.is_current(conn)
        assert await migrations.up(conn) == []  # nothing pending: a no-op
        reverted = await migrations.down(conn, steps=len(known))
        assert [m.version for m in reverted] == sorted((m.version for m in known), reverse=True)
        assert await _tables(conn) == {"schema_migration", "schema_definition"}
        assert not await migrations.is_current(conn)
        assert {d.state for d in await migrations.definition_status(conn)} == {"pending"}
        assert len(await migrations.up(conn)) == len(known) + len(defined)
        states = {s.state for s in await migrations.status(conn)}
        assert states == {"applied"}
        assert {d.state for d in await migrations.definition_status(conn)} == {"applied"}
    finally:
        await conn.close()


async def test_edited_applied_migration_is_refused(scratch: str, tmp_path: Path) -> None:
    (tmp_path / "202601010000__one.sql").write_text(
        "-- migrate:up\nCREATE TABLE one (id int);\n-- migrate:down\nDROP TABLE one;\n"
    )
    conn = await migrations.connect(scratch)
    try:
        await migrations.up(conn, tmp_path, tmp_path / "definitions")
        (tmp_path / "202601010000__one.sql").write_text(
            "-- migrate:up\nCREATE TABLE one (id bigint);\n-- migrate:down\nDROP TABLE one;\n"
        )
        (tmp_path / "202601020000__two.sql").write_text("-- migrate:up\nCREATE TABLE two ();\n")
        with pytest.raises(migrations.MigrationError, match="edited after it was applied"):
            await migrations.up(conn, tmp_path, tmp_path / "definitions")
        assert "two" not in await _tables(conn)  # nothing after the refusal ran
        states = {s.name: s.state for s in await migrations.status(conn, tmp_path)}
        assert states == {"one": "changed", "two": "pending"}
    finally:
        await conn.close()


async def test_failing_migration_rolls_back_whole_file(scratch: str, tmp_path: Path) -> None:
    (tmp_path / "202601010000__bad.sql").write_text(
        "-- migrate:up\nCREATE TABLE half (id int);\nSELECT no_such_function();\n"
    )
    conn = await migrations.connect(scratch)
    try:
        with pytest.raises(asyncpg.UndefinedFunctionError):
            await migrations.up(conn, tmp_path, tmp_path / "definitions")
        assert "half" not in await _tables(conn)
        assert [s.state for s in await migrations.status(conn, tmp_path)] == ["pending"]
    finally:
        await conn.close()


def test_bad_file_names_and_missing_up_section(tmp_path: Path) -> None:
    (tmp_path / "20260101__short.sql").write_text("-- migrate:up\nSELECT 1;\n")
    with pytest.raises(migrations.MigrationError, match=r"YYYYMMDDHHMM__what\.sql"):
        migrations.discover(tmp_path)
    (tmp_path / "20260101__short.sql").unlink()
    (tmp_path / "202601010000__empty.sql").write_text("-- nothing here\n")
    with pytest.raises(migrations.MigrationError, match="migrate:up"):
        migrations.discover(tmp_path)


async def test_concurrent_runners_apply_each_migration_and_definition_once(scratch: str) -> None:
    conns = [await migrations.connect(scratch) for _ in range(3)]
    try:
        results = await asyncio.gather(*(migrations.up(c) for c in conns))
        done = [f for r in results for f in r]
        assert len(done) == len(migrations.discover()) + len(migrations.discover_definitions())
        assert len({f.filename for f in done}) == len(done)
        count = await conns[0].fetchval("SELECT count(*) FROM schema_migration")
        assert count == len(migrations.discover())
        count = await conns[0].fetchval("SELECT count(*) FROM schema_definition")
        assert count == len(migrations.discover_definitions())
    finally:
        for c in conns:
            await c.close()


async def test_stored_json_is_built_for_existing_rows(scratch: str) -> None:
    """Sessions and shots that exist before 202611221500/1530 get their JSON and counts."""
    conn = await migrations.connect(scratch)
    try:
        await migrations.up(conn)
        later = [m for m in migrations.discover() if m.version >= "202611221500"]
        await migrations.down(conn, steps=len(later))
        await conn.execute("SET timezone = 'America/New_York'")
        archer = await conn.fetchval(
            "INSERT INTO archer (email, password_hash, name) VALUES ('m@example.org', 'x', 'M') "
            "RETURNING id"
        )
        session = await conn.fetchval(
            "INSERT INTO session (archer_id, distance_m, start_time) "
            "VALUES ($1, 18, '2026-03-04 05:06:07+00') RETURNING id",
            archer,
        )
        targets = [
            await conn.fetchval(
                "INSERT INTO target (session_id, archer_id, distance_m, view_width_mm, "
                "view_height_mm) VALUES ($1, $2, 18, 400, 400) RETURNING id",
                session,
                archer,
            )
            for _ in range(2)
        ]
        await conn.execute(
            "INSERT INTO shot (session_id, archer_id, target_id, seq, end_no, score, landed_at) "
            "VALUES ($1, $2, $3, 1, 1, 0, '2026-03-04 05:07:00+00')",
            session,
            archer,
            targets[0],
        )
        await migrations.up(conn)
        row = await conn.fetchrow(
            "SELECT doc::text AS doc, target_count, shot_count FROM session WHERE id = $1", session
        )
        assert row is not None
        assert (row["target_count"], row["shot_count"]) == (2, 1)
        doc = json.loads(row["doc"])
        assert doc["start_time"] == "2026-03-04T05:06:07+00:00"
        assert (doc["target_count"], doc["shot_count"]) == (2, 1)
        shot = json.loads(await conn.fetchval("SELECT shot_json(s)::text FROM shot s"))
        assert shot["landed_at"] == "2026-03-04T05:07:00+00:00"
        assert (shot["seq"], shot["label"], shot["is_miss"]) == (1, "M", True)
    finally:
        await conn.close()
