"""HTTP routes of the range timer (thin: parse, authorise, call the service).

Its screens follow it live on the live channel's path (`timer.socket`)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from starlette.responses import Response

from arch_stats.auth.deps import CurrentArcher
from arch_stats.core.database import Db, Tx
from arch_stats.core.responses import Envelope, error_responses, ok
from arch_stats.timer import service
from arch_stats.timer.schemas import (
    CommandIn,
    PublicTimerOut,
    Settings,
    TimerDeleted,
    TimerIn,
    TimerLinkCreated,
    TimerLinkRevoked,
    TimerOut,
)

router = APIRouter(tags=["timer"])


@router.post(
    "/club/{club_id:uuid}/timer",
    status_code=201,
    response_model=Envelope[TimerOut],
    responses=error_responses(401, 403, 404, 422),
    summary="A new range timer for the club (owners and coaches)",
    description="Details mode: World Archery timing, 10 s walk-up, 40 s an arrow (120 s for "
    "3, 240 s for 6), yellow for the last 30 s, details AB/CD alternating by end. "
    "Alternating mode (matches): 20 s an arrow, the archers in turn.",
)
async def create_timer(club_id: UUID, body: TimerIn, archer: CurrentArcher, conn: Tx) -> Response:
    return ok(await service.create(conn, archer.archer_id, club_id, body), 201)


@router.get(
    "/club/{club_id:uuid}/timer",
    response_model=Envelope[list[TimerOut]],
    responses=error_responses(401, 404, 422),
    summary="The club's range timers, each as it is now (members)",
    description="With `competition_id`: only the timers made for that competition.",
)
async def club_timers(
    club_id: UUID, archer: CurrentArcher, conn: Db, competition_id: UUID | None = None
) -> Response:
    return ok(await service.of_club(conn, archer.archer_id, club_id, competition_id))


@router.get(
    "/timer/{timer_id:uuid}",
    response_model=Envelope[TimerOut],
    responses=error_responses(401, 404),
    summary="A range timer as it is now (members of its club)",
)
async def get_timer(timer_id: UUID, archer: CurrentArcher, conn: Db) -> Response:
    return ok(await service.get(conn, archer.archer_id, timer_id))


@router.patch(
    "/timer/{timer_id:uuid}",
    response_model=Envelope[TimerOut],
    responses=error_responses(401, 403, 404, 409, 422),
    summary="Change a timer's settings, between ends (owners and coaches)",
)
async def change_timer(timer_id: UUID, body: Settings, archer: CurrentArcher, conn: Tx) -> Response:
    return ok(await service.change(conn, archer.archer_id, timer_id, body))


@router.delete(
    "/timer/{timer_id:uuid}",
    response_model=Envelope[TimerDeleted],
    responses=error_responses(401, 403, 404),
    summary="Delete a timer: its screens close (owners and coaches)",
)
async def delete_timer(timer_id: UUID, archer: CurrentArcher, conn: Tx) -> Response:
    return ok(await service.delete(conn, archer.archer_id, timer_id))


@router.post(
    "/timer/{timer_id:uuid}/command",
    response_model=Envelope[TimerOut],
    responses=error_responses(401, 403, 404, 409, 422),
    summary="Run the timer: start, pause, resume, next, emergency, reset (owners and coaches)",
    description="409 when the command does not apply now (e.g. pause with nothing running). "
    "Every screen showing the timer follows at once.",
)
async def command_timer(
    timer_id: UUID, body: CommandIn, archer: CurrentArcher, conn: Tx
) -> Response:
    return ok(await service.command(conn, archer.archer_id, timer_id, body))


@router.post(
    "/timer/{timer_id:uuid}/link",
    status_code=201,
    response_model=Envelope[TimerLinkCreated],
    responses=error_responses(401, 403, 404),
    summary="Give the timer a new public read-only link, shown once (replaces the old)",
)
async def create_timer_link(timer_id: UUID, archer: CurrentArcher, conn: Tx) -> Response:
    return ok(await service.create_link(conn, archer.archer_id, timer_id), 201)


@router.delete(
    "/timer/{timer_id:uuid}/link",
    response_model=Envelope[TimerLinkRevoked],
    responses=error_responses(401, 403, 404),
    summary="Revoke the timer's public link: it stops working, its screens close",
)
async def revoke_timer_link(timer_id: UUID, archer: CurrentArcher, conn: Tx) -> Response:
    return ok(await service.revoke_link(conn, archer.archer_id, timer_id))


@router.get(
    "/timer/public/{timer_token}",
    response_model=Envelope[PublicTimerOut],
    responses=error_responses(404),
    summary="A range timer by its public link (no account; read-only, no ids)",
)
async def public_timer(timer_token: str, conn: Db) -> Response:
    return ok(await service.public(conn, timer_token))
