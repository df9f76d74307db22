"""Rules of the range timer: who may see and run it, its settings, its commands, its link.

A timer belongs to a club: its members see it (`GET`, the live socket), its owners and coaches
run it (create, change, command, delete, the public link); a member who is neither gets 403,
anyone else 404 (the timer does not exist for them). Its public link shows it to anyone who
has it (a big screen at the range), read-only, without ids."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any
from uuid import UUID

from arch_stats.access.policy import STAFF_ROLES
from arch_stats.auth.tokens import new_token, token_hash
from arch_stats.core.database import Connection, Executor
from arch_stats.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from arch_stats.timer import machine, repository
from arch_stats.timer.repository import Timer
from arch_stats.timer.schemas import (
    SECONDS_PER_ARROW,
    WALKUP_SECONDS,
    WARNING_SECONDS,
    CommandIn,
    Settings,
    TimerIn,
)

# Public timer links: `ast_` and 43 URL-safe characters (256 bits), shown once, stored hashed.
LINK_PREFIX = "ast_"
MAX_LINK_LENGTH = 64
NOT_STAFF = "only the club's owners and coaches run its timers"


def now_ms() -> int:
    """The server's time, which every screen's clock is set against (`feed`)."""
    return round(time.time() * 1000)


def link_path(token: str) -> str:
    return f"/app/timer/{token}"


def public_view(timer: Timer, now: int) -> dict[str, Any]:
    """What a screen shows: the settings and the state at `now`; no ids."""
    settings = timer.settings
    return {
        "club": {"name": timer.club_name},
        "name": settings["name"],
        "mode": settings["mode"],
        "details": settings["details"],
        "arrows": settings["arrows"],
        "shoot_seconds": settings["shoot_seconds"],
        "walkup_seconds": settings["walkup_seconds"],
        "warning_seconds": settings["warning_seconds"],
        "sides": list(timer.sides),
        "state": machine.view(timer.plan, timer.state, now, timer.sides),
    }


def member_view(timer: Timer, now: int) -> dict[str, Any]:
    return {
        **public_view(timer, now),
        "id": str(timer.id),
        "club_id": str(timer.club_id),
        "competition_id": None if timer.competition_id is None else str(timer.competition_id),
        "can_control": timer.role in STAFF_ROLES,
        "link_created_at": timer.link_created_at,
        "created_at": timer.created_at,
    }


def _settings(mode: str, given: Settings, base: dict[str, Any] | None) -> dict[str, Any]:
    """The settings to store: `given` over `base` (a timer's, or on creation the defaults of
    its mode), checked as a whole (422). A new number of arrows brings its mode's time for
    them unless a time is given too."""
    out: dict[str, Any] = (
        dict(base)
        if base is not None
        else {
            "mode": mode,
            "details": 2 if mode == "details" else 1,
            "arrows": 3,
            "walkup_seconds": WALKUP_SECONDS,
            "warning_seconds": WARNING_SECONDS[mode],
            "side_a": "A",
            "side_b": "B",
        }
    )
    if given.arrows is not None:
        out["arrows"] = given.arrows
    if base is None or given.arrows is not None:
        per_arrow = SECONDS_PER_ARROW[mode]
        out["shoot_seconds"] = per_arrow * out["arrows"] if mode == "details" else per_arrow
    for key in ("name", "details", "shoot_seconds", "walkup_seconds", "warning_seconds"):
        value = getattr(given, key)
        if value is not None:
            out[key] = value
    if given.sides is not None:
        out["side_a"], out["side_b"] = given.sides
    if mode == "alternating" and out["details"] != 1:
        raise InvalidInput("details: alternating shooting has no details (give 1 or omit it)")
    if out["warning_seconds"] >= out["shoot_seconds"]:
        raise InvalidInput("warning_seconds: must be shorter than shoot_seconds")
    return out


def new_settings(body: TimerIn) -> dict[str, Any]:
    """The settings of a new timer: those given, the defaults of its mode for the rest."""
    return _settings(body.mode, body, None)


async def _club_role(conn: Executor, club_id: UUID, viewer: UUID) -> str:
    role: str | None = await conn.fetchval(
        "SELECT role FROM club_member WHERE club_id = $1 AND archer_id = $2", club_id, viewer
    )
    if role is None:
        raise NotFound("club", club_id)
    return role


async def _timer(conn: Executor, timer_id: UUID, viewer: UUID, *, control: bool = False) -> Timer:
    timer = await repository.get(conn, timer_id, viewer, for_update=control)
    if timer is None or timer.role is None:
        raise NotFound("timer", timer_id)
    if control and timer.role not in STAFF_ROLES:
        raise Forbidden(NOT_STAFF)
    return timer


async def create(conn: Connection, viewer: UUID, club_id: UUID, body: TimerIn) -> dict[str, Any]:
    if await _club_role(conn, club_id, viewer) not in STAFF_ROLES:
        raise Forbidden(NOT_STAFF)
    competition_id = body.competition_id
    if competition_id is not None and not await repository.club_competition(
        conn, club_id, competition_id
    ):
        raise InvalidInput("competition_id: not one of the club's competitions")
    timer_id = await repository.create(conn, club_id, viewer, new_settings(body), competition_id)
    return await get(conn, viewer, timer_id)


async def of_club(
    conn: Executor, viewer: UUID, club_id: UUID, competition_id: UUID | None = None
) -> list[dict[str, Any]]:
    """The club's timers (members), or those of one of its competitions."""
    await _club_role(conn, club_id, viewer)
    now = now_ms()
    timers = await repository.of_club(conn, club_id, viewer, competition_id)
    return [member_view(t, now) for t in timers]


