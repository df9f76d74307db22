"""The one writer of shots reads the shot table by its indexes, whatever its statistics.

`shot_insert` is planned once per connection and keeps its plan until the table's statistics
change: a connection that first wrote while the table was small kept a sequential scan of
every shot for each post (202611270400). Counted, not timed: the sequential scans a post
makes are read from `pg_stat_xact_user_tables` inside its transaction.
"""

from __future__ import annotations

from dataclasses import replace

from arch_stats.core import migrations
from arch_stats.core.database import Connection
from arch_stats.shots import repository as repo
from arch_stats.shots.repository import ShotRow
from tests.conftest import ArcherCtx, MakeArcher
from tests.shots.test_shots import C, Range, make_range


def one(r: Range, dx: float = 0.0) -> ShotRow:
    return ShotRow(r.target_id, None, C + dx, C, 0, 0, dx, 0.0, 10, dx == 0, None, None, None)


async def post(conn: Connection, r: Range, shots: list[ShotRow], end_no: int | None = None) -> None:
    if end_no is not None:
        shots = [replace(s, end_no=end_no) for s in shots]
    args = repo.insert_args([(r.session_id, r.archer.id)] * len(shots), shots, live_after=True)
    rows = await conn.fetch("SELECT * FROM " + repo.INSERT_FUNCTION, *args)
    assert [row["refused"] for row in rows] == [False] * len(shots)


async def scans(conn: Connection, table: str) -> tuple[int, int]:
    row = await conn.fetchrow(
        "SELECT seq_scan, coalesce(idx_scan, 0) AS idx_scan FROM pg_stat_xact_user_tables "
        "WHERE relname = $1",
        table,
    )
    assert row is not None
    return row["seq_scan"], row["idx_scan"]


async def test_a_post_reads_no_shot_table_sequentially_after_planning_on_a_small_table(
    db: Connection, archer: ArcherCtx, make_archer: MakeArcher, migrated: str
) -> None:
    # No autovacuum meanwhile: its ANALYZE would give the writer a fresh plan mid-test.
    await db.execute("ALTER TABLE shot SET (autovacuum_enabled = off)")
    others = [await make_range(db, await make_archer(f"Other {i}")) for i in range(4)]
    for o in others:  # a small table, analyzed as such: a sequential scan looks cheapest
        await post(db, o, [one(o, float(i)) for i in range(8)])
    await db.execute("ANALYZE shot")
    r = await make_range(db, archer)
    writer = await migrations.connect(migrated)  # a new connection plans the writer afresh
    try:
        await post(writer, r, [one(r)])  # planned now, while the table is small
        for o in others:  # the table grows; its statistics are not refreshed
            await post(db, o, [one(o, float(i % 50)) for i in range(300)])
        cases: list[tuple[str, list[ShotRow], int | None]] = [
            ("one shot", [one(r, 1.0)], None),
            ("an end", [one(r, float(i)) for i in range(6)], None),
            ("a named end", [one(r, 2.0)], 7),
        ]
        for what, shots, end_no in cases:
            async with writer.transaction():
                seq_before, idx_before = await scans(writer, "shot")
                await post(writer, r, shots, end_no)
                seq_after, idx_after = await scans(writer, "shot")
            assert seq_after == seq_before, f"{what}: the shot table was scanned sequentially"
            assert idx_after > idx_before, f"{what}: the shot table was read by an index"
        count = await db.fetchval("SELECT count(*) FROM shot WHERE session_id = $1", r.session_id)
        assert count == 1 + 1 + 6 + 1
        assert await db.fetchval(
            "SELECT array_agg(end_no ORDER BY seq) FROM shot WHERE session_id = $1",
            r.session_id,
        ) == [1, 1, 1, 1, 1, 1, 2, 2, 7]
    finally:
        await writer.close()
        await db.execute("ALTER TABLE shot RESET (autovacuum_enabled)")
