"""Session rules: one open session per archer, known standard rounds, closing after start."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import MISSING

from arch_stats.core.database import Executor
from arch_stats.core.errors import AppError, BusinessRuleError, InvalidInput, NotFound
from arch_stats.faces.rounds import RoundSpec, UnknownRound, get_round
from arch_stats.sessions import repository as repo
from arch_stats.sessions.schemas import SessionFilters, SessionIn, SessionPatch


class NoOpenSession(NotFound):
    def __init__(self) -> None:
        AppError.__init__(self, "no open session")


def natural_end_size(rnd: RoundSpec) -> int:
    """The end size archers shoot `rnd` in: 6 outdoor, 5 for a Worcester, 3 indoor and field."""
    if rnd.code.startswith("worcester"):
        return 5
    return 6 if rnd.location in ("outdoor", None) else 3


def require_round(code: str) -> RoundSpec:
    """The standard round `code` (any case); 422 when archeryutils has no such round."""
    try:
        return get_round(code.lower())
    except UnknownRound:
        raise InvalidInput(
            f"round_code: unknown round '{code}' (an archeryutils code such as 'wa720_70', "
            "'wa18' or 'portsmouth'; GET /api/v0/round lists them)"
        ) from None


async def create(conn: Executor, archer_id: UUID, body: SessionIn) -> str:
    rnd = require_round(body.round_code) if body.round_code is not None else None
    is_indoor = body.is_indoor
    if is_indoor is MISSING:
        is_indoor = rnd.location == "indoor" if rnd else False
    arrows_per_end = body.arrows_per_end
    if arrows_per_end is MISSING:
        arrows_per_end = natural_end_size(rnd) if rnd else 6
    return await repo.insert(
        conn,
        archer_id,
        location=body.location,
        is_indoor=is_indoor,
        distance_m=body.distance_m,
        round_code=rnd.code if rnd else None,
        arrows_per_end=arrows_per_end,
        landing_window_ms=body.landing_window_ms,
        notes=body.notes,
        start_time=None if body.start_time is MISSING else body.start_time,
    )


async def list_sessions(conn: Executor, archer_id: UUID, filters: SessionFilters) -> str:
    # MISSING filters are left out; whose sessions is the caller's business (`archer_id`).
    query: dict[str, Any] = filters.model_dump(exclude={"archer_id"})
    if "round_code" in query:
        query["round_code"] = query["round_code"].lower()
    return await repo.list_json(conn, archer_id, **query)


async def get(conn: Executor, archer_id: UUID, session_id: UUID) -> str:
    json = await repo.get_session_json(conn, session_id, archer_id)
    if json is None:
        raise NotFound("session", session_id)
    return json


async def get_open(conn: Executor, archer_id: UUID) -> str:
    json = await repo.open_session_json(conn, archer_id)
    if json is None:
        raise NoOpenSession
    return json


async def update(conn: Executor, archer_id: UUID, session_id: UUID, body: SessionPatch) -> str:
    changes = body.model_dump()  # MISSING fields are left out
    if isinstance(body.round_code, str):
        changes["round_code"] = require_round(body.round_code).code
    json = await repo.update(conn, session_id, archer_id, changes)
    if json is None:
        raise NotFound("session", session_id)
    return json


async def delete(conn: Executor, archer_id: UUID, session_id: UUID) -> str:
    json = await repo.delete(conn, session_id, archer_id)
    if json is None:
        raise NotFound("session", session_id)
    return json


async def close(conn: Executor, archer_id: UUID, session_id: UUID) -> str:
    json = await repo.close(conn, session_id, archer_id)
    if json is not None:
        return json
    row = await repo.state(conn, session_id, archer_id)
    if row is None:
        raise NotFound("session", session_id)
    if not row["is_open"]:
        raise BusinessRuleError("session is already closed")
    raise BusinessRuleError(
        f"session starts in the future ({row['start_time'].isoformat()}): it cannot end "
        "before it starts; change its start_time first"
    )


async def reopen(conn: Executor, archer_id: UUID, session_id: UUID) -> str:
    json = await repo.reopen(conn, session_id, archer_id)
    if json is not None:
        return json
    if await repo.state(conn, session_id, archer_id) is None:
        raise NotFound("session", session_id)
    raise BusinessRuleError("session is already open")
