"""All SQL of custom rounds.

A round is the archer's (`archer_id`) or a club's (`club_id`): an archer sees their own and
those of every club they are in, and changes their own and those of the clubs they own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg

from arch_stats.core.database import Executor

# The rounds the viewer ($1) may shoot: their own, and their clubs'; `can_edit`: their own,
# and those of the clubs they own.
_VISIBLE = """
SELECT r.id, r.name, r.location, r.arrows_per_end, r.compound_scoring, r.archer_id, r.club_id,
       c.name AS club_name, r.created_at, r.updated_at,
       r.archer_id = $1 OR m.role = 'owner' AS can_edit,
       (SELECT coalesce(array_agg(ROW(p.n_arrows, p.distance, p.distance_unit, p.face_type)
                                  ORDER BY p.pass_no), '{}')
        FROM custom_round_pass p WHERE p.round_id = r.id) AS passes
FROM custom_round r
LEFT JOIN club c ON c.id = r.club_id
LEFT JOIN club_member m ON m.club_id = r.club_id AND m.archer_id = $1
WHERE (r.archer_id = $1 OR m.archer_id IS NOT NULL)
"""


async def visible(conn: Executor, viewer: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        _VISIBLE + " ORDER BY r.club_id NULLS FIRST, lower(r.name), r.id", viewer
    )


async def get(conn: Executor, viewer: UUID, round_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(_VISIBLE + " AND r.id = $2", viewer, round_id)


async def club_role(conn: Executor, viewer: UUID, club_id: UUID) -> str | None:
    role: str | None = await conn.fetchval(
        "SELECT role FROM club_member WHERE club_id = $1 AND archer_id = $2", club_id, viewer
    )
    return role


async def insert(
    conn: Executor,
    *,
    archer_id: UUID | None,
    club_id: UUID | None,
    fields: dict[str, Any],
    passes: Sequence[tuple[int, float, str, str]],
) -> UUID:
    round_id: UUID = await conn.fetchval(
        """INSERT INTO custom_round (archer_id, club_id, name, location, arrows_per_end,
                                     compound_scoring)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING id""",
        archer_id,
        club_id,
        fields["name"],
        fields["location"],
        fields["arrows_per_end"],
        fields["compound_scoring"],
    )
    await _insert_passes(conn, round_id, passes)
    return round_id


async def _insert_passes(
    conn: Executor, round_id: UUID, passes: Sequence[tuple[int, float, str, str]]
) -> None:
    await conn.execute(
        """INSERT INTO custom_round_pass (round_id, pass_no, n_arrows, distance, distance_unit,
                                          face_type)
           SELECT $1, u.o, u.n, u.d, u.unit, u.face
           FROM unnest($2::int2[], $3::float8[], $4::text[], $5::text[])
                WITH ORDINALITY AS u(n, d, unit, face, o)""",
        round_id,
        *[list(c) for c in zip(*passes, strict=True)],
    )


async def update(
    conn: Executor,
    round_id: UUID,
    fields: dict[str, Any],
    passes: Sequence[tuple[int, float, str, str]] | None,
) -> None:
    columns = [c for c in ("name", "location", "arrows_per_end", "compound_scoring") if c in fields]
    sets = [f"{c} = ${i}" for i, c in enumerate(columns, start=2)]
    await conn.execute(
        f"UPDATE custom_round SET {', '.join([*sets, 'updated_at = now()'])} WHERE id = $1",
        round_id,
        *(fields[c] for c in columns),
    )
    if passes is not None:
        await conn.execute("DELETE FROM custom_round_pass WHERE round_id = $1", round_id)
        await _insert_passes(conn, round_id, passes)


async def delete(conn: Executor, round_id: UUID) -> None:
    await conn.execute("DELETE FROM custom_round WHERE id = $1", round_id)
