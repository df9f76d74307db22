"""HTTP routes of the arrows domain (thin: parse, authorise, call the service)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from starlette.responses import Response

from arch_stats.access import policy
from arch_stats.arrows import service
from arch_stats.arrows.schemas import (
    ArrowDeleted,
    ArrowIn,
    ArrowOut,
    ArrowPatch,
    ArrowSetIn,
    QueryBool,
)
from arch_stats.auth.deps import CurrentArcher
from arch_stats.core.database import Db, Tx
from arch_stats.core.responses import Envelope, error_responses, ok_json

router = APIRouter(tags=["arrows"])


@router.get(
    "/arrow",
    response_model=Envelope[list[ArrowOut]],
    responses=error_responses(401, 404, 422),
    summary="My arrows (or, with `archer_id`, a club member's who shares with me as their "
    "coach, read-only: their markers' numbers), active first, by identifier",
)
async def list_arrows(
    archer: CurrentArcher,
    conn: Db,
    include_retired: Annotated[QueryBool, Query(description="Also list retired arrows.")] = False,
    archer_id: Annotated[UUID | None, Query(description="Whose (default: mine).")] = None,
) -> Response:
    whose = await policy.reader_for(conn, archer.archer_id, archer_id, "archer")
    return ok_json(await service.list_arrows(conn, whose, include_retired=include_retired))


@router.post(
    "/arrow",
    status_code=201,
    response_model=Envelope[ArrowOut],
    responses=error_responses(400, 401, 409, 422),
    summary="Register an arrow (409 when an active arrow has the identifier)",
)
async def create_arrow(body: ArrowIn, archer: CurrentArcher, conn: Tx) -> Response:
    return ok_json(await service.create(conn, archer.archer_id, body), 201)


@router.post(
    "/arrow/set",
    status_code=201,
    response_model=Envelope[list[ArrowOut]],
    responses=error_responses(400, 401, 409, 422),
    summary="Register a numbered set of arrows of one spec in one step (e.g. A01 … A12)",
    description="Identifiers are `prefix` + the number, zero-padded to `digits` (default: 2, "
    "or the digits of the last number); at most 100 arrows and 10 characters per identifier. "
    "All or nothing: 409 names every identifier that an active arrow already has.",
)
async def create_arrow_set(body: ArrowSetIn, archer: CurrentArcher, conn: Tx) -> Response:
    return ok_json(await service.create_set(conn, archer.archer_id, body), 201)


# `{arrow_id:uuid}` below: only a UUID matches, so `PATCH /arrow/set` is a 405 (and a
# malformed id a 404), not an attempt to read "set" as an id.
@router.get(
    "/arrow/{arrow_id:uuid}",
    response_model=Envelope[ArrowOut],
    responses=error_responses(401, 404, 422),
    summary="One of my arrows",
)
async def get_arrow(arrow_id: UUID, archer: CurrentArcher, conn: Db) -> Response:
    return ok_json(
        await policy.read_as(
            conn,
            archer.archer_id,
            "arrow",
            arrow_id,
            lambda whose: service.get(conn, whose, arrow_id),
        )
    )


@router.patch(
    "/arrow/{arrow_id:uuid}",
    response_model=Envelope[ArrowOut],
    responses=error_responses(400, 401, 404, 409, 422),
    summary="Change an arrow; `is_active` retires or reactivates it",
)
async def update_arrow(
    arrow_id: UUID, body: ArrowPatch, archer: CurrentArcher, conn: Tx
) -> Response:
    return ok_json(await service.update(conn, archer.archer_id, arrow_id, body))


@router.delete(
    "/arrow/{arrow_id:uuid}",
    response_model=Envelope[ArrowDeleted],
    responses=error_responses(401, 404, 422),
    summary="Delete an arrow, or retire it when it has shots (its history is kept)",
)
async def delete_arrow(arrow_id: UUID, archer: CurrentArcher, conn: Tx) -> Response:
    return ok_json(await service.delete(conn, archer.archer_id, arrow_id))
