"""All SQL of the clubs domain."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from arch_stats.core.database import Connection, Executor
from arch_stats.core.errors import Conflict

# A club as the caller ($1) sees it.
_CLUB = """SELECT c.id, c.name, c.created_at, me.role AS my_role, me.share_with_coaches,
                  me.show_on_public_board,
                  (SELECT count(*) FROM club_member x WHERE x.club_id = c.id)::int AS members
           FROM club c JOIN club_member me ON me.club_id = c.id AND me.archer_id = $1"""


def _keeps_owner(exc: asyncpg.PostgresError) -> bool:
    return getattr(exc, "constraint_name", None) == "club_keeps_owner"


LAST_OWNER = "a club always keeps an owner: make another member owner first"


async def create(conn: Connection, archer_id: UUID, name: str) -> dict[str, Any]:
    club_id = await conn.fetchval("INSERT INTO club (name) VALUES ($1) RETURNING id", name)
    await conn.execute(
        "INSERT INTO club_member (club_id, archer_id, role) VALUES ($1, $2, 'owner')",
        club_id,
        archer_id,
    )
    club = await get(conn, archer_id, club_id)
    assert club is not None
    return club


async def get(conn: Executor, archer_id: UUID, club_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(f"{_CLUB} WHERE c.id = $2", archer_id, club_id)
    return None if row is None else dict(row)


async def mine(conn: Executor, archer_id: UUID) -> list[dict[str, Any]]:
    rows = await conn.fetch(f"{_CLUB} ORDER BY c.name, c.id", archer_id)
    return [dict(r) for r in rows]


async def role_of(conn: Executor, archer_id: UUID, club_id: UUID) -> str | None:
    role: str | None = await conn.fetchval(
        "SELECT role FROM club_member WHERE club_id = $1 AND archer_id = $2", club_id, archer_id
    )
    return role


async def rename(conn: Executor, club_id: UUID, name: str) -> None:
    await conn.execute("UPDATE club SET name = $2 WHERE id = $1", club_id, name)


async def members(conn: Executor, club_id: UUID) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT m.archer_id, a.name, m.role, m.share_with_coaches, m.joined_at
           FROM club_member m JOIN archer a ON a.id = m.archer_id
           WHERE m.club_id = $1
           ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'coach' THEN 1 ELSE 2 END, a.name""",
        club_id,
    )
    return [dict(r) for r in rows]


async def set_consent(
    conn: Executor, archer_id: UUID, club_id: UUID, share: bool, public: bool | None
) -> bool:
    """Consent to the coaches, and to the public board (`public` None: unchanged)."""
    status: str = await conn.execute(
        """UPDATE club_member
           SET share_with_coaches = $3,
               show_on_public_board = coalesce($4, show_on_public_board)
           WHERE club_id = $1 AND archer_id = $2""",
        club_id,
        archer_id,
        share,
        public,
    )
    return status != "UPDATE 0"


async def set_role(conn: Connection, club_id: UUID, archer_id: UUID, role: str) -> bool:
    try:
        async with conn.transaction():  # a savepoint: the deferred owner check runs here
            await conn.execute("SET CONSTRAINTS club_member_keeps_owner IMMEDIATE")
            status: str = await conn.execute(
                "UPDATE club_member SET role = $3 WHERE club_id = $1 AND archer_id = $2",
                club_id,
                archer_id,
                role,
            )
    except asyncpg.CheckViolationError as exc:
        if _keeps_owner(exc):
            raise Conflict(LAST_OWNER) from None
        raise
    return status != "UPDATE 0"


