"""HTTP routes of the sessions domain (thin: parse, authorise, call the service)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from starlette.responses import Response

from arch_stats.access import policy
from arch_stats.auth.deps import CurrentArcher
from arch_stats.core.database import Db, Tx
from arch_stats.core.responses import Envelope, error_responses, ok_json
from arch_stats.sessions import service
from arch_stats.sessions.schemas import SessionIn, SessionListQuery, SessionOut, SessionPatch

router = APIRouter(tags=["sessions"])

Out = Envelope[SessionOut]


@router.post(
    "/session",
    status_code=201,
    response_model=Out,
    responses=error_responses(400, 401, 404, 409, 422),
    summary="Open a session (409 when another one is open)",
)
async def create_session(body: SessionIn, archer: CurrentArcher, conn: Tx) -> Response:
    return ok_json(await service.create(conn, archer.archer_id, body), 201)


@router.get(
    "/session",
    response_model=Envelope[list[SessionOut]],
    responses=error_responses(401, 404, 422),
    summary="My sessions (or, with `archer_id`, a club member's who shares them with me as "
    "their coach), newest first, filtered and paged",
)
async def list_sessions(
    filters: Annotated[SessionListQuery, Query()], archer: CurrentArcher, conn: Db
) -> Response:
    whose = await policy.reader_for(conn, archer.archer_id, filters.archer_id, "archer")
    return ok_json(await service.list_sessions(conn, whose, filters))


# `{session_id:uuid}` below: only a UUID matches, so `PATCH /session/open` is a 405 (and a
# malformed id a 404), not an attempt to read "open" as an id.
@router.get(
    "/session/open",
    response_model=Out,
    responses=error_responses(401, 404),
    summary="My open session (404 when none is open)",
)
async def get_open_session(archer: CurrentArcher, conn: Db) -> Response:
    return ok_json(await service.get_open(conn, archer.archer_id))


@router.get(
    "/session/{session_id:uuid}",
    response_model=Out,
    responses=error_responses(401, 404),
    summary="One of my sessions (or a shared one, read-only), with its shot count, total "
    "score and target count",
)
async def get_session(session_id: UUID, archer: CurrentArcher, conn: Db) -> Response:
    return ok_json(
        await policy.read_as(
            conn,
            archer.archer_id,
            "session",
            session_id,
            lambda whose: service.get(conn, whose, session_id),
        )
    )


@router.patch(
    "/session/{session_id:uuid}",
    response_model=Out,
    responses=error_responses(400, 401, 404, 422),
    summary="Change a session",
)
async def update_session(
    session_id: UUID, body: SessionPatch, archer: CurrentArcher, conn: Tx
) -> Response:
    return ok_json(await service.update(conn, archer.archer_id, session_id, body))


@router.delete(
    "/session/{session_id:uuid}",
    response_model=Out,
    responses=error_responses(401, 404),
    summary="Delete a session with its targets and shots; returns it as it was",
)
async def delete_session(session_id: UUID, archer: CurrentArcher, conn: Tx) -> Response:
    return ok_json(await service.delete(conn, archer.archer_id, session_id))


@router.post(
    "/session/{session_id}/close",
    response_model=Out,
    responses=error_responses(400, 401, 404, 422),
    summary="Close a session now (400 when already closed or not yet started)",
)
async def close_session(session_id: UUID, archer: CurrentArcher, conn: Tx) -> Response:
    return ok_json(await service.close(conn, archer.archer_id, session_id))


@router.post(
    "/session/{session_id}/reopen",
    response_model=Out,
    responses=error_responses(400, 401, 404, 409, 422),
    summary="Reopen a closed session (409 when another one is open)",
)
async def reopen_session(session_id: UUID, archer: CurrentArcher, conn: Tx) -> Response:
    return ok_json(await service.reopen(conn, archer.archer_id, session_id))
