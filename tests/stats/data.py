"""Small fixtures written straight into the tables: sessions, targets, arrows and shots with
chosen positions, scores and times, so that every statistic can be computed by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from arch_stats.core.database import Connection

C = 650.0  # centre of a face placed in the middle of a 1300 × 1300 mm view
T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Shot:
    """dx/dy from the spot centre (None: a miss that never landed)."""

    dx: float | None = None
    dy: float | None = None
    score: int = 0
    is_x: bool = False
    arrow: UUID | None = None
    spot: int = 0
    face: int = 0
    engaged_ms: float | None = None  # from the session start
    draw_ms: float | None = None
    flight_ms: float | None = None


async def session(
    db: Connection,
    archer_id: UUID,
    *,
    start: datetime = T0,
    distance_m: float = 70.0,
    is_indoor: bool = False,
    round_code: str | None = None,
    per_end: int = 3,
    is_open: bool = False,
    location: str = "Club field",
    notes: str = "",
) -> UUID:
    session_id: UUID = await db.fetchval(
        """INSERT INTO session (archer_id, location, is_indoor, distance_m, start_time, end_time,
                                is_open, round_code, arrows_per_end, notes)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id""",
        archer_id,
        location,
        is_indoor,
        distance_m,
        start,
        None if is_open else start + timedelta(hours=2),
        is_open,
        round_code,
        per_end,
        notes,
    )
    return session_id


async def target(
    db: Connection,
    archer_id: UUID,
    session_id: UUID,
    *,
    faces: tuple[tuple[str, float, float], ...] = (("wa_122", C, C),),
    distance_m: float = 70.0,
    lane: int | None = 3,
    compound: bool = False,
) -> UUID:
    target_id: UUID = await db.fetchval(
        """INSERT INTO target (session_id, archer_id, lane, distance_m, view_width_mm,
                               view_height_mm, compound_scoring)
           VALUES ($1, $2, $3, $4, 1300, 1300, $5) RETURNING id""",
        session_id,
        archer_id,
        lane,
        distance_m,
        compound,
    )
    for i, (face_type, x, y) in enumerate(faces):
        await db.execute(
            "INSERT INTO target_face VALUES ($1, $2, $3, $4, $5)", target_id, i, face_type, x, y
        )
    return target_id


async def arrow(
    db: Connection, archer_id: UUID, identifier: str, *, diameter_mm: float = 5.5
) -> UUID:
    arrow_id: UUID = await db.fetchval(
        "INSERT INTO arrow (archer_id, identifier, diameter_mm) VALUES ($1, $2, $3) RETURNING id",
        archer_id,
        identifier,
        diameter_mm,
    )
    return arrow_id


async def shots(
    db: Connection,
    archer_id: UUID,
    session_id: UUID,
    target_id: UUID,
    items: list[Shot],
    *,
    per_end: int = 3,
    start: datetime = T0,
    spots: tuple[tuple[float, float], ...] = ((0.0, 0.0),),
    face_centres: tuple[tuple[float, float], ...] = ((C, C),),
    first_seq: int = 1,
) -> None:
    """Insert `items` as shots in order; positions are placed from the face and spot centres."""
    rows: list[tuple[Any, ...]] = []
    for i, s in enumerate(items):
        seq = first_seq + i
        engaged = released = landed = None
        if s.draw_ms is not None:
            at = 30_000 * seq if s.engaged_ms is None else s.engaged_ms
            engaged = start + timedelta(milliseconds=at)
            released = engaged + timedelta(milliseconds=s.draw_ms)
            if s.flight_ms is not None:
                landed = released + timedelta(milliseconds=s.flight_ms)
        if s.dx is None or s.dy is None:
            place: tuple[Any, ...] = (None, None, None, None, None, None)
        else:
            fx, fy = face_centres[s.face]
            sx, sy = spots[s.spot]
            place = (fx + sx + s.dx, fy + sy + s.dy, s.face, s.spot, s.dx, s.dy)
        rows.append(
            (
                session_id,
                archer_id,
                target_id,
                s.arrow,
                seq,
                (seq - 1) // per_end + 1,
                (seq - 1) % per_end + 1,
                *place,
                s.score,
                s.is_x,
                engaged,
                released,
                landed,
            )
        )
    await db.executemany(
        """INSERT INTO shot (session_id, archer_id, target_id, arrow_id, seq, end_no, end_place,
                             x_mm, y_mm, face_index, spot_index, dx_mm, dy_mm, score, is_x,
                             engaged_at, released_at, landed_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                   $18)""",
        rows,
    )
    top = first_seq + len(items) - 1
    await db.execute(
        "UPDATE session SET last_seq = greatest(last_seq, $2) WHERE id = $1", session_id, top
    )