async def remove(conn: Connection, club_id: UUID, archer_id: UUID, *, by_owner: bool) -> bool:
    """Remove a member (leave, or removal by an owner, which is noted: the invites made
    before it no longer let them in). The last member leaving deletes the club."""
    try:
        async with conn.transaction():
            await conn.execute("SET CONSTRAINTS club_member_keeps_owner IMMEDIATE")
            status: str = await conn.execute(
                "DELETE FROM club_member WHERE club_id = $1 AND archer_id = $2",
                club_id,
                archer_id,
            )
    except asyncpg.CheckViolationError as exc:
        if _keeps_owner(exc):
            raise Conflict(LAST_OWNER) from None
        raise
    removed = status != "DELETE 0"
    if removed and by_owner:
        await conn.execute(
            """INSERT INTO club_removal (club_id, archer_id) VALUES ($1, $2)
               ON CONFLICT (club_id, archer_id) DO UPDATE SET removed_at = now()""",
            club_id,
            archer_id,
        )
    return removed


_INVITE = """id, role, created_at, expires_at, revoked_at, max_uses, uses,
             max_uses - uses AS remaining_uses"""


async def add_invite(
    conn: Executor,
    club_id: UUID,
    created_by: UUID,
    code_hash: bytes,
    role: str,
    *,
    hours: int,
    max_uses: int,
) -> dict[str, Any]:
    row = await conn.fetchrow(
        f"""INSERT INTO club_invite (club_id, code_hash, role, created_by, expires_at, max_uses)
            VALUES ($1, $2, $3, $4, now() + make_interval(hours => $5), $6)
            RETURNING {_INVITE}""",
        club_id,
        code_hash,
        role,
        created_by,
        hours,
        max_uses,
    )
    assert row is not None
    return dict(row)


async def invites(conn: Executor, club_id: UUID) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"SELECT {_INVITE} FROM club_invite WHERE club_id = $1 ORDER BY created_at DESC, id",
        club_id,
    )
    return [dict(r) for r in rows]


async def revoke_invite(conn: Executor, club_id: UUID, invite_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"""UPDATE club_invite SET revoked_at = coalesce(revoked_at, now())
            WHERE id = $2 AND club_id = $1 RETURNING {_INVITE}""",
        club_id,
        invite_id,
    )
    return None if row is None else dict(row)


_USABLE = "revoked_at IS NULL AND expires_at > now() AND uses < max_uses"


async def invite_usable(conn: Executor, code_hash: bytes) -> bool:
    """Whether the code would let someone join now (not expired, revoked or used up)."""
    found = await conn.fetchval(
        f"SELECT true FROM club_invite WHERE code_hash = $1 AND {_USABLE}", code_hash
    )
    return bool(found)


async def redeem_invite(
    conn: Executor, code_hash: bytes, archer_id: UUID
) -> tuple[UUID, str, bool] | None:
    """Take one use of a usable invite: its club, its role, and whether an owner removed
    `archer_id` from that club after the invite was made; None when it is not usable.

    One statement: of two joins for the last use, the second waits for the first's row lock,
    then finds it used up (PostgreSQL re-checks the condition on the row it waited for)."""
    row = await conn.fetchrow(
        f"""UPDATE club_invite i SET uses = i.uses + 1
            WHERE i.code_hash = $1 AND {_USABLE}
            RETURNING i.club_id, i.role,
                      EXISTS (SELECT 1 FROM club_removal r
                              WHERE r.club_id = i.club_id AND r.archer_id = $2
                                AND r.removed_at >= i.created_at) AS removed_since""",
        code_hash,
        archer_id,
    )
    return None if row is None else (row["club_id"], row["role"], row["removed_since"])


async def join(conn: Executor, club_id: UUID, archer_id: UUID, role: str) -> bool:
    """Add the archer; False when they are a member already."""
    status: str = await conn.execute(
        """INSERT INTO club_member (club_id, archer_id, role) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING""",
        club_id,
        archer_id,
        role,
    )
    return status != "INSERT 0 0"


def _notes_from(source: str, reader: str) -> str:
    """The notes of `source` (a table or a CTE, as `n`) as `reader` (a parameter) sees them:
    with their author's name and whether the reader has read them (the author has)."""
    return f"""SELECT n.id, n.session_id, n.end_no, n.end_place, n.author_id,
                      a.name AS author_name, n.body, n.created_at,
                      n.author_id = {reader} OR EXISTS (
                          SELECT 1 FROM coach_note_read r
                          WHERE r.note_id = n.id AND r.reader_id = {reader}) AS read
               FROM {source} n JOIN archer a ON a.id = n.author_id"""


