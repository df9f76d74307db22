"""All SQL of the statistics domain.

A session's statistics read its shots once, as parallel arrays in shot order (one row, a few
hundred values for a round). Statistics across sessions read `session_summary`, one row of
sums per session kept by triggers on `shot` (definitions/shot_insert_totals.sql and
session_summary_apply.sql), and build their JSON in PostgreSQL; only an arrow's own shots are
read shot by shot (through `shot_arrow_idx`).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from arch_stats.core.database import Executor

# One row: the session, its archer's category, its arrows, and every shot as packed binary
# columns in seq order (big-endian, as PostgreSQL's *send functions write them; NaN where a
# value does not exist; `arrow`: 1-based index into `arrow_ids`, 0 for no arrow). Bytes, not
# arrays: a 100,000-shot session arrives as a few MB that numpy reads at once, instead of a
# million Python objects decoded on the event loop. `max_possible` adds the best score of the
# face each shot hit (the target's first face for a shot without a position), from the
# maxima given as $3/$4 (10 for a face not given). `by_value`: shots scored by value (no
# position), with `by_value_seqs` their numbers.
SESSION_COLUMNS = """
SELECT s.id::text AS id, s.is_open, s.start_time, s.distance_m, s.is_indoor, s.round_code,
       s.round_plan::text AS plan, a.bowstyle, a.gender, a.age_group,
       coalesce(ar.ids, '{}') AS arrow_ids, coalesce(ar.identifiers, '{}') AS identifiers,
       x.n, coalesce(x.max_possible, 0) AS max_possible,
       coalesce(x.end_no, '') AS end_no, coalesce(x.score, '') AS score,
       coalesce(x.is_x, '') AS is_x, coalesce(x.dx, '') AS dx, coalesce(x.dy, '') AS dy,
       coalesce(x.draw_ms, '') AS draw_ms, coalesce(x.flight_ms, '') AS flight_ms,
       coalesce(x.distance, '') AS distance, coalesce(x.arrow, '') AS arrow,
       coalesce(x.by_value, '') AS by_value, coalesce(x.by_value_seqs, '{}') AS by_value_seqs
FROM session s
JOIN archer a ON a.id = s.archer_id
CROSS JOIN LATERAL (
    SELECT array_agg(q.id ORDER BY q.id) AS ids,
           array_agg(q.identifier ORDER BY q.id) AS identifiers
    FROM (SELECT DISTINCT ar.id::text AS id, ar.identifier
          FROM shot h JOIN arrow ar ON ar.id = h.arrow_id
          WHERE h.session_id = s.id) q
) ar
CROSS JOIN LATERAL (
    SELECT count(*)::int AS n, sum(coalesce(m.top, 10))::int AS max_possible,
           string_agg(int4send(h.end_no), '' ORDER BY h.seq) AS end_no,
           string_agg(int2send(h.score), '' ORDER BY h.seq) AS score,
           string_agg(CASE WHEN h.is_x THEN '\\x01'::bytea ELSE '\\x00'::bytea END, ''
                      ORDER BY h.seq) AS is_x,
           string_agg(float8send(coalesce(h.dx_mm, 'NaN')), '' ORDER BY h.seq) AS dx,
           string_agg(float8send(coalesce(h.dy_mm, 'NaN')), '' ORDER BY h.seq) AS dy,
           string_agg(float8send(coalesce(
               extract(epoch FROM h.released_at - h.engaged_at)::float8 * 1000, 'NaN')), ''
               ORDER BY h.seq) AS draw_ms,
           string_agg(float8send(coalesce(
               extract(epoch FROM h.landed_at - h.released_at)::float8 * 1000, 'NaN')), ''
               ORDER BY h.seq) AS flight_ms,
           string_agg(float8send(t.distance_m), '' ORDER BY h.seq) AS distance,
           string_agg(int2send(coalesce(array_position(ar.ids, h.arrow_id::text), 0)::int2), ''
                      ORDER BY h.seq) AS arrow,
           string_agg(CASE WHEN h.entered_by = 'value' THEN '\\x01'::bytea ELSE '\\x00'::bytea END,
                      '' ORDER BY h.seq) AS by_value,
           array_agg(h.seq ORDER BY h.seq) FILTER (WHERE h.entered_by = 'value') AS by_value_seqs
    FROM shot h
    JOIN target t ON t.id = h.target_id
    LEFT JOIN target_face f ON f.target_id = h.target_id
                           AND f.face_index = coalesce(h.face_index, 0)
    LEFT JOIN unnest($3::text[], $4::int[]) AS m(face_type, top) ON m.face_type = f.face_type
    WHERE h.session_id = s.id
) x
WHERE s.id = $1 AND s.archer_id = $2
"""


async def session_columns(
    conn: Executor, session_id: UUID, archer_id: UUID, face_maxima: tuple[list[str], list[int]]
) -> asyncpg.Record | None:
    return await conn.fetchrow(SESSION_COLUMNS, session_id, archer_id, *face_maxima)


# The session, its archer, and its shots in card order, one row per shot (one row with null
# shot columns for a session without shots, none for a session that is not the archer's).
# `hit_label`: what a same-spot miss hit (as the shot JSON has it); `face_type`: the face the
# shot was scored on (the target's first for a miss).
SCORECARD = """
SELECT s.round_code, s.round_plan::text AS plan, s.arrows_per_end,
       a.name AS archer_name, a.bowstyle, a.gender, a.age_group,
       h.id::text AS id, h.seq, h.end_no, h.end_place,
       h.arrow_id::text AS arrow_id, h.score, h.is_x,
       h.x_mm IS NULL AND h.entered_by <> 'value' AS is_miss, h.entered_by, h.same_spot_miss,
       CASE WHEN NOT h.same_spot_miss THEN NULL
            WHEN h.spot_is_x THEN 'X' ELSE h.spot_score::text END AS hit_label,
       f.face_type
