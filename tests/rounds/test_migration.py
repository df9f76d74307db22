"""Rows stored before 202612071000 (rounds followed, entry by value): each shot says how it was
entered (a shot assembled from the sensors 'sensor', any other 'plot'), and the stored JSON of
shots and sessions has the new members as the definitions now write them."""

from __future__ import annotations

import json

from arch_stats.core import migrations

ROUNDS = "202612071000"


async def test_existing_shots_and_sessions_get_how_they_were_entered_and_their_json(
    scratch: str,
) -> None:
    conn = await migrations.connect(scratch)
    try:
        await migrations.up(conn)
        later = [m for m in migrations.discover() if m.version >= ROUNDS]
        await migrations.down(conn, steps=len(later))
        archer = await conn.fetchval(
            "INSERT INTO archer (email, password_hash, name) VALUES ('m@example.org', 'x', 'M') "
            "RETURNING id"
        )
        session = await conn.fetchval(
            "INSERT INTO session (archer_id, distance_m, round_code) VALUES ($1, 70, 'wa720_70') "
            "RETURNING id",
            archer,
        )
        target = await conn.fetchval(
            "INSERT INTO target (session_id, archer_id, distance_m, view_width_mm, "
            "view_height_mm) VALUES ($1, $2, 70, 1300, 1300) RETURNING id",
            session,
            archer,
        )
        release = await conn.fetchval(
            "INSERT INTO sensor_event (session_id, archer_id, device, kind, sensor_ts) "
            "VALUES ($1, $2, 'bow', 'arrow_released', now()) RETURNING id",
            session,
            archer,
        )
        for seq, event in ((1, None), (2, release)):
            await conn.execute(
                "INSERT INTO shot (session_id, archer_id, target_id, seq, end_no, end_place, "
                "score, release_event_id) VALUES ($1, $2, $3, $4, 1, $6, 0, $5)",
                session,
                archer,
                target,
                seq,
                event,
                seq,
            )
        await migrations.up(conn)
        rows = await conn.fetch(
            "SELECT entered_by, doc::text AS doc, shot_json(s)::text AS again FROM shot s "
            "ORDER BY seq"
        )
        assert [r["entered_by"] for r in rows] == ["plot", "sensor"]
        for r in rows:
            doc = json.loads(r["doc"])
            assert doc["entered_by"] == r["entered_by"] and doc["is_miss"] is True
        # The JSON stored is what the definition makes of the row (as a write would store it).
        fresh = await conn.fetchval("SELECT to_json(shot_row(s))::text FROM shot s WHERE seq = 1")
        assert rows[0]["doc"] == fresh
        doc = await conn.fetchval("SELECT doc::text FROM session WHERE id = $1", session)
        stored = json.loads(doc)
        assert (stored["round_code"], stored["round"], stored["progress"]) == (
            "wa720_70",
            None,
            None,
        )
        await conn.execute("UPDATE session SET notes = 'x' WHERE id = $1", session)
        rebuilt = await conn.fetchval("SELECT doc::text FROM session WHERE id = $1", session)
        assert (
            rebuilt.replace('"notes" : "x"', '"notes" : ""').split('"updated_at"')[0]
            == (doc.split('"updated_at"')[0])
        )
    finally:
        await conn.close()
