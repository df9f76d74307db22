"""All SQL of the arrows domain."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from arch_stats.core.database import Connection, Executor
from arch_stats.core.errors import Conflict

ARROW_JSON = """json_build_object(
    'id', a.id, 'identifier', a.identifier, 'length_mm', a.length_mm,
    'weight_grains', a.weight_grains, 'diameter_mm', a.diameter_mm, 'spine', a.spine,
    'label_position_mm', a.label_position_mm, 'is_programmed', a.is_programmed,
    'is_active', a.is_active, 'retired_at', a.retired_at, 'created_at', a.created_at,
    'updated_at', a.updated_at, 'arrow_set_id', a.arrow_set_id)"""

# Columns a PATCH may set directly; `is_active` is handled apart (it moves `retired_at` too).
PATCH_COLUMNS = (
    "identifier",
    "length_mm",
    "weight_grains",
    "diameter_mm",
    "spine",
    "label_position_mm",
    "is_programmed",
)


def _identifier_taken(identifier: str | None) -> Conflict:
    which = f"'{identifier}'" if identifier else "this identifier"
    return Conflict(f"another active arrow already has the identifier {which}")


async def insert(conn: Executor, archer_id: UUID, values: dict[str, Any]) -> str:
    try:
        json: str = await conn.fetchval(
            f"""INSERT INTO arrow AS a (archer_id, identifier, length_mm, weight_grains,
                                       diameter_mm, spine, label_position_mm, is_programmed)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {ARROW_JSON}""",
            archer_id,
            values["identifier"],
            values["length_mm"],
            values["weight_grains"],
            values["diameter_mm"],
            values["spine"],
            values["label_position_mm"],
            values["is_programmed"],
        )
    except asyncpg.UniqueViolationError:
        raise _identifier_taken(values["identifier"]) from None
    return json


async def insert_set(
    conn: Executor, archer_id: UUID, identifiers: list[str], spec: dict[str, Any]
) -> dict[str, str]:
    """Insert one arrow of `spec` per identifier, skipping identifiers that an active arrow
    has already: identifier → JSON of the arrows inserted. The caller refuses the set (and
    the transaction rolls back) when any was skipped."""
    rows = await conn.fetch(
        f"""WITH a AS (
                INSERT INTO arrow (archer_id, identifier, length_mm, weight_grains, diameter_mm,
                                   spine, label_position_mm, is_programmed)
                SELECT $1, u.identifier, $3, $4, $5, $6, $7, $8
                FROM unnest($2::text[]) AS u(identifier)
                ON CONFLICT (archer_id, identifier) WHERE is_active DO NOTHING
                RETURNING *
            )
            SELECT a.identifier, {ARROW_JSON} AS json FROM a""",
        archer_id,
        identifiers,
        spec["length_mm"],
        spec["weight_grains"],
        spec["diameter_mm"],
        spec["spine"],
        spec["label_position_mm"],
        spec["is_programmed"],
    )
    return {r["identifier"]: r["json"] for r in rows}


async def list_json(conn: Executor, archer_id: UUID, *, include_retired: bool) -> str:
    json: str = await conn.fetchval(
        f"""SELECT coalesce(json_agg({ARROW_JSON}
                                     ORDER BY a.is_active DESC, a.identifier, a.created_at), '[]')
            FROM arrow a WHERE a.archer_id = $1 AND (a.is_active OR $2)""",
        archer_id,
        include_retired,
    )
    return json


async def get_json(conn: Executor, arrow_id: UUID, archer_id: UUID) -> str | None:
    json: str | None = await conn.fetchval(
        f"SELECT {ARROW_JSON} FROM arrow a WHERE a.id = $1 AND a.archer_id = $2",
        arrow_id,
        archer_id,
    )
    return json


async def update(
    conn: Executor,
    arrow_id: UUID,
    archer_id: UUID,
    changes: dict[str, Any],
    *,
    is_active: bool | None,
) -> str | None:
    """Apply `changes` (column → value) and, when given, retire or reactivate the arrow."""
    columns = [c for c in PATCH_COLUMNS if c in changes]
    sets = [f"{c} = ${i}" for i, c in enumerate(columns, start=3)]
    args: list[Any] = [arrow_id, archer_id, *(changes[c] for c in columns)]
    if is_active is not None:
        args.append(is_active)
        n = len(args)
        sets.append(f"is_active = ${n}")
        # Retiring twice keeps the first date; reactivating clears it.
        sets.append(f"retired_at = CASE WHEN ${n} THEN NULL ELSE coalesce(retired_at, now()) END")
    sets.append("updated_at = now()")
    try:
        json: str | None = await conn.fetchval(
            f"""UPDATE arrow AS a SET {", ".join(sets)}
                WHERE a.id = $1 AND a.archer_id = $2 RETURNING {ARROW_JSON}""",
            *args,
        )
    except asyncpg.UniqueViolationError:
        raise _identifier_taken(changes.get("identifier")) from None
    return json


async def lock_has_shots(conn: Connection, arrow_id: UUID, archer_id: UUID) -> bool | None:
    """Lock the arrow (a concurrent shot insert waits) and tell whether it has shots.

    None when the arrow does not exist or is not the archer's.
    """
    found: bool | None = await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM shot s WHERE s.arrow_id = a.id)
           FROM arrow a WHERE a.id = $1 AND a.archer_id = $2 FOR UPDATE OF a""",
        arrow_id,
        archer_id,
    )
    return found


async def retire(conn: Executor, arrow_id: UUID, archer_id: UUID) -> str:
    json: str = await conn.fetchval(
        f"""UPDATE arrow AS a
            SET is_active = false, retired_at = coalesce(retired_at, now()), updated_at = now()
            WHERE a.id = $1 AND a.archer_id = $2 RETURNING {ARROW_JSON}""",
        arrow_id,
        archer_id,
    )
    return json


async def delete(conn: Executor, arrow_id: UUID, archer_id: UUID) -> str:
    json: str = await conn.fetchval(
        f"DELETE FROM arrow AS a WHERE a.id = $1 AND a.archer_id = $2 RETURNING {ARROW_JSON}",
        arrow_id,
        archer_id,
    )
    return json
