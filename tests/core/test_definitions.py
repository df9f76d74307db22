"""Functions, triggers and views defined once (definitions/), applied after the migrations.

The definitions' files must make exactly what the migrations of the last release made, an
existing database at that release must end up as a fresh one, and `up`, `down` and `status`
must treat a definition's file as the one place it is written.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import asyncpg
import pytest

from arch_stats.core import migrations
from arch_stats.core.database import Connection

# The last migration of the last release, whose runner knew no definitions: a database
# deployed with it has these migrations' functions, triggers and views, and no
# schema_definition table.
RELEASE = "202611270410"

# Definitions changed on purpose since that release (what a database at the release gets
# when it upgrades): name → why. Every other function, trigger and view is the release's.
CHANGED_SINCE_RELEASE = {
    "club_member_access_notify": "also fires on show_on_public_board: open boards follow (18)",
    "shot_insert": "a joint write locks its sessions by id: processes never deadlock (issue 18); "
    "no arrow past a round's last, each at its end's target, scores by value (issue 20); "
    "its ON CONFLICT names the partial index of sensor releases (issue 23)",
    "shot_insert_totals": "other inserts (imports) obey a session's round too (issue 20)",
    "shot_place_check": "a shot moved stays within its target's ends of the round (issue 20)",
    "shot_row": "a shot's JSON says how it was entered (`entered_by`, issue 20)",
    "session_doc_refresh": "a session's JSON holds its round's plan (issue 20)",
    "session_doc": "the trigger of session_doc_refresh: also when the plan changes (issue 20)",
    "session_json": "a session's JSON holds its round's plan (issue 20)",
    "range_timer_notify": "new: a range timer changed tells its screens (issue 22)",
    "competition_end_locked": "new: a confirmed end's arrows cannot change (issue 22)",
}

# Every function (its whole CREATE statement: body, settings, volatility…), trigger and view.
_CODE = """
SELECT 'function ' || p.oid::regprocedure::text AS object, pg_get_functiondef(p.oid) AS code
FROM pg_proc p
WHERE p.pronamespace = 'public'::regnamespace AND p.prokind <> 'a'
UNION ALL
SELECT 'trigger ' || t.tgname || ' on ' || t.tgrelid::regclass::text,
       pg_get_triggerdef(t.oid) || ' (enabled: ' || t.tgenabled::text || ')'
FROM pg_trigger t
WHERE NOT t.tgisinternal
UNION ALL
SELECT 'view ' || c.oid::regclass::text, pg_get_viewdef(c.oid)
FROM pg_class c
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('v', 'm')
"""

_DROP_ALL = """
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT tgname, tgrelid::regclass AS rel FROM pg_trigger WHERE NOT tgisinternal LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', r.tgname, r.rel);
    END LOOP;
    FOR r IN SELECT c.oid::regclass AS rel, c.relkind FROM pg_class c
             WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('v', 'm') LOOP
        EXECUTE format('DROP %s IF EXISTS %s CASCADE',
                       CASE r.relkind WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'VIEW' END, r.rel);
    END LOOP;
    FOR r IN SELECT p.oid::regprocedure AS fn FROM pg_proc p
             WHERE p.pronamespace = 'public'::regnamespace LOOP
        EXECUTE format('DROP FUNCTION %s', r.fn);
    END LOOP;
