"""All SQL of CSV export and import.

Export: one `COPY (SELECT …) TO STDOUT (FORMAT csv, HEADER)` per file; PostgreSQL formats
every value (floats in their shortest exact form, times in ISO with microseconds), so a
file read back gives the same numbers. Rows go out by session start (then session key, the
same in every account the data was imported into), then shot order. Free-text cells
(location, notes, arrow identifier) go through `csv_text` (definitions/csv_text.sql): one
that a spreadsheet would run as a formula gets a `'` in front, which the import takes off.

Import: the shots of a file are first copied into a temporary table (`import_shot`, dropped
at commit), then merged with a few set-based statements in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg

from arch_stats.core.database import Connection, Executor, long_statements
from arch_stats.core.errors import Conflict, InvalidInput
from arch_stats.stats.repository import session_filters

_BOOL = "CASE WHEN {0} THEN 'true' ELSE 'false' END"


def _where(archer_id: UUID, filters: dict[str, Any]) -> tuple[list[str], list[Any]]:
    where = ["s.archer_id = $1"]
    args: list[Any] = [archer_id]
    session_filters(where, args, **filters)
    return where, args


def shots_query(
    archer_id: UUID, filters: dict[str, Any], arrow_id: UUID | None
) -> tuple[str, list[Any]]:
    """The SELECT of shots.csv (columns as `schemas.SHOT_COLUMNS`) and its arguments."""
    where, args = _where(archer_id, filters)
    shot_where = ""
    if arrow_id is not None:
        args.append(arrow_id)
        shot_where = f"WHERE h.arrow_id = ${len(args)}"
    # Session and target columns are turned into text once per session and target, not once
    # per shot: most of the cost of a COPY is formatting values.
    sql = f"""
    WITH s AS MATERIALIZED (
        SELECT s.id, s.start_time, coalesce(o.source_key, s.id)::text AS session_key,
               s.start_time::text AS session_start, s.end_time::text AS session_end,
               csv_text(s.location) AS location, {_BOOL.format("s.is_indoor")} AS is_indoor,
               s.distance_m::text AS session_distance_m, s.round_code,
               s.arrows_per_end::text AS arrows_per_end,
               s.landing_window_ms::text AS landing_window_ms,
               {_BOOL.format("s.is_open")} AS is_open, csv_text(s.notes) AS notes,
               s.round_plan::text AS round_plan
        FROM session s LEFT JOIN session_origin o ON o.session_id = s.id
        WHERE {" AND ".join(where)}
    ), t AS MATERIALIZED (
        SELECT tg.id, coalesce(o.source_key, tg.id)::text AS target_key, tg.lane::text AS lane,
               tg.distance_m::text AS target_distance_m,
               tg.view_width_mm::text AS view_width_mm,
               tg.view_height_mm::text AS view_height_mm,
               {_BOOL.format("tg.compound_scoring")} AS compound_scoring,
               (SELECT string_agg(f.face_type || ':' || f.center_x_mm || ':' || f.center_y_mm,
                                  ' ' ORDER BY f.face_index)
                FROM target_face f WHERE f.target_id = tg.id) AS faces,
               ARRAY(SELECT f.face_type FROM target_face f WHERE f.target_id = tg.id
                     ORDER BY f.face_index) AS face_types,
               tg.first_end, tg.last_end
        FROM target tg LEFT JOIN target_origin o ON o.target_id = tg.id
        WHERE tg.session_id IN (SELECT id FROM s)
    )
    SELECT s.session_key, s.session_start, s.session_end, s.location, s.is_indoor,
           s.session_distance_m, s.round_code, s.arrows_per_end, s.landing_window_ms,
           s.is_open, s.notes, s.round_plan, t.target_key, t.lane, t.target_distance_m,
           t.view_width_mm, t.view_height_mm, t.compound_scoring, t.faces, t.first_end,
           t.last_end,
           h.end_no, h.end_place, h.seq, csv_text(a.identifier) AS arrow,
           a.diameter_mm AS arrow_diameter_mm,
           t.face_types[h.face_index + 1] AS face_type, h.x_mm, h.y_mm, h.face_index,
           h.spot_index, h.dx_mm, h.dy_mm, h.score,
           CASE WHEN h.is_x THEN 'X' WHEN h.score = 0 THEN 'M' ELSE h.score::text END AS label,
           {_BOOL.format("h.is_x")} AS is_x, h.entered_by,
           CASE WHEN NOT h.same_spot_miss THEN NULL
                WHEN h.spot_is_x THEN 'X' ELSE h.spot_score::text END AS hit_label,
           h.engaged_at, h.released_at, h.landed_at,
           round(date_part('epoch', h.released_at - h.engaged_at) * 1e6) / 1000 AS draw_ms,
           round(date_part('epoch', h.landed_at - h.released_at) * 1e6) / 1000 AS flight_ms
    FROM s
    JOIN shot h ON h.session_id = s.id
    JOIN t ON t.id = h.target_id
    LEFT JOIN arrow a ON a.id = h.arrow_id
    {shot_where}
    ORDER BY s.start_time, s.session_key, h.seq
    """
    return sql, args


def sessions_query(
    archer_id: UUID, filters: dict[str, Any], arrow_id: UUID | None
) -> tuple[str, list[Any]]:
    """The SELECT of sessions.csv (columns as `schemas.SESSION_COLUMNS`): every session that
    passes the filters, with its figures (of `arrow_id`'s shots only, when given)."""
    where, args = _where(archer_id, filters)
    if arrow_id is None:
        figures = """LEFT JOIN session_summary m ON m.session_id = s.id"""
    else:
        args.append(arrow_id)
        figures = f"""JOIN (
            SELECT h.session_id, count(*)::int AS shots,
                   count(*) FILTER (WHERE h.score > 0)::int AS hits, sum(h.score)::int AS total,
                   count(*) FILTER (WHERE h.is_x)::int AS x_count,
                   count(*) FILTER (WHERE h.score >= 10)::int AS ten_count,
                   count(h.dx_mm)::int AS impacts, avg(h.dx_mm) AS centre_x,
                   avg(h.dy_mm) AS centre_y, stddev_samp(h.dx_mm) AS sigma_x,
                   stddev_samp(h.dy_mm) AS sigma_y
            FROM shot h WHERE h.arrow_id = ${len(args)} GROUP BY h.session_id
        ) m ON m.session_id = s.id"""
    sql = f"""
    SELECT coalesce(o.source_key, s.id) AS session_key, s.start_time, s.end_time,
           csv_text(s.location) AS location, {_BOOL.format("s.is_indoor")} AS is_indoor,
           s.distance_m, s.round_code, s.arrows_per_end,
           {_BOOL.format("s.is_open")} AS is_open, csv_text(s.notes) AS notes,
           (SELECT string_agg(DISTINCT f.face_type, ' ')
            FROM target tg JOIN target_face f ON f.target_id = tg.id
            WHERE tg.session_id = s.id) AS face_types,
           coalesce(m.shots, 0) AS arrows, coalesce(m.hits, 0) AS hits,
           coalesce(m.shots - m.hits, 0) AS misses, coalesce(m.total, 0) AS total,
           m.total::float8 / nullif(m.shots, 0) AS average_per_arrow,
           coalesce(m.x_count, 0) AS x_count, coalesce(m.ten_count, 0) AS ten_count,
           coalesce(m.impacts, 0) AS impacts, m.centre_x AS centre_x_mm,
           m.centre_y AS centre_y_mm, m.sigma_x AS sigma_x_mm, m.sigma_y AS sigma_y_mm
    FROM session s
    LEFT JOIN session_origin o ON o.session_id = s.id
    {figures}
    WHERE {" AND ".join(where)}
    ORDER BY s.start_time, session_key
    """
    return sql, args


async def set_statement_timeout(conn: Connection, seconds: float) -> None:
    """The transaction's own statement_timeout (its statements are large by design), on the
    client's side too (the pool's default is the API's short one)."""
    await long_statements(conn, seconds)


async def copy_csv(
    conn: Connection,
    sql: str,
    args: Sequence[Any],
    output: Any,
    *,
    statement_timeout: float | None = None,
) -> int:
    """COPY the rows of `sql` as CSV with a header to `output` (asyncpg: a path, a file, or a
    coroutine function taking bytes), in one snapshot; returns the row count."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        # ISO dates whatever the server's default: `2026-05-01 09:30:00.25+00`.
        await conn.execute("SET LOCAL datestyle = 'ISO, YMD'")
        if statement_timeout is not None:
            await set_statement_timeout(conn, statement_timeout)
        status: str = await conn.copy_from_query(
            sql, *args, output=output, format="csv", header=True
        )
    return int(status.split()[-1])


async def archer_by_email(conn: Executor, email: str) -> UUID | None:
    archer_id: UUID | None = await conn.fetchval(
        "SELECT id FROM archer WHERE lower(email) = lower($1)", email
    )
    return archer_id


async def arrow_by_identifier(conn: Executor, archer_id: UUID, identifier: str) -> UUID | None:
    """The active arrow with `identifier`, else the most recently retired one."""
    arrow_id: UUID | None = await conn.fetchval(
        """SELECT id FROM arrow WHERE archer_id = $1 AND identifier = $2
           ORDER BY is_active DESC, retired_at DESC NULLS FIRST LIMIT 1""",
        archer_id,
        identifier,
    )
    return arrow_id


# --- one import and one export at a time per account ----------------------------------------


async def take_lease(
    conn: Executor, archer_id: UUID, kind: str, holder: UUID, seconds: float
) -> bool:
    """True when `holder` now has the account's `kind` lease (free, or expired)."""
    taken: bool | None = await conn.fetchval(
        """INSERT INTO exchange_lease AS l (archer_id, kind, holder, expires_at)
           VALUES ($1, $2, $3, now() + make_interval(secs => $4))
           ON CONFLICT (archer_id, kind) DO UPDATE
               SET holder = excluded.holder, expires_at = excluded.expires_at
               WHERE l.expires_at < now()
           RETURNING true""",
        archer_id,
        kind,
        holder,
        seconds,
    )
    return bool(taken)


async def renew_lease(
    conn: Executor, archer_id: UUID, kind: str, holder: UUID, seconds: float
) -> None:
    await conn.execute(
        """UPDATE exchange_lease SET expires_at = now() + make_interval(secs => $4)
           WHERE archer_id = $1 AND kind = $2 AND holder = $3""",
        archer_id,
        kind,
        holder,
        seconds,
    )


async def release_lease(conn: Executor, archer_id: UUID, kind: str, holder: UUID) -> None:
    await conn.execute(
        "DELETE FROM exchange_lease WHERE archer_id = $1 AND kind = $2 AND holder = $3",
        archer_id,
        kind,
        holder,
    )


# --- import ----------------------------------------------------------------------------------

STAGE_COLUMNS = (
    "line",
    "session_key",
    "target_key",
    "seq",
    "end_no",
    "end_place",
    "arrow",
    "x_mm",
    "y_mm",
    "face_index",
    "spot_index",
    "dx_mm",
    "dy_mm",
    "score",
    "is_x",
    "spot_score",
    "spot_is_x",
    "engaged_at",
    "released_at",
    "landed_at",
    "entered_by",
)


async def create_stage(conn: Executor) -> None:
    await conn.execute(
        """CREATE TEMPORARY TABLE import_shot (
               line integer NOT NULL, session_key uuid NOT NULL, target_key uuid NOT NULL,
               seq integer NOT NULL, end_no integer NOT NULL, end_place smallint, arrow text,
               x_mm float8, y_mm float8, face_index smallint, spot_index smallint,
               dx_mm float8, dy_mm float8, score smallint NOT NULL, is_x boolean NOT NULL,
               spot_score smallint, spot_is_x boolean,
               engaged_at timestamptz, released_at timestamptz, landed_at timestamptz,
               entered_by text NOT NULL
           ) ON COMMIT DROP"""
    )


async def stage(conn: Executor, records: Sequence[tuple[Any, ...]]) -> None:
    await conn.copy_records_to_table("import_shot", records=records, columns=STAGE_COLUMNS)


async def duplicate_shots(conn: Executor, limit: int) -> list[asyncpg.Record]:
    """Lines that repeat a (session, seq) of an earlier line, with that line."""
    return await conn.fetch(
        """SELECT line, first, seq, session_key FROM (
               SELECT line, seq, session_key,
                      first_value(line) OVER (PARTITION BY session_key, seq ORDER BY line) AS first
               FROM import_shot) d
           WHERE line <> first ORDER BY line LIMIT $1""",
        limit,
    )


async def existing_sessions(
    conn: Executor, archer_id: UUID, keys: Sequence[UUID]
) -> dict[UUID, UUID]:
    """key → the archer's session recorded with that id, or imported from that key."""
    rows = await conn.fetch(
        """SELECT k.key, coalesce(own.id, o.session_id) AS id
           FROM unnest($2::uuid[]) AS k(key)
           LEFT JOIN session own ON own.id = k.key AND own.archer_id = $1
           LEFT JOIN session_origin o ON o.source_key = k.key AND o.archer_id = $1
           WHERE own.id IS NOT NULL OR o.session_id IS NOT NULL""",
        archer_id,
        list(keys),
    )
    return {r["key"]: r["id"] for r in rows}


async def lock_sessions(conn: Executor, session_ids: Sequence[UUID]) -> None:
    """Lock these sessions' rows until the transaction ends, in the order of their ids."""
    await conn.execute(
        "SELECT FROM session WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE",
        list(session_ids),
    )


async def has_open_session(conn: Executor, archer_id: UUID) -> bool:
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM session WHERE archer_id = $1 AND is_open)", archer_id
    )
    return found


