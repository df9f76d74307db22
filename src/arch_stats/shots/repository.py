"""All SQL of the shots domain."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg
import orjson

from arch_stats.core.database import Connection, Executor
from arch_stats.core.logging import request_id_var
from arch_stats.faces.scoring import PlacedFace

# The one JSON shape of a shot is a SQL function (migration 202611221000__live), shared with
# the live notifications so that the REST API and the WebSocket can never disagree. It is
# built once per write and kept in the row (`doc`, 202611221530): `shot_json(s)` reads it,
# lists join it as text.
SHOT_JSON = "shot_json(s)"

# Each writing statement records the request id in the transaction (set_config(..., true)) so that
# the NOTIFY trigger can put it in the live frame: a client sees which request made a change.
REQUEST_ID = "(SELECT set_config('arch_stats.request_id', coalesce({}::text, ''), true)) AS rid"


@dataclass(frozen=True, slots=True)
class TargetInfo:
    id: UUID
    session_id: UUID
    session_open: bool
    view_width_mm: float
    view_height_mm: float
    compound: bool
    faces: tuple[PlacedFace, ...]
    # The target row's version (xmin) when read: inserts can insist it has not changed since.
    version: str = ""


@dataclass(frozen=True, slots=True)
class ShotRow:
    """A scored shot ready for INSERT (arrays are built from a list of these)."""

    target_id: UUID
    arrow_id: UUID | None
    x_mm: float | None
    y_mm: float | None
    face_index: int | None
    spot_index: int | None
    dx_mm: float | None
    dy_mm: float | None
    score: int
    is_x: bool
    engaged_at: datetime | None
    released_at: datetime | None
    landed_at: datetime | None
    # The sensor event the shot was assembled from (its release); None for shots by hand.
    release_event_id: int | None = None


async def targets(
    conn: Executor, target_ids: Sequence[UUID], archer_id: UUID
) -> dict[UUID, TargetInfo]:
    rows = await conn.fetch(
        """SELECT t.id, t.session_id, s.is_open, t.view_width_mm, t.view_height_mm,
                  t.compound_scoring, t.xmin::text AS version,
                  array_agg(f.face_type ORDER BY f.face_index) AS face_types,
                  array_agg(f.center_x_mm ORDER BY f.face_index) AS xs,
                  array_agg(f.center_y_mm ORDER BY f.face_index) AS ys
           FROM target t
           JOIN session s ON s.id = t.session_id
           JOIN target_face f ON f.target_id = t.id
           WHERE t.id = ANY($1::uuid[]) AND t.archer_id = $2
           GROUP BY t.id, s.id""",
        list(target_ids),
        archer_id,
    )
    return {
        r["id"]: TargetInfo(
            id=r["id"],
            session_id=r["session_id"],
            session_open=r["is_open"],
            view_width_mm=r["view_width_mm"],
            view_height_mm=r["view_height_mm"],
            compound=r["compound_scoring"],
            faces=tuple(
                PlacedFace(t, x, y)
                for t, x, y in zip(r["face_types"], r["xs"], r["ys"], strict=True)
            ),
            version=r["version"],
        )
        for r in rows
    }


async def arrows(
    conn: Executor, arrow_ids: Sequence[UUID], archer_id: UUID
) -> dict[UUID, asyncpg.Record]:
    rows = await conn.fetch(
        "SELECT id, identifier, diameter_mm, is_active FROM arrow "
        "WHERE id = ANY($1::uuid[]) AND archer_id = $2",
        list(arrow_ids),
        archer_id,
    )
    return {r["id"]: r for r in rows}


async def insert_shots(
    conn: Executor,
    *,
    session_id: UUID,
    archer_id: UUID,
    shots: Sequence[ShotRow],
    targets: Collection[tuple[UUID, str]] = (),
) -> str | None:
    """Insert `shots` at the end of an open session, numbering them atomically.

    The UPDATE of `session.last_seq` locks the session row, so concurrent posts to one session
    get consecutive, unique sequence numbers. Returns the JSON list, or None when the session
    is not (or no longer) open, or one of `targets` (id, version) is not at that version any
    more (or not of this session and archer): then nothing is written.
    """
    parts = await insert_shot_groups(
        conn,
        session_id=session_id,
        archer_id=archer_id,
        groups=[(shots, request_id_var.get())],
        targets=targets,
    )
    return None if parts is None else parts[0]


async def insert_shot_groups(
    conn: Executor,
    *,
    session_id: UUID,
    archer_id: UUID,
    groups: Sequence[tuple[Sequence[ShotRow], str | None]],
    targets: Collection[tuple[UUID, str]] = (),
) -> list[str] | None:
    """Several requests' shots, `(shots, request id)` each, in ONE statement, in that order.

    Returns each group's JSON list, or None when the session is not (or no longer) open (then
    nothing was written). The live notification of each shot carries its own group's request
    id (`arch_stats.request_ids`, one per shot in seq order, read by shot_notify_statement).
    """
    shots = [shot for rows, _ in groups for shot in rows]
    request_ids = [rid for rows, rid in groups for _ in rows]
    single = len(groups) == 1
    rows: list[str] | None = await conn.fetchval(
        f"""WITH seqs AS (
                UPDATE session SET last_seq = last_seq + $3, updated_at = now()
                WHERE id = $1 AND archer_id = $2 AND is_open
                  AND NOT EXISTS (
                      SELECT FROM unnest($20::uuid[], $21::text[]) AS c(id, version)
                      LEFT JOIN target t ON t.id = c.id AND t.session_id = $1
                                        AND t.archer_id = $2
                      WHERE t.xmin::text IS DISTINCT FROM c.version)
                RETURNING last_seq - $3 AS base, arrows_per_end
            ), s AS (
                INSERT INTO shot (session_id, archer_id, target_id, arrow_id, seq, end_no,
                                  x_mm, y_mm, face_index, spot_index, dx_mm, dy_mm, score, is_x,
                                  engaged_at, released_at, landed_at, release_event_id)
                SELECT $1, $2, u.target_id, u.arrow_id, seqs.base + u.ord,
                       (seqs.base + u.ord - 1) / seqs.arrows_per_end + 1,
                       u.x_mm, u.y_mm, u.face_index, u.spot_index, u.dx_mm, u.dy_mm,
                       u.score, u.is_x, u.engaged_at, u.released_at, u.landed_at,
                       u.release_event_id
                FROM seqs, {REQUEST_ID.format("$17")},
                     (SELECT set_config('arch_stats.request_ids', coalesce($19::text, ''), true))
                         AS rids,
                     unnest($4::uuid[], $5::uuid[], $6::float8[], $7::float8[],
                                  $8::int2[], $9::int2[], $10::float8[], $11::float8[],
                                  $12::int2[], $13::bool[], $14::timestamptz[],
                                  $15::timestamptz[], $16::timestamptz[], $18::int8[])
                     WITH ORDINALITY AS u(target_id, arrow_id, x_mm, y_mm, face_index,
                                          spot_index, dx_mm, dy_mm, score, is_x, engaged_at,
                                          released_at, landed_at, release_event_id, ord)
                RETURNING doc, seq
            )
            SELECT array_agg(s.doc::text ORDER BY s.seq) FROM s""",
        session_id,
        archer_id,
        len(shots),
        [s.target_id for s in shots],
        [s.arrow_id for s in shots],
        [s.x_mm for s in shots],
        [s.y_mm for s in shots],
        [s.face_index for s in shots],
        [s.spot_index for s in shots],
        [s.dx_mm for s in shots],
        [s.dy_mm for s in shots],
        [s.score for s in shots],
        [s.is_x for s in shots],
        [s.engaged_at for s in shots],
        [s.released_at for s in shots],
        [s.landed_at for s in shots],
        groups[0][1] if single else None,
        [s.release_event_id for s in shots],
        None if single else orjson.dumps(request_ids).decode(),
        [target_id for target_id, _ in targets],
        [version for _, version in targets],
    )
    if rows is None:
        return None
    parts = []
    start = 0
    for group, _ in groups:
        parts.append("[" + ",".join(rows[start : start + len(group)]) + "]")
        start += len(group)
    return parts


async def list_json(conn: Executor, *, session_id: UUID, archer_id: UUID, after: int) -> str | None:
    """The session's shots in order, or None when the session is not the archer's."""
    json: str | None = await conn.fetchval(
        """SELECT CASE WHEN EXISTS (SELECT 1 FROM session WHERE id = $1 AND archer_id = $2)
                   THEN (SELECT '[' || coalesce(string_agg(s.doc::text, ',' ORDER BY s.seq),
                                                '') || ']'
                         FROM shot s WHERE s.session_id = $1 AND s.seq > $3)
                   END""",
        session_id,
        archer_id,
        after,
    )
    return json


async def get_json(conn: Executor, shot_id: UUID, archer_id: UUID) -> str | None:
    json: str | None = await conn.fetchval(
        f"SELECT {SHOT_JSON} FROM shot s WHERE s.id = $1 AND s.archer_id = $2", shot_id, archer_id
    )
    return json


async def for_update(conn: Connection, shot_id: UUID, archer_id: UUID) -> asyncpg.Record | None:
    """The shot with what rescoring needs, its session row locked."""
    return await conn.fetchrow(
        """SELECT s.id, s.target_id, s.arrow_id, s.x_mm, s.y_mm, se.is_open
           FROM shot s JOIN session se ON se.id = s.session_id
           WHERE s.id = $1 AND s.archer_id = $2
           FOR UPDATE OF s, se""",
        shot_id,
        archer_id,
    )


async def update(conn: Executor, shot_id: UUID, row: ShotRow, end_no: int | None) -> str:
    json: str = await conn.fetchval(
        f"""UPDATE shot AS s SET arrow_id = $2, x_mm = $3, y_mm = $4, face_index = $5,
                   spot_index = $6, dx_mm = $7, dy_mm = $8, score = $9, is_x = $10,
                   end_no = coalesce($11, end_no),
                   landed_at = CASE WHEN $3::float8 IS NULL THEN NULL ELSE landed_at END,
                   updated_at = now()
            FROM {REQUEST_ID.format("$12")}
            WHERE s.id = $1 RETURNING {SHOT_JSON}""",
        shot_id,
        row.arrow_id,
        row.x_mm,
        row.y_mm,
        row.face_index,
        row.spot_index,
        row.dx_mm,
        row.dy_mm,
        row.score,
        row.is_x,
        end_no,
        request_id_var.get(),
    )
    return json


async def delete(conn: Executor, shot_id: UUID, archer_id: UUID) -> str | None:
    """Delete an open session's shot; returns its JSON, None if not found, '' if closed."""
    json: str | None = await conn.fetchval(
        f"""WITH target AS (
                SELECT s.id, se.is_open FROM shot s JOIN session se ON se.id = s.session_id
                WHERE s.id = $1 AND s.archer_id = $2
            ), gone AS (
                DELETE FROM shot s USING target t, {REQUEST_ID.format("$3")}
                WHERE s.id = t.id AND t.is_open
                RETURNING shot_json(s) AS j
            )
            SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM target) THEN NULL
                        WHEN NOT (SELECT is_open FROM target) THEN ''
                        ELSE (SELECT j::text FROM gone) END""",
        shot_id,
        archer_id,
        request_id_var.get(),
    )
    return json
