"""SQL of the club board: who is shooting now in a club, and the board's public links.

The board shows, per member with an open session, their name, round, faces and every shot
(position relative to its spot, score): JSON built by PostgreSQL in one statement, each
board entry with the same shape whether it comes in the snapshot or alone (a session that
opened, or whose club was not yet known to the fan-out). `service.ranked` turns each entry's
profile fields (gender, age group) into its category, and adds its rule and counts; a public
link's board is made from the members' by `service.board_view` (no ids, no times).

Who is on it (`Shown`): members who share with the club's coaches (`share_with_coaches`),
and on public links only those of them who also allow it (`show_on_public_board`)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import asyncpg

from arch_stats.core.database import Executor
from arch_stats.core.errors import Conflict

# One board entry: an open session of a member, with its faces and its shots so far.
ENTRY_JSON = """json_build_object(
    'key', s.id, 'session_id', s.id, 'archer_id', a.id, 'name', a.name, 'bowstyle', a.bowstyle,
    'gender', a.gender, 'age_group', a.age_group, 'round_code', s.round_code,
    'distance_m', s.distance_m, 'is_indoor', s.is_indoor, 'arrows_per_end', s.arrows_per_end,
    'started_at', s.start_time,
    'faces', coalesce((
        SELECT json_agg(json_build_object('target_id', t.id, 'face_index', f.face_index,
                                          'face_type', f.face_type)
                        ORDER BY t.created_at, t.id, f.face_index)
        FROM target t JOIN target_face f ON f.target_id = t.id
        WHERE t.session_id = s.id), '[]'::json),
    'shots', coalesce((
        SELECT json_agg(json_build_object(
                   'seq', sh.seq, 'end_no', sh.end_no, 'end_place', sh.end_place,
                   'target_id', sh.target_id, 'face_index', sh.face_index,
                   'spot_index', sh.spot_index, 'dx_mm', sh.dx_mm, 'dy_mm', sh.dy_mm,
                   'score', sh.score, 'is_x', sh.is_x, 'is_miss', sh.x_mm IS NULL,
                   'label', sh.doc ->> 'label', 'landed_at', sh.doc -> 'landed_at')
                   ORDER BY sh.seq)
        FROM shot sh WHERE sh.session_id = s.id), '[]'::json))"""

# The keys of a shot on the board (a subset of the shot's own JSON, as the live note has it).
SHOT_KEYS = (
    "seq",
    "end_no",
    "end_place",
    "target_id",
    "face_index",
    "spot_index",
    "dx_mm",
    "dy_mm",
    "score",
    "is_x",
    "is_miss",
    "label",
    "landed_at",
)


@dataclass(frozen=True, slots=True)
class Link:
    id: UUID
    club_id: UUID
    secret: bytes  # the hash of its token: the key of its viewers' opaque keys


@dataclass(frozen=True, slots=True)
class Shown:
    """Where a member of a club appears on its board."""

    members: bool  # the members' board (they share with the club's coaches)
    public: bool  # public links too (and they allow it)


def _shown(row: asyncpg.Record) -> Shown:
    share: bool = row["share_with_coaches"]
    return Shown(members=share, public=share and row["show_on_public_board"])


async def member_role(conn: Executor, club_id: UUID, archer_id: UUID) -> str | None:
    return await conn.fetchval(  # type: ignore[no-any-return]
        "SELECT role FROM club_member WHERE club_id = $1 AND archer_id = $2", club_id, archer_id
    )


async def memberships(conn: Executor, archer_id: UUID) -> dict[UUID, Shown]:
    """The archer's clubs, and where the archer appears on each one's board."""
    rows = await conn.fetch(
        """SELECT club_id, share_with_coaches, show_on_public_board
           FROM club_member WHERE archer_id = $1""",
        archer_id,
    )
    return {r["club_id"]: _shown(r) for r in rows}


async def snapshot(
    conn: Executor, club_id: UUID, *, archer_id: UUID | None, link_id: UUID | None
) -> str | None:
    """The club's board, its members' entries as SQL builds them (JSON text; `service.board_view`
    ranks it, and makes a public link's from it, with the members a link shows), or None when
    the viewer may not
    see it (any more): `archer_id` must be a member, `link_id` a link of the club not
    revoked. Both checked in the same statement that reads the board, so that a board never
    outlives its access."""
    return await conn.fetchval(  # type: ignore[no-any-return]
        f"""SELECT json_build_object(
                   'club', json_build_object('id', c.id, 'name', c.name),
                   'read_only', $3::uuid IS NOT NULL,
                   'role', (SELECT role FROM club_member
                            WHERE club_id = c.id AND archer_id = $2),
                   'archers', coalesce((
                       SELECT json_agg({ENTRY_JSON} ORDER BY a.name, a.id)
                       FROM club_member m
                       JOIN archer a ON a.id = m.archer_id
                       JOIN session s ON s.archer_id = m.archer_id AND s.is_open
                       WHERE m.club_id = c.id AND m.share_with_coaches
                         AND ($3::uuid IS NULL OR m.show_on_public_board)), '[]'::json))::text
            FROM club c
            WHERE c.id = $1
              AND ($2::uuid IS NULL
                   OR EXISTS (SELECT 1 FROM club_member WHERE club_id = c.id AND archer_id = $2))
              AND ($3::uuid IS NULL
                   OR EXISTS (SELECT 1 FROM club_board_link
                              WHERE id = $3 AND club_id = c.id AND revoked_at IS NULL))
              AND ($2::uuid IS NOT NULL OR $3::uuid IS NOT NULL)""",
        club_id,
        archer_id,
        link_id,
    )


async def session_entry(conn: Executor, session_id: UUID) -> tuple[dict[UUID, Shown], str | None]:
    """The clubs of the session's archer (where the archer appears on each one's board), and
    the session's board entry (None when the session is closed or gone: nothing to show)."""
    row = await conn.fetchrow(
        f"""SELECT s.archer_id, CASE WHEN s.is_open THEN ({ENTRY_JSON})::text END AS entry
            FROM session s JOIN archer a ON a.id = s.archer_id
            WHERE s.id = $1""",
        session_id,
    )
    if row is None:
        return {}, None
    return await memberships(conn, row["archer_id"]), row["entry"]


