"""Shots made by the assembler follow the shots' rules: ends and places, the same-spot rule,
the most shots a session may hold (one writer, shot_insert)."""

from __future__ import annotations

from dataclasses import replace

from arch_stats.assembler.service import Config, assemble_once
from arch_stats.core.database import Connection
from tests.assembler.helpers import C, Range, add_target, insert, make_range, shot_rows
from tests.conftest import MakeArcher


async def placed(db: Connection, r: Range) -> list[tuple[int, int, int, str]]:
    rows = await db.fetch(
        "SELECT seq, end_no, end_place, doc::json ->> 'label' AS label FROM shot "
        "WHERE session_id = $1 ORDER BY seq",
        r.session_id,
    )
    return [(x["seq"], x["end_no"], x["end_place"], x["label"]) for x in rows]


async def test_assembled_shots_take_the_first_free_place_of_the_current_end(
    db: Connection, make_archer: MakeArcher
) -> None:
    r = await make_range(db, (await make_archer()).id, per_end=3)
    for k in range(4):
        await insert(db, r, shot_rows(r, 10 * k))
    await assemble_once(db, Config())
    assert [p[1:3] for p in await placed(db, r)] == [(1, 1), (1, 2), (1, 3), (2, 1)]
    # A shot deleted from the current end: the next assembled shot takes its place.
    await db.execute("DELETE FROM shot WHERE session_id = $1 AND seq = 4", r.session_id)
    await insert(db, r, shot_rows(r, 100))
    await assemble_once(db, Config())
    assert [p[:3] for p in await placed(db, r)] == [(1, 1, 1), (2, 1, 2), (3, 1, 3), (5, 2, 1)]


async def test_assembled_hits_in_one_spot_of_a_triple_face_count_once(
    db: Connection, make_archer: MakeArcher
) -> None:
    archer = (await make_archer()).id
    r = await make_range(db, archer, per_end=3)
    triple = await add_target(db, archer, r.session_id, face="wa_40_triple_vertical")
    # A 9 then an 8 on the middle spot (5.5 mm arrows: zones 20 mm apart from 20 mm).
    for k, dx in enumerate((35.0, 55.0)):
        await insert(db, r, shot_rows(r, 10 * k, xy=(C + dx, C), target_id=triple))
    await assemble_once(db, Config())
    assert [p[3] for p in await placed(db, r)] == ["M", "8"]
    assert await db.fetchval("SELECT total_score FROM session WHERE id = $1", r.session_id) == 8


async def test_shots_beyond_the_sessions_most_are_set_aside(
    db: Connection, make_archer: MakeArcher
) -> None:
    r = await make_range(db, (await make_archer()).id)
    await insert(db, r, shot_rows(r, 0))
    await assemble_once(db, Config())
    for k in range(1, 3):
        await insert(db, r, shot_rows(r, 10 * k))
    result = await assemble_once(db, replace(Config(), max_shots=2))
    assert (result.shots, result.strays) == (0, 8)
    outcomes = await db.fetch(
        "SELECT DISTINCT outcome FROM sensor_event WHERE shot_id IS NULL AND session_id = $1",
        r.session_id,
    )
    assert [o["outcome"] for o in outcomes] == [
        f"refused: session {r.session_id} holds 1 shots, at most 2 (SESSION_MAX_SHOTS): "
        "2 more do not fit"
    ]
    assert await db.fetchval("SELECT count(*) FROM shot") == 1