async def insert_sessions(conn: Executor, archer_id: UUID, rows: Sequence[tuple[Any, ...]]) -> None:
    """rows: (id, source_key, start, end, location, is_indoor, distance_m, round_code,
    arrows_per_end, landing_window_ms, is_open, notes). A round followed is set after the
    targets are (`follow`)."""
    cols = list(zip(*rows, strict=True))
    try:
        await conn.execute(
            """INSERT INTO session (id, archer_id, start_time, end_time, location, is_indoor,
                                    distance_m, round_code, arrows_per_end, landing_window_ms,
                                    is_open, notes)
               SELECT u.id, $1, u.start_time, u.end_time, u.location, u.is_indoor, u.distance_m,
                      u.round_code, u.arrows_per_end, u.landing_window_ms, u.is_open, u.notes
               FROM unnest($2::uuid[], $3::uuid[], $4::timestamptz[], $5::timestamptz[],
                           $6::text[], $7::bool[], $8::float8[], $9::text[], $10::int2[],
                           $11::int[], $12::bool[], $13::text[])
                    AS u(id, source_key, start_time, end_time, location, is_indoor, distance_m,
                         round_code, arrows_per_end, landing_window_ms, is_open, notes)""",
            archer_id,
            *cols,
        )
        await conn.execute(
            """INSERT INTO session_origin (session_id, archer_id, source_key)
               SELECT u.id, $1, u.source_key
               FROM unnest($2::uuid[], $3::uuid[]) AS u(id, source_key)""",
            archer_id,
            cols[0],
            cols[1],
        )
    except asyncpg.UniqueViolationError as exc:
        raise Conflict(
            "these sessions are being imported by another request at the same time, "
            "or another session was opened meanwhile: try again"
        ) from exc


