"""SQL of leagues (asyncpg, parameterised; nothing else)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

import asyncpg

from arch_stats.core.database import Executor
from arch_stats.core.errors import InvalidInput


async def insert(
    conn: Executor, club_id: UUID, name: str, basis: str, best_of: int, competitions: Sequence[UUID]
) -> UUID:
    league_id: UUID = await conn.fetchval(
        "INSERT INTO league (club_id, name, basis, best_of) VALUES ($1, $2, $3, $4) RETURNING id",
        club_id,
        name,
        basis,
        best_of,
    )
    try:
        await conn.execute(
            """INSERT INTO league_competition (league_id, competition_id, club_id)
               SELECT $1, c, $2 FROM unnest($3::uuid[]) AS c ON CONFLICT DO NOTHING""",
            league_id,
            club_id,
            list(competitions),
        )
    except asyncpg.ForeignKeyViolationError:
        raise InvalidInput("competition_ids: a competition of another club, or none") from None
    return league_id


async def get(conn: Executor, league_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT l.*, c.name AS club_name FROM league l JOIN club c ON c.id = l.club_id
           WHERE l.id = $1""",
        league_id,
    )


async def by_link(conn: Executor, token_hash: bytes) -> UUID | None:
    found: UUID | None = await conn.fetchval(
        "SELECT id FROM league WHERE public_token_hash = $1", token_hash
    )
    return found


async def set_link(conn: Executor, league_id: UUID, token_hash: bytes | None) -> None:
    await conn.execute(
        "UPDATE league SET public_token_hash = $2 WHERE id = $1", league_id, token_hash
    )


async def competitions(conn: Executor, league_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT c.id, c.club_id, c.name, c.starts_on, c.round_code, c.custom_round_id
           FROM league_competition lc JOIN competition c ON c.id = lc.competition_id
           WHERE lc.league_id = $1 ORDER BY c.starts_on, c.name""",
        league_id,
    )


async def scores(conn: Executor, competition_ids: Sequence[UUID]) -> list[asyncpg.Record]:
    """Each entry's score (its session's total), entries who shot only."""
    return await conn.fetch(
        """SELECT e.competition_id, e.archer_id, a.name, a.is_guest, s.total_score
           FROM competition_entry e
           JOIN archer a ON a.id = e.archer_id
           JOIN session s ON s.id = e.session_id
           WHERE e.competition_id = ANY($1::uuid[]) AND s.shot_count > 0""",
        list(competition_ids),
    )


async def complete_rounds(
    conn: Executor, archer_ids: Sequence[UUID], before: date
) -> list[asyncpg.Record]:
    """The archers' complete standard rounds started before a day, oldest first."""
    return await conn.fetch(
        """SELECT archer_id, round_code, total_score FROM session
           WHERE archer_id = ANY($1::uuid[]) AND round_code IS NOT NULL
             AND round_arrows IS NOT NULL AND shot_count >= round_arrows
             AND start_time < $2::date
           ORDER BY archer_id, start_time""",
        list(archer_ids),
        before,
    )
