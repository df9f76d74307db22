"""`session_summary`, kept by triggers on `shot`, always equals a recomputation from the shots:
after inserts, updates, deletes, arrow deletion and session deletion, whoever writes."""

from __future__ import annotations

from uuid import UUID

import pytest

from arch_stats.core.database import Connection
from tests.conftest import ArcherCtx
from tests.stats import data
from tests.stats.data import Shot

COLUMNS = "shots, hits, total, x_count, ten_count, impacts, sum_dx, sum_dy, sum_dx2, sum_dy2"
RECOMPUTED = """
SELECT session_id, count(*)::int AS shots, count(*) FILTER (WHERE score > 0)::int AS hits,
       sum(score)::int AS total, count(*) FILTER (WHERE is_x)::int AS x_count,
       count(*) FILTER (WHERE score >= 10)::int AS ten_count, count(dx_mm)::int AS impacts,
       coalesce(sum(dx_mm::numeric), 0) AS sum_dx, coalesce(sum(dy_mm::numeric), 0) AS sum_dy,
       coalesce(sum(dx_mm::numeric ^ 2), 0) AS sum_dx2,
       coalesce(sum(dy_mm::numeric ^ 2), 0) AS sum_dy2
FROM shot GROUP BY session_id"""


async def assert_consistent(db: Connection) -> None:
    kept = await db.fetch(
        f"SELECT session_id, {COLUMNS} FROM session_summary WHERE shots > 0 ORDER BY 1"
    )
    fresh = await db.fetch(f"SELECT * FROM ({RECOMPUTED}) r ORDER BY 1")
    assert [tuple(r) for r in kept] == [tuple(r) for r in fresh]


async def test_summary_follows_every_change(db: Connection, archer: ArcherCtx) -> None:
    a = await data.arrow(db, archer.id, "A")
    sessions: list[UUID] = []
    for _ in range(2):
        s = await data.session(db, archer.id)
        t = await data.target(db, archer.id, s)
        await data.shots(
            db,
            archer.id,
            s,
            t,
            [Shot(0.1, 0.2, 10, True, a), Shot(33.3, -12.7, 9, False), Shot(), Shot(5, 5, 10)],
        )
        sessions.append(s)
    await assert_consistent(db)
    row = await db.fetchrow(
        "SELECT centre_x, sigma_x FROM session_summary WHERE session_id = $1", sessions[0]
    )
    assert row is not None
    assert row["centre_x"] == pytest.approx((0.1 + 33.3 + 5) / 3)

    # Rescore one shot, turn another into a miss, move a third to another arrow.
    await db.execute("UPDATE shot SET score = 8, is_x = false WHERE seq = 1")
    await db.execute(
        "UPDATE shot SET x_mm = NULL, y_mm = NULL, dx_mm = NULL, dy_mm = NULL, face_index = NULL,"
        " spot_index = NULL, score = 0, is_x = false WHERE seq = 2 AND session_id = $1",
        sessions[0],
    )
    await db.execute("UPDATE shot SET arrow_id = $1 WHERE seq = 4", a)
    await assert_consistent(db)

    # Deleting an arrow sets its shots' arrow to NULL (an UPDATE through the foreign key).
    await db.execute("DELETE FROM arrow WHERE id = $1", a)
    await db.execute("DELETE FROM shot WHERE seq = 3")
    await assert_consistent(db)

    # Deleting a session (its shots first: their target is RESTRICTed) drops its summary.
    await db.execute("DELETE FROM shot WHERE session_id = $1", sessions[0])
    await db.execute("DELETE FROM session WHERE id = $1", sessions[0])
    await assert_consistent(db)
    assert await db.fetchval("SELECT count(*) FROM session_summary") == 1

    # All the shots of a session gone: sums back to exactly zero.
    await db.execute("DELETE FROM shot WHERE session_id = $1", sessions[1])
    row = await db.fetchrow(
        "SELECT shots, sum_dx, sum_dx2, centre_x FROM session_summary WHERE session_id = $1",
        sessions[1],
    )
    assert row is not None
    assert (row["shots"], row["sum_dx"], row["sum_dx2"], row["centre_x"]) == (0, 0, 0, None)
