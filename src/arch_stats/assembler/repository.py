"""All SQL of the shot assembler (shots themselves go through the shots repository)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from arch_stats.core.database import Connection

# Any constant works as long as every process uses the same one (migrations use another).
LOCK_KEY = 7_202_611_221_200
CHANNEL = "arch_stats_sensor"


@dataclass(frozen=True, slots=True)
class SessionInfo:
    id: UUID
    archer_id: UUID
    is_open: bool
    landing_window_ms: int
    first_target_id: UUID | None


async def try_lock(conn: Connection) -> bool:
    got: bool = await conn.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_KEY)
    return got


async def db_now(conn: Connection) -> datetime:
    now: datetime = await conn.fetchval("SELECT now()")
    return now


async def pending_events(conn: Connection, limit: int) -> list[asyncpg.Record]:
    """The oldest pending events of every session, in time order (`sensor_event_pending_idx`)."""
    return await conn.fetch(
        """SELECT id, session_id, kind, sensor_ts, arrow_id, target_id, x_mm, y_mm
           FROM sensor_event WHERE processed_at IS NULL
           ORDER BY sensor_ts, id LIMIT $1""",
        limit,
    )


async def sessions(conn: Connection, session_ids: Sequence[UUID]) -> dict[UUID, SessionInfo]:
    rows = await conn.fetch(
        """SELECT s.id, s.archer_id, s.is_open, s.landing_window_ms,
                  (SELECT t.id FROM target t WHERE t.session_id = s.id
                   ORDER BY t.created_at, t.id LIMIT 1) AS first_target_id
           FROM session s WHERE s.id = ANY($1::uuid[])""",
        list(session_ids),
    )
    return {
        r["id"]: SessionInfo(
            r["id"], r["archer_id"], r["is_open"], r["landing_window_ms"], r["first_target_id"]
        )
        for r in rows
    }


async def shots_of_releases(conn: Connection, release_ids: Sequence[int]) -> set[int]:
    """Releases that already have their shot (made before a crash or by another process)."""
    rows = await conn.fetch(
        "SELECT release_event_id FROM shot WHERE release_event_id = ANY($1::int8[])",
        list(release_ids),
    )
    return {r["release_event_id"] for r in rows}


async def mark_processed(
    conn: Connection,
    event_ids: Sequence[int],
    outcomes: Sequence[str],
    release_ids: Sequence[int | None],
) -> int:
    """Mark events processed, each with its outcome and the shot made from `release_ids`."""
    status: str = await conn.execute(
        """UPDATE sensor_event e
           SET processed_at = now(), outcome = u.outcome, shot_id = s.id
           FROM unnest($1::int8[], $2::text[], $3::int8[]) AS u(id, outcome, release_id)
                LEFT JOIN shot s ON s.release_event_id = u.release_id
           WHERE e.id = u.id AND e.processed_at IS NULL""",
        list(event_ids),
        list(outcomes),
        list(release_ids),
    )
    return int(status.rsplit(" ", 1)[-1])
