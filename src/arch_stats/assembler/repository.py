"""All SQL of the shot assembler.

A pass costs two round trips when it makes shots, one when it decides nothing: `read_pass`
(the clock, the pending events and all the sessions, targets and arrows they name, in one
statement) and `write_pass` (the shots and the marks of their events in one autocommit
statement: one commit, one WAL flush). `insert_one_session` and `mark_processed` are the
slow path, used only when the database refuses the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg
import orjson

from arch_stats.core.database import Connection
from arch_stats.core.types import END_TIME, MIN_TIME
from arch_stats.faces.scoring import PlacedFace
from arch_stats.shots.repository import INSERT_FUNCTION, ShotRow, TargetInfo, insert_args

# Any constant works as long as every process uses the same one (migrations use another).
LOCK_KEY = 7_202_611_221_200
CHANNEL = "arch_stats_sensor"


@dataclass(frozen=True, slots=True)
class RoundState:
    """A session that follows its round: where its arrows are, and its round's targets."""

    per_end: int
    last_end: int
    taken: dict[int, int]  # end → mask of the places taken (place p: bit p - 1)
    targets: tuple[tuple[int, int, UUID], ...]  # (first end, last end, target), in order


@dataclass(frozen=True, slots=True)
class SessionInfo:
    id: UUID
    archer_id: UUID
    is_open: bool
    landing_window_ms: int
    first_target_id: UUID | None
    round: RoundState | None = None


@dataclass(frozen=True, slots=True)
class PassInput:
    """What a pass reads: the database's clock and the pending events with their context."""

    now: datetime
    # (id, session_id, kind, sensor_ts, arrow_id, target_id, x_mm, y_mm, odd_ts), in time
    # order. A sensor_ts out of the time range of inputs (stored before it was enforced:
    # ±infinity, year 1, 9999…) comes as NULL, with its text in odd_ts: Python's datetime
    # cannot hold some of them, and the matcher's arithmetic would overflow on others.
    events: list[asyncpg.Record]
    sessions: dict[UUID, SessionInfo]
    targets: dict[UUID, TargetInfo]  # those the events or the sessions name, of their archer
    diameters: dict[UUID, float]  # arrows the events name, of their session's archer


@dataclass(frozen=True, slots=True)
class Written:
    events: int  # events marked processed
    refused: set[int]  # releases whose session is no longer open: no shot, events set aside


async def try_lock(conn: Connection) -> bool:
    got: bool = await conn.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_KEY)
    return got


def _session(r: asyncpg.Record) -> SessionInfo:
    state = None
    if r[5] is not None:
        data = orjson.loads(r[5])
        state = RoundState(
            per_end=data["per_end"],
            last_end=data["arrows"] // data["per_end"],
            taken=dict(data["taken"]),
            targets=tuple((f, last, UUID(t)) for f, last, t in data["targets"] or ()),
        )
    return SessionInfo(r[0], r[1], r[2], r[3], r[4], state)


