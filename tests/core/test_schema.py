"""The schema's foreign keys: what a shot may name, and what goes when its owner goes."""

from __future__ import annotations

from uuid import UUID

import asyncpg
import pytest

from arch_stats.core.database import Connection


async def _archer(db: Connection, name: str) -> UUID:
    archer_id: UUID = await db.fetchval(
        "INSERT INTO archer (email, password_hash, name) VALUES ($1, 'x', $2) RETURNING id",
        f"{name}@example.org",
        name,
    )
    return archer_id


async def _session_with_target(db: Connection, archer_id: UUID) -> tuple[UUID, UUID]:
    session_id: UUID = await db.fetchval(
        "INSERT INTO session (archer_id, distance_m) VALUES ($1, 18) RETURNING id", archer_id
    )
    target_id: UUID = await db.fetchval(
        "INSERT INTO target (session_id, archer_id, distance_m, view_width_mm, view_height_mm) "
        "VALUES ($1, $2, 18, 400, 400) RETURNING id",
        session_id,
        archer_id,
    )
    return session_id, target_id


async def _shot(db: Connection, session_id: UUID, archer_id: UUID, target_id: UUID) -> None:
    await db.execute(
        "INSERT INTO shot (session_id, archer_id, target_id, seq, end_no, score) "
        "VALUES ($1, $2, $3, 1, 1, 0)",
        session_id,
        archer_id,
        target_id,
    )


async def test_a_shot_belongs_to_its_sessions_archer(db: Connection) -> None:
    mine, theirs = await _archer(db, "mine"), await _archer(db, "theirs")
    session_id, target_id = await _session_with_target(db, mine)
    with pytest.raises(asyncpg.ForeignKeyViolationError, match="shot_session_archer_fkey"):
        await _shot(db, session_id, theirs, target_id)
    await _shot(db, session_id, mine, target_id)
    assert await db.fetchval("SELECT count(*) FROM shot") == 1


async def test_deleting_an_archer_deletes_their_sessions_and_shots(db: Connection) -> None:
    gone, kept = await _archer(db, "gone"), await _archer(db, "kept")
    for archer_id in (gone, kept):
        session_id, target_id = await _session_with_target(db, archer_id)
        await _shot(db, session_id, archer_id, target_id)
    await db.execute("DELETE FROM archer WHERE id = $1", gone)
    owners = await db.fetch(
        "SELECT DISTINCT archer_id FROM shot UNION ALL SELECT DISTINCT archer_id FROM session "
        "UNION ALL SELECT DISTINCT archer_id FROM target"
    )
    assert [r["archer_id"] for r in owners] == [kept, kept, kept]


async def test_a_target_with_shots_cannot_be_deleted_but_its_session_can(db: Connection) -> None:
    archer_id = await _archer(db, "a")
    session_id, target_id = await _session_with_target(db, archer_id)
    await _shot(db, session_id, archer_id, target_id)
    with pytest.raises(asyncpg.RestrictViolationError, match="shot_target_id_fkey"):
        await db.execute("DELETE FROM target WHERE id = $1", target_id)
    await db.execute("DELETE FROM session WHERE id = $1", session_id)
    assert await db.fetchval("SELECT count(*) FROM shot") == 0
    assert await db.fetchval("SELECT count(*) FROM target") == 0


# --- a shot's end and place (202611261400) ------------------------------------------------


async def _placed(
    db: Connection, session_id: UUID, archer_id: UUID, target_id: UUID, seq: int, place: int
) -> None:
    await db.execute(
        "INSERT INTO shot (session_id, archer_id, target_id, seq, end_no, end_place, score) "
        "VALUES ($1, $2, $3, $4, 1, $5, 0)",
        session_id,
        archer_id,
        target_id,
        seq,
        place,
    )


async def test_one_arrow_per_place_of_an_end(db: Connection) -> None:
    archer_id = await _archer(db, "a")
    session_id, target_id = await _session_with_target(db, archer_id)
    await _placed(db, session_id, archer_id, target_id, 1, 1)
    with pytest.raises(asyncpg.UniqueViolationError, match="shot_session_end_place_key"):
        await _placed(db, session_id, archer_id, target_id, 2, 1)
    with pytest.raises(asyncpg.CheckViolationError, match="shot_end_place_check"):
        await _placed(db, session_id, archer_id, target_id, 2, 0)


