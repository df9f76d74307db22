"""Session rules: one open session per archer, known rounds, closing after start, and a session
that follows its round (`arch_stats.rounds.plan`).

A session shot to a round (standard: `round_code`; custom: `custom_round_id`) gets its plan
and a target for each distance and face of the round when it opens; the writer of shots then
takes no arrow past the round's last and each at its end's target. The answers about one
session carry `progress` (where the archer is); a round complete and still open is closed by
opening (or reopening) another session: it stays open until then, so that a mistake found on
the card can be corrected.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import orjson
from asyncpg import Record
from pydantic import MISSING

from arch_stats.access import policy
from arch_stats.core.database import Executor
from arch_stats.core.errors import AppError, BusinessRuleError, InvalidInput, NotFound
from arch_stats.faces.rounds import RoundSpec, UnknownRound, get_round
from arch_stats.rounds import plan as round_plan
from arch_stats.rounds import service as custom_rounds
from arch_stats.sessions import repository as repo
from arch_stats.sessions.schemas import SessionAccessOut, SessionFilters, SessionIn, SessionPatch
from arch_stats.targets import layout
from arch_stats.targets import repository as targets_repo


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


_PROGRESS_NULL = '"progress" : null}'


def answer(row: Record) -> str:
    """The session's JSON with `progress` in its place (the stored JSON's last member)."""
    doc: str = row["doc"]
    if row["plan"] is None:
        return doc
    plan = orjson.loads(row["plan"])
    taken = dict(row["taken"] or ())
    progress = round_plan.progress(plan, row["shot_count"], taken)
    assert doc.endswith(_PROGRESS_NULL)
    return f'{doc[: -len(_PROGRESS_NULL)]}"progress" : {orjson.dumps(progress).decode()}}}'


async def _round_of(
    conn: Executor, archer_id: UUID, code: str | None, custom_round_id: UUID | None
) -> tuple[RoundSpec, int | None, str | None] | None:
    """The round asked for: its spec, its own end size (a custom round's), its custom id."""
    if code is not None and custom_round_id is not None:
        raise InvalidInput("round_code, custom_round_id: give one round, not both")
    if code is not None:
        return require_round(code), None, None
    if custom_round_id is not None:
        row = await custom_rounds.for_session(conn, archer_id, custom_round_id)
        return custom_rounds.spec(row), row["arrows_per_end"], str(custom_round_id)
    return None


async def _follow(conn: Executor, archer_id: UUID, session_id: UUID, plan: dict[str, Any]) -> None:
    """Make the round's targets (one per distance and face, laid out for scoring by hand; a
    target sensor's view may be set on them later) and have the session follow the plan."""
    for stage in round_plan.stages(plan):
        view = layout.lay_out([stage.face_type])
        json = await targets_repo.insert(
            conn,
            session_id,
            archer_id,
            lane=None,
            distance_m=stage.distance_m,
            view_width_mm=view.width_mm,
            view_height_mm=view.height_mm,
            compound_scoring=True if stage.compound_scoring else None,
            faces=[(stage.face_type, *view.centres[0])],
            ends=(stage.first_end, stage.last_end),
        )
        assert json is not None
        target_id = orjson.loads(json)["id"]
        for i in stage.passes:
            plan["passes"][i]["target_id"] = target_id
    await repo.follow(conn, session_id, orjson.dumps(plan).decode(), plan["n_arrows"])


async def create(
    conn: Executor, archer_id: UUID, body: SessionIn, *, round_viewer: UUID | None = None
) -> str:
    """Open a session. `round_viewer`: whose access to a custom round counts, when not the
    archer's (a competition's organiser opens its club's round for a guest)."""
    rnd = await _round_of(conn, round_viewer or archer_id, body.round_code, body.custom_round_id)
    spec = rnd[0] if rnd else None
    is_indoor = body.is_indoor
    if is_indoor is MISSING:
        is_indoor = spec.location == "indoor" if spec else False
    arrows_per_end = body.arrows_per_end
    if arrows_per_end is MISSING:
        arrows_per_end = (rnd[1] or natural_end_size(rnd[0])) if rnd else 6
    plan = None
    if rnd is not None and round_plan.followable(rnd[0]):
        plan = round_plan.build(
            rnd[0], arrows_per_end, preferred_faces=body.preferred_faces, custom_round_id=rnd[2]
        )
    await repo.close_complete_round(conn, archer_id)
    row = await repo.insert(
        conn,
        archer_id,
        location=body.location,
        is_indoor=is_indoor,
        distance_m=body.distance_m,
        round_code=(spec.code or None) if spec else None,
        arrows_per_end=arrows_per_end,
        landing_window_ms=body.landing_window_ms,
        notes=body.notes,
        start_time=None if body.start_time is MISSING else body.start_time,
    )
    if plan is None:
        return answer(row)
    await _follow(conn, archer_id, row["id"], plan)
    return await get(conn, archer_id, row["id"])


async def list_sessions(conn: Executor, archer_id: UUID, filters: SessionFilters) -> str:
    # MISSING filters are left out; whose sessions is the caller's business (`archer_id`).
    query: dict[str, Any] = filters.model_dump(exclude={"archer_id"})
    if "round_code" in query:
        query["round_code"] = query["round_code"].lower()
    return await repo.list_json(conn, archer_id, **query)


async def get(conn: Executor, archer_id: UUID, session_id: UUID) -> str:
    row = await repo.get_session(conn, session_id, archer_id)
    if row is None:
        raise NotFound("session", session_id)
    return answer(row)


async def access(conn: Executor, viewer: UUID, session_id: UUID) -> SessionAccessOut:
    found = await policy.session_access(conn, viewer, session_id)
    if found is None:
        raise NotFound("session", session_id)
    how, owner = found
    return SessionAccessOut(
        session_id=session_id,
        archer_id=owner,
        archer_name=await repo.archer_name(conn, owner),
        access="own" if how is policy.Access.OWN else "coach",
        may_record=how is policy.Access.OWN,
        may_note=True,
    )


async def get_open(conn: Executor, archer_id: UUID) -> str:
    row = await repo.open_session(conn, archer_id)
    if row is None:
        raise NoOpenSession
    return answer(row)


async def _change_round(
    conn: Executor, archer_id: UUID, session_id: UUID, body: SessionPatch
) -> dict[str, Any]:
    """Apply a change of the round, or of the end size of a session that follows one (its
    plan and targets are made again, while it has no shots); returns the changes of the
    session's own columns, left to `update`."""
    changes = body.model_dump()  # MISSING fields are left out
    if "round_code" not in changes and "arrows_per_end" not in changes:
        return changes
    state = await repo.round_state(conn, session_id, archer_id)
    if state is None:
        raise NotFound("session", session_id)
    current = orjson.loads(state["plan"]) if state["plan"] is not None else None
    if "round_code" in changes:
        code = changes["round_code"]
        spec = require_round(code) if code is not None else None
        changes["round_code"] = spec.code if spec else None
        if current is None and spec is not None and spec.code == state["round_code"]:
            return changes  # the round it had before rounds were followed: as it was
    elif current is not None:
        spec = round_plan.spec_of(current)
    else:
        return changes  # no round followed: the end size is the session's own business
    if spec is None or not round_plan.followable(spec):
        if current is not None:
            await repo.follow(conn, session_id, None, None)
        return changes
    per_end = changes.get("arrows_per_end", state["arrows_per_end"])
    if (
        current is not None
        and current["code"] == (spec.code or None)
        and (current["arrows_per_end"] == per_end)
    ):
        return changes
    if state["shot_count"]:
        raise BusinessRuleError(
            "a session with shots keeps its round and its end size: open a new session for "
            "another round (or remove this one's: round_code null)"
        )
    plan = round_plan.build(
        spec,
        per_end,
        preferred_faces=[p["face_type"] for p in current["passes"]] if current else (),
        custom_round_id=current["custom_round_id"] if current and not spec.code else None,
    )
    await repo.delete_targets(conn, session_id)
    await _follow(conn, archer_id, session_id, plan)
    return changes


async def update(conn: Executor, archer_id: UUID, session_id: UUID, body: SessionPatch) -> str:
    changes = await _change_round(conn, archer_id, session_id, body)
    row = await repo.update(conn, session_id, archer_id, changes)
    if row is None:
        raise NotFound("session", session_id)
    return answer(row)


async def delete(conn: Executor, archer_id: UUID, session_id: UUID) -> str:
    json = await repo.delete(conn, session_id, archer_id)
    if json is None:
        raise NotFound("session", session_id)
    return json


async def close(conn: Executor, archer_id: UUID, session_id: UUID) -> str:
    row = await repo.close(conn, session_id, archer_id)
    if row is not None:
        return answer(row)
    state = await repo.state(conn, session_id, archer_id)
    if state is None:
        raise NotFound("session", session_id)
    if not state["is_open"]:
        raise BusinessRuleError("session is already closed")
    raise BusinessRuleError(
        f"session starts in the future ({state['start_time'].isoformat()}): it cannot end "
        "before it starts; change its start_time first"
    )


async def reopen(conn: Executor, archer_id: UUID, session_id: UUID) -> str:
    await repo.close_complete_round(conn, archer_id)  # as opening a new session does
    row = await repo.reopen(conn, session_id, archer_id)
    if row is not None:
        return answer(row)
    if await repo.state(conn, session_id, archer_id) is None:
        raise NotFound("session", session_id)
    raise BusinessRuleError("session is already open")
