"""Statistics rules: a session's numbers, the history across sessions, an arrow's history.

The definitions are in `arch_stats.stats.maths` (computed over a session's columns by
`arch_stats.stats.session`), handicaps and classifications in `arch_stats.stats.handicap`,
the history's handicaps and series in `arch_stats.stats.history`, the scorecard in
`arch_stats.stats.scorecard`, its printable score sheet in `arch_stats.stats.scoresheet`.

`session_stats_json(conn, session_id, archer_id)` is the entry point for the live channel:
after each shot it sends the result as the `stats.updated` frame.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import numpy as np
import orjson

from arch_stats.core.database import Executor
from arch_stats.core.errors import InvalidInput, NotFound
from arch_stats.core.threads import ThreadSlots
from arch_stats.faces.rounds import ROUNDS, RoundSpec
from arch_stats.faces.scoring import FACES, max_score
from arch_stats.rounds import plan as round_plan
from arch_stats.stats import handicap, history, scorecard, scoresheet, session
from arch_stats.stats import repository as repo
from arch_stats.stats.handicap import Scheme
from arch_stats.stats.schemas import ArrowStatsQuery, HistoryQuery, ScoresheetQuery, SessionFilter

# Round codes and their arrow counts, for the personal bests (complete rounds only).
_ROUND_CODES = list(ROUNDS)
_ROUND_ARROWS = [ROUNDS[c].n_arrows for c in _ROUND_CODES]


# Sessions with more shots than this are computed in a worker thread: the event loop keeps
# answering others meanwhile (it gets the GIL back at every switch interval, and numpy's
# array work releases it).
STATS_INLINE_SHOTS = 2_000


def _face_maxima() -> tuple[list[str], list[int]]:
    types = sorted(FACES)
    return types, [max_score(t) for t in types]


_FACE_MAXIMA = _face_maxima()


def _stats_json(row: asyncpg.Record, scheme: Scheme) -> bytes:
    return orjson.dumps(session.compute(row, scheme))


async def session_stats_json(
    conn: Executor, session_id: UUID, archer_id: UUID, scheme: Scheme = "AGB"
) -> bytes | None:
    """The session's statistics as JSON (the `data` of GET /session/{id}/stats), or None
    when the session is not the archer's. The live channel's `stats.updated` frame too.

    The shots arrive as packed columns (one row, a few bytes a shot); a large session is
    computed in a worker thread, never on the event loop."""
    row = await session_columns(conn, session_id, archer_id)
    return None if row is None else await stats_json(row, scheme)


async def session_columns(
    conn: Executor, session_id: UUID, archer_id: UUID
) -> asyncpg.Record | None:
    """What a session's statistics are computed from (`stats_json`); None when the session
    is not the archer's."""
    return await repo.session_columns(conn, session_id, archer_id, _FACE_MAXIMA)


async def stats_json(
    row: asyncpg.Record, scheme: Scheme = "AGB", *, inline_shots: int = STATS_INLINE_SHOTS
) -> bytes:
    """The statistics of `session_columns`' row: on the event loop up to `inline_shots`
    shots, in a worker thread beyond."""
    if row["n"] <= inline_shots:
        return _stats_json(row, scheme)
    return await asyncio.to_thread(_stats_json, row, scheme)


async def session_stats(
    conn: Executor, archer_id: UUID, session_id: UUID, scheme: Scheme = "AGB"
) -> bytes:
    json = await session_stats_json(conn, session_id, archer_id, scheme)
    if json is None:
        raise NotFound("session", session_id)
    return json


async def scorecard_data(
    conn: Executor, archer_id: UUID, session_id: UUID
) -> tuple[dict[str, Any], list[scorecard.CardArrow], RoundSpec | None]:
    """The session's scorecard (`arch_stats.stats.scorecard`) with its archer and, when the
    session follows its round, where the archer is (`progress`), from one query; the arrows
    it was made of, and the round."""
    rows = await repo.scorecard_rows(conn, session_id, archer_id)
    if not rows:
        raise NotFound("session", session_id)
    first = rows[0]
    arrows = [
        scorecard.CardArrow(
            id=r["id"],
            seq=r["seq"],
            end_no=r["end_no"],
            end_place=r["end_place"],
            arrow_id=r["arrow_id"],
            score=r["score"],
            is_x=r["is_x"],
            is_miss=r["is_miss"],
            same_spot_miss=r["same_spot_miss"],
            hit_label=r["hit_label"],
            five_zone=_five_zone(r["face_type"]),
            entered_by=r["entered_by"],
        )
        for r in rows
        if r["id"] is not None
    ]
    spec = session.session_round(first["round_code"], first["plan"])
    card = scorecard.build(spec, first["round_code"], first["arrows_per_end"], arrows)
    card["progress"] = None
    if first["plan"] is not None:
        taken = round_plan.masks((a.end_no, a.end_place) for a in arrows)
        card["progress"] = round_plan.progress(orjson.loads(first["plan"]), len(arrows), taken)
    card["archer"] = {
        "name": first["archer_name"],
        "bowstyle": first["bowstyle"],
        "gender": first["gender"],
        "age_group": first["age_group"],
    }
    return card, arrows, spec


