"""HTTP routes of the club board (thin: parse, authorise, call the service).

The live board itself is a WebSocket on the live channel's path (`board.socket`)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from starlette.responses import Response

from arch_stats.auth.deps import CurrentArcher
from arch_stats.board import service
from arch_stats.board.schemas import (
    BoardLinkCreated,
    BoardLinkRevoked,
    BoardLinkState,
    BoardOut,
    PublicBoardOut,
)
from arch_stats.core.database import Db, Tx
from arch_stats.core.responses import Envelope, error_responses, ok, ok_json

router = APIRouter(tags=["board"])


@router.get(
    "/club/{club_id:uuid}/board",
    response_model=Envelope[BoardOut],
    responses=error_responses(401, 404),
    summary="The club's live board now: every member shooting, with their shots",
)
async def club_board(club_id: UUID, archer: CurrentArcher, conn: Db) -> Response:
    return ok_json(await service.club_board(conn, club_id, archer.archer_id))


@router.get(
    "/board/{token}",
    response_model=Envelope[PublicBoardOut],
    responses=error_responses(404),
    summary="A club's live board by its public link (no account; read-only): the members "
    "who allow it, with names, bowstyles, rounds and scores only",
)
async def public_board(token: str, conn: Db) -> Response:
    return ok_json(await service.public_board(conn, token))


@router.get(
    "/club/{club_id:uuid}/board/link",
    response_model=Envelope[BoardLinkState],
    responses=error_responses(401, 404),
    summary="The board's working public link, when it was made (owners; 404: none)",
)
async def link_state(club_id: UUID, archer: CurrentArcher, conn: Db) -> Response:
    return ok(await service.link_state(conn, club_id, archer.archer_id))


@router.post(
    "/club/{club_id:uuid}/board/link",
    status_code=201,
    response_model=Envelope[BoardLinkCreated],
    responses=error_responses(401, 404, 409),
    summary="Give the board a new public read-only link, shown once (owners; replaces the old)",
)
async def create_link(club_id: UUID, archer: CurrentArcher, conn: Tx) -> Response:
    return ok(await service.create_link(conn, club_id, archer.archer_id), 201)


@router.delete(
    "/club/{club_id:uuid}/board/link",
    response_model=Envelope[BoardLinkRevoked],
    responses=error_responses(401, 404),
    summary="Revoke the board's public link: it stops working, open boards close (owners)",
)
async def revoke_link(club_id: UUID, archer: CurrentArcher, conn: Tx) -> Response:
    return ok(await service.revoke_link(conn, club_id, archer.archer_id))
