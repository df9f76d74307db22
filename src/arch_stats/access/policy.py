"""The permission policy: may this archer read or change this object, and how.

- Their own data: read and write (`Access.OWN`). Asked first and answered without a query:
  repositories already filter by `archer_id = $viewer`, so an archer's own requests cost
  exactly what they did before clubs existed.
- A club member's data, to a viewer who is an owner or a coach of a club the member is in,
  while the member shares with that club's coaches: read-only (`Access.COACH`).
- Anything else: None, which every route answers with 404 (never 403: ids reveal nothing).

Coach reads are filtered in SQL (`archer_id IN (archers shared with the viewer)`), never
loaded and then checked.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar
from uuid import UUID

from arch_stats.core.database import Executor
from arch_stats.core.errors import NotFound

T = TypeVar("T")


class Access(enum.Enum):
    OWN = "own"  # read and write
    COACH = "coach"  # read-only, with the archer's consent


# Club roles that see the members who share with the club's coaches.
STAFF_ROLES = ("owner", "coach")

# The archers whose data the viewer ($1) may read as a coach: any other member of a club in
# which the viewer is owner or coach, while they share with that club's coaches.
SHARED_WITH_VIEWER = """
    SELECT m.archer_id FROM club_member c
    JOIN club_member m ON m.club_id = c.club_id
    WHERE c.archer_id = $1 AND c.role IN ('owner', 'coach')
      AND m.share_with_coaches AND m.archer_id <> $1
"""

_OWNER_SQL = {
    "session": "SELECT archer_id FROM session WHERE id = $2",
    "shot": "SELECT archer_id FROM shot WHERE id = $2",
    "target": "SELECT archer_id FROM target WHERE id = $2",
    "arrow": "SELECT archer_id FROM arrow WHERE id = $2",
    "bow": "SELECT archer_id FROM bow WHERE id = $2",
    "arrow_set": "SELECT archer_id FROM arrow_set WHERE id = $2",
}


async def shared_archers(conn: Executor, viewer: UUID) -> list[UUID]:
    """Every archer whose data `viewer` may read as a coach."""
    rows = await conn.fetch(f"SELECT DISTINCT archer_id FROM ({SHARED_WITH_VIEWER}) s", viewer)
    return [r["archer_id"] for r in rows]


async def archer_access(conn: Executor, viewer: UUID, archer_id: UUID) -> Access | None:
    """How `viewer` may use `archer_id`'s data as a whole (history, sessions list, …)."""
    if archer_id == viewer:
        return Access.OWN
    shared = await conn.fetchval(
        f"SELECT EXISTS (SELECT 1 FROM ({SHARED_WITH_VIEWER}) s WHERE s.archer_id = $2)",
        viewer,
        archer_id,
    )
    return Access.COACH if shared else None


async def coach_owner(conn: Executor, viewer: UUID, kind: str, object_id: UUID) -> UUID | None:
    """The archer who owns the `kind` object (session, shot, target, arrow) when `viewer`
    may read it as a coach; None otherwise (not shared, not there, or the viewer's own)."""
    owner: UUID | None = await conn.fetchval(
        f"""SELECT o.archer_id FROM ({_OWNER_SQL[kind]}) o
            WHERE o.archer_id IN ({SHARED_WITH_VIEWER})""",
        viewer,
        object_id,
    )
    return owner


async def object_access(
    conn: Executor, viewer: UUID, kind: str, object_id: UUID
) -> tuple[Access, UUID] | None:
    """How `viewer` may use one object, and whose it is (None: not at all → 404)."""
    owner: UUID | None = await conn.fetchval(_OWNER_SQL[kind].replace("$2", "$1"), object_id)
    if owner is None:
        return None
    if owner == viewer:
        return Access.OWN, owner
    if await archer_access(conn, viewer, owner) is Access.COACH:
        return Access.COACH, owner
    return None


async def session_access(
    conn: Executor, viewer: UUID, session_id: UUID
) -> tuple[Access, UUID] | None:
    return await object_access(conn, viewer, "session", session_id)


async def read_as(
    conn: Executor,
    viewer: UUID,
    kind: str,
    object_id: UUID,
    load: Callable[[UUID], Awaitable[T]],
) -> T:
    """`load(archer_id)` as the viewer's own object; when it is not theirs (NotFound), as
    its owner's if the viewer may read it as a coach. Own reads cost nothing extra; any
    other refusal is the same NotFound an owner-only route gave."""
    try:
        return await load(viewer)
    except NotFound:
        owner = await coach_owner(conn, viewer, kind, object_id)
        if owner is None:
            raise
    return await load(owner)


async def reader_for(conn: Executor, viewer: UUID, archer_id: UUID | None, what: str) -> UUID:
    """The archer whose data a list or history shows: the viewer's own (no `archer_id`, or
    their own id), or a member's the viewer may read as a coach; 404 otherwise."""
    if archer_id is None or archer_id == viewer:
        return viewer
    if await archer_access(conn, viewer, archer_id) is None:
        raise NotFound(what)
    return archer_id


async def still_allowed(conn: Executor, pairs: Sequence[tuple[UUID, UUID]]) -> list[bool]:
    """For each (viewer, session id): may the viewer still read the session?"""
    if not pairs:
        return []
    rows = await conn.fetch(
        """SELECT p.i, EXISTS (
                   SELECT 1 FROM session s
                   WHERE s.id = p.session_id AND (
                       s.archer_id = p.viewer OR s.archer_id IN (
                           SELECT m.archer_id FROM club_member c
                           JOIN club_member m ON m.club_id = c.club_id
                           WHERE c.archer_id = p.viewer AND c.role IN ('owner', 'coach')
                             AND m.share_with_coaches AND m.archer_id <> p.viewer))
               ) AS ok
           FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS p(viewer, session_id, i)
           ORDER BY p.i""",
        [p[0] for p in pairs],
        [p[1] for p in pairs],
    )
    return [r["ok"] for r in rows]
