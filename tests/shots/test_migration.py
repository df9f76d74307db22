"""Shots recorded before 202611261400 get their end and place (and their JSON)."""

from __future__ import annotations

import json
from uuid import UUID

from arch_stats.core import migrations
from arch_stats.core.database import Connection

END_PLACE = "202611261400"


async def _before(conn: Connection, version: str) -> None:
    """Migrate up, then down to just before `version`."""
    await migrations.up(conn)
    later = [m for m in migrations.discover() if m.version >= version]
    await migrations.down(conn, steps=len(later))


async def _session(conn: Connection, archer: UUID, per_end: int) -> tuple[UUID, UUID]:
    session: UUID = await conn.fetchval(
        "INSERT INTO session (archer_id, distance_m, arrows_per_end, is_open, end_time) "
        "VALUES ($1, 18, $2, false, now() + interval '1 hour') RETURNING id",
        archer,
        per_end,
    )
    target: UUID = await conn.fetchval(
        "INSERT INTO target (session_id, archer_id, distance_m, view_width_mm, view_height_mm) "
        "VALUES ($1, $2, 18, 400, 400) RETURNING id",
        session,
        archer,
    )
    return session, target


async def test_existing_shots_get_end_and_place_by_seq(scratch: str) -> None:
    conn = await migrations.connect(scratch)
    try:
        await _before(conn, END_PLACE)
        archer = await conn.fetchval(
            "INSERT INTO archer (email, password_hash, name) VALUES ('m@example.org', 'x', 'M') "
            "RETURNING id"
        )
        # A session as the old writer left it: end_no = (seq - 1) / 3 + 1, a gap (seq 2 was
        # deleted), and a shot moved to end 1 by a PATCH, which now holds 4 arrows of 3.
        plain, target = await _session(conn, archer, 3)
        ends = {1: 1, 3: 1, 4: 2, 5: 2, 6: 2, 7: 3, 8: 1}
        for seq, end_no in ends.items():
            await conn.execute(
                "INSERT INTO shot (session_id, archer_id, target_id, seq, end_no, score) "
                "VALUES ($1, $2, $3, $4, $5, 0)",
                plain,
                archer,
                target,
                seq,
                end_no,
            )
        totals = await conn.fetchrow("SELECT * FROM session_summary WHERE session_id = $1", plain)
        await migrations.up(conn)
        rows = await conn.fetch(
            "SELECT seq, end_no, end_place, shot_json(s)::text AS doc FROM shot s "
            "WHERE session_id = $1 ORDER BY seq",
            plain,
        )
        got = {r["seq"]: (r["end_no"], r["end_place"]) for r in rows}
        # End 1: seqs 1, 3, 8 by seq; end 2: 4, 5, 6; end 3: 7. Nothing overflowed here.
        assert got == {1: (1, 1), 3: (1, 2), 4: (2, 1), 5: (2, 2), 6: (2, 3), 7: (3, 1), 8: (1, 3)}
        doc = json.loads(rows[0]["doc"])
        assert (doc["end_no"], doc["end_place"], doc["same_spot_miss"]) == (1, 1, False)
        assert (doc["hit_score"], doc["hit_label"]) == (None, None)
        # Nothing else moved: the summaries are those of before.
        after = await conn.fetchrow("SELECT * FROM session_summary WHERE session_id = $1", plain)
        assert after == totals
    finally:
        await conn.close()


async def test_an_end_holding_more_than_arrows_per_end_overflows_to_new_ends(
    scratch: str,
) -> None:
    conn = await migrations.connect(scratch)
    try:
        await _before(conn, END_PLACE)
        archer = await conn.fetchval(
            "INSERT INTO archer (email, password_hash, name) VALUES ('o@example.org', 'x', 'O') "
            "RETURNING id"
        )
        # arrows_per_end lowered to 2 after 6 arrows were shot in ends of 3 (end 1, 2).
        session, target = await _session(conn, archer, 3)
        for seq in range(1, 7):
            await conn.execute(
                "INSERT INTO shot (session_id, archer_id, target_id, seq, end_no, score) "
                "VALUES ($1, $2, $3, $4, $5, 0)",
                session,
                archer,
                target,
                seq,
                (seq - 1) // 3 + 1,
            )
        await conn.execute("UPDATE session SET arrows_per_end = 2 WHERE id = $1", session)
        await migrations.up(conn)
        rows = await conn.fetch(
            "SELECT seq, end_no, end_place FROM shot WHERE session_id = $1 ORDER BY seq", session
        )
        # Ends 1 and 2 keep their first two; seq 3 and 6 go to a new end 3, in seq order.
        assert [(r["seq"], r["end_no"], r["end_place"]) for r in rows] == [
            (1, 1, 1),
            (2, 1, 2),
            (3, 3, 1),
            (4, 2, 1),
            (5, 2, 2),
            (6, 3, 2),
        ]
    finally:
        await conn.close()


async def test_existing_hits_on_a_triple_face_follow_the_same_spot_rule(scratch: str) -> None:
    conn = await migrations.connect(scratch)
    try:
        await _before(conn, END_PLACE)
        archer = await conn.fetchval(
            "INSERT INTO archer (email, password_hash, name) VALUES ('t@example.org', 'x', 'T') "
            "RETURNING id"
        )
        session, target = await _session(conn, archer, 3)
        await conn.execute(
            "INSERT INTO target_face VALUES ($1, 0, 'wa_40_triple_vertical', 200, 200)", target
        )
        # End 1: a 9 then an 8 on the middle spot, a 10 on the top one. End 2: a 7 alone.
        hits = [(1, 1, 1, 9, 235.0), (2, 1, 0, 10, 200.0), (3, 1, 1, 8, 255.0), (4, 2, 1, 7, 275.0)]
        for seq, end_no, spot, score, x in hits:
            await conn.execute(
                "INSERT INTO shot (session_id, archer_id, target_id, seq, end_no, x_mm, y_mm, "
                "face_index, spot_index, dx_mm, dy_mm, score) "
                "VALUES ($1, $2, $3, $4, $5, $6::float8, 200, 0, $7, $6::float8 - 200, 0, $8)",
                session,
                archer,
                target,
                seq,
                end_no,
                x,
                spot,
                score,
            )
        assert await conn.fetchval("SELECT total FROM session_summary") == 34
        await migrations.up(conn)
        rows = await conn.fetch(
            "SELECT shot_json(s)::text AS doc FROM shot s WHERE session_id = $1 ORDER BY seq",
            session,
        )
        docs = [json.loads(r["doc"]) for r in rows]
        assert [(d["label"], d["same_spot_miss"], d["hit_label"]) for d in docs] == [
            ("M", True, "9"),
            ("10", False, None),
            ("8", False, None),
            ("7", False, None),
        ]
        summary = await conn.fetchrow("SELECT total, hits FROM session_summary")
        assert summary is not None and (summary["total"], summary["hits"]) == (25, 3)
        assert await conn.fetchval("SELECT total_score FROM session") == 25
    finally:
        await conn.close()
