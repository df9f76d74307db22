"""SQL of head-to-head brackets (asyncpg, parameterised; nothing else)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg

from arch_stats.core.database import Executor
from arch_stats.core.errors import Conflict
from arch_stats.targets.repository import TARGET_JSON


async def insert_bracket(
    conn: Executor,
    competition_id: UUID,
    category_key: str,
    *,
    system: str,
    size: int,
    archers: int,
    face_type: str,
    distance_m: float,
) -> UUID:
    try:
        bracket_id: UUID = await conn.fetchval(
            """INSERT INTO bracket (competition_id, category_key, system, size, archers,
                                    face_type, distance_m)
               VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id""",
            competition_id,
            category_key,
            system,
            size,
            archers,
            face_type,
            distance_m,
        )
    except asyncpg.UniqueViolationError:
        raise Conflict("this category has a bracket already: delete it to draw it again") from None
    return bracket_id


async def insert_matches(
    conn: Executor, bracket_id: UUID, places: Sequence[tuple[int, int]]
) -> None:
    await conn.execute(
        """INSERT INTO bracket_match (bracket_id, round_no, position)
           SELECT $1, r, p FROM unnest($2::smallint[], $3::smallint[]) AS t (r, p)""",
        bracket_id,
        [r for r, _ in places],
        [p for _, p in places],
    )


async def set_archer(
    conn: Executor,
    bracket_id: UUID,
    round_no: int,
    position: int,
    side: int,
    entry_id: UUID,
    seed: int,
) -> None:
    await conn.execute(
        """INSERT INTO bracket_match_archer (match_id, side, entry_id, seed)
           SELECT id, $4, $5, $6 FROM bracket_match
           WHERE bracket_id = $1 AND round_no = $2 AND position = $3""",
        bracket_id,
        round_no,
        position,
        side,
        entry_id,
        seed,
    )


async def set_winner(conn: Executor, match_id: UUID, winner: int) -> None:
    await conn.execute(
        "UPDATE bracket_match SET winner = $2, decided_at = now() WHERE id = $1", match_id, winner
    )


async def set_judge(conn: Executor, match_id: UUID, winner: int) -> None:
    await conn.execute("UPDATE bracket_match SET judge_winner = $2 WHERE id = $1", match_id, winner)


async def set_session(conn: Executor, match_id: UUID, side: int, session_id: UUID) -> None:
    await conn.execute(
        "UPDATE bracket_match_archer SET session_id = $3 WHERE match_id = $1 AND side = $2",
        match_id,
        side,
        session_id,
    )


async def brackets(conn: Executor, competition_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT b.*, c.label AS category_label FROM bracket b
           JOIN competition_category c
             ON c.competition_id = b.competition_id AND c.key = b.category_key
           WHERE b.competition_id = $1 ORDER BY c.ord""",
        competition_id,
    )


async def bracket(conn: Executor, bracket_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT b.*, c.label AS category_label FROM bracket b
           JOIN competition_category c
             ON c.competition_id = b.competition_id AND c.key = b.category_key
           WHERE b.id = $1""",
        bracket_id,
    )


async def delete_bracket(conn: Executor, bracket_id: UUID) -> None:
    await conn.execute("DELETE FROM bracket WHERE id = $1", bracket_id)


_MATCH = """
    SELECT m.id, m.bracket_id, m.round_no, m.position, m.winner, m.judge_winner,
           b.competition_id, b.system, b.size, b.face_type, b.distance_m
    FROM bracket_match m JOIN bracket b ON b.id = m.bracket_id
"""


async def match(
    conn: Executor, match_id: UUID, *, for_update: bool = False
) -> asyncpg.Record | None:
    lock = " FOR UPDATE OF m" if for_update else ""
    return await conn.fetchrow(f"{_MATCH} WHERE m.id = $1{lock}", match_id)


async def matches(conn: Executor, bracket_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"{_MATCH} WHERE m.bracket_id = $1 ORDER BY m.round_no < 0, m.round_no, m.position",
        bracket_id,
    )


async def match_at(conn: Executor, bracket_id: UUID, round_no: int, position: int) -> UUID | None:
    found: UUID | None = await conn.fetchval(
        "SELECT id FROM bracket_match WHERE bracket_id = $1 AND round_no = $2 AND position = $3",
        bracket_id,
        round_no,
        position,
    )
    return found


async def sides(conn: Executor, match_ids: Sequence[UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"""SELECT s.match_id, s.side, s.entry_id, s.seed, s.session_id, e.archer_id, a.name,
                  a.is_guest, (SELECT t.id FROM target t WHERE t.session_id = s.session_id
                               ORDER BY t.created_at LIMIT 1) AS target_id,
                  (SELECT {TARGET_JSON} FROM target t WHERE t.session_id = s.session_id
                   ORDER BY t.created_at LIMIT 1) AS target
           FROM bracket_match_archer s
           JOIN competition_entry e ON e.id = s.entry_id
           JOIN archer a ON a.id = e.archer_id
           WHERE s.match_id = ANY($1::uuid[]) ORDER BY s.match_id, s.side""",
        list(match_ids),
    )


async def shots(conn: Executor, session_ids: Sequence[UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT session_id, end_no, score, is_x, dx_mm, dy_mm FROM shot
           WHERE session_id = ANY($1::uuid[]) ORDER BY session_id, end_no, seq""",
        list(session_ids),
    )


async def close_sessions(conn: Executor, session_ids: Sequence[UUID]) -> None:
    await conn.execute(
        """UPDATE session SET is_open = false,
                  end_time = greatest(now(), start_time + interval '1 second')
           WHERE id = ANY($1::uuid[]) AND is_open""",
        list(session_ids),
    )


async def close_open_session(conn: Executor, archer_id: UUID) -> None:
    await conn.execute(
        """UPDATE session SET is_open = false,
                  end_time = greatest(now(), start_time + interval '1 second')
           WHERE archer_id = $1 AND is_open""",
        archer_id,
    )
