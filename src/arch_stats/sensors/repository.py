"""All SQL of the sensors domain: storing events, and what the readers need to know."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

import asyncpg

if TYPE_CHECKING:  # the reader processes start faster without the web stack and face tables
    from arch_stats.core.database import Executor
    from arch_stats.faces.scoring import PlacedFace


@dataclass(frozen=True, slots=True)
class EventRow:
    """A sensor event ready for INSERT."""

    session_id: UUID
    device: str
    kind: str
    sensor_ts: datetime
    arrow_id: UUID | None = None
    target_id: UUID | None = None
    x_mm: float | None = None
    y_mm: float | None = None


async def insert_events(conn: Executor, archer_id: UUID, events: Sequence[EventRow]) -> int:
    """Insert `events` in one statement; returns how many were new (the rest were retries)."""
    status: str = await conn.execute(
        """INSERT INTO sensor_event (archer_id, session_id, device, kind, sensor_ts, arrow_id,
                                     target_id, x_mm, y_mm)
           SELECT $1, u.* FROM unnest($2::uuid[], $3::text[], $4::text[], $5::timestamptz[],
                                      $6::uuid[], $7::uuid[], $8::float8[], $9::float8[]) AS u
           ON CONFLICT (archer_id, device, kind, sensor_ts) DO NOTHING""",
        archer_id,
        [e.session_id for e in events],
        [e.device for e in events],
        [e.kind for e in events],
        [e.sensor_ts for e in events],
        [e.arrow_id for e in events],
        [e.target_id for e in events],
        [e.x_mm for e in events],
        [e.y_mm for e in events],
    )
    return int(status.rsplit(" ", 1)[-1])


async def open_session_id(conn: Executor, archer_id: UUID) -> UUID | None:
    session_id: UUID | None = await conn.fetchval(
        "SELECT id FROM session WHERE archer_id = $1 AND is_open", archer_id
    )
    return session_id


async def owned_sessions(conn: Executor, ids: Sequence[UUID], archer_id: UUID) -> set[UUID]:
    rows = await conn.fetch(
        "SELECT id FROM session WHERE id = ANY($1::uuid[]) AND archer_id = $2", list(ids), archer_id
    )
    return {r["id"] for r in rows}


async def owned_arrows(conn: Executor, ids: Sequence[UUID], archer_id: UUID) -> set[UUID]:
    rows = await conn.fetch(
        "SELECT id FROM arrow WHERE id = ANY($1::uuid[]) AND archer_id = $2", list(ids), archer_id
    )
    return {r["id"] for r in rows}


async def owned_targets(conn: Executor, ids: Sequence[UUID], archer_id: UUID) -> dict[UUID, UUID]:
    """Target id → its session id, for the archer's targets among `ids`."""
    rows = await conn.fetch(
        "SELECT id, session_id FROM target WHERE id = ANY($1::uuid[]) AND archer_id = $2",
        list(ids),
        archer_id,
    )
    return {r["id"]: r["session_id"] for r in rows}


# --- what the readers and the simulator read -------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReaderSession:
    id: UUID
    archer_id: UUID
    is_open: bool
    distance_m: float
    landing_window_ms: int
    arrows_per_end: int
    last_seq: int


@dataclass(frozen=True, slots=True)
class ReaderTarget:
    id: UUID
    distance_m: float
    view_width_mm: float
    view_height_mm: float
    faces: tuple[PlacedFace, ...]


@dataclass(frozen=True, slots=True)
class ReaderArrow:
    id: UUID
    identifier: str
    diameter_mm: float | None


async def reader_session(conn: Executor, session_id: UUID) -> ReaderSession | None:
    r = await conn.fetchrow(
        """SELECT id, archer_id, is_open, distance_m, landing_window_ms, arrows_per_end, last_seq
           FROM session WHERE id = $1""",
        session_id,
    )
    if r is None:
        return None
    return ReaderSession(
        r["id"],
        r["archer_id"],
        r["is_open"],
        r["distance_m"],
        r["landing_window_ms"],
        r["arrows_per_end"],
        r["last_seq"],
    )