async def read_pass(conn: Connection, limit: int) -> PassInput:
    """The oldest pending events (`sensor_event_pending_idx`), at most `limit`, and context.

    One snapshot, so `now` and the events agree. Rows travel as arrays of records: one row
    comes back whatever the number of events, sessions and faces.
    """
    row = await conn.fetchrow(
        """WITH ev AS MATERIALIZED (
               SELECT id, session_id, kind, sensor_ts, arrow_id, target_id, x_mm, y_mm,
                      sensor_ts >= $2 AND sensor_ts < $3 AS in_range
               FROM sensor_event WHERE processed_at IS NULL
               ORDER BY sensor_ts, id LIMIT $1
           ), ss AS MATERIALIZED (
               SELECT s.id, s.archer_id, s.is_open, s.landing_window_ms,
                      (SELECT t.id FROM target t WHERE t.session_id = s.id
                       ORDER BY t.created_at, t.id LIMIT 1) AS first_target_id,
                      s.arrows_per_end, s.round_arrows
               FROM session s WHERE s.id IN (SELECT session_id FROM ev)
           ), rs AS MATERIALIZED (
               -- Sessions that follow their round: each end's places, the round's targets.
               SELECT ss.id, json_build_object(
                          'per_end', ss.arrows_per_end, 'arrows', ss.round_arrows,
                          'taken', (SELECT coalesce(json_agg(json_build_array(q.end_no, q.mask)),
                                                    '[]')
                                    FROM (SELECT h.end_no, bit_or(1 << (h.end_place - 1)) AS mask
                                          FROM shot h WHERE h.session_id = ss.id
                                          GROUP BY h.end_no) q),
                          'targets', (SELECT json_agg(json_build_array(t.first_end, t.last_end,
                                                                       t.id)
                                                      ORDER BY t.first_end)
                                      FROM target t
                                      WHERE t.session_id = ss.id AND t.first_end IS NOT NULL)
                      ) AS state
               FROM ss WHERE ss.round_arrows IS NOT NULL AND ss.is_open
           )
           SELECT now() AS now,
               (SELECT array_agg(ROW(id, session_id, kind,
                                     CASE WHEN in_range THEN sensor_ts END, arrow_id,
                                     target_id, x_mm, y_mm,
                                     CASE WHEN NOT in_range THEN sensor_ts::text END)
                                 ORDER BY sensor_ts, id) FROM ev) AS events,
               (SELECT array_agg(ROW(ss.id, ss.archer_id, ss.is_open, ss.landing_window_ms,
                                     ss.first_target_id, rs.state::text))
                FROM ss LEFT JOIN rs ON rs.id = ss.id) AS sessions,
               (SELECT array_agg(ROW(t.id, t.session_id, ss.is_open, t.view_width_mm,
                                     t.view_height_mm, t.compound_scoring, f.face_type,
                                     f.center_x_mm, f.center_y_mm)
                                 ORDER BY t.id, f.face_index)
                FROM target t
                JOIN ss ON ss.id = t.session_id AND ss.archer_id = t.archer_id
                JOIN target_face f ON f.target_id = t.id
                WHERE t.id IN (SELECT target_id FROM ev UNION SELECT first_target_id FROM ss)
                   OR (t.first_end IS NOT NULL AND t.session_id IN (SELECT id FROM rs))
               ) AS faces,
               (SELECT array_agg(DISTINCT ROW(a.id, a.diameter_mm))
                FROM ev
                JOIN ss ON ss.id = ev.session_id
                JOIN arrow a ON a.id = ev.arrow_id AND a.archer_id = ss.archer_id
               ) AS arrows""",
        limit,
        MIN_TIME,
        END_TIME,
    )
    assert row is not None
    sessions = {r[0]: _session(r) for r in row["sessions"] or ()}
    faces: dict[UUID, list[asyncpg.Record]] = {}
    for r in row["faces"] or ():
        faces.setdefault(r[0], []).append(r)
    targets = {
        target_id: TargetInfo(
            id=target_id,
            session_id=rs[0][1],
            session_open=rs[0][2],
            view_width_mm=rs[0][3],
            view_height_mm=rs[0][4],
            compound=rs[0][5],
            faces=tuple(PlacedFace(r[6], r[7], r[8]) for r in rs),
        )
        for target_id, rs in faces.items()
    }
    return PassInput(
        now=row["now"],
        events=list(row["events"] or ()),
        sessions=sessions,
        targets=targets,
        diameters={r[0]: r[1] for r in row["arrows"] or ()},
    )


# One statement, so one commit: the shots of every session, written by the shots' one writer
# (`shot_insert`, definitions/shot_insert.sql: numbered, each in its end and place, a release that
# already has its shot (made before a crash) gets no second one and its events are linked to
# that shot), and the marks of every decided event. If another process makes a shot while
# this statement runs (only while a dying assembler's last pass overlaps its successor's
# first), the writer skips it and the UPDATE skips its events (it waits for that commit and
# finds them processed). Shots of a session no longer open are not made and their events are
# set aside with `$31` as their outcome. The shot triggers' NOTIFY goes out at the commit.
_WRITE = f"""
WITH w AS MATERIALIZED (
    SELECT f.ord, f.shot_id, f.refused, u.release_event_id
    FROM {INSERT_FUNCTION} AS f
    JOIN unnest($19::int8[]) WITH ORDINALITY AS u(release_event_id, ord) ON u.ord = f.ord
), marks AS (
    UPDATE sensor_event e
    SET processed_at = now(),
        outcome = CASE WHEN m.release_id IS NOT NULL AND w.shot_id IS NULL THEN $31
                       ELSE m.outcome END,
        shot_id = w.shot_id
    FROM unnest($28::int8[], $29::text[], $30::int8[]) AS m(id, outcome, release_id)
         LEFT JOIN w ON w.release_event_id = m.release_id
    WHERE e.id = m.id AND e.processed_at IS NULL
    RETURNING 1
)
SELECT (SELECT count(*) FROM marks) AS events,
       (SELECT coalesce(array_agg(w.release_event_id), '{{}}') FROM w WHERE w.refused) AS refused
"""


async def write_pass(
    conn: Connection,
    shots: Sequence[tuple[UUID, UUID, ShotRow]],
    marks: Sequence[tuple[int, str, int | None]],
    *,
    closed_outcome: str,
    max_shots: int | None = None,
) -> Written:
    """Write a pass's decisions in one autocommit statement (one transaction).

    `shots` are (session_id, archer_id, row), each with its `release_event_id`; `marks` are
    (event id, outcome, release id of its shot or None). Raises the database's error when any
    row is refused (nothing is then written).
    """
    ids, outcomes, releases = zip(*marks, strict=True) if marks else ((), (), ())
    args = insert_args(
        [(session_id, archer_id) for session_id, archer_id, _ in shots],
        [row for _, _, row in shots],
        max_shots=max_shots,
        request_id="",
    )
    if args[18] is None:  # no shots: the writer still needs the (empty) list of releases
        args[18] = []
    row = await conn.fetchrow(
        _WRITE, *args, list(ids), list(outcomes), list(releases), closed_outcome
    )
    assert row is not None
    return Written(row["events"], set(row["refused"]))


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
