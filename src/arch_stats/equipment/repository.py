"""All SQL of the equipment domain. Every query is filtered by the archer who owns the
bow, set or session (`archer_id`), so another archer's ids find nothing."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from arch_stats.arrows.repository import ARROW_JSON
from arch_stats.core.database import Executor
from arch_stats.equipment.schemas import SETUP_FIELDS

VERSION_COLUMNS = ", ".join(("id", "version", "created_at", *SETUP_FIELDS))


# -- bows --------------------------------------------------------------------------------------


async def insert_bow(conn: Executor, archer_id: UUID, name: str) -> UUID:
    bow_id: UUID = await conn.fetchval(
        "INSERT INTO bow (archer_id, name) VALUES ($1, $2) RETURNING id", archer_id, name
    )
    return bow_id


async def insert_version(conn: Executor, bow_id: UUID, setup: dict[str, Any]) -> None:
    """The bow's next version (the caller holds the bow's row lock: `lock_bow`)."""
    values = [setup[f] for f in SETUP_FIELDS]
    placeholders = ", ".join(f"${i}" for i in range(2, len(values) + 2))
    await conn.execute(
        f"""INSERT INTO bow_version (bow_id, version, {", ".join(SETUP_FIELDS)})
            SELECT $1, coalesce(max(version), 0) + 1, {placeholders}
            FROM bow_version WHERE bow_id = $1""",
        bow_id,
        *values,
    )


async def lock_bow(conn: Executor, bow_id: UUID, archer_id: UUID) -> asyncpg.Record | None:
    """The bow's current setup, its row locked (one new version at a time)."""
    return await conn.fetchrow(
        f"""SELECT v.{", v.".join(SETUP_FIELDS)}
            FROM bow b JOIN bow_version v ON v.bow_id = b.id
            WHERE b.id = $1 AND b.archer_id = $2
            ORDER BY v.version DESC LIMIT 1 FOR UPDATE OF b""",
        bow_id,
        archer_id,
    )


async def update_bow(conn: Executor, bow_id: UUID, changes: dict[str, Any]) -> None:
    sets = [f"{c} = ${i}" for i, c in enumerate(changes, start=2)]
    await conn.execute(
        f"UPDATE bow SET {', '.join([*sets, 'updated_at = now()'])} WHERE id = $1",
        bow_id,
        *changes.values(),
    )


async def bows(conn: Executor, archer_id: UUID, bow_id: UUID | None = None) -> list[dict[str, Any]]:
    """The archer's bows (active first, by name), or the one `bow_id`; each with its
    versions, newest first."""
    keys = VERSION_COLUMNS.split(", ")
    rows = await conn.fetch(
        f"""SELECT b.id, b.name, b.is_active, b.created_at, b.updated_at,
                   {", ".join(f"v.{k} AS v_{k}" for k in keys)}
            FROM bow b JOIN bow_version v ON v.bow_id = b.id
            WHERE b.archer_id = $1 AND ($2::uuid IS NULL OR b.id = $2)
            ORDER BY b.is_active DESC, b.name, b.id, v.version DESC""",
        archer_id,
        bow_id,
    )
    out: dict[UUID, dict[str, Any]] = {}
    for r in rows:
        version = {k: r[f"v_{k}"] for k in keys}
        bow = out.get(r["id"])
        if bow is None:
            bow = out[r["id"]] = {
                "id": r["id"], "name": r["name"], "is_active": r["is_active"],
                "created_at": r["created_at"], "updated_at": r["updated_at"],
                "current": version, "versions": [],
            }  # fmt: skip
        bow["versions"].append(version)
    return list(out.values())


async def bow_version(conn: Executor, version_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"SELECT {VERSION_COLUMNS} FROM bow_version WHERE id = $1", version_id
    )
    return None if row is None else dict(row)


# -- sight marks -------------------------------------------------------------------------------

MARK_KEYS = ("id", "bow_id", "distance_m", "mark", "session_id", "created_at", "updated_at")
MARK_COLUMNS = ", ".join(f"m.{k}" for k in MARK_KEYS)


async def sight_marks(conn: Executor, bow_id: UUID, archer_id: UUID) -> list[dict[str, Any]] | None:
    """The bow's marks by distance; None when the bow is not the archer's."""
    rows = await conn.fetch(
        f"""SELECT b.id AS owned, {MARK_COLUMNS}
            FROM bow b LEFT JOIN sight_mark m ON m.bow_id = b.id
            WHERE b.id = $1 AND b.archer_id = $2 ORDER BY m.distance_m""",
        bow_id,
        archer_id,
    )
    if not rows:
        return None
    return [{k: r[k] for k in MARK_KEYS} for r in rows if r["id"] is not None]


