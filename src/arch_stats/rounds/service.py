"""Custom round rules: who sees and changes which round, and a round as sessions shoot it.

Everything the caller may not see or change is NotFound (404), as for any object that is not
theirs: another archer's round, the round of a club they are not in, a club round changed by a
member who is not one of its owners.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
from pydantic import MISSING

from arch_stats.core.database import Executor
from arch_stats.core.errors import InvalidInput, NotFound
from arch_stats.faces.rounds import RoundSpec, distance_label
from arch_stats.rounds import plan
from arch_stats.rounds import repository as repo
from arch_stats.rounds.schemas import CustomPassIn, CustomRoundIn, CustomRoundPatch

PassRow = tuple[int, float, str, str]  # arrows, distance, unit, face type


def _passes(passes: list[CustomPassIn]) -> list[PassRow]:
    return [(p.n_arrows, p.distance, p.distance_unit, p.face_type) for p in passes]


def spec(row: asyncpg.Record) -> RoundSpec:
    return plan.custom_spec(
        row["name"], row["location"], row["compound_scoring"], [tuple(p) for p in row["passes"]]
    )


def out(row: asyncpg.Record) -> dict[str, Any]:
    s = spec(row)
    return {
        "id": row["id"],
        "name": row["name"],
        "location": row["location"],
        "arrows_per_end": row["arrows_per_end"],
        "compound_scoring": row["compound_scoring"],
        "archer_id": row["archer_id"],
        "club_id": row["club_id"],
        "club_name": row["club_name"],
        "can_edit": bool(row["can_edit"]),
        "n_arrows": s.n_arrows,
        "max_score": s.max_score,
        "passes": [
            {
                "n_arrows": p.n_arrows,
                "distance": p.distance,
                "distance_unit": p.distance_unit,
                "distance_m": p.distance_m,
                "distance_label": distance_label(p),
                "face_type": p.face_type,
                "face_label": plan.face_label(p.face_type or ""),
            }
            for p in s.passes
        ],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


async def visible(conn: Executor, viewer: UUID) -> list[dict[str, Any]]:
    return [out(r) for r in await repo.visible(conn, viewer)]


async def _row(
    conn: Executor, viewer: UUID, round_id: UUID, *, edit: bool = False
) -> asyncpg.Record:
    row = await repo.get(conn, viewer, round_id)
    if row is None or (edit and not row["can_edit"]):
        raise NotFound("round", round_id)
    return row


async def get(conn: Executor, viewer: UUID, round_id: UUID) -> dict[str, Any]:
    return out(await _row(conn, viewer, round_id))


async def for_session(conn: Executor, viewer: UUID, round_id: UUID) -> asyncpg.Record:
    """A round the viewer may shoot (404 otherwise): its spec is `spec(row)`."""
    return await _row(conn, viewer, round_id)


async def create(conn: Executor, viewer: UUID, body: CustomRoundIn) -> dict[str, Any]:
    if body.club_id is not None and await repo.club_role(conn, viewer, body.club_id) != "owner":
        raise NotFound("club", body.club_id)
    round_id = await repo.insert(
        conn,
        archer_id=None if body.club_id else viewer,
        club_id=body.club_id,
        fields=body.model_dump(exclude={"passes", "club_id"}),
        passes=_passes(body.passes),
    )
    return await get(conn, viewer, round_id)


async def update(
    conn: Executor, viewer: UUID, round_id: UUID, body: CustomRoundPatch
) -> dict[str, Any]:
    row = await _row(conn, viewer, round_id, edit=True)
    fields = body.model_dump(exclude={"passes"})  # MISSING fields are left out
    passes = None if body.passes is MISSING else body.passes
    per_end = fields.get("arrows_per_end", row["arrows_per_end"])
    counts = [p.n_arrows for p in passes] if passes is not None else [p[0] for p in row["passes"]]
    if any(n % per_end for n in counts):
        raise InvalidInput(
            f"arrows_per_end: passes of {', '.join(map(str, counts))} arrows do not make "
            f"whole ends of {per_end}"
        )
    await repo.update(conn, round_id, fields, None if passes is None else _passes(passes))
    return await get(conn, viewer, round_id)


async def delete(conn: Executor, viewer: UUID, round_id: UUID) -> dict[str, Any]:
    row = await _row(conn, viewer, round_id, edit=True)
    await repo.delete(conn, round_id)
    return out(row)
