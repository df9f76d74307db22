"""All SQL of the sessions domain.

`SESSION_JSON` is the one JSON shape of a session, with its shot count, total score and target
count, for single rows, lists and `RETURNING` alike. It reads the row through the alias `s`:
`SELECT {SESSION_JSON} FROM session s ...`, `UPDATE session AS s ... RETURNING {SESSION_JSON}`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg
from asyncpg import Record

from arch_stats.core.database import Executor
from arch_stats.core.errors import BusinessRuleError, Conflict

OPEN_SESSION_INDEX = "session_one_open_per_archer"

# The session's JSON is kept ready in the row (`doc`, rebuilt by a trigger whenever a column
# it shows changes; shot count, total score and target count are columns kept current by
# triggers): reading it costs nothing more than reading the row (definitions/
# session_doc_refresh.sql).
SESSION_JSON = "s.doc"

# One session as the answers about it need it: its JSON and, for a session that follows its
# round, the plan, the shots counted and each end's places taken (end → bit mask), from which
# the service adds where the archer is (`progress`). A session without a round costs a null.
SESSION_ROW = """s.doc::text AS doc, s.round_plan::text AS plan, s.shot_count,
    CASE WHEN s.round_plan IS NOT NULL THEN (
        SELECT coalesce(array_agg(ARRAY[q.end_no, q.mask]), '{}')
        FROM (SELECT h.end_no, bit_or(1 << (h.end_place - 1)) AS mask
              FROM shot h WHERE h.session_id = s.id GROUP BY h.end_no) q)
    END AS taken"""

# Columns that `update` may set (the body's field names).
PATCH_COLUMNS = (
    "location",
    "is_indoor",
    "distance_m",
    "round_code",
    "arrows_per_end",
    "landing_window_ms",
    "notes",
    "start_time",
)


def _one_open_session() -> Conflict:
    return Conflict("another session is already open: close it first (GET /api/v0/session/open)")


async def get_session(conn: Executor, session_id: UUID, archer_id: UUID) -> Record | None:
    """The session (`SESSION_ROW`), or None when it does not exist or is not the archer's."""
    return await conn.fetchrow(
        f"SELECT {SESSION_ROW} FROM session s WHERE s.id = $1 AND s.archer_id = $2",
        session_id,
        archer_id,
    )


async def archer_name(conn: Executor, archer_id: UUID) -> str:
    name: str = await conn.fetchval("SELECT name FROM archer WHERE id = $1", archer_id)
    return name


async def open_session(conn: Executor, archer_id: UUID) -> Record | None:
    return await conn.fetchrow(
        f"SELECT {SESSION_ROW} FROM session s WHERE s.archer_id = $1 AND s.is_open", archer_id
    )