async def upsert_sight_mark(
    conn: Executor, bow_id: UUID, distance_m: float, mark: float, session_id: UUID | None
) -> dict[str, Any]:
    row = await conn.fetchrow(
        f"""INSERT INTO sight_mark AS m (bow_id, distance_m, mark, session_id)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (bow_id, distance_m) DO UPDATE
                SET mark = excluded.mark, session_id = excluded.session_id, updated_at = now()
            RETURNING {MARK_COLUMNS}""",
        bow_id,
        distance_m,
        mark,
        session_id,
    )
    assert row is not None
    return dict(row)


async def delete_sight_mark(
    conn: Executor, mark_id: UUID, archer_id: UUID
) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"""DELETE FROM sight_mark m USING bow b
            WHERE m.id = $1 AND b.id = m.bow_id AND b.archer_id = $2 RETURNING {MARK_COLUMNS}""",
        mark_id,
        archer_id,
    )
    return None if row is None else dict(row)


async def session_distances(
    conn: Executor, session_id: UUID, archer_id: UUID
) -> list[float] | None:
    """The distances a session was shot at (the session's and its targets'); None when it
    is not the archer's."""
    row = await conn.fetchrow(
        """SELECT array(SELECT s.distance_m UNION SELECT t.distance_m FROM target t
                        WHERE t.session_id = s.id) AS d
           FROM session s WHERE s.id = $1 AND s.archer_id = $2""",
        session_id,
        archer_id,
    )
    return None if row is None else list(row["d"])


# -- arrow sets --------------------------------------------------------------------------------

SET_SPEC = ("shaft", "spine", "length_mm", "point_grains", "fletching", "nock")


async def insert_set(conn: Executor, archer_id: UUID, name: str, spec: dict[str, Any]) -> UUID:
    set_id: UUID = await conn.fetchval(
        f"""INSERT INTO arrow_set (archer_id, name, {", ".join(SET_SPEC)})
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id""",
        archer_id,
        name,
        *(spec[c] for c in SET_SPEC),
    )
    return set_id


async def update_set(
    conn: Executor, set_id: UUID, archer_id: UUID, changes: dict[str, Any]
) -> bool:
    sets = [f"{c} = ${i}" for i, c in enumerate(changes, start=3)]
    done: bool = await conn.fetchval(
        f"""UPDATE arrow_set SET {", ".join([*sets, "updated_at = now()"])}
            WHERE id = $1 AND archer_id = $2 RETURNING true""",
        set_id,
        archer_id,
        *changes.values(),
    )
    return bool(done)


async def add_arrows(conn: Executor, set_id: UUID, archer_id: UUID, arrow_ids: list[UUID]) -> int:
    """Put the archer's arrows into the set: how many were found."""
    n: int = await conn.fetchval(
        """WITH u AS (UPDATE arrow SET arrow_set_id = $1, updated_at = now()
                      WHERE id = ANY($3::uuid[]) AND archer_id = $2 RETURNING 1)
           SELECT count(*)::int FROM u""",
        set_id,
        archer_id,
        arrow_ids,
    )
    return n


async def arrow_sets(
    conn: Executor, archer_id: UUID, set_id: UUID | None = None
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"""SELECT s.id, s.name, s.is_active, s.created_at, s.updated_at,
                   s.{", s.".join(SET_SPEC)},
                   coalesce((SELECT json_agg({ARROW_JSON} ORDER BY a.identifier, a.created_at)
                             FROM arrow a WHERE a.arrow_set_id = s.id), '[]') AS arrows
            FROM arrow_set s
            WHERE s.archer_id = $1 AND ($2::uuid IS NULL OR s.id = $2)
            ORDER BY s.is_active DESC, s.name, s.id""",
        archer_id,
        set_id,
    )
    return [dict(r) for r in rows]


async def set_names(conn: Executor, archer_id: UUID, set_ids: list[UUID]) -> dict[UUID, str]:
    rows = await conn.fetch(
        "SELECT id, name FROM arrow_set WHERE archer_id = $1 AND id = ANY($2::uuid[])",
        archer_id,
        set_ids,
    )
    return {r["id"]: r["name"] for r in rows}


async def set_impacts(conn: Executor, archer_id: UUID, set_ids: list[UUID]) -> list[asyncpg.Record]:
    """Every impact (a shot with a position) of the sets' arrows, with its session, target
    distance, arrow and set."""
    return await conn.fetch(
        """SELECT h.session_id::text AS session_id, t.distance_m, a.id AS arrow_id,
                  a.identifier, a.arrow_set_id, h.dx_mm, h.dy_mm
           FROM arrow a
           JOIN shot h ON h.arrow_id = a.id
           JOIN target t ON t.id = h.target_id
           WHERE a.archer_id = $1 AND a.arrow_set_id = ANY($2::uuid[]) AND h.dx_mm IS NOT NULL""",
        archer_id,
        set_ids,
    )