async def open_session_of(conn: Executor, archer_id: UUID) -> UUID | None:
    return await conn.fetchval(  # type: ignore[no-any-return]
        "SELECT id FROM session WHERE archer_id = $1 AND is_open", archer_id
    )


async def active_link(conn: Executor, token_hash: bytes) -> Link | None:
    row = await conn.fetchrow(
        "SELECT id, club_id FROM club_board_link WHERE token_hash = $1 AND revoked_at IS NULL",
        token_hash,
    )
    return None if row is None else Link(row["id"], row["club_id"], token_hash)


async def link_state(conn: Executor, club_id: UUID) -> dict[str, object] | None:
    row = await conn.fetchrow(
        """SELECT id, created_at FROM club_board_link
           WHERE club_id = $1 AND revoked_at IS NULL""",
        club_id,
    )
    return None if row is None else {"id": row["id"], "created_at": row["created_at"]}


async def lock_links(conn: Executor, club_id: UUID) -> None:
    """Make the club's link changes one at a time (until the transaction ends); a lock that
    leaves new members' foreign keys alone."""
    await conn.execute("SELECT 1 FROM club WHERE id = $1 FOR NO KEY UPDATE", club_id)


async def revoke_links(conn: Executor, club_id: UUID) -> int:
    """Revoke the club's working link (if any); how many were revoked."""
    status: str = await conn.execute(
        """UPDATE club_board_link SET revoked_at = greatest(now(), created_at)
           WHERE club_id = $1 AND revoked_at IS NULL""",
        club_id,
    )
    return int(status.rsplit(" ", 1)[-1])


async def create_link(
    conn: Executor, club_id: UUID, token_hash: bytes, created_by: UUID
) -> dict[str, object]:
    try:
        row = await conn.fetchrow(
            """INSERT INTO club_board_link (club_id, token_hash, created_by) VALUES ($1, $2, $3)
               RETURNING id, created_at""",
            club_id,
            token_hash,
            created_by,
        )
    except asyncpg.UniqueViolationError:  # another link made at the same moment
        raise Conflict("the board got another link meanwhile: try again") from None
    assert row is not None
    return {"id": row["id"], "created_at": row["created_at"]}
