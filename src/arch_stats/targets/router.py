"""HTTP routes of the targets domain (thin: parse, authorise, call the service)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from starlette.responses import Response

from arch_stats.access import policy
from arch_stats.auth.deps import CurrentArcher
from arch_stats.core.database import Db, Tx
from arch_stats.core.responses import Envelope, error_responses, ok_json
from arch_stats.targets import service
from arch_stats.targets.schemas import TargetIn, TargetOut, TargetPatch

router = APIRouter(tags=["targets"])

Out = Envelope[TargetOut]


@router.post(
    "/session/{session_id}/target",
    status_code=201,
    response_model=Out,
    responses=error_responses(400, 401, 404, 422),
    summary="Add a target to a session (closed sessions too, for entering shots later)",
)
async def create_target(
    session_id: UUID, body: TargetIn, archer: CurrentArcher, conn: Tx
) -> Response:
    return ok_json(await service.create(conn, archer.archer_id, session_id, body), 201)


@router.get(
    "/session/{session_id}/target",
    response_model=Envelope[list[TargetOut]],
    responses=error_responses(401, 404, 422),
    summary="The targets of a session, in the order they were added",
)
async def list_targets(session_id: UUID, archer: CurrentArcher, conn: Db) -> Response:
    return ok_json(
        await policy.read_as(
            conn,
            archer.archer_id,
            "session",
            session_id,
            lambda whose: service.list_for_session(conn, whose, session_id),
        )
    )


@router.get(
    "/target/{target_id}",
    response_model=Out,
    responses=error_responses(401, 404, 422),
    summary="One of my targets",
)
async def get_target(target_id: UUID, archer: CurrentArcher, conn: Db) -> Response:
    return ok_json(
        await policy.read_as(
            conn,
            archer.archer_id,
            "target",
            target_id,
            lambda whose: service.get(conn, whose, target_id),
        )
    )


@router.patch(
    "/target/{target_id}",
    response_model=Out,
    responses=error_responses(400, 401, 404, 409, 422),
    summary="Change a target; `faces` replaces them all (409 for view, faces or compound "
    "scoring once it has shots)",
)
async def update_target(
    target_id: UUID, body: TargetPatch, archer: CurrentArcher, conn: Tx
) -> Response:
    return ok_json(await service.update(conn, archer.archer_id, target_id, body))


@router.delete(
    "/target/{target_id}",
    response_model=Out,
    responses=error_responses(401, 404, 409, 422),
    summary="Delete a target without shots (409 when it has shots); returns it as it was",
)
async def delete_target(target_id: UUID, archer: CurrentArcher, conn: Tx) -> Response:
    return ok_json(await service.delete(conn, archer.archer_id, target_id))
