"""Arrow rules: unique active identifiers, retire (never erase) arrows that have shots."""

from __future__ import annotations

from uuid import UUID

import orjson

from arch_stats.arrows import repository as repo
from arch_stats.arrows.schemas import ArrowIn, ArrowPatch, ArrowSetIn
from arch_stats.core.database import Connection, Executor
from arch_stats.core.errors import Conflict, NotFound


async def create(conn: Executor, archer_id: UUID, body: ArrowIn) -> str:
    return await repo.insert(conn, archer_id, body.model_dump())


async def create_set(conn: Connection, archer_id: UUID, body: ArrowSetIn) -> str:
    """All the arrows of the set, in number order, or none (409 naming every identifier that
    an active arrow already has)."""
    identifiers = body.identifiers
    inserted = await repo.insert_set(conn, archer_id, identifiers, body.spec())
    taken = [i for i in identifiers if i not in inserted]
    if taken:
        names = ", ".join(f"'{i}'" for i in taken)
        raise Conflict(
            f"active arrows already have the identifier{'s' if len(taken) > 1 else ''} {names}: "
            "no arrow of the set was added"
        )
    return "[" + ",".join(inserted[i] for i in identifiers) + "]"


async def list_arrows(conn: Executor, archer_id: UUID, *, include_retired: bool) -> str:
    return await repo.list_json(conn, archer_id, include_retired=include_retired)


async def get(conn: Executor, archer_id: UUID, arrow_id: UUID) -> str:
    json = await repo.get_json(conn, arrow_id, archer_id)
    if json is None:
        raise NotFound("arrow", arrow_id)
    return json


async def update(conn: Executor, archer_id: UUID, arrow_id: UUID, body: ArrowPatch) -> str:
    changes = body.model_dump(exclude={"is_active"})  # MISSING fields are left out
    is_active = body.is_active if isinstance(body.is_active, bool) else None
    json = await repo.update(conn, arrow_id, archer_id, changes, is_active=is_active)
    if json is None:
        raise NotFound("arrow", arrow_id)
    return json


async def delete(conn: Connection, archer_id: UUID, arrow_id: UUID) -> bytes:
    """Delete an arrow without shots; retire one with shots (its history stays)."""
    has_shots = await repo.lock_has_shots(conn, arrow_id, archer_id)
    if has_shots is None:
        raise NotFound("arrow", arrow_id)
    if has_shots:
        json = await repo.retire(conn, arrow_id, archer_id)
    else:
        json = await repo.delete(conn, arrow_id, archer_id)
    return orjson.dumps(
        {"deleted": not has_shots, "retired": has_shots, "arrow": orjson.Fragment(json)}
    )