def _five_zone(face_type: str | None) -> bool:
    face = FACES.get(face_type) if face_type else None
    return face is not None and face.au_scoring == scorecard.FIVE_ZONE


async def scorecard_json(conn: Executor, archer_id: UUID, session_id: UUID) -> bytes:
    card, _, _ = await scorecard_data(conn, archer_id, session_id)
    return orjson.dumps(card)


def sheet_threads() -> ThreadSlots:
    """Where score sheets are made, one per process at a time (ReportLab is not documented as
    thread-safe), in a worker thread: a WA 1440 takes tens of milliseconds, a session of
    SESSION_MAX_SHOTS arrows seconds. At most 16 more wait; beyond that 429."""
    return ThreadSlots(
        concurrency=1, queue=16, busy="the server is busy making score sheets; try again soon"
    )


async def scoresheet_pdf(
    conn: Executor,
    threads: ThreadSlots,
    archer_id: UUID,
    session_id: UUID,
    query: ScoresheetQuery,
) -> tuple[bytes, str]:
    """The session's score sheet as a PDF (`arch_stats.stats.scoresheet`), made in `threads`
    (no database connection is held meanwhile: `conn` is the pool), and its file name
    (`score-sheet-YYYY-MM-DD.pdf`, the session's day in the reader's offset)."""
    card, arrows, spec = await scorecard_data(conn, archer_id, session_id)
    row = await repo.sheet_session(conn, session_id, archer_id)
    if row is None:  # deleted in between
        raise NotFound("session", session_id)
    in_order = np.array([a.score for a in sorted(arrows, key=lambda a: a.seq)], dtype=np.int64)
    archer = card["archer"]
    figures = session.round_figures(
        spec,
        query.scheme,
        in_order,
        (archer["bowstyle"], archer["gender"], archer["age_group"]),
    )
    offset = timedelta(minutes=query.utc_offset_minutes)
    sheet = scoresheet.Sheet(
        card=card,
        session=dict(row),
        figures=figures,
        utc_offset=offset,
        made_at=datetime.now(UTC),
        spec=spec,
    )
    day = (row["start_time"] + offset).date()
    return await threads.run(scoresheet.render, sheet), f"score-sheet-{day.isoformat()}.pdf"


def _check_face(face_type: str | None) -> None:
    if face_type is not None and face_type not in FACES:
        raise InvalidInput(f"face_type: unknown face {face_type!r} (GET /api/v0/face lists them)")


def filter_kwargs(f: SessionFilter) -> dict[str, Any]:
    _check_face(f.face_type)
    return {
        "start_from": f.start_from,
        "start_to": f.start_to,
        "distance_m": f.distance_m,
        "face_type": f.face_type,
        "round_code": f.round_code,
        "is_indoor": f.is_indoor,
    }


# Above this many sessions the history's Python part (handicaps, series, JSON) runs in a
# worker thread, so that the event loop keeps answering others meanwhile.
HISTORY_INLINE_SESSIONS = 300


def _history_body(row: asyncpg.Record, query: HistoryQuery) -> bytes:
    sessions = history.sessions_of(row)
    if query.arrow_id is None:
        history.add_handicaps(query.scheme, sessions)
    rows = history.rows_json(row["row_texts"], row["row_keys"], sessions, query.group)
    # The bests by round are few: their handicaps are added here (archeryutils, memoised).
    by_round = orjson.loads(row["by_round"])
    for best in by_round:
        spec = ROUNDS.get(best["round_code"])
        best["name"] = spec.name if spec else None
        best["handicap"] = handicap.round_handicap(query.scheme, best["round_code"], best["score"])
    return orjson.dumps(
        {
            "group": query.group,
            "scheme": query.scheme,
            "rows": orjson.Fragment(rows),
            "trend": orjson.Fragment(row["trend"]),
            "series": history.series(sessions, query.group),
            "personal_bests": {
                "by_round": by_round,
                "by_distance": orjson.Fragment(row["by_distance"]),
            },
        }
    )


async def history_json(conn: Executor, archer_id: UUID, query: HistoryQuery) -> bytes:
    if query.arrow_id is not None and not await repo.arrow_exists(conn, query.arrow_id, archer_id):
        raise NotFound("arrow", query.arrow_id)
    row = await repo.history(
        conn,
        archer_id,
        group=query.group,
        filters=filter_kwargs(query),
        arrow_id=query.arrow_id,
        round_codes=_ROUND_CODES,
        round_arrows=_ROUND_ARROWS,
        pb_min_arrows=query.pb_min_arrows,
    )
    if row["n_sessions"] <= HISTORY_INLINE_SESSIONS:
        return _history_body(row, query)
    return await asyncio.to_thread(_history_body, row, query)


async def arrow_stats_json(
    conn: Executor, archer_id: UUID, arrow_id: UUID, query: ArrowStatsQuery
) -> str:
    json = await repo.arrow_history(
        conn,
        arrow_id,
        archer_id,
        group=query.group,
        start_from=query.start_from,
        start_to=query.start_to,
    )
    if json is None:
        raise NotFound("arrow", arrow_id)
    return json
