"""Routes of the shots domain: recording shots by hand, listing and correcting them."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Header, Query, Request
from starlette.responses import Response

from arch_stats.access import policy
from arch_stats.auth.deps import CurrentArcher
from arch_stats.core.database import Db, Tx
from arch_stats.core.responses import Envelope, JSONBytes, error_responses, ok_json
from arch_stats.core.settings import Settings
from arch_stats.shots import service
from arch_stats.shots.schemas import (
    IDEMPOTENCY_KEY_PATTERN,
    ShotIn,
    ShotOut,
    ShotPage,
    ShotPatch,
    ShotsIn,
)

router = APIRouter(tags=["shots"])


@router.post(
    "/shot",
    status_code=201,
    response_model=Envelope[ShotOut | list[ShotOut]],
    responses={
        200: {
            "model": Envelope[ShotOut | list[ShotOut]],
            "description": "A post sent again (same shot ids, or same Idempotency-Key): the "
            "shots it stored, nothing written",
        },
        **error_responses(400, 401, 404, 409, 422),
    },
    summary="Record one shot, or a list (all or nothing); the server scores each",
)
async def create_shots(
    body: Annotated[ShotsIn, Body()],
    archer: CurrentArcher,
    conn: Db,
    request: Request,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            pattern=IDEMPOTENCY_KEY_PATTERN,
            description="Names this post (up to 200 printable characters, e.g. a UUID): sent "
            "again with the same key by the same archer, it answers 200 with the shots stored "
            "the first time and writes nothing. For clients that do not choose shot ids.",
        ),
    ] = None,
) -> Response:
    single = isinstance(body, ShotIn)
    shots = [body] if isinstance(body, ShotIn) else body
    settings: Settings = request.app.state.settings
    # No transaction needed: every shot is checked before anything is written, and the insert
    # is one statement (an archer has at most one open session, the only one that takes shots).
    created = await service.create(
        conn,
        archer.archer_id,
        shots,
        max_shots=settings.session_max_shots,
        idempotency_key=idempotency_key,
    )
    # PostgreSQL built each part as a JSON array: splice the elements, never re-parse them.
    items = ",".join(p.strip()[1:-1] for p in created.parts)
    return ok_json(items if single else f"[{items}]", 200 if created.replayed else 201)


@router.get(
    "/session/{session_id}/shot",
    response_model=ShotPage,
    responses=error_responses(401, 404, 422),
    summary="The session's shots in order (seq), a page at a time",
    description="At most `limit` shots with seq > `after`; `next_after` in the answer is the "
    "`after` of the next page, null on the last one.",
)
async def list_shots(
    session_id: UUID,
    archer: CurrentArcher,
    conn: Db,
    after: Annotated[int, Query(ge=0, le=2**31 - 1, description="Only shots with seq > after")] = 0,
    limit: Annotated[
        int, Query(ge=1, le=service.MAX_PAGE, description="Most shots in the page")
    ] = service.DEFAULT_PAGE,
) -> Response:
    page = await policy.read_as(
        conn,
        archer.archer_id,
        "session",
        session_id,
        lambda whose: service.list_for_session(conn, whose, session_id, after=after, limit=limit),
    )
    body = b'{"code":200,"data":%s,"errors":[]%s}' % (page.json.encode(), page.extra())
    return JSONBytes(body)


@router.get(
    "/shot/{shot_id}",
    response_model=Envelope[ShotOut],
    responses=error_responses(401, 404, 422),
    summary="One shot",
)
async def get_shot(shot_id: UUID, archer: CurrentArcher, conn: Db) -> Response:
    return ok_json(
        await policy.read_as(
            conn, archer.archer_id, "shot", shot_id, lambda whose: service.get(conn, whose, shot_id)
        )
    )


@router.patch(
    "/shot/{shot_id}",
    response_model=Envelope[ShotOut],
    responses=error_responses(400, 401, 404, 422),
    summary="Correct a shot (arrow, position, end); it is scored again",
)
async def update_shot(shot_id: UUID, body: ShotPatch, archer: CurrentArcher, conn: Tx) -> Response:
    return ok_json(await service.update(conn, archer.archer_id, shot_id, body))


@router.delete(
    "/shot/{shot_id}",
    response_model=Envelope[ShotOut],
    responses=error_responses(400, 401, 404, 422),
    summary="Delete a shot of an open session; returns what was deleted",
)
async def delete_shot(shot_id: UUID, archer: CurrentArcher, conn: Tx) -> Response:
    return ok_json(await service.delete(conn, archer.archer_id, shot_id))
