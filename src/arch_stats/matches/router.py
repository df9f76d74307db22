"""HTTP routes of head-to-head brackets (thin: parse, authorise, call the service)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import orjson
from fastapi import APIRouter
from starlette.responses import Response

from arch_stats.auth.deps import CurrentArcher
from arch_stats.core.database import Db, Tx
from arch_stats.core.responses import Envelope, error_responses, ok_json
from arch_stats.matches import service
from arch_stats.matches.schemas import BracketIn, JudgeIn, MatchEndIn

router = APIRouter(tags=["matches"])
Data = Envelope[dict[str, Any]]


def ok(data: Any, status: int = 200) -> Response:
    """The envelope around the service's answer (asyncpg's ids written as strings)."""
    return ok_json(orjson.dumps(data, default=str), status)


@router.post(
    "/competition/{competition_id:uuid}/bracket",
    status_code=201,
    response_model=Data,
    responses=error_responses(400, 401, 403, 404, 409, 422),
    summary="Draw a category's head-to-head bracket from its qualification ranking",
    description="World Archery's seed order (1 v 8, 4 v 5, 2 v 7, 3 v 6 …), byes for the top "
    "seeds; recurve and barebow by the set system, compound by cumulative score. 409: the "
    "category has one.",
)
async def create_bracket(
    competition_id: UUID, body: BracketIn, archer: CurrentArcher, conn: Tx
) -> Response:
    return ok(await service.create(conn, archer.archer_id, competition_id, body), 201)


@router.get(
    "/competition/{competition_id:uuid}/bracket",
    response_model=Envelope[list[dict[str, Any]]],
    responses=error_responses(401, 404, 422),
    summary="The competition's brackets, each match as it stands",
)
async def competition_brackets(competition_id: UUID, archer: CurrentArcher, conn: Db) -> Response:
    return ok(await service.for_competition(conn, archer.archer_id, competition_id))


@router.get(
    "/bracket/{bracket_id}",
    response_model=Data,
    responses=error_responses(401, 404, 422),
    summary="A bracket, round by round",
)
async def get_bracket(bracket_id: UUID, archer: CurrentArcher, conn: Db) -> Response:
    return ok(await service.get(conn, archer.archer_id, bracket_id))


@router.delete(
    "/bracket/{bracket_id}",
    response_model=Data,
    responses=error_responses(401, 403, 404, 422),
    summary="Withdraw a bracket (the match sessions stay the archers')",
)
async def delete_bracket(bracket_id: UUID, archer: CurrentArcher, conn: Tx) -> Response:
    return ok(await service.delete(conn, archer.archer_id, bracket_id))


@router.post(
    "/match/{match_id}/end",
    response_model=Data,
    responses=error_responses(400, 401, 403, 404, 409, 422),
    summary="Score one archer's arrows of the end a match is at (a shoot-off: one arrow)",
    description="Plotted (x_mm, y_mm) or by value; written to the archer's own session of the "
    "match. Arrow ids chosen by the device make a post sent again write nothing. 409: not the "
    "end the match is at, or the match is decided.",
)
async def record_end(match_id: UUID, body: MatchEndIn, archer: CurrentArcher, conn: Tx) -> Response:
    return ok(await service.record_end(conn, archer.archer_id, match_id, body))


@router.post(
    "/match/{match_id}/judge",
    response_model=Data,
    responses=error_responses(401, 403, 404, 409, 422),
    summary="Record a judge's decision of a shoot-off the positions could not decide",
)
async def judge(match_id: UUID, body: JudgeIn, archer: CurrentArcher, conn: Tx) -> Response:
    return ok(await service.judge(conn, archer.archer_id, match_id, body.winner))