async def existing_targets(
    conn: Executor, archer_id: UUID, pairs: Sequence[tuple[UUID, UUID]]
) -> dict[tuple[UUID, UUID], UUID]:
    """(session id, key) → the target of that session recorded with that id or imported
    from that key."""
    rows = await conn.fetch(
        """SELECT k.session_id, k.key, coalesce(own.id, o.target_id) AS id
           FROM unnest($2::uuid[], $3::uuid[]) AS k(session_id, key)
           LEFT JOIN target own ON own.id = k.key AND own.session_id = k.session_id
                               AND own.archer_id = $1
           LEFT JOIN target_origin o ON o.session_id = k.session_id AND o.source_key = k.key
           WHERE own.id IS NOT NULL OR o.target_id IS NOT NULL""",
        archer_id,
        [p[0] for p in pairs],
        [p[1] for p in pairs],
    )
    return {(r["session_id"], r["key"]): r["id"] for r in rows}


async def insert_targets(
    conn: Executor,
    archer_id: UUID,
    targets: Sequence[tuple[Any, ...]],
    faces: Sequence[tuple[Any, ...]],
) -> None:
    """targets: (id, session_id, source_key, lane, distance_m, view_width_mm, view_height_mm,
    compound_scoring, first_end, last_end); faces: (target_id, face_index, face_type,
    centre_x_mm, centre_y_mm)."""
    t = list(zip(*targets, strict=True))
    try:
        await conn.execute(
            """INSERT INTO target (id, session_id, archer_id, lane, distance_m, view_width_mm,
                                   view_height_mm, compound_scoring, first_end, last_end)
               SELECT u.id, u.session_id, $1, u.lane, u.distance_m, u.w, u.h, u.compound,
                      u.first_end, u.last_end
               FROM unnest($2::uuid[], $3::uuid[], $4::int[], $5::float8[], $6::float8[],
                           $7::float8[], $8::bool[], $9::int[], $10::int[])
                    AS u(id, session_id, lane, distance_m, w, h, compound, first_end, last_end)""",
            archer_id,
            t[0],
            t[1],
            *t[3:],
        )
        await conn.execute(
            """INSERT INTO target_origin (target_id, session_id, source_key)
               SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[])""",
            t[0],
            t[1],
            t[2],
        )
    except asyncpg.UniqueViolationError as exc:
        raise Conflict(
            "these targets are being imported by another request at the same time: try again"
        ) from exc
    await conn.copy_records_to_table(
        "target_face",
        records=faces,
        columns=("target_id", "face_index", "face_type", "center_x_mm", "center_y_mm"),
    )