async def add_note(
    conn: Executor,
    session_id: UUID,
    author_id: UUID,
    end_no: int | None,
    end_place: int | None,
    body: str,
) -> dict[str, Any]:
    row = await conn.fetchrow(
        f"""WITH n AS (
                INSERT INTO coach_note (session_id, end_no, end_place, author_id, body)
                VALUES ($1, $2, $3, $4, $5) RETURNING *)
            {_notes_from("n", "$4")}""",
        session_id,
        end_no,
        end_place,
        author_id,
        body,
    )
    assert row is not None
    return dict(row)


async def ends_shot(
    conn: Executor, session_id: UUID, end_no: int, end_place: int
) -> tuple[int | None, bool]:
    """The session's last end with an arrow, and whether an arrow is at (end_no, end_place)."""
    row = await conn.fetchrow(
        """SELECT max(end_no) AS last_end,
                  coalesce(bool_or(end_no = $2 AND end_place = $3), false) AS placed
           FROM shot WHERE session_id = $1""",
        session_id,
        end_no,
        end_place,
    )
    assert row is not None
    return row["last_end"], row["placed"]


async def notify_live(conn: Executor, channel: str, payload: str) -> None:
    """Sent at commit: every process's hub passes it to the session's subscribers."""
    await conn.execute("SELECT pg_notify($1, $2)", channel, payload)


async def notes(conn: Executor, session_id: UUID, reader: UUID) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"{_notes_from('coach_note', '$2')} WHERE n.session_id = $1 ORDER BY n.created_at, n.id",
        session_id,
        reader,
    )
    return [dict(r) for r in rows]


async def note_session(conn: Executor, note_id: UUID) -> UUID | None:
    session_id: UUID | None = await conn.fetchval(
        "SELECT session_id FROM coach_note WHERE id = $1", note_id
    )
    return session_id


async def mark_read(conn: Executor, note_id: UUID, reader: UUID) -> dict[str, Any] | None:
    """The reader has read the note (once: reading it again changes nothing)."""
    row = await conn.fetchrow(
        f"""WITH r AS (
                INSERT INTO coach_note_read (note_id, reader_id)
                SELECT id, $2 FROM coach_note WHERE id = $1 AND author_id <> $2
                ON CONFLICT DO NOTHING)
            {_notes_from("coach_note", "$2")} WHERE n.id = $1""",
        note_id,
        reader,
    )
    return None if row is None else {**dict(row), "read": True}


async def delete_note(conn: Executor, note_id: UUID, author_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"""WITH n AS (DELETE FROM coach_note WHERE id = $1 AND author_id = $2 RETURNING *)
            {_notes_from("n", "$2")}""",
        note_id,
        author_id,
    )
    return None if row is None else dict(row)


async def shared_members(conn: Executor, club_id: UUID, viewer: UUID) -> list[dict[str, Any]]:
    """The club's members who share with its coaches (not the viewer), with their last
    session: the roster."""
    rows = await conn.fetch(
        """SELECT m.archer_id, a.name, m.role, a.bowstyle,
                  (SELECT count(*) FROM session s WHERE s.archer_id = m.archer_id)::int
                      AS sessions,
                  (SELECT json_build_object(
                              'id', s.id, 'start_time', s.start_time, 'is_open', s.is_open,
                              'round_code', s.round_code, 'distance_m', s.distance_m)
                   FROM session s WHERE s.archer_id = m.archer_id
                   ORDER BY s.start_time DESC, s.id LIMIT 1)::text AS last_session,
                  (SELECT s.id FROM session s WHERE s.archer_id = m.archer_id
                   ORDER BY s.start_time DESC, s.id LIMIT 1) AS last_session_id
           FROM club_member m JOIN archer a ON a.id = m.archer_id
           WHERE m.club_id = $1 AND m.share_with_coaches AND m.archer_id <> $2
           ORDER BY a.name, m.archer_id""",
        club_id,
        viewer,
    )
    return [dict(r) for r in rows]
