"""SQL of the competitions domain (asyncpg, parameterised; nothing else)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from arch_stats.core.database import Executor
from arch_stats.core.errors import Conflict

_COMPETITION = """
    SELECT c.*, cl.name AS club_name,
           (SELECT count(*) FROM competition_entry e WHERE e.competition_id = c.id) AS entries,
           (SELECT m.role FROM club_member m
             WHERE m.club_id = c.club_id AND m.archer_id = $1) AS club_role,
           EXISTS (SELECT 1 FROM competition_entry e
                    WHERE e.competition_id = c.id AND e.archer_id = $1) AS entered,
           cr.name AS custom_round_name
    FROM competition c
    JOIN club cl ON cl.id = c.club_id
    LEFT JOIN custom_round cr ON cr.id = c.custom_round_id
"""


async def insert(conn: Executor, fields: dict[str, Any], created_by: UUID) -> UUID:
    competition_id: UUID = await conn.fetchval(
        """INSERT INTO competition (club_id, name, venue, starts_on, ends_on, round_code,
                                    custom_round_id, arrows_per_end, archers_per_bale,
                                    created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id""",
        fields["club_id"],
        fields["name"],
        fields["venue"],
        fields["starts_on"],
        fields["ends_on"],
        fields["round_code"],
        fields["custom_round_id"],
        fields["arrows_per_end"],
        fields["archers_per_bale"],
        created_by,
    )
    return competition_id


async def add_categories(
    conn: Executor, competition_id: UUID, categories: list[tuple[str, str, int]]
) -> None:
    await conn.execute(
        """INSERT INTO competition_category (competition_id, key, label, ord)
           SELECT $1, k, l, o FROM unnest($2::text[], $3::text[], $4::int[]) AS u(k, l, o)""",
        competition_id,
        [c[0] for c in categories],
        [c[1] for c in categories],
        [c[2] for c in categories],
    )


async def get(conn: Executor, viewer: UUID, competition_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"{_COMPETITION} WHERE c.id = $2", viewer, competition_id)


async def visible(conn: Executor, viewer: UUID, club_id: UUID | None) -> list[asyncpg.Record]:
    """The competitions of the viewer's clubs, and those they are entered in."""
    return await conn.fetch(
        f"""{_COMPETITION}
            WHERE ($2::uuid IS NULL OR c.club_id = $2)
              AND (c.club_id IN (SELECT club_id FROM club_member WHERE archer_id = $1)
                   OR c.id IN (SELECT competition_id FROM competition_entry
                               WHERE archer_id = $1))
            ORDER BY c.starts_on DESC, c.name, c.id""",
        viewer,
        club_id,
    )


async def update(conn: Executor, competition_id: UUID, changes: dict[str, Any]) -> None:
    columns = ("name", "venue", "starts_on", "ends_on")
    await conn.execute(
        """UPDATE competition SET
               name = CASE WHEN $2 THEN $3 ELSE name END,
               venue = CASE WHEN $4 THEN $5 ELSE venue END,
               starts_on = CASE WHEN $6 THEN $7::date ELSE starts_on END,
               ends_on = CASE WHEN $8 THEN $9::date ELSE ends_on END
           WHERE id = $1""",
        competition_id,
        *[v for c in columns for v in (c in changes, changes.get(c))],
    )


async def delete(conn: Executor, competition_id: UUID) -> None:
    await conn.execute("DELETE FROM competition WHERE id = $1", competition_id)


async def set_status(conn: Executor, competition_id: UUID, status: str) -> None:
    await conn.execute("UPDATE competition SET status = $2 WHERE id = $1", competition_id, status)


async def categories(conn: Executor, competition_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT key, label, ord FROM competition_category WHERE competition_id = $1 ORDER BY ord",
        competition_id,
    )


_ENTRY = """
    SELECT e.id, e.archer_id, e.category_key, e.bale, e.detail, e.session_id,
           a.name, a.bowstyle, a.gender, a.age_group, a.is_guest
    FROM competition_entry e JOIN archer a ON a.id = e.archer_id
"""


async def entries(conn: Executor, competition_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"{_ENTRY} WHERE e.competition_id = $1 ORDER BY e.bale NULLS LAST, e.detail, a.name",
        competition_id,
    )


async def entry(conn: Executor, competition_id: UUID, entry_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"{_ENTRY} WHERE e.competition_id = $1 AND e.id = $2", competition_id, entry_id
    )


async def entry_of_session(conn: Executor, session_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT e.id, e.competition_id, e.archer_id, e.bale, e.detail, c.club_id, c.status
            FROM competition_entry e JOIN competition c ON c.id = e.competition_id
            WHERE e.session_id = $1""",
        session_id,
    )


async def member(conn: Executor, club_id: UUID, archer_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT a.id, a.name, a.bowstyle, a.gender, a.age_group FROM club_member m
           JOIN archer a ON a.id = m.archer_id WHERE m.club_id = $1 AND m.archer_id = $2""",
        club_id,
        archer_id,
    )


async def insert_guest(
    conn: Executor, *, name: str, bowstyle: str, gender: str, age_group: str, password_hash: str
) -> UUID:
    """An archer who can never sign in: no e-mail anyone has (the reserved `.invalid` domain),
    a password hash of nothing anyone knows, disabled."""
    guest_id: UUID = await conn.fetchval(
        """INSERT INTO archer (email, password_hash, name, bowstyle, gender, age_group,
                               is_guest, disabled_at)
           VALUES ('guest-' || gen_random_uuid() || '@guest.invalid', $1, $2, $3, $4, $5,
                   true, now())
           RETURNING id""",
        password_hash,
        name,
        bowstyle,
        gender,
        age_group,
    )
    return guest_id


async def insert_entry(
    conn: Executor, competition_id: UUID, archer_id: UUID, category_key: str
) -> UUID:
    try:
        entry_id: UUID = await conn.fetchval(
            """INSERT INTO competition_entry (competition_id, archer_id, category_key)
               VALUES ($1, $2, $3) RETURNING id""",
            competition_id,
            archer_id,
            category_key,
        )
    except asyncpg.UniqueViolationError:
        raise Conflict("this archer is entered already") from None
    return entry_id


async def delete_entry(conn: Executor, entry_id: UUID) -> None:
    archer_id = await conn.fetchval(
        "DELETE FROM competition_entry WHERE id = $1 RETURNING archer_id", entry_id
    )
    # A guest is nobody outside their competition (their session goes with them).
    await conn.execute("DELETE FROM archer WHERE id = $1 AND is_guest", archer_id)


async def set_place(conn: Executor, entry_id: UUID, bale: int | None, detail: int | None) -> None:
    await conn.execute(
        "UPDATE competition_entry SET bale = $2, detail = $3 WHERE id = $1", entry_id, bale, detail
    )


async def set_places(
    conn: Executor, competition_id: UUID, places: list[tuple[UUID, int | None, int | None]]
) -> None:
    """Set many places at once (checked at the end: a swap passes through no conflict)."""
    await conn.execute("SET CONSTRAINTS competition_entry_place_key DEFERRED")
    await conn.execute(
        """UPDATE competition_entry e SET bale = u.b, detail = u.d
           FROM unnest($2::uuid[], $3::int[], $4::int[]) AS u(i, b, d)
           WHERE e.id = u.i AND e.competition_id = $1""",
        competition_id,
        [p[0] for p in places],
        [p[1] for p in places],
        [p[2] for p in places],
    )
    await conn.execute("SET CONSTRAINTS competition_entry_place_key IMMEDIATE")


async def set_session(conn: Executor, entry_id: UUID, session_id: UUID) -> None:
    await conn.execute(
        "UPDATE competition_entry SET session_id = $2 WHERE id = $1", entry_id, session_id
    )


async def close_sessions(conn: Executor, competition_id: UUID) -> None:
    await conn.execute(
        """UPDATE session s SET is_open = false, end_time = greatest(now(), s.start_time
                                                                   + interval '1 second')
           FROM competition_entry e
           WHERE e.competition_id = $1 AND e.session_id = s.id AND s.is_open""",
        competition_id,
    )


async def lock(conn: Executor, competition_id: UUID) -> None:
    """Changes of one competition's entries and places, one at a time."""
    await conn.execute("SELECT 1 FROM competition WHERE id = $1 FOR UPDATE", competition_id)


# -- ends and results -----------------------------------------------------------------------


async def confirm(conn: Executor, entry_id: UUID, end_no: int, by: UUID) -> bool:
    done = await conn.fetchval(
        """INSERT INTO competition_end (entry_id, end_no, confirmed_by) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING RETURNING true""",
        entry_id,
        end_no,
        by,
    )
    return bool(done)


async def release(conn: Executor, entry_id: UUID, end_no: int) -> bool:
    done = await conn.fetchval(
        "DELETE FROM competition_end WHERE entry_id = $1 AND end_no = $2 RETURNING true",
        entry_id,
        end_no,
    )
    return bool(done)


async def end_arrows(conn: Executor, session_id: UUID, end_no: int) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM shot WHERE session_id = $1 AND end_no = $2", session_id, end_no
    )
    return count


