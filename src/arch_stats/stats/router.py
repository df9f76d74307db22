"""Routes of the statistics domain: a session's numbers, the history, an arrow's history."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from arch_stats.access import policy
from arch_stats.auth.deps import CurrentArcher
from arch_stats.core.database import Db
from arch_stats.core.responses import Envelope, error_responses, ok_json
from arch_stats.core.threads import ThreadSlots
from arch_stats.stats import service
from arch_stats.stats.schemas import (
    ArrowStatsOut,
    ArrowStatsQuery,
    HistoryOut,
    HistoryRequest,
    ScorecardOut,
    ScoresheetQuery,
    SessionStatsOut,
    SessionStatsQuery,
)

router = APIRouter(tags=["stats"])


@router.get(
    "/session/{session_id}/stats",
    response_model=Envelope[SessionStatsOut],
    responses=error_responses(401, 404, 422),
    summary="A session's statistics: scores, ends, grouping, timing, per arrow, handicap",
    description="Definitions: positions are from the centre of the spot hit (multi-spot faces "
    "pool); σ are sample standard deviations; CEP50 is the median distance from the group "
    "centre; an arrow is flagged when a Hotelling T² test of its mean position against the "
    "other arrows' (pooled covariance, ≥ 3 impacts, Holm-adjusted p < 0.05) says so. With a "
    "standard round: handicap (`scheme`, AGB by default) and Archery GB classification of a "
    "complete round, else a predicted final score from the handicap of the arrows so far.",
)
async def session_stats(
    session_id: UUID,
    query: Annotated[SessionStatsQuery, Query()],
    archer: CurrentArcher,
    conn: Db,
) -> Response:
    return ok_json(
        await policy.read_as(
            conn,
            archer.archer_id,
            "session",
            session_id,
            lambda whose: service.session_stats(conn, whose, session_id, query.scheme),
        )
    )


@router.get(
    "/session/{session_id}/scorecard",
    response_model=Envelope[ScorecardOut],
    responses=error_responses(401, 404, 422),
    summary="A session's scorecard: ends high to low, running totals, X / 10+X / hits, "
    "subtotals per distance or half",
    description="Within an end the arrows read high to low as on a paper card (X first, misses "
    "last; `seq` and `end_place` give the shooting order). An arrow's place in the round is "
    "(end_no − 1) · arrows_per_end + end_place; subtotals come from archeryutils' passes of "
    "the round (one per distance of a multi-distance round) and, for a 72-arrow round, one "
    "per half. Cheap enough to fetch again after every shot.",
)
async def scorecard(session_id: UUID, archer: CurrentArcher, conn: Db) -> Response:
    return ok_json(
        await policy.read_as(
            conn,
            archer.archer_id,
            "session",
            session_id,
            lambda whose: service.scorecard_json(conn, whose, session_id),
        )
    )


def sheet_threads_of(request: Request) -> ThreadSlots:
    """This process's score sheet thread, made on first use."""
    state = request.app.state
    threads: ThreadSlots | None = getattr(state, "sheet_threads", None)
    if threads is None:
        threads = state.sheet_threads = service.sheet_threads()
    return threads


@router.get(
    "/session/{session_id}/scoresheet.pdf",
    response_class=Response,
    responses={
        200: {
            "description": "The score sheet, A4 (application/pdf).",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        },
        **error_responses(401, 404, 422, 429),
    },
    summary="A session's score sheet as a PDF, to print and sign",
    description="The scorecard (each end high to low, end and running totals, distance and "
    "half subtotals, hits / 10+X / X, or hits / golds for imperial rounds) with the archer's "
    "name and category, the round, its distances, the date, the venue, the total, the "
    "handicap and classification of a complete standard round (`scheme`, as the session "
    "statistics give them), and lines for the archer's and the scorer's signatures. A WA "
    "1440 fits one A4 page. Readable by whoever may read the session's scorecard.",
)
async def scoresheet(
    session_id: UUID,
    request: Request,
    query: Annotated[ScoresheetQuery, Query()],
    archer: CurrentArcher,
    conn: Db,
) -> Response:
    pdf, filename = await policy.read_as(
        conn,
        archer.archer_id,
        "session",
        session_id,
        lambda whose: service.scoresheet_pdf(
            conn, sheet_threads_of(request), whose, session_id, query
        ),
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@router.get(
    "/stats/history",
    response_model=Envelope[HistoryOut],
    responses=error_responses(401, 404, 422),
    summary="Statistics by session, week or month, with the trend and personal bests",
    description="Rows are the sessions with shots that pass the filters (with `arrow_id`: that "
    "arrow's shots only), or their sums by ISO week or calendar month (UTC). The trend is the "
    "least-squares slope of the rows' average per arrow over time. Personal bests are of whole "
    "sessions that pass the session filters: by round, complete rounds (their first n "
    "arrows); by distance, the best average per arrow over at least `pb_min_arrows` arrows.",
)
async def history(
    query: Annotated[HistoryRequest, Query()], archer: CurrentArcher, conn: Db
) -> Response:
    whose = await policy.reader_for(conn, archer.archer_id, query.archer_id, "archer")
    return ok_json(await service.history_json(conn, whose, query))


@router.get(
    "/arrow/{arrow_id}/stats",
    response_model=Envelope[ArrowStatsOut],
    responses=error_responses(401, 404, 422),
    summary="One arrow across sessions: its scores and where it lands against the group",
    description="Per session (or week, month): the arrow's shots, mean score and group centre, "
    "its offset from the group centre of all the arrows of its sessions and its score against "
    "their average per arrow; a week or month weighs each session by the arrow's shots in it.",
)
async def arrow_stats(
    arrow_id: UUID,
    query: Annotated[ArrowStatsQuery, Query()],
    archer: CurrentArcher,
    conn: Db,
) -> Response:
    return ok_json(
        await policy.read_as(
            conn,
            archer.archer_id,
            "arrow",
            arrow_id,
            lambda whose: service.arrow_stats_json(conn, whose, arrow_id, query),
        )
    )
