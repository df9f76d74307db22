"""HTTP routes of custom rounds (thin: parse, authorise, call the service).

The standard rounds (archeryutils') are `GET /round` and `GET /round/{code}` (faces domain);
these are an archer's and their clubs' own, under `/round/custom`.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from starlette.responses import Response

from arch_stats.auth.deps import CurrentArcher
from arch_stats.core.database import Db, Tx
from arch_stats.core.responses import Envelope, error_responses, ok
from arch_stats.rounds import service
from arch_stats.rounds.schemas import CustomRoundIn, CustomRoundOut, CustomRoundPatch

router = APIRouter(tags=["rounds"])

Out = Envelope[CustomRoundOut]


def _json(data: object, status: int = 200) -> Response:
    if isinstance(data, list):
        return ok([CustomRoundOut.model_validate(d).model_dump(mode="json") for d in data])
    return ok(CustomRoundOut.model_validate(data).model_dump(mode="json"), status)


@router.get(
    "/round/custom",
    response_model=Envelope[list[CustomRoundOut]],
    responses=error_responses(401),
    summary="Custom rounds I may shoot: mine and my clubs'",
)
async def list_custom_rounds(archer: CurrentArcher, conn: Db) -> Response:
    return _json(await service.visible(conn, archer.archer_id))


@router.post(
    "/round/custom",
    status_code=201,
    response_model=Out,
    responses=error_responses(401, 404, 422),
    summary="Save a round of my own, or of a club I own (`club_id`)",
)
async def create_custom_round(body: CustomRoundIn, archer: CurrentArcher, conn: Tx) -> Response:
    return _json(await service.create(conn, archer.archer_id, body), 201)


@router.get(
    "/round/custom/{round_id}",
    response_model=Out,
    responses=error_responses(401, 404, 422),
    summary="One custom round (mine, or a club's I am in)",
)
async def get_custom_round(round_id: UUID, archer: CurrentArcher, conn: Db) -> Response:
    return _json(await service.get(conn, archer.archer_id, round_id))


@router.patch(
    "/round/custom/{round_id}",
    response_model=Out,
    responses=error_responses(401, 404, 422),
    summary="Change a custom round (mine, or a club's I own); sessions keep what they started with",
)
async def update_custom_round(
    round_id: UUID, body: CustomRoundPatch, archer: CurrentArcher, conn: Tx
) -> Response:
    return _json(await service.update(conn, archer.archer_id, round_id, body))


@router.delete(
    "/round/custom/{round_id}",
    response_model=Out,
    responses=error_responses(401, 404, 422),
    summary="Delete a custom round; sessions shot to it keep it",
)
async def delete_custom_round(round_id: UUID, archer: CurrentArcher, conn: Tx) -> Response:
    return _json(await service.delete(conn, archer.archer_id, round_id))