async def scores(conn: Executor, competition_id: UUID) -> list[asyncpg.Record]:
    """Every entry's arrows (score, is X, end), and its confirmed ends."""
    return await conn.fetch(
        """SELECT e.id, coalesce(s.scores, '{}') AS scores, coalesce(s.xs, '{}') AS xs,
                  coalesce(s.ends, '{}') AS ends,
                  coalesce((SELECT array_agg(ce.end_no ORDER BY ce.end_no) FROM competition_end ce
                            WHERE ce.entry_id = e.id), '{}') AS confirmed
           FROM competition_entry e
           LEFT JOIN LATERAL (
               SELECT array_agg(score ORDER BY seq) AS scores, array_agg(is_x ORDER BY seq) AS xs,
                      array_agg(end_no ORDER BY seq) AS ends
               FROM shot WHERE session_id = e.session_id
           ) s ON true
           WHERE e.competition_id = $1""",
        competition_id,
    )


async def bale_shots(conn: Executor, session_ids: list[UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT s.session_id, s.id, s.seq, s.end_no, s.end_place, s.score, s.is_x,
                  s.x_mm, s.y_mm, s.target_id, s.entered_by
           FROM shot s WHERE s.session_id = ANY($1::uuid[]) ORDER BY s.session_id, s.seq""",
        session_ids,
    )


async def session_docs(conn: Executor, session_ids: list[UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT id, archer_id, is_open, round_plan::text AS plan FROM session WHERE id = ANY($1)",
        session_ids,
    )


# -- the public results link ------------------------------------------------------------------


async def set_link(conn: Executor, competition_id: UUID, token_hash: bytes | None) -> bool:
    done = await conn.fetchval(
        """UPDATE competition SET results_token_hash = $2 WHERE id = $1
           AND ($2::bytea IS NOT NULL OR results_token_hash IS NOT NULL) RETURNING true""",
        competition_id,
        token_hash,
    )
    return bool(done)


async def by_link(conn: Executor, token_hash: bytes) -> UUID | None:
    found: UUID | None = await conn.fetchval(
        "SELECT id FROM competition WHERE results_token_hash = $1", token_hash
    )
    return found


async def notify(conn: Executor, competition_id: UUID) -> None:
    """Tell every server process that the competition's results may have changed (sent at
    commit)."""
    await conn.execute("SELECT pg_notify('arch_stats_competition', $1::text)", str(competition_id))