async def follow(conn: Executor, plans: Sequence[tuple[UUID, str, int]]) -> None:
    """The rounds imported sessions follow: (session, plan JSON, the round's arrows)."""
    await conn.execute(
        """UPDATE session s SET round_plan = u.plan::jsonb, round_arrows = u.arrows
           FROM unnest($1::uuid[], $2::text[], $3::int[]) AS u(id, plan, arrows)
           WHERE s.id = u.id""",
        *[list(c) for c in zip(*plans, strict=True)],
    )


async def arrows_by_identifier(
    conn: Executor, archer_id: UUID, identifiers: Sequence[str]
) -> dict[str, UUID]:
    """identifier → the active arrow with it, else the most recently retired one."""
    rows = await conn.fetch(
        """SELECT DISTINCT ON (identifier) identifier, id FROM arrow
           WHERE archer_id = $1 AND identifier = ANY($2::text[])
           ORDER BY identifier, is_active DESC, retired_at DESC NULLS FIRST""",
        archer_id,
        list(identifiers),
    )
    return {r["identifier"]: r["id"] for r in rows}


async def insert_arrows(
    conn: Executor, archer_id: UUID, arrows: Sequence[tuple[UUID, str, float | None]]
) -> None:
    cols = list(zip(*arrows, strict=True))
    await conn.execute(
        """INSERT INTO arrow (id, archer_id, identifier, diameter_mm)
           SELECT u.id, $1, u.identifier, coalesce(u.diameter_mm, 5.5)
           FROM unnest($2::uuid[], $3::text[], $4::float8[]) AS u(id, identifier, diameter_mm)""",
        archer_id,
        *cols,
    )