async def first_target(conn: Executor, session_id: UUID) -> ReaderTarget | None:
    """The session's first target that has faces (the one the assembler falls back to)."""
    r = await conn.fetchrow(
        """SELECT t.id, t.distance_m, t.view_width_mm, t.view_height_mm,
                  array_agg(f.face_type ORDER BY f.face_index) AS types,
                  array_agg(f.center_x_mm ORDER BY f.face_index) AS xs,
                  array_agg(f.center_y_mm ORDER BY f.face_index) AS ys
           FROM target t JOIN target_face f ON f.target_id = t.id
           WHERE t.session_id = $1
           GROUP BY t.id ORDER BY t.created_at, t.id LIMIT 1""",
        session_id,
    )
    if r is None:
        return None
    from arch_stats.faces.scoring import PlacedFace

    faces = tuple(PlacedFace(t, x, y) for t, x, y in zip(r["types"], r["xs"], r["ys"], strict=True))
    return ReaderTarget(r["id"], r["distance_m"], r["view_width_mm"], r["view_height_mm"], faces)


async def active_arrows(conn: Executor, archer_id: UUID) -> list[ReaderArrow]:
    rows = await conn.fetch(
        "SELECT id, identifier, diameter_mm FROM arrow WHERE archer_id = $1 AND is_active "
        "ORDER BY identifier, id",
        archer_id,
    )
    return [ReaderArrow(r["id"], r["identifier"], r["diameter_mm"]) for r in rows]


async def events_after(
    conn: Executor, session_id: UUID, *, after_id: int, since: datetime, kinds: Sequence[str]
) -> list[asyncpg.Record]:
    """The session's events of `kinds` newer than `after_id` and not older than `since`."""
    return await conn.fetch(
        """SELECT id, kind, sensor_ts, arrow_id, x_mm, y_mm FROM sensor_event
           WHERE session_id = $1 AND id > $2 AND sensor_ts >= $3 AND kind = ANY($4::text[])
           ORDER BY id""",
        session_id,
        after_id,
        since,
        list(kinds),
    )


async def arrow_identified_before(conn: Executor, session_id: UUID, ts: datetime) -> UUID | None:
    arrow_id: UUID | None = await conn.fetchval(
        """SELECT arrow_id FROM sensor_event
           WHERE session_id = $1 AND kind = 'arrow_identified' AND sensor_ts <= $2
           ORDER BY sensor_ts DESC, id DESC LIMIT 1""",
        session_id,
        ts,
    )
    return arrow_id


async def last_release(conn: Executor, session_id: UUID, since: datetime) -> datetime | None:
    ts: datetime | None = await conn.fetchval(
        """SELECT max(sensor_ts) FROM sensor_event
           WHERE session_id = $1 AND kind = 'arrow_released' AND sensor_ts >= $2""",
        session_id,
        since,
    )
    return ts


# --- the demo archer's session ---------------------------------------------------------------


async def archer_by_email(conn: Executor, email: str) -> UUID | None:
    archer_id: UUID | None = await conn.fetchval(
        "SELECT id FROM archer WHERE lower(email) = lower($1)", email
    )
    return archer_id


async def open_demo_session(
    conn: Executor, archer_id: UUID, *, distance_m: float, view_mm: float, face_type: str
) -> UUID:
    """Open a session with one target (one face in the middle of a square view)."""
    session_id: UUID = await conn.fetchval(
        """INSERT INTO session (archer_id, location, distance_m, arrows_per_end)
           VALUES ($1, 'Simulated range', $2, 6) RETURNING id""",
        archer_id,
        distance_m,
    )
    target_id: UUID = await conn.fetchval(
        """INSERT INTO target (session_id, archer_id, lane, distance_m, view_width_mm,
                               view_height_mm)
           VALUES ($1, $2, 1, $3, $4, $4) RETURNING id""",
        session_id,
        archer_id,
        distance_m,
        view_mm,
    )
    await conn.execute(
        """INSERT INTO target_face (target_id, face_index, face_type, center_x_mm, center_y_mm)
           VALUES ($1, 0, $2, $3, $3)""",
        target_id,
        face_type,
        view_mm / 2,
    )
    return session_id
