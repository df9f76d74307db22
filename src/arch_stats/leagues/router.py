"""HTTP routes of leagues (thin: parse, authorise, call the service)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import orjson
from fastapi import APIRouter
from starlette.responses import Response

from arch_stats.auth.deps import CurrentArcher
from arch_stats.core.database import Db, Tx
from arch_stats.core.responses import Envelope, error_responses, ok_json
from arch_stats.leagues import service
from arch_stats.leagues.schemas import LeagueIn

router = APIRouter(tags=["leagues"])
Data = Envelope[dict[str, Any]]


def ok(data: Any, status: int = 200) -> Response:
    """The envelope around the service's answer (asyncpg's ids written as strings)."""
    return ok_json(orjson.dumps(data, default=str), status)


@router.post(
    "/league",
    status_code=201,
    response_model=Data,
    responses=error_responses(401, 403, 404, 422),
    summary="Make a season of the club's competitions (its owners and coaches)",
)
async def create_league(body: LeagueIn, archer: CurrentArcher, conn: Tx) -> Response:
    return ok(await service.create(conn, archer.archer_id, body), 201)


@router.get(
    "/league/{league_id}",
    response_model=Data,
    responses=error_responses(401, 404, 422),
    summary="A season's table: points per competition, best N counting",
)
async def get_league(league_id: UUID, archer: CurrentArcher, conn: Db) -> Response:
    return ok(await service.get(conn, archer.archer_id, league_id))


@router.post(
    "/league/{league_id}/link",
    status_code=201,
    response_model=Data,
    responses=error_responses(401, 403, 404, 422),
    summary="A public read-only link to the season's table (the previous one stops working)",
)
async def league_link(league_id: UUID, archer: CurrentArcher, conn: Tx) -> Response:
    return ok(await service.create_link(conn, archer.archer_id, league_id), 201)


@router.get(
    "/season/{token}",
    response_model=Data,
    responses=error_responses(404),
    summary="A season's table by its public link (no account; names and points only)",
)
async def public_season(token: str, conn: Db) -> Response:
    return ok(await service.public(conn, token))
