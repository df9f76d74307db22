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