async def insert_shots(
    conn: Executor,
    archer_id: UUID,
    sessions: dict[UUID, UUID],
    targets: dict[tuple[UUID, UUID], UUID],
    arrows: dict[str, UUID],
) -> int:
    """The staged shots into their sessions (`sessions`: file key → id; `targets`: (file
    session key, file target key) → id; `arrows`: identifier → id); those whose (session,
    seq), or whose place in its end is taken, are skipped; a shot the file gives no place
    (files written before `end_place`) takes the first free place of its end, in seq order
    (the `shot_place_default` trigger, definitions/shot_place_default.sql). Each session's
    `last_seq` then covers its highest shot number. Returns the shots added."""
    try:
        status = await _insert_staged(conn, archer_id, sessions, targets, arrows)
    except asyncpg.CheckViolationError as exc:
        if exc.constraint_name in ("shot_end_full", "shot_end_place_within_end"):
            raise InvalidInput(
                f"nothing imported: {exc.args[0] if exc.args else exc} (a session of the "
                "file, or the one it is imported into, has fewer arrows per end than an end "
                "of the file)"
            ) from None
        if exc.constraint_name in ("session_round_complete", "shot_wrong_target"):
            raise InvalidInput(
                f"nothing imported: {exc.args[0] if exc.args else exc} (a session follows its "
                "round: no more arrows than it has, each at the target of its end)"
            ) from None
        raise
    await conn.execute(
        """UPDATE session s SET last_seq = greatest(s.last_seq, m.top)
           FROM (SELECT u.id, max(st.seq) AS top
                 FROM import_shot st
                 JOIN unnest($2::uuid[], $3::uuid[]) AS u(key, id) ON u.key = st.session_key
                 GROUP BY u.id) m
           WHERE s.id = m.id AND s.archer_id = $1 AND s.last_seq < m.top""",
        archer_id,
        list(sessions),
        list(sessions.values()),
    )
    return int(status.split()[-1])