async def get(conn: Executor, viewer: UUID, timer_id: UUID) -> dict[str, Any]:
    return member_view(await _timer(conn, timer_id, viewer), now_ms())


async def change(conn: Connection, viewer: UUID, timer_id: UUID, body: Settings) -> dict[str, Any]:
    """New settings, between ends only (409 while an end runs: its times would change under
    the archers)."""
    timer = await _timer(conn, timer_id, viewer, control=True)
    if machine.settle(timer.plan, timer.state, now_ms()).running:
        raise Conflict("an end is running: change the timer between ends")
    settings = _settings(timer.settings["mode"], body, timer.settings)
    await repository.save_settings(conn, timer_id, settings)
    return await get(conn, viewer, timer_id)


async def command(
    conn: Connection, viewer: UUID, timer_id: UUID, body: CommandIn
) -> dict[str, Any]:
    """An organiser's command (409 when it does not apply now: `machine.NotAllowed`). The
    row is locked first, so that commands given at once apply one after the other, each to
    the state the one before left, at the time it is applied."""
    timer = await _timer(conn, timer_id, viewer, control=True)
    if body.first is not None and timer.plan.mode != "alternating":
        raise InvalidInput("first: only alternating shooting has a first archer")
    first = None if body.first is None else "ab".index(body.first)
    now = now_ms()
    try:
        state = machine.command(timer.plan, timer.state, body.action, now, first_side=first)
    except machine.NotAllowed as exc:
        raise Conflict(str(exc)) from None
    await repository.save_state(conn, timer_id, state)
    return member_view(replace(timer, state=state), now)  # as stored, not read again


async def delete(conn: Connection, viewer: UUID, timer_id: UUID) -> dict[str, Any]:
    await _timer(conn, timer_id, viewer, control=True)
    await repository.delete(conn, timer_id)
    return {"deleted": True}


async def create_link(conn: Connection, viewer: UUID, timer_id: UUID) -> dict[str, Any]:
    """A new public link (the previous one, if any, stops working in the same statement)."""
    await _timer(conn, timer_id, viewer, control=True)
    token = new_token(LINK_PREFIX)
    created_at = await repository.set_link(conn, timer_id, token_hash(token))
    return {"token": token, "path": link_path(token), "created_at": created_at}


async def revoke_link(conn: Connection, viewer: UUID, timer_id: UUID) -> dict[str, Any]:
    timer = await _timer(conn, timer_id, viewer, control=True)
    if timer.link_hash is None:
        raise NotFound("timer link")
    await repository.set_link(conn, timer_id, None)
    return {"revoked": True}


async def by_link(conn: Executor, token: str) -> Timer:
    if not token.startswith(LINK_PREFIX) or len(token) > MAX_LINK_LENGTH:
        raise NotFound("timer")
    timer = await repository.by_link(conn, token_hash(token))
    if timer is None:
        raise NotFound("timer")
    return timer


async def public(conn: Executor, token: str) -> dict[str, Any]:
    return public_view(await by_link(conn, token), now_ms())