END
$$
"""


async def _code(conn: Connection) -> dict[str, str]:
    return {r["object"]: r["code"] for r in await conn.fetch(_CODE)}


async def _fresh_code(dsn: str) -> dict[str, str]:
    conn = await migrations.connect(dsn)
    try:
        return await _code(conn)
    finally:
        await conn.close()


async def _at_release(dsn: str, tmp_path: Path) -> Connection:
    """A database as the last release left it: its migrations, applied by its runner (which
    knew no definitions)."""
    released = tmp_path / "released"
    released.mkdir()
    for m in migrations.discover():
        if m.version <= RELEASE:
            shutil.copy(migrations.MIGRATIONS_DIR / m.filename, released)
    conn = await migrations.connect(dsn)
    await migrations.up(conn, released, tmp_path / "none")
    await conn.execute("DROP TABLE schema_definition")
    return conn


def _names(objects: set[str]) -> set[str]:
    return {re.sub(r"^(function|trigger|view) (\w+).*$", r"\2", o) for o in objects}


async def test_definitions_hold_what_the_release_migrations_made(
    scratch: str, migrated: str, tmp_path: Path
) -> None:
    """Nothing was lost or changed in the move: a fresh database (migrations, then
    definitions) has the release's functions, triggers and views, but those changed since on
    purpose."""
    conn = await _at_release(scratch, tmp_path)
    try:
        release = await _code(conn)
    finally:
        await conn.close()
    fresh = await _fresh_code(migrated)
    assert len(release) > 50
    differing = {o for o in release.keys() | fresh.keys() if release.get(o) != fresh.get(o)}
    assert _names(differing) == set(CHANGED_SINCE_RELEASE)


async def test_database_at_release_upgrades_to_what_a_fresh_one_has(
    scratch: str, migrated: str, tmp_path: Path
) -> None:
    conn = await _at_release(scratch, tmp_path)
    try:
        assert not await migrations.is_current(conn)
        states = {d.state for d in await migrations.definition_status(conn)}
        assert states == {"pending"}
        done = await migrations.up(conn)
        assert {f.filename for f in done} >= {d.filename for d in migrations.discover_definitions()}
        assert await _code(conn) == await _fresh_code(migrated)
        assert await migrations.is_current(conn)
        assert {d.state for d in await migrations.definition_status(conn)} == {"applied"}
    finally:
        await conn.close()


async def test_definition_files_alone_make_every_function_trigger_and_view(scratch: str) -> None:
    """They are the only place these are written, and their order (`-- requires:`) works:
    with every function, trigger and view dropped, the definitions make them all again."""
    conn = await migrations.connect(scratch)
    try:
        await migrations.up(conn)
        before = await _code(conn)
        await conn.execute(_DROP_ALL)
        assert await _code(conn) == {}
        await conn.execute("DELETE FROM schema_definition")
        done = await migrations.up(conn)
        assert done == migrations.discover_definitions()
        assert await _code(conn) == before
    finally:
        await conn.close()


# --- the runner, on files of its own -----------------------------------------------------------

TABLE = "-- migrate:up\nCREATE TABLE t (n int);\n-- migrate:down\nDROP TABLE t;\n"


def _function(name: str, body: str, *, requires: str = "") -> str:
    header = f"-- requires: {requires}\n" if requires else ""
    return (
        f"{header}CREATE OR REPLACE FUNCTION {name}() RETURNS int\nLANGUAGE sql AS $$ {body} $$;\n"
    )


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    """A migration making table `t`, and two definitions: `a_total` (SQL, so checked when
    made) uses `z_base`, which it requires: applied after it, whatever their names."""
    versioned, defined = tmp_path / "migrations", tmp_path / "definitions"
    versioned.mkdir()
    defined.mkdir()
    (versioned / "202601010000__t.sql").write_text(TABLE)
    (defined / "z_base.sql").write_text(_function("z_base", "SELECT 1"))
    (defined / "a_total.sql").write_text(
        _function("a_total", "SELECT z_base() + coalesce(sum(n), 0)::int FROM t", requires="z_base")
    )
    return versioned, defined


async def _states(conn: Connection, tree: tuple[Path, Path]) -> dict[str, str]:
    return {d.name: d.state for d in await migrations.definition_status(conn, *tree)}


async def _checksums(conn: Connection) -> dict[str, str]:
    rows = await conn.fetch("SELECT name, checksum FROM schema_definition")
    return {r["name"]: r["checksum"] for r in rows}


async def test_up_applies_definitions_after_migrations_in_required_order(
    scratch: str, tree: tuple[Path, Path]
) -> None:
    conn = await migrations.connect(scratch)
    try:
        assert await _states(conn, tree) == {"z_base": "pending", "a_total": "pending"}
        done = await migrations.up(conn, *tree)
        assert [f.filename for f in done] == [
            "202601010000__t.sql",
            "definitions/z_base.sql",
            "definitions/a_total.sql",
        ]
        assert await conn.fetchval("SELECT a_total()") == 1
        assert await _states(conn, tree) == {"z_base": "applied", "a_total": "applied"}
        assert await _checksums(conn) == {
            d.name: d.checksum for d in migrations.discover_definitions(tree[1])
        }
        assert await migrations.is_current(conn, *tree)
        assert await migrations.up(conn, *tree) == []
    finally:
        await conn.close()


async def test_changed_definition_is_shown_then_applied_again_and_recorded(
    scratch: str, tree: tuple[Path, Path]
) -> None:
    conn = await migrations.connect(scratch)
    try:
        await migrations.up(conn, *tree)
        (tree[1] / "z_base.sql").write_text(_function("z_base", "SELECT 10"))
        # What requires a changed definition is applied with it (it may have been dropped).
        assert await _states(conn, tree) == {"z_base": "changed", "a_total": "pending"}
        assert not await migrations.is_current(conn, *tree)
        assert await conn.fetchval("SELECT a_total()") == 1  # nothing applied yet
        done = await migrations.up(conn, *tree)
        assert [f.filename for f in done] == ["definitions/z_base.sql", "definitions/a_total.sql"]
        assert await conn.fetchval("SELECT a_total()") == 10
        checksums = await _checksums(conn)
        assert checksums["z_base"] == migrations.parse_definition(tree[1] / "z_base.sql").checksum
        assert await _states(conn, tree) == {"z_base": "applied", "a_total": "applied"}
        assert await migrations.up(conn, *tree) == []
    finally:
        await conn.close()


async def test_new_and_removed_definition_files(scratch: str, tree: tuple[Path, Path]) -> None:
    conn = await migrations.connect(scratch)
    try:
        await migrations.up(conn, *tree)
        (tree[1] / "m_more.sql").write_text(_function("m_more", "SELECT 2"))
        (tree[1] / "a_total.sql").unlink()
        assert await _states(conn, tree) == {
            "z_base": "applied",
            "m_more": "pending",
            "a_total": "removed",
        }
        done = await migrations.up(conn, *tree)
        assert [f.filename for f in done] == ["definitions/m_more.sql"]
        assert set(await _checksums(conn)) == {"z_base", "m_more"}
        # What a removed file made stays until a migration drops it.
        assert await conn.fetchval("SELECT a_total()") == 1
        assert await _states(conn, tree) == {"z_base": "applied", "m_more": "applied"}
    finally:
        await conn.close()


async def test_new_signature_drops_the_old_one_in_the_same_transaction(
    scratch: str, tree: tuple[Path, Path]
) -> None:
    conn = await migrations.connect(scratch)
    try:
        await migrations.up(conn, *tree)
        (tree[1] / "z_base.sql").write_text(
            "DROP FUNCTION IF EXISTS z_base();\n"
            "CREATE OR REPLACE FUNCTION z_base(k int DEFAULT 3) RETURNS int\n"
            "LANGUAGE sql AS $$ SELECT k $$;\n"
        )
        await migrations.up(conn, *tree)
        signatures = await conn.fetch(
            "SELECT oid::regprocedure::text AS s FROM pg_proc WHERE proname = 'z_base'"
        )
        assert [r["s"] for r in signatures] == ["z_base(integer)"]
        assert await conn.fetchval("SELECT a_total()") == 3
    finally:
        await conn.close()


async def test_failing_definition_applies_none_of_them(
    scratch: str, tree: tuple[Path, Path]
) -> None:
    conn = await migrations.connect(scratch)
    try:
        await migrations.up(conn, *tree)
        before = await _checksums(conn)
        (tree[1] / "z_base.sql").write_text(_function("z_base", "SELECT 5"))
        (tree[1] / "a_total.sql").write_text(
            _function("a_total", "SELECT no_such_function()", requires="z_base")
        )
        with pytest.raises(asyncpg.UndefinedFunctionError) as failed:
            await migrations.up(conn, *tree)
        assert "in definitions/a_total.sql" in failed.value.__notes__
        assert await conn.fetchval("SELECT z_base()") == 1  # z_base's change rolled back too
        assert await _checksums(conn) == before
        assert await _states(conn, tree) == {"z_base": "changed", "a_total": "changed"}
    finally:
        await conn.close()


async def test_a_migration_that_replaces_a_definition_is_followed_by_the_definition(
    scratch: str, tree: tuple[Path, Path]
) -> None:
    """A migration may replace or drop what a definition defines (the released migrations
    redefine functions): every definition is applied again after migrations ran."""
    conn = await migrations.connect(scratch)
    try:
        await migrations.up(conn, *tree)
        (tree[0] / "202601020000__old_code.sql").write_text(
            "-- migrate:up\n" + _function("z_base", "SELECT 99") + "-- migrate:down\n"
        )
        assert await _states(conn, tree) == {"z_base": "pending", "a_total": "pending"}
        done = await migrations.up(conn, *tree)
        assert [f.filename for f in done] == [
            "202601020000__old_code.sql",
            "definitions/z_base.sql",
            "definitions/a_total.sql",
        ]
        assert await conn.fetchval("SELECT z_base()") == 1
    finally:
        await conn.close()


async def test_down_forgets_definitions_and_the_next_up_applies_them(
    scratch: str, tree: tuple[Path, Path]
) -> None:
    conn = await migrations.connect(scratch)
    try:
        (tree[0] / "202601020000__old_code.sql").write_text(
            "-- migrate:up\nSELECT 1;\n-- migrate:down\n" + _function("z_base", "SELECT 99")
        )
        await migrations.up(conn, *tree)
        reverted = await migrations.down(conn, 1, tree[0])
        assert [m.filename for m in reverted] == ["202601020000__old_code.sql"]
        # Left as the down section left them (the files are written for the newest tables).
        assert await conn.fetchval("SELECT z_base()") == 99
        assert await _checksums(conn) == {}
        assert await _states(conn, tree) == {"z_base": "pending", "a_total": "pending"}
        assert not await migrations.is_current(conn, *tree)
        done = await migrations.up(conn, *tree)
        assert len(done) == 3
        assert await conn.fetchval("SELECT z_base()") == 1
        assert await migrations.is_current(conn, *tree)
    finally:
        await conn.close()


def test_bad_definition_names_and_requirements_are_refused(tmp_path: Path) -> None:
    (tmp_path / "Bad-Name.sql").write_text("SELECT 1;\n")
    with pytest.raises(migrations.MigrationError, match=r"what_it_defines\.sql"):
        migrations.discover_definitions(tmp_path)
    (tmp_path / "Bad-Name.sql").unlink()
    (tmp_path / "one.sql").write_text("-- requires: nobody\nSELECT 1;\n")
    with pytest.raises(migrations.MigrationError, match="requires 'nobody'"):
        migrations.discover_definitions(tmp_path)
    (tmp_path / "one.sql").write_text("-- requires: two\nSELECT 1;\n")
    (tmp_path / "two.sql").write_text("-- requires: one\nSELECT 1;\n")
    with pytest.raises(migrations.MigrationError, match="require each other"):
        migrations.discover_definitions(tmp_path)