# -- sessions ----------------------------------------------------------------------------------


async def session_exists(conn: Executor, session_id: UUID, archer_id: UUID) -> bool:
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM session WHERE id = $1 AND archer_id = $2)",
        session_id,
        archer_id,
    )
    return found


async def session_equipment(
    conn: Executor, session_id: UUID, archer_id: UUID
) -> asyncpg.Record | None:
    """The session's bow version (with its bow) and arrow set; None when the session is not
    the archer's (a row of nulls when nothing is recorded)."""
    return await conn.fetchrow(
        """SELECT s.id AS session_id, b.id AS bow_id, b.name AS bow_name, e.bow_version_id,
                  e.arrow_set_id, x.name AS arrow_set_name, ar.bowstyle AS archer_bowstyle
           FROM session s
           JOIN archer ar ON ar.id = s.archer_id
           LEFT JOIN session_equipment e ON e.session_id = s.id
           LEFT JOIN bow_version v ON v.id = e.bow_version_id
           LEFT JOIN bow b ON b.id = v.bow_id
           LEFT JOIN arrow_set x ON x.id = e.arrow_set_id
           WHERE s.id = $1 AND s.archer_id = $2""",
        session_id,
        archer_id,
    )


async def current_version_id(conn: Executor, bow_id: UUID, archer_id: UUID) -> UUID | None:
    version_id: UUID | None = await conn.fetchval(
        """SELECT v.id FROM bow b JOIN bow_version v ON v.bow_id = b.id
           WHERE b.id = $1 AND b.archer_id = $2 ORDER BY v.version DESC LIMIT 1""",
        bow_id,
        archer_id,
    )
    return version_id


async def set_session_equipment(
    conn: Executor, session_id: UUID, version_id: UUID | None, set_id: UUID | None
) -> None:
    if version_id is None and set_id is None:
        await conn.execute("DELETE FROM session_equipment WHERE session_id = $1", session_id)
        return
    await conn.execute(
        """INSERT INTO session_equipment (session_id, bow_version_id, arrow_set_id)
           VALUES ($1, $2, $3)
           ON CONFLICT (session_id) DO UPDATE
               SET bow_version_id = excluded.bow_version_id,
                   arrow_set_id = excluded.arrow_set_id""",
        session_id,
        version_id,
        set_id,
    )


async def owned_arrows(conn: Executor, archer_id: UUID, arrow_ids: list[UUID]) -> dict[UUID, str]:
    rows = await conn.fetch(
        "SELECT id, identifier FROM arrow WHERE archer_id = $1 AND id = ANY($2::uuid[])",
        archer_id,
        arrow_ids,
    )
    return {r["id"]: r["identifier"] for r in rows}


async def set_tuning(
    conn: Executor, session_id: UUID, labels: tuple[str, str], groups: dict[UUID, str]
) -> None:
    await conn.execute("DELETE FROM session_tuning WHERE session_id = $1", session_id)
    await conn.execute(
        "INSERT INTO session_tuning (session_id, label_a, label_b) VALUES ($1, $2, $3)",
        session_id,
        *labels,
    )
    await conn.execute(
        """INSERT INTO session_tuning_arrow (session_id, arrow_id, grp)
           SELECT $1, u.arrow_id, u.grp FROM unnest($2::uuid[], $3::text[]) AS u(arrow_id, grp)""",
        session_id,
        list(groups),
        list(groups.values()),
    )


async def tuning(
    conn: Executor, session_id: UUID
) -> tuple[asyncpg.Record | None, list[asyncpg.Record]]:
    """The session's groups (labels) and its arrows' group and identifier."""
    head = await conn.fetchrow(
        "SELECT label_a, label_b FROM session_tuning WHERE session_id = $1", session_id
    )
    arrows = await conn.fetch(
        """SELECT g.arrow_id, g.grp, a.identifier FROM session_tuning_arrow g
           JOIN arrow a ON a.id = g.arrow_id WHERE g.session_id = $1 ORDER BY a.identifier""",
        session_id,
    )
    return head, arrows


async def session_impacts(
    conn: Executor, session_id: UUID, end_no: int | None = None
) -> list[asyncpg.Record]:
    """The session's impacts: arrow, target distance, position from the spot's centre."""
    return await conn.fetch(
        """SELECT h.arrow_id, t.distance_m, h.dx_mm, h.dy_mm
           FROM shot h JOIN target t ON t.id = h.target_id
           WHERE h.session_id = $1 AND h.dx_mm IS NOT NULL
             AND ($2::int IS NULL OR h.end_no = $2)
           ORDER BY h.seq""",
        session_id,
        end_no,
    )