async def _insert_staged(
    conn: Executor,
    archer_id: UUID,
    sessions: dict[UUID, UUID],
    targets: dict[tuple[UUID, UUID], UUID],
    arrows: dict[str, UUID],
) -> str:
    status: str = await conn.execute(
        """WITH sm AS (
               SELECT * FROM unnest($2::uuid[], $3::uuid[]) AS u(key, id)
           ), tm AS (
               SELECT * FROM unnest($4::uuid[], $5::uuid[], $6::uuid[])
                        AS u(session_key, key, id)
           ), am AS (
               SELECT * FROM unnest($7::text[], $8::uuid[]) AS u(identifier, id)
           )
           INSERT INTO shot (session_id, archer_id, target_id, arrow_id, seq, end_no,
                             end_place, x_mm, y_mm, face_index, spot_index, dx_mm, dy_mm, score,
                             is_x, spot_score, spot_is_x, same_spot_miss, engaged_at,
                             released_at, landed_at, entered_by)
           SELECT sm.id, $1, tm.id, am.id, st.seq, st.end_no, st.end_place, st.x_mm, st.y_mm,
                  st.face_index, st.spot_index, st.dx_mm, st.dy_mm, st.score, st.is_x,
                  st.spot_score, st.spot_is_x, st.spot_score IS NOT NULL AND st.score = 0,
                  st.engaged_at, st.released_at, st.landed_at, st.entered_by
           FROM import_shot st
           JOIN sm ON sm.key = st.session_key
           JOIN tm ON tm.session_key = st.session_key AND tm.key = st.target_key
           LEFT JOIN am ON am.identifier = st.arrow
           -- Already there: skipped before a place is looked for (shot_place_default).
           WHERE NOT EXISTS (SELECT FROM shot x WHERE x.session_id = sm.id AND x.seq = st.seq)
           ORDER BY st.session_key, st.seq
           ON CONFLICT DO NOTHING""",
        archer_id,
        list(sessions),
        list(sessions.values()),
        [k[0] for k in targets],
        [k[1] for k in targets],
        list(targets.values()),
        list(arrows),
        list(arrows.values()),
    )
    return status


async def sessions_over(
    conn: Executor, session_ids: Sequence[UUID], max_shots: int
) -> list[tuple[UUID, int]]:
    """The sessions among these holding more than `max_shots` shots: (id, shots)."""
    rows = await conn.fetch(
        "SELECT id, shot_count FROM session WHERE id = ANY($1::uuid[]) AND shot_count > $2 "
        "ORDER BY start_time, id",
        list(session_ids),
        max_shots,
    )
    return [(r["id"], r["shot_count"]) for r in rows]
