"""SQL of the live channel: what a client missed."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from arch_stats.core.database import Connection


async def session_head(conn: Connection, session_id: UUID) -> tuple[UUID, int] | None:
    """The session's archer and its highest shot seq (None: no such session)."""
    row = await conn.fetchrow("SELECT archer_id, last_seq FROM session WHERE id = $1", session_id)
    return None if row is None else (row["archer_id"], row["last_seq"])


async def shots_after(
    conn: Connection, session_id: UUID, after: int, limit: int
) -> tuple[int | None, list[tuple[int, bytes]]]:
    """The session's first `limit` shots with seq > after, in order, as (seq, JSON), and the
    session's highest seq in the same snapshot (None: no such session any more)."""
    row = await conn.fetchrow(
        """WITH page AS (
               SELECT s.seq, shot_json(s)::text AS j FROM shot s
               WHERE s.session_id = $1 AND s.seq > $2 ORDER BY s.seq LIMIT $3
           )
           SELECT (SELECT last_seq FROM session WHERE id = $1) AS top,
                  ARRAY(SELECT seq FROM page ORDER BY seq) AS seqs,
                  ARRAY(SELECT j FROM page ORDER BY seq) AS docs""",
        session_id,
        after,
        limit,
    )
    assert row is not None
    return row["top"], [(seq, j.encode()) for seq, j in zip(row["seqs"], row["docs"], strict=True)]


async def changes_since(
    conn: Connection, session_id: UUID, *, after: int, since: datetime
) -> list[tuple[str, int, bytes]]:
    """Shots created after `after` and shots changed since `since`, as (type, seq, JSON)."""
    rows = await conn.fetch(
        """SELECT CASE WHEN s.seq > $2 THEN 'shot.created' ELSE 'shot.updated' END AS kind,
                  s.seq, shot_json(s)::text AS j
           FROM shot s
           WHERE s.session_id = $1 AND (s.seq > $2 OR s.updated_at >= $3)
           ORDER BY s.seq""",
        session_id,
        after,
        since,
    )
    return [(r["kind"], r["seq"], r["j"].encode()) for r in rows]