async def test_a_place_lies_within_the_sessions_arrows_per_end(db: Connection) -> None:
    archer_id = await _archer(db, "a")
    session_id, target_id = await _session_with_target(db, archer_id)  # 6 arrows per end
    with pytest.raises(asyncpg.CheckViolationError) as caught:
        await _placed(db, session_id, archer_id, target_id, 1, 7)
    assert caught.value.constraint_name == "shot_end_place_within_end"
    await _placed(db, session_id, archer_id, target_id, 1, 6)
    with pytest.raises(asyncpg.CheckViolationError, match="place 8 of end 1"):
        await db.execute("UPDATE shot SET end_place = 8")
    with pytest.raises(asyncpg.CheckViolationError, match="arrow in place 6"):
        await db.execute("UPDATE session SET arrows_per_end = 5")
    await db.execute("UPDATE session SET arrows_per_end = 7")
    await db.execute("UPDATE shot SET end_place = 7")
    assert await db.fetchval("SELECT end_place FROM shot") == 7


async def test_same_spot_columns_agree_with_the_score(db: Connection) -> None:
    archer_id = await _archer(db, "a")
    session_id, target_id = await _session_with_target(db, archer_id)
    insert = (
        "INSERT INTO shot (session_id, archer_id, target_id, seq, end_no, end_place, x_mm, "
        "y_mm, face_index, spot_index, dx_mm, dy_mm, score, is_x, spot_score, spot_is_x, "
        "same_spot_miss) "
        "VALUES ($1, $2, $3, $4::int, 1, $4::int2, 1, 1, 0, 0, 0, 0, $5, $6, $7, $8, $9)"
    )
    ok = [(9, False, 9, False, False), (0, False, 10, True, True), (7, False, None, None, False)]
    for seq, (score, is_x, spot, spot_x, miss) in enumerate(ok, start=1):
        await db.execute(
            insert, session_id, archer_id, target_id, seq, score, is_x, spot, spot_x, miss
        )
    bad = [
        (8, False, 9, False, False),  # counted, but not the value hit
        (9, False, 9, False, True),  # a same-spot miss that counts
        (0, False, None, None, True),  # a same-spot miss with no hit
        (9, False, 9, None, False),  # half the hit
    ]
    for score, is_x, spot, spot_x, miss in bad:
        with pytest.raises(asyncpg.CheckViolationError):
            await db.execute(
                insert, session_id, archer_id, target_id, 4, score, is_x, spot, spot_x, miss
            )


async def test_a_writer_naming_no_place_gets_the_first_free_one(db: Connection) -> None:
    archer_id = await _archer(db, "a")
    session_id, target_id = await _session_with_target(db, archer_id)
    await db.execute("UPDATE session SET arrows_per_end = 3")
    await _placed(db, session_id, archer_id, target_id, 1, 2)
    await db.execute(
        "INSERT INTO shot (session_id, archer_id, target_id, seq, end_no, score) "
        "SELECT $1, $2, $3, s, 1, 0 FROM generate_series(2, 3) AS s ORDER BY s",
        session_id,
        archer_id,
        target_id,
    )
    rows = await db.fetch("SELECT seq, end_place FROM shot ORDER BY seq")
    assert [(r["seq"], r["end_place"]) for r in rows] == [(1, 2), (2, 1), (3, 3)]
    with pytest.raises(asyncpg.CheckViolationError, match="end 1 already has 3 of 3 arrows"):
        await _shot_seq(db, session_id, archer_id, target_id, 4)


async def _shot_seq(
    db: Connection, session_id: UUID, archer_id: UUID, target_id: UUID, seq: int
) -> None:
    await db.execute(
        "INSERT INTO shot (session_id, archer_id, target_id, seq, end_no, score) "
        "VALUES ($1, $2, $3, $4, 1, 0)",
        session_id,
        archer_id,
        target_id,
        seq,
    )
