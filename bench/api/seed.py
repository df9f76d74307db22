"""Benchmark data, written straight into the tables (SQL and COPY, no API calls).

One archer with a login token and 50 sessions: 49 closed ones, each a 72-arrow round except
one of 10,000 arrows, and one open session (the only one an archer may have), without shots,
that POST /shot fills.
Every session has a target 1300 × 1300 mm with one `wa_122` face in the middle.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from arch_stats.core.database import Connection
from bench.common.seed import CENTRE_MM, SHOT_COLUMNS, VIEW_MM, Login, add_archer, add_target

SESSIONS = 50
SHOTS_SMALL = 72
SHOTS_LARGE = 10_000
ARROWS_PER_END = 6
FACE_CENTRE_MM = CENTRE_MM
RING_WIDTH_MM = 61.0  # WA 122 cm: ten zones of 61 mm
X_RADIUS_MM = RING_WIDTH_MM / 2  # X diameter is half the 10 ring's
ARROW_RADIUS_MM = 5.5 / 2
# A point of reference for every timestamp, so that runs produce the same data.
EPOCH = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Seeded(Login):
    session_72: UUID  # closed, 72 shots: GET /session/{id} and its shot list
    session_10k: UUID  # closed, 10,000 shots
    open_session: UUID  # open, no shots yet: POST /shot
    open_target: UUID


def score(dx: float, dy: float) -> tuple[int, bool]:
    """WA 122 cm scoring with a 5.5 mm arrow: (score, is_x)."""
    edge = math.hypot(dx, dy) - ARROW_RADIUS_MM  # a line-cutter scores the higher value
    zone = max(1, math.ceil(edge / RING_WIDTH_MM))
    value = 11 - zone if zone <= 10 else 0
    return value, edge <= X_RADIUS_MM


def shot_rows(
    *,
    session_id: UUID,
    archer_id: UUID,
    target_id: UUID,
    count: int,
    start: datetime,
    rng: random.Random,
) -> list[tuple[Any, ...]]:
    """`count` shots grouped in ends of 6, about 1 in 50 a miss, the rest near the centre."""
    rows: list[tuple[Any, ...]] = []
    ids = (session_id, archer_id, target_id, None)  # no arrow named
    for seq in range(1, count + 1):
        engaged = start + timedelta(seconds=20 * seq)
        released = engaged + timedelta(seconds=2.5)
        end_no = (seq - 1) // ARROWS_PER_END + 1
        end_place = (seq - 1) % ARROWS_PER_END + 1
        if rng.random() < 0.02:  # a miss: no landing, no coordinates, scores 0
            miss = (None, None, None, None, None, None, 0, False)
            rows.append((*ids, seq, end_no, end_place, *miss, engaged, released, None))
            continue
        x = min(max(rng.gauss(FACE_CENTRE_MM + 15, 70), 0.0), VIEW_MM)
        y = min(max(rng.gauss(FACE_CENTRE_MM - 10, 70), 0.0), VIEW_MM)
        dx, dy = x - FACE_CENTRE_MM, y - FACE_CENTRE_MM
        value, is_x = score(dx, dy)
        landed = released + timedelta(seconds=0.4)
        place = (x, y, 0, 0, dx, dy, value, is_x)
        rows.append((*ids, seq, end_no, end_place, *place, engaged, released, landed))
    return rows


async def _session(
    conn: Connection, archer_id: UUID, index: int, *, is_open: bool, last_seq: int = 0
) -> tuple[UUID, UUID]:
    """A session (closed unless `is_open`) and its target; returns both ids."""
    start = EPOCH + timedelta(days=index)
    session_id: UUID = await conn.fetchval(
        """INSERT INTO session (archer_id, location, is_indoor, distance_m, start_time, end_time,
                                is_open, round_code, arrows_per_end, notes, last_seq)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id""",
        archer_id,
        f"Range {index % 3 + 1}",
        index % 4 == 0,
        70.0 if index % 2 else 18.0,
        start,
        None if is_open else start + timedelta(hours=2),
        is_open,
        None if index % 5 else "wa720_70",
        ARROWS_PER_END,
        "",
        last_seq,
    )
    target_id = await add_target(
        conn, session_id, archer_id, distance_m=70.0 if index % 2 else 18.0, lane=index % 10 + 1
    )
    return session_id, target_id


async def seed(conn: Connection, *, log: Callable[[str], None] = lambda _: None) -> Seeded:
    """Write the benchmark data into a migrated, empty-or-not database."""
    rng = random.Random(20261122)
    async with conn.transaction():
        login = await add_archer(conn, "Bench Archer")
        archer_id = login.archer_id
        ids: list[tuple[UUID, UUID]] = []
        for index in range(SESSIONS - 1):
            ids.append(await _session(conn, archer_id, index, is_open=False))
        open_session, open_target = await _session(conn, archer_id, SESSIONS - 1, is_open=True)

        # Every closed session is a 72-arrow round, except one long one of 10,000 arrows.
        (session_72, _), (session_10k, _) = ids[-1], ids[-2]
        total = 0
        for session_id, target_id in ids:
            count = SHOTS_LARGE if session_id == session_10k else SHOTS_SMALL
            start = await conn.fetchval("SELECT start_time FROM session WHERE id = $1", session_id)
            rows = shot_rows(
                session_id=session_id,
                archer_id=archer_id,
                target_id=target_id,
                count=count,
                start=start,
                rng=rng,
            )
            await conn.copy_records_to_table("shot", records=rows, columns=SHOT_COLUMNS)
            await conn.execute("UPDATE session SET last_seq = $2 WHERE id = $1", session_id, count)
            total += count
        log(f"  {SESSIONS} sessions (1 open), {total} shots")
    await conn.execute("ANALYZE")
    return Seeded(
        token=login.token,
        archer_id=archer_id,
        session_72=session_72,
        session_10k=session_10k,
        open_session=open_session,
        open_target=open_target,
    )


@dataclass(frozen=True, slots=True)
class Archer(Login):
    """An archer with a login token and an open session (no shots yet) on one target."""

    session_id: UUID
    target_id: UUID


async def seed_archers(conn: Connection, count: int) -> list[Archer]:
    """`count` archers, each with a login token and their own open session and target."""
    archers: list[Archer] = []
    async with conn.transaction():
        for index in range(count):
            login = await add_archer(conn, f"Bench Archer {index + 1}")
            ids = await _session(conn, login.archer_id, index, is_open=True)
            archers.append(Archer(login.archer_id, login.token, *ids))
    await conn.execute("ANALYZE")
    return archers
