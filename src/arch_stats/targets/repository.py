"""All SQL of the targets domain.

`TARGET_JSON` is the one JSON shape of a target (its faces included, and whether it has
shots); it reads the row through the alias `t`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg

from arch_stats.core.database import Connection, Executor
from arch_stats.core.errors import Conflict

TARGET_FIELDS = """'id', t.id, 'session_id', t.session_id, 'lane', t.lane,
    'distance_m', t.distance_m, 'view_width_mm', t.view_width_mm,
    'view_height_mm', t.view_height_mm, 'compound_scoring', t.compound_scoring,
    'first_end', t.first_end, 'last_end', t.last_end,
    'created_at', t.created_at, 'updated_at', t.updated_at"""

FACE_JSON = """json_build_object('face_index', f.face_index, 'face_type', f.face_type,
    'center_x_mm', f.center_x_mm, 'center_y_mm', f.center_y_mm)"""

TARGET_JSON = f"""json_build_object({TARGET_FIELDS},
    'faces', (SELECT coalesce(json_agg({FACE_JSON} ORDER BY f.face_index), '[]')
              FROM target_face f WHERE f.target_id = t.id),
    'has_shots', EXISTS (SELECT FROM shot sh WHERE sh.target_id = t.id))"""

# Columns that `update` may set (the body's field names).
PATCH_COLUMNS = ("lane", "distance_m", "view_width_mm", "view_height_mm", "compound_scoring")

FaceRow = tuple[str, float, float]  # face_type, center_x_mm, center_y_mm


def _face_arrays(faces: Sequence[FaceRow]) -> tuple[list[str], list[float], list[float]]:
    return [f[0] for f in faces], [f[1] for f in faces], [f[2] for f in faces]


async def insert(
    conn: Executor,
    session_id: UUID,
    archer_id: UUID,
    *,
    lane: int | None,
    distance_m: float | None,
    view_width_mm: float,
    view_height_mm: float,
    compound_scoring: bool | None,
    faces: Sequence[FaceRow],
    ends: tuple[int, int] | None = None,
) -> str | None:
    """Insert the target and its faces in one statement; None when the session is not the
    archer's. `distance_m` defaults to the session's, `compound_scoring` to the archer's
    bowstyle being compound; `ends`: the first and last end of a round shot at it."""
    json: str | None = await conn.fetchval(
        f"""WITH owner AS (
                SELECT s.id, s.archer_id, s.distance_m, a.bowstyle = 'compound' AS compound
                FROM session s JOIN archer a ON a.id = s.archer_id
                WHERE s.id = $1 AND s.archer_id = $2
            ), t AS (
                INSERT INTO target (session_id, archer_id, lane, distance_m, view_width_mm,
                                    view_height_mm, compound_scoring, first_end, last_end)
                SELECT o.id, o.archer_id, $3, coalesce($4, o.distance_m), $5, $6,
                       coalesce($7, o.compound), $11, $12
                FROM owner o
                RETURNING *
            ), f AS (
                INSERT INTO target_face (target_id, face_index, face_type, center_x_mm,
                                         center_y_mm)
                SELECT t.id, u.ord - 1, u.face_type, u.x, u.y
                FROM t, unnest($8::text[], $9::float8[], $10::float8[])
                        WITH ORDINALITY AS u(face_type, x, y, ord)
                RETURNING *
            )
            SELECT json_build_object({TARGET_FIELDS},
                'faces', (SELECT json_agg({FACE_JSON} ORDER BY f.face_index) FROM f),
                'has_shots', false)
            FROM t""",
        session_id,
        archer_id,
        lane,
        distance_m,
        view_width_mm,
        view_height_mm,
        compound_scoring,
        *_face_arrays(faces),
        *(ends or (None, None)),
    )
    return json


async def list_json(conn: Executor, session_id: UUID, archer_id: UUID) -> str | None:
    """The session's targets in the order they were added; None when the session is not
    the archer's."""
    json: str | None = await conn.fetchval(
        f"""SELECT (SELECT coalesce(json_agg({TARGET_JSON} ORDER BY t.created_at, t.id), '[]')
                    FROM target t WHERE t.session_id = s.id)
            FROM session s WHERE s.id = $1 AND s.archer_id = $2""",
        session_id,
        archer_id,
    )
    return json


async def get_json(conn: Executor, target_id: UUID, archer_id: UUID) -> str | None:
    json: str | None = await conn.fetchval(
        f"SELECT {TARGET_JSON} FROM target t WHERE t.id = $1 AND t.archer_id = $2",
        target_id,
        archer_id,
    )
    return json


async def lock(conn: Connection, target_id: UUID, archer_id: UUID) -> asyncpg.Record | None:
    """Lock the target and read what its scores depend on, with its shot count.

    The lock conflicts with the key-share lock a shot insert takes on its target, so shots
    cannot arrive between this check and the change.
    """
    return await conn.fetchrow(
        """SELECT t.view_width_mm, t.view_height_mm, t.compound_scoring, t.distance_m,
                  t.first_end, t.last_end,
                  (SELECT count(*) FROM shot sh WHERE sh.target_id = t.id) AS shot_count,
                  ARRAY(SELECT f.face_type FROM target_face f
                        WHERE f.target_id = t.id ORDER BY f.face_index) AS face_types,
                  ARRAY(SELECT f.center_x_mm FROM target_face f
                        WHERE f.target_id = t.id ORDER BY f.face_index) AS xs,
                  ARRAY(SELECT f.center_y_mm FROM target_face f
                        WHERE f.target_id = t.id ORDER BY f.face_index) AS ys
           FROM target t WHERE t.id = $1 AND t.archer_id = $2
           FOR UPDATE OF t""",
        target_id,
        archer_id,
    )


async def update(
    conn: Executor,
    target_id: UUID,
    changes: dict[str, Any],
    faces: Sequence[FaceRow] | None,
) -> str:
    """Apply `changes` and, when given, replace the faces of a target locked by `lock`."""
    columns = [c for c in PATCH_COLUMNS if c in changes]
    sets = [f"{c} = ${i}" for i, c in enumerate(columns, start=2)]
    sets.append("updated_at = now()")
    await conn.execute(
        f"UPDATE target SET {', '.join(sets)} WHERE id = $1",
        target_id,
        *(changes[c] for c in columns),
    )
    if faces is not None:
        await conn.execute("DELETE FROM target_face WHERE target_id = $1", target_id)
        await conn.execute(
            """INSERT INTO target_face (target_id, face_index, face_type, center_x_mm,
                                        center_y_mm)
               SELECT $1, u.ord - 1, u.face_type, u.x, u.y
               FROM unnest($2::text[], $3::float8[], $4::float8[])
                    WITH ORDINALITY AS u(face_type, x, y, ord)""",
            target_id,
            *_face_arrays(faces),
        )
    json: str = await conn.fetchval(
        f"SELECT {TARGET_JSON} FROM target t WHERE t.id = $1", target_id
    )
    return json


async def delete(conn: Executor, target_id: UUID) -> str:
    """Delete a target locked by `lock` (its faces go with it)."""
    try:
        json: str = await conn.fetchval(
            f"DELETE FROM target AS t WHERE t.id = $1 RETURNING {TARGET_JSON}", target_id
        )
    except asyncpg.ForeignKeyViolationError:  # shots arrived anyway: the FK is RESTRICT
        raise Conflict("target has shots: delete its shots first") from None
    return json