FROM session s
JOIN archer a ON a.id = s.archer_id
LEFT JOIN shot h ON h.session_id = s.id
LEFT JOIN target_face f ON f.target_id = h.target_id AND f.face_index = coalesce(h.face_index, 0)
WHERE s.id = $1 AND s.archer_id = $2
ORDER BY h.end_no, h.end_place
"""


async def scorecard_rows(conn: Executor, session_id: UUID, archer_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(SCORECARD, session_id, archer_id)


# What a score sheet prints besides the scorecard: where and when (None: not the archer's).
SHEET_SESSION = """
SELECT id, location, is_indoor, distance_m, start_time, end_time
FROM session WHERE id = $1 AND archer_id = $2
"""


async def sheet_session(conn: Executor, session_id: UUID, archer_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(SHEET_SESSION, session_id, archer_id)


def session_filters(
    where: list[str],
    args: list[Any],
    *,
    start_from: date | None,
    start_to: date | None,
    distance_m: float | None,
    face_type: str | None,
    round_code: str | None,
    is_indoor: bool | None,
) -> None:
    """Append the conditions on `session s` (and their arguments) for the filters given."""

    def add(condition: str, value: Any) -> None:
        args.append(value)
        where.append(condition.replace("?", f"${len(args)}"))

    if start_from is not None:
        add("s.start_time >= ?::date", start_from)
    if start_to is not None:
        add("s.start_time < ?::date + 1", start_to)
    if distance_m is not None:
        add("s.distance_m = ?", distance_m)
    if round_code is not None:
        add("s.round_code = ?", round_code)
    if is_indoor is not None:
        add("s.is_indoor = ?", is_indoor)
    if face_type is not None:
        add(
            "EXISTS (SELECT 1 FROM target t JOIN target_face f ON f.target_id = t.id "
            "WHERE t.session_id = s.id AND f.face_type = ?)",
            face_type,
        )


# A week or a month of sessions: their sums added up, then the row's figures from the sums.
# A spread needs two impacts: with fewer it is NULL (GREATEST would turn a NULL into 0).
# `b` has the columns of `session_summary` (numeric sums) or of an arrow's own sums.
_BUCKET_FIGURES = """sum(b.shots)::int AS arrows, sum(b.hits)::int AS hits,
    sum(b.total)::int AS total, sum(b.total)::float8 / sum(b.shots) AS average_per_arrow,
    sum(b.x_count)::int AS x_count, sum(b.ten_count)::int AS ten_count,
    sum(b.impacts)::int AS impacts,
    (sum(b.sum_dx) / nullif(sum(b.impacts), 0))::float8 AS centre_x_mm,
    (sum(b.sum_dy) / nullif(sum(b.impacts), 0))::float8 AS centre_y_mm,
    CASE WHEN sum(b.impacts) > 1 THEN sqrt(greatest(
        (sum(b.sum_dx2) - sum(b.sum_dx) ^ 2 / sum(b.impacts)) / (sum(b.impacts) - 1), 0)::float8)
    END AS sigma_x_mm,
    CASE WHEN sum(b.impacts) > 1 THEN sqrt(greatest(
        (sum(b.sum_dy2) - sum(b.sum_dy) ^ 2 / sum(b.impacts)) / (sum(b.impacts) - 1), 0)::float8)
    END AS sigma_y_mm"""

# One arrow's shots of each session, with the same columns as `session_summary`.
_ARROW_SUMS = """SELECT h.session_id, count(*)::int AS shots,
           count(*) FILTER (WHERE h.score > 0)::int AS hits, sum(h.score)::int AS total,
           count(*) FILTER (WHERE h.is_x)::int AS x_count,
           count(*) FILTER (WHERE h.score >= 10)::int AS ten_count,
           count(h.dx_mm)::int AS impacts,
           coalesce(sum(h.dx_mm), 0) AS sum_dx, coalesce(sum(h.dy_mm), 0) AS sum_dy,
           coalesce(sum(h.dx_mm * h.dx_mm), 0) AS sum_dx2,
           coalesce(sum(h.dy_mm * h.dy_mm), 0) AS sum_dy2,
           avg(h.dx_mm) AS centre_x, avg(h.dy_mm) AS centre_y,
           stddev_samp(h.dx_mm) AS sigma_x, stddev_samp(h.dy_mm) AS sigma_y
    FROM shot h
    WHERE h.arrow_id = $ARROW
    GROUP BY h.session_id"""


async def history(
    conn: Executor,
    archer_id: UUID,
    *,
    group: str,
    filters: dict[str, Any],
    arrow_id: UUID | None,
    round_codes: list[str],
    round_arrows: list[int],
    pb_min_arrows: int,
) -> asyncpg.Record:
    """The rows (`row_texts`, `row_keys`), the trend, the bests (`by_round`, `by_distance`)
    as JSON texts and the sessions as arrays (the columns of `packed`), in one statement.

    `sessions`: the archer's sessions that pass the filters, with their summary. `counted`:
    the same, or only `arrow_id`'s shots of them when it is given (aggregated from `shot`
    through its arrow index). `g`: the rows, by session or summed by week or month, whose
    columns are the fields of the JSON (json_agg of the records: no per-row object built).
    The personal bests are of whole sessions, whatever the arrow.
    """
    where = ["s.archer_id = $1"]
    args: list[Any] = [archer_id]
    session_filters(where, args, **filters)
    args += [round_codes, round_arrows, pb_min_arrows]
    n_codes, n_arrows, n_min = len(args) - 2, len(args) - 1, len(args)
    if arrow_id is None:
        counted = "SELECT * FROM sessions b WHERE b.shots > 0"
    else:
        args.append(arrow_id)
        arrow_sums = _ARROW_SUMS.replace("$ARROW", f"${len(args)}")
        counted = f"""SELECT b.id, b.start_time, b.location, b.distance_m, b.is_indoor,
                             b.round_code, a.*
                      FROM sessions b JOIN ({arrow_sums}) a ON a.session_id = b.id"""
    whole = "true" if arrow_id is None else "false"  # handicaps are of whole sessions
    period = "NULL::date"
    if group != "session":
        period = f"date_trunc('{'week' if group == 'week' else 'month'}', c.start_time)::date"
    if group == "session":
        grouped = """SELECT c.id AS session_id, NULL::date AS period, c.start_time,
                            1 AS sessions, c.location, c.distance_m, c.is_indoor, c.round_code,
                            c.shots AS arrows, c.hits, c.total,
                            c.total::float8 / c.shots AS average_per_arrow,
                            c.x_count, c.ten_count, c.impacts,
                            c.centre_x AS centre_x_mm, c.centre_y AS centre_y_mm,
                            c.sigma_x AS sigma_x_mm, c.sigma_y AS sigma_y_mm
                     FROM counted c"""
    else:
        unit = "week" if group == "week" else "month"
        grouped = f"""SELECT NULL::uuid AS session_id,
                             date_trunc('{unit}', b.start_time)::date AS period,
                             min(b.start_time) AS start_time, count(*)::int AS sessions,
                             NULL::text AS location, NULL::float8 AS distance_m,
                             NULL::bool AS is_indoor, NULL::text AS round_code,
                             {_BUCKET_FIGURES}
                      FROM counted b
                      GROUP BY 2"""
    sql = f"""
    WITH sessions AS (
        SELECT s.id, s.start_time, s.location, s.distance_m, s.is_indoor, s.round_code,
               coalesce(m.shots, 0) AS shots, coalesce(m.hits, 0) AS hits,
               coalesce(m.total, 0) AS total, coalesce(m.x_count, 0) AS x_count,
               coalesce(m.ten_count, 0) AS ten_count, coalesce(m.impacts, 0) AS impacts,
               coalesce(m.sum_dx, 0) AS sum_dx, coalesce(m.sum_dy, 0) AS sum_dy,
               coalesce(m.sum_dx2, 0) AS sum_dx2, coalesce(m.sum_dy2, 0) AS sum_dy2,
               m.centre_x, m.centre_y, m.sigma_x, m.sigma_y
        FROM session s
        LEFT JOIN session_summary m ON m.session_id = s.id
        WHERE {" AND ".join(where)}
    ), counted AS (
        {counted}
    ), g AS (
        {grouped}
    ), trend AS (
        SELECT count(*)::int AS points,
               regr_slope(g.average_per_arrow,
                          extract(epoch FROM coalesce(g.period::timestamptz, g.start_time))
                          / 86400) AS slope,
               regr_r2(g.average_per_arrow,
                       extract(epoch FROM coalesce(g.period::timestamptz, g.start_time))
                       / 86400) AS r2
        FROM g
    ), rounds AS (
        SELECT * FROM unnest(${n_codes}::text[], ${n_arrows}::int[]) AS r(code, n)
    ), round_scores AS (
        -- A round's score is that of its first n arrows (more may have been shot).
        SELECT b.round_code, b.id AS session_id, b.start_time,
               CASE WHEN b.shots = r.n THEN b.total
                    ELSE (SELECT sum(q.score)::int
                          FROM (SELECT h.score FROM shot h WHERE h.session_id = b.id
                                ORDER BY h.seq LIMIT r.n) q)
               END AS score
        FROM sessions b JOIN rounds r ON r.code = b.round_code
        WHERE b.shots >= r.n
    ), best_round AS (
        SELECT DISTINCT ON (round_code) round_code, score, session_id, start_time
        FROM round_scores
        ORDER BY round_code, score DESC, start_time
    ), faces AS (
        -- Sessions without a standard round: the one face type, compound scoring and
        -- distance of their targets with shots (none when they differ).
        SELECT t.session_id, min(f.face_type) AS face_type,
               bool_and(t.compound_scoring) AS compound_scoring,
               min(t.distance_m) AS target_distance_m
        FROM counted c
        LEFT JOIN rounds r ON r.code = c.round_code
        JOIN target t ON t.session_id = c.id
        JOIN target_face f ON f.target_id = t.id
        WHERE {whole} AND r.code IS NULL
          AND EXISTS (SELECT 1 FROM shot h WHERE h.target_id = t.id)
        GROUP BY t.session_id
        HAVING min(f.face_type) = max(f.face_type) AND min(t.distance_m) = max(t.distance_m)
           AND bool_and(t.compound_scoring) = bool_or(t.compound_scoring)
    ), per_session AS (
        -- Each counted session, for its handicap and its series (stats/history.py): its
        -- round's score when complete and, without a standard round, its face and distance.
        SELECT c.id, c.start_time, {period} AS period, c.round_code, c.distance_m, c.is_indoor,
               c.shots AS arrows, c.total, CASE WHEN {whole} THEN rs.score END AS round_score,
               fx.face_type, fx.compound_scoring, fx.target_distance_m
        FROM counted c
        LEFT JOIN round_scores rs ON rs.session_id = c.id
        LEFT JOIN faces fx ON fx.session_id = c.id
    ), packed AS (
        -- The sessions as parallel arrays (one aggregate, so one order for all of them; the
        -- service sorts them by time: stats/history.py `sessions_of`).
        SELECT count(*)::int AS n_sessions, array_agg(p.id::text) AS session_ids,
               array_agg(p.start_time) AS start_times, array_agg(p.period) AS periods,
               array_agg(p.round_code) AS round_codes, array_agg(p.distance_m) AS distances,
               array_agg(p.is_indoor) AS indoor, array_agg(p.arrows) AS arrows,
               array_agg(p.total) AS totals, array_agg(p.round_score) AS round_scores,
               array_agg(p.face_type) AS face_types, array_agg(p.compound_scoring) AS compound,
               array_agg(p.target_distance_m) AS target_distances
        FROM per_session p
    ), texts AS (
        -- The rows as JSON texts, each with its key (session id, or period), so that the
        -- service adds a session's handicap to its row's text without parsing them all.
        SELECT coalesce(array_agg(row_to_json(g)::text ORDER BY g.start_time, g.session_id),
                        '{{}}') AS row_texts,
               coalesce(array_agg(coalesce(g.session_id::text, g.period::text)
                                  ORDER BY g.start_time, g.session_id), '{{}}') AS row_keys
        FROM g
    ), best_distance AS (
        SELECT DISTINCT ON (b.distance_m, b.is_indoor)
               b.distance_m, b.is_indoor, b.total::float8 / b.shots AS average_per_arrow,
               b.shots AS arrows, b.total, b.id AS session_id, b.start_time
        FROM sessions b
        WHERE b.shots >= ${n_min}
        ORDER BY b.distance_m, b.is_indoor, b.total::float8 / b.shots DESC, b.start_time
    )
    SELECT
        y.row_texts, y.row_keys,
        (SELECT json_build_object('points', t.points, 'slope_per_day', t.slope,
                                  'slope_per_year', t.slope * 365.25, 'r2', t.r2)
         FROM trend t) AS trend,
        (SELECT coalesce(json_agg(r ORDER BY r.round_code), '[]') FROM best_round r)
            AS by_round,
        (SELECT coalesce(json_agg(d ORDER BY d.distance_m, d.is_indoor), '[]')
         FROM best_distance d) AS by_distance,
        x.*
    FROM packed x, texts y
    """
    row = await conn.fetchrow(sql, *args)
    assert row is not None
    return row


async def arrow_exists(conn: Executor, arrow_id: UUID, archer_id: UUID) -> bool:
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM arrow WHERE id = $1 AND archer_id = $2)",
        arrow_id,
        archer_id,
    )
    return found


# Sums of one arrow's shots over `p` (its sessions, or those of a week or a month) → the
# figures of a row. Offsets from the sessions' group centres and the score against the
# sessions' average are summed per shot, so a week or a month weighs each session by the
# arrow's shots in it.
_ARROW_FIGURES = """sum(p.shots)::int AS shots, sum(p.hits)::int AS hits,
    sum(p.total)::int AS total, sum(p.total)::float8 / nullif(sum(p.shots), 0) AS mean_score,
    (sum(p.total) - sum(p.expected)) / nullif(sum(p.shots), 0) AS score_vs_session,
    sum(p.impacts)::int AS impacts,
    sum(p.sum_dx) / nullif(sum(p.impacts), 0) AS centre_x_mm,
    sum(p.sum_dy) / nullif(sum(p.impacts), 0) AS centre_y_mm,
    (sum(p.sum_dx) - sum(p.sum_cx)) / nullif(sum(p.impacts), 0) AS offset_x_mm,
    (sum(p.sum_dy) - sum(p.sum_cy)) / nullif(sum(p.impacts), 0) AS offset_y_mm,
    sqrt((sum(p.sum_dx) - sum(p.sum_cx)) ^ 2 + (sum(p.sum_dy) - sum(p.sum_cy)) ^ 2)
        / nullif(sum(p.impacts), 0) AS offset_mm"""


async def arrow_history(
    conn: Executor,
    arrow_id: UUID,
    archer_id: UUID,
    *,
    group: str,
    start_from: date | None,
    start_to: date | None,
) -> str | None:
    """The arrow, a summary and its rows as one JSON object; None when not the archer's.

    The arrow's shots are read through `shot_arrow_stats_idx` (an index-only scan); each
    session's group centre and average come from `session_summary`.
    """
    where = ["s.archer_id = $2"]
    args: list[Any] = [arrow_id, archer_id, group]
    session_filters(
        where,
        args,
        start_from=start_from,
        start_to=start_to,
        distance_m=None,
        face_type=None,
        round_code=None,
        is_indoor=None,
    )
    if group == "session":
        key = "p.session_id, NULL::date AS period"
        group_by = "GROUP BY p.session_id"
    else:
        unit = "week" if group == "week" else "month"
        key = f"NULL::uuid AS session_id, date_trunc('{unit}', p.start_time)::date AS period"
        group_by = "GROUP BY 2"
    json: str | None = await conn.fetchval(
        f"""
        WITH a AS (
            SELECT id, identifier, is_active FROM arrow WHERE id = $1 AND archer_id = $2
        ), mine AS (
            SELECT h.session_id, count(*)::int AS shots,
                   count(*) FILTER (WHERE h.score > 0)::int AS hits,
                   sum(h.score)::int AS total, count(h.dx_mm)::int AS impacts,
                   coalesce(sum(h.dx_mm), 0) AS sum_dx, coalesce(sum(h.dy_mm), 0) AS sum_dy
            FROM shot h
            WHERE h.arrow_id = $1 AND EXISTS (SELECT 1 FROM a)
            GROUP BY h.session_id
        ), per AS (
            SELECT mine.*, s.start_time,
                   -- the session's group centre, times the arrow's impacts in it
                   mine.impacts * coalesce(m.centre_x, 0) AS sum_cx,
                   mine.impacts * coalesce(m.centre_y, 0) AS sum_cy,
                   -- the session's average per arrow, times the arrow's shots in it
                   mine.shots * m.total::float8 / m.shots AS expected
            FROM mine
            JOIN session s ON s.id = mine.session_id
            JOIN session_summary m ON m.session_id = mine.session_id
            WHERE {" AND ".join(where)}
        ), g AS (
            SELECT {key}, min(p.start_time) AS start_time, count(*)::int AS sessions,
                   {_ARROW_FIGURES}
            FROM per p
            {group_by}
        ), summary AS (
            SELECT count(*)::int AS sessions, {_ARROW_FIGURES} FROM per p
        )
        SELECT json_build_object(
            'arrow', (SELECT row_to_json(a) FROM a),
            'group', $3::text,
            'summary', (SELECT json_build_object(
                'sessions', t.sessions, 'shots', coalesce(t.shots, 0),
                'hits', coalesce(t.hits, 0), 'total', coalesce(t.total, 0),
                'mean_score', t.mean_score, 'score_vs_session', t.score_vs_session,
                'impacts', coalesce(t.impacts, 0), 'centre_x_mm', t.centre_x_mm,
                'centre_y_mm', t.centre_y_mm, 'offset_x_mm', t.offset_x_mm,
                'offset_y_mm', t.offset_y_mm, 'offset_mm', t.offset_mm) FROM summary t),
            'rows', (SELECT coalesce(json_agg(g ORDER BY g.start_time, g.session_id), '[]')
                     FROM g))
        FROM a
        """,
        *args,
    )
    return json