async def list_json(
    conn: Executor,
    archer_id: UUID,
    *,
    is_open: bool | None = None,
    is_indoor: bool | None = None,
    distance_m: float | None = None,
    round_code: str | None = None,
    location: str | None = None,
    start_from: date | None = None,
    start_to: date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> str:
    """A page of the archer's sessions, newest first, as a JSON list.

    Only the filters given enter the SQL, so each combination gets its own plan: the archer's
    rows come off `session_archer_start_idx` already in order, and the JSON is built for the
    page only (the page is cut in the subquery, the JSON built outside it).
    """
    where = ["s.archer_id = $1"]
    args: list[Any] = [archer_id]

    def add(condition: str, value: Any) -> None:
        args.append(value)
        where.append(condition.replace("?", f"${len(args)}"))

    if is_open is not None:
        add("s.is_open = ?", is_open)
    if is_indoor is not None:
        add("s.is_indoor = ?", is_indoor)
    if distance_m is not None:
        add("s.distance_m = ?", distance_m)
    if round_code is not None:
        add("s.round_code = ?", round_code)
    if location is not None:
        add("strpos(lower(s.location), lower(?)) > 0", location)
    if start_from is not None:
        add("s.start_time >= ?::date", start_from)
    if start_to is not None:
        add("s.start_time < ?::date + 1", start_to)
    args += [limit, offset]
    json: str = await conn.fetchval(
        f"""SELECT '[' || coalesce(string_agg(s.doc::text, ',' ORDER BY s.start_time DESC, s.id),
                                  '') || ']'
            FROM (SELECT s.doc, s.start_time, s.id FROM session s WHERE {" AND ".join(where)}
                  ORDER BY s.start_time DESC, s.id
                  LIMIT ${len(args) - 1} OFFSET ${len(args)}) s""",
        *args,
    )
    return json


async def insert(
    conn: Executor,
    archer_id: UUID,
    *,
    location: str,
    is_indoor: bool,
    distance_m: float,
    round_code: str | None,
    arrows_per_end: int,
    landing_window_ms: int,
    notes: str,
    start_time: datetime | None,
) -> Record:
    try:
        row: Record | None = await conn.fetchrow(
            f"""INSERT INTO session AS s (archer_id, location, is_indoor, distance_m, round_code,
                                         arrows_per_end, landing_window_ms, notes, start_time)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, coalesce($9, now()))
                RETURNING s.id, {SESSION_ROW}""",
            archer_id,
            location,
            is_indoor,
            distance_m,
            round_code,
            arrows_per_end,
            landing_window_ms,
            notes,
            start_time,
        )
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == OPEN_SESSION_INDEX:
            raise _one_open_session() from None
        raise
    assert row is not None
    return row


async def round_state(conn: Executor, session_id: UUID, archer_id: UUID) -> Record | None:
    """What a change of the session's round depends on, its row locked (shots wait)."""
    return await conn.fetchrow(
        """SELECT round_code, round_plan::text AS plan, arrows_per_end, shot_count
           FROM session WHERE id = $1 AND archer_id = $2 FOR NO KEY UPDATE""",
        session_id,
        archer_id,
    )


async def follow(conn: Executor, session_id: UUID, plan: str | None, arrows: int | None) -> None:
    """Set the round the session follows (`plan` JSON, `arrows` the round's), or none; a
    target of no round any more keeps its shots but no ends."""
    await conn.execute(
        """UPDATE session SET round_plan = $2::jsonb, round_arrows = $3, updated_at = now()
           WHERE id = $1""",
        session_id,
        plan,
        arrows,
    )
    if plan is None:
        await conn.execute(
            "UPDATE target SET first_end = NULL, last_end = NULL WHERE session_id = $1",
            session_id,
        )


async def delete_targets(conn: Executor, session_id: UUID) -> None:
    """The targets of a session without shots (a new round brings its own)."""
    await conn.execute("DELETE FROM target WHERE session_id = $1", session_id)


async def close_complete_round(conn: Executor, archer_id: UUID) -> None:
    """Close the archer's open session when it is a complete round (the next one may open)."""
    await conn.execute(
        """UPDATE session SET is_open = false, end_time = now(), updated_at = now()
           WHERE archer_id = $1 AND is_open AND round_arrows IS NOT NULL
             AND shot_count >= round_arrows AND start_time < now()""",
        archer_id,
    )


async def update(
    conn: Executor, session_id: UUID, archer_id: UUID, changes: dict[str, Any]
) -> Record | None:
    columns = [c for c in PATCH_COLUMNS if c in changes]
    sets = [f"{c} = ${i}" for i, c in enumerate(columns, start=3)]
    sets.append("updated_at = now()")
    try:
        row: Record | None = await conn.fetchrow(
            f"""UPDATE session AS s SET {", ".join(sets)}
                WHERE s.id = $1 AND s.archer_id = $2 RETURNING {SESSION_ROW}""",
            session_id,
            archer_id,
            *(changes[c] for c in columns),
        )
    except asyncpg.CheckViolationError as exc:
        if exc.constraint_name == "shot_end_place_within_end":  # fewer arrows per end
            raise BusinessRuleError(exc.args[0] if exc.args else str(exc)) from None
        if "start_time" in changes:  # the other check a valid body can break: end after start
            raise BusinessRuleError(
                "start_time must be before the end_time of this closed session"
            ) from None
        raise
    return row


async def state(conn: Executor, session_id: UUID, archer_id: UUID) -> asyncpg.Record | None:
    """`is_open` and `start_time`, to explain why a close or reopen changed nothing."""
    return await conn.fetchrow(
        "SELECT is_open, start_time FROM session WHERE id = $1 AND archer_id = $2",
        session_id,
        archer_id,
    )


async def close(conn: Executor, session_id: UUID, archer_id: UUID) -> Record | None:
    """Close an open session that has started; None when there is no such session."""
    return await conn.fetchrow(
        f"""UPDATE session AS s SET is_open = false, end_time = now(), updated_at = now()
            WHERE s.id = $1 AND s.archer_id = $2 AND s.is_open AND s.start_time < now()
            RETURNING {SESSION_ROW}""",
        session_id,
        archer_id,
    )


async def reopen(conn: Executor, session_id: UUID, archer_id: UUID) -> Record | None:
    """Reopen a closed session; None when there is no such session."""
    try:
        row: Record | None = await conn.fetchrow(
            f"""UPDATE session AS s SET is_open = true, end_time = NULL, updated_at = now()
                WHERE s.id = $1 AND s.archer_id = $2 AND NOT s.is_open
                RETURNING {SESSION_ROW}""",
            session_id,
            archer_id,
        )
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == OPEN_SESSION_INDEX:
            raise _one_open_session() from None
        raise
    return row


async def delete(conn: Executor, session_id: UUID, archer_id: UUID) -> str | None:
    """Delete the session; its targets and shots go with it (ON DELETE CASCADE).

    The JSON returned is the session as it was, counts included.
    """
    json: str | None = await conn.fetchval(
        f"DELETE FROM session AS s WHERE s.id = $1 AND s.archer_id = $2 RETURNING {SESSION_JSON}",
        session_id,
        archer_id,
    )
    return json
