"""SQL of the range timer: its row (settings, the state its organisers set, its public link)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from arch_stats.core.database import Executor
from arch_stats.timer.machine import Plan, State

SETTINGS = (
    "name",
    "mode",
    "details",
    "arrows",
    "shoot_seconds",
    "walkup_seconds",
    "warning_seconds",
    "side_a",
    "side_b",
)
COLUMNS = """t.id, t.club_id, c.name AS club_name, t.name, t.mode, t.details, t.arrows,
    t.shoot_seconds, t.walkup_seconds, t.warning_seconds, t.side_a, t.side_b, t.phase,
    t.end_no, t.turn, t.first_side, t.started_at, t.duration_ms, t.paused_remaining_ms,
    t.emergency, t.signal, t.signal_at, t.link_hash, t.link_created_at, t.created_at,
    t.competition_id"""


@dataclass(frozen=True, slots=True)
class Timer:
    id: UUID
    club_id: UUID
    club_name: str
    settings: dict[str, Any]  # the columns of SETTINGS
    plan: Plan
    state: State
    link_hash: bytes | None
    link_created_at: datetime | None
    created_at: datetime
    competition_id: UUID | None = None  # the competition it was made for
    role: str | None = None  # the viewer's role in its club (None: not a member)

    @property
    def sides(self) -> tuple[str, str]:
        return self.settings["side_a"], self.settings["side_b"]


def _ms(at: datetime | None) -> int | None:
    return None if at is None else round(at.timestamp() * 1000)


def _at(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)


def _timer(row: asyncpg.Record) -> Timer:
    return Timer(
        id=row["id"],
        club_id=row["club_id"],
        club_name=row["club_name"],
        settings={key: row[key] for key in SETTINGS},
        plan=Plan(
            mode=row["mode"],
            details=row["details"],
            arrows=row["arrows"],
            shoot_ms=row["shoot_seconds"] * 1000,
            walkup_ms=row["walkup_seconds"] * 1000,
            warning_ms=row["warning_seconds"] * 1000,
        ),
        state=State(
            phase=row["phase"],
            end_no=row["end_no"],
            turn=row["turn"],
            first_side=row["first_side"],
            started_at=_ms(row["started_at"]),
            duration_ms=row["duration_ms"],
            paused_remaining_ms=row["paused_remaining_ms"],
            emergency=row["emergency"],
            signal=row["signal"],
            signal_at=_ms(row["signal_at"]),
        ),
        link_hash=row["link_hash"],
        link_created_at=row["link_created_at"],
        created_at=row["created_at"],
        competition_id=row["competition_id"],
        role=row.get("role"),
    )


async def create(
    conn: Executor,
    club_id: UUID,
    archer_id: UUID,
    settings: dict[str, Any],
    competition_id: UUID | None = None,
) -> UUID:
    timer_id: UUID = await conn.fetchval(
        f"""INSERT INTO range_timer (club_id, created_by, competition_id, {", ".join(SETTINGS)})
            VALUES ($1, $2, $3, {", ".join(f"${i}" for i in range(4, 4 + len(SETTINGS)))})
            RETURNING id""",
        club_id,
        archer_id,
        competition_id,
        *(settings[key] for key in SETTINGS),
    )
    return timer_id


async def club_competition(conn: Executor, club_id: UUID, competition_id: UUID) -> bool:
    """Whether the competition is the club's."""
    return bool(
        await conn.fetchval(
            "SELECT true FROM competition WHERE id = $1 AND club_id = $2", competition_id, club_id
        )
    )


async def of_club(
    conn: Executor, club_id: UUID, viewer: UUID, competition_id: UUID | None = None
) -> list[Timer]:
    """The club's timers (only the competition's, when one is given)."""
    rows = await conn.fetch(
        f"""SELECT {COLUMNS}, m.role FROM range_timer t JOIN club c ON c.id = t.club_id
            LEFT JOIN club_member m ON m.club_id = t.club_id AND m.archer_id = $2
            WHERE t.club_id = $1 AND ($3::uuid IS NULL OR t.competition_id = $3)
            ORDER BY t.created_at, t.id""",
        club_id,
        viewer,
        competition_id,
    )
    return [_timer(row) for row in rows]


async def get(
    conn: Executor, timer_id: UUID, viewer: UUID | None = None, *, for_update: bool = False
) -> Timer | None:
    """The timer, with the viewer's role in its club; locked for a change when asked."""
    row = await conn.fetchrow(
        f"""SELECT {COLUMNS}, m.role FROM range_timer t JOIN club c ON c.id = t.club_id
            LEFT JOIN club_member m ON m.club_id = t.club_id AND m.archer_id = $2
            WHERE t.id = $1 {"FOR UPDATE OF t" if for_update else ""}""",
        timer_id,
        viewer,
    )
    return None if row is None else _timer(row)


async def by_link(conn: Executor, link_hash: bytes) -> Timer | None:
    row = await conn.fetchrow(
        f"""SELECT {COLUMNS} FROM range_timer t JOIN club c ON c.id = t.club_id
            WHERE t.link_hash = $1""",
        link_hash,
    )
    return None if row is None else _timer(row)


async def save_state(conn: Executor, timer_id: UUID, state: State) -> None:
    await conn.execute(
        """UPDATE range_timer SET phase = $2, end_no = $3, turn = $4, first_side = $5,
               started_at = $6, duration_ms = $7, paused_remaining_ms = $8, emergency = $9,
               signal = $10, signal_at = $11, updated_at = now()
           WHERE id = $1""",
        timer_id,
        state.phase,
        state.end_no,
        state.turn,
        state.first_side,
        _at(state.started_at),
        state.duration_ms,
        state.paused_remaining_ms,
        state.emergency,
        state.signal,
        _at(state.signal_at),
    )


async def save_settings(conn: Executor, timer_id: UUID, settings: dict[str, Any]) -> None:
    columns = ", ".join(f"{key} = ${i}" for i, key in enumerate(SETTINGS, 2))
    await conn.execute(
        f"""UPDATE range_timer SET {columns}, updated_at = now()
            WHERE id = $1""",
        timer_id,
        *(settings[key] for key in SETTINGS),
    )


async def delete(conn: Executor, timer_id: UUID) -> None:
    await conn.execute("DELETE FROM range_timer WHERE id = $1", timer_id)


async def set_link(conn: Executor, timer_id: UUID, link_hash: bytes | None) -> datetime | None:
    """Give the timer a new public link (the old one stops working), or none."""
    at: datetime | None = await conn.fetchval(
        """UPDATE range_timer SET link_hash = $2,
               link_created_at = CASE WHEN $2::bytea IS NULL THEN NULL ELSE now() END
           WHERE id = $1 RETURNING link_created_at""",
        timer_id,
        link_hash,
    )
    return at
