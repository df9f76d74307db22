"""All SQL of the shots domain."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
import orjson

from arch_stats.core.database import Connection, Executor
from arch_stats.core.errors import AppError, BusinessRuleError, Conflict
from arch_stats.core.logging import request_id_var
from arch_stats.faces.scoring import PlacedFace

log = logging.getLogger("arch_stats.shots")

# Announces shots once their statement has committed: (session, archer, [(shot JSON,
# request id), ...] in seq order). Set per pool by the live hub (shots/writer.py).
Announce = Callable[[UUID, UUID, list[tuple[str, str | None]]], None]

# The one JSON shape of a shot is a SQL function (definitions/shot_json.sql), shared with
# the live notifications so that the REST API and the WebSocket can never disagree. It is
# built once per write and kept in the row (`doc`, definitions/shot_doc_refresh.sql):
# `shot_json(s)` reads it, lists join it as text.
SHOT_JSON = "shot_json(s)"

# Each writing statement records the request id in the transaction (set_config(..., true)) so that
# the NOTIFY trigger can put it in the live frame: a client sees which request made a change.
REQUEST_ID = "(SELECT set_config('arch_stats.request_id', coalesce({}::text, ''), true)) AS rid"


@dataclass(frozen=True, slots=True)
class TargetInfo:
    id: UUID
    session_id: UUID
    session_open: bool
    view_width_mm: float
    view_height_mm: float
    compound: bool
    faces: tuple[PlacedFace, ...]
    # The target row's version (xmin) when read: inserts can insist it has not changed since.
    version: str = ""


@dataclass(frozen=True, slots=True)
class ShotRow:
    """A scored shot ready for INSERT (arrays are built from a list of these)."""

    target_id: UUID
    arrow_id: UUID | None
    x_mm: float | None
    y_mm: float | None
    face_index: int | None
    spot_index: int | None
    dx_mm: float | None
    dy_mm: float | None
    score: int
    is_x: bool
    engaged_at: datetime | None
    released_at: datetime | None
    landed_at: datetime | None
    # The sensor event the shot was assembled from (its release); None for shots by hand.
    release_event_id: int | None = None
    # The id chosen by the client (None: the database makes one).
    id: UUID | None = None
    # The end to record into (None: the session's current end, or the next when it is full).
    end_no: int | None = None
    # The value of a hit on a spot of a multi-spot face (the same-spot rule applies), else
    # None; `score`/`is_x` are then the value counted (shots/spots.py).
    spot_score: int | None = None
    spot_is_x: bool | None = None
    # How the score was entered: "plot", "value" (no position), "sensor".
    entered_by: str = "plot"


async def targets(
    conn: Executor, target_ids: Sequence[UUID], archer_id: UUID
) -> dict[UUID, TargetInfo]:
    rows = await conn.fetch(
        """SELECT t.id, t.session_id, s.is_open, t.view_width_mm, t.view_height_mm,
                  t.compound_scoring, t.xmin::text AS version,
                  array_agg(f.face_type ORDER BY f.face_index) AS face_types,
                  array_agg(f.center_x_mm ORDER BY f.face_index) AS xs,
                  array_agg(f.center_y_mm ORDER BY f.face_index) AS ys
           FROM target t
           JOIN session s ON s.id = t.session_id
           JOIN target_face f ON f.target_id = t.id
           WHERE t.id = ANY($1::uuid[]) AND t.archer_id = $2
           GROUP BY t.id, s.id""",
        list(target_ids),
        archer_id,
    )
    return {
        r["id"]: TargetInfo(
            id=r["id"],
            session_id=r["session_id"],
            session_open=r["is_open"],
            view_width_mm=r["view_width_mm"],
            view_height_mm=r["view_height_mm"],
            compound=r["compound_scoring"],
            faces=tuple(
                PlacedFace(t, x, y)
                for t, x, y in zip(r["face_types"], r["xs"], r["ys"], strict=True)
            ),
            version=r["version"],
        )
        for r in rows
    }


async def arrows(
    conn: Executor, arrow_ids: Sequence[UUID], archer_id: UUID
) -> dict[UUID, asyncpg.Record]:
    rows = await conn.fetch(
        "SELECT id, identifier, diameter_mm, is_active FROM arrow "
        "WHERE id = ANY($1::uuid[]) AND archer_id = $2",
        list(arrow_ids),
        archer_id,
    )
    return {r["id"]: r for r in rows}


# The one writer of shots (definitions/shot_insert.sql): numbers them, gives each its end and
# place, inserts. Shared by posts (alone or joint), the assembler and the demo seed.
INSERT_FUNCTION = """shot_insert($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[],
    $6::float8[], $7::float8[], $8::int2[], $9::int2[], $10::float8[], $11::float8[],
    $12::int2[], $13::bool[], $14::int2[], $15::bool[], $16::timestamptz[],
    $17::timestamptz[], $18::timestamptz[], $19::int8[], $20::int[], $21::uuid[], $22::text[],
    $23::integer, $24::text, $25::text, $26::boolean, $27::text[])"""


def insert_args(
    sessions: Sequence[tuple[UUID, UUID]],
    shots: Sequence[ShotRow],
    *,
    targets: Collection[tuple[UUID, str]] = (),
    max_shots: int | None = None,
    request_id: str | None = None,
    request_ids: Sequence[str | None] | None = None,
    live_after: bool = False,
) -> list[Any]:
    """The arguments of `INSERT_FUNCTION`: `sessions` holds each shot's (session, archer).

    `live_after`: the trigger does not notify the new shots; the caller announces them once
    the statement has committed (definitions/shot_notify_statement.sql).

    A column with no value in any shot goes as NULL instead of an array of NULLs (the
    function reads its arrays with `unnest`, which pads a NULL array with NULLs): asyncpg
    then has no array to encode (a one-shot post by hand has six such columns)."""
    return [
        [session for session, _ in sessions],
        [archer for _, archer in sessions],
        _or_null([s.id for s in shots]),
        [s.target_id for s in shots],
        _or_null([s.arrow_id for s in shots]),
        [s.x_mm for s in shots],
        [s.y_mm for s in shots],
        [s.face_index for s in shots],
        [s.spot_index for s in shots],
        [s.dx_mm for s in shots],
        [s.dy_mm for s in shots],
        [s.score for s in shots],
        [s.is_x for s in shots],
        _or_null([s.spot_score for s in shots]),
        _or_null([s.spot_is_x for s in shots]),
        _or_null([s.engaged_at for s in shots]),
        _or_null([s.released_at for s in shots]),
        _or_null([s.landed_at for s in shots]),
        _or_null([s.release_event_id for s in shots]),
        _or_null([s.end_no for s in shots]),
        [target_id for target_id, _ in targets],
        [version for _, version in targets],
        max_shots,
        request_id,
        None if request_ids is None else orjson.dumps(request_ids).decode(),
        live_after,
        _or_null([None if s.entered_by == "plot" else s.entered_by for s in shots]),
    ]


_T = TypeVar("_T")


def _or_null(values: list[_T]) -> list[_T] | None:
    return None if all(v is None for v in values) else values


class IdsTaken(Conflict):
    """A shot id chosen by the client is stored already (by this archer or another)."""


def refusal(exc: asyncpg.PostgresError) -> AppError | None:
    """The domain error for what the writer refuses by design, else None."""
    if isinstance(exc, asyncpg.CheckViolationError) and exc.constraint_name in _RULES:
        message = exc.args[0] if exc.args else str(exc)
        if exc.constraint_name in _CONFLICTS:
            return Conflict(message)
        return BusinessRuleError(message)
    if isinstance(exc, asyncpg.UniqueViolationError) and exc.constraint_name == "shot_pkey":
        return IdsTaken("a shot id of this post is stored already")
    return None


# Constraints the writer (definitions/shot_insert.sql) and the shot triggers name in the
# errors they raise; a round complete, or a shot at the wrong target of a round, is a conflict
# with the session's state (409): the answer says what is current.
# A shot of a competition end its archer has confirmed changes only once they (or an
# organiser) release it (definitions/competition_end_locked.sql): 409 too.
_CONFLICTS = frozenset({"session_round_complete", "shot_wrong_target", "competition_end_confirmed"})
_RULES = frozenset(
    {"shot_end_full", "session_max_shots", "shot_past_round", "shot_end_place_within_end"}
    | _CONFLICTS
)


async def insert_shots(
    conn: Executor,
    *,
    session_id: UUID,
    archer_id: UUID,
    shots: Sequence[ShotRow],
    targets: Collection[tuple[UUID, str]] = (),
    max_shots: int | None = None,
    announce: Announce | None = None,
) -> str | None:
    """Insert `shots` into an open session: numbered, each in its end and place, atomically.

    Returns the JSON list, or None when the session is not (or no longer) open, or one of
    `targets` (id, version) is not at that version any more (or not of this session and
    archer): then nothing is written. A full end named, a session that would pass
    `max_shots` → BusinessRuleError; a chosen id stored already → IdsTaken.
    """
    parts = await insert_posts(
        conn,
        [Post(session_id, archer_id, shots, request_id_var.get(), targets)],
        max_shots=max_shots,
        announce=announce,
    )
    return parts[0]


@dataclass(frozen=True, slots=True)
class Post:
    """One request's shots into one session, for `insert_posts`."""

    session_id: UUID
    archer_id: UUID
    shots: Sequence[ShotRow]
    request_id: str | None
    # The targets' versions its shots were scored against (id, version).
    targets: Collection[tuple[UUID, str]] = ()


async def insert_posts(
    conn: Executor,
    posts: Sequence[Post],
    *,
    max_shots: int | None = None,
    announce: Announce | None = None,
) -> list[str | None]:
    """Several requests' shots, of one session or several, in ONE statement, in that order.

    Returns each post's JSON list, or None for a post whose session is not (or no longer)
    open or whose targets changed (nothing of that session was written). An error (a full
    end named, `max_shots` passed, an id taken) fails the whole statement. The live
    notification of each shot carries its own post's request id (`arch_stats.request_ids`,
    one per shot in order, read by shot_notify_statement).

    With `announce` and a pool (the statement is its own transaction), and no hit on a spot
    of a multi-spot face among the shots, the trigger does not notify: once the statement
    has returned, committed, `announce(session, archer, [(shot JSON, request id), ...])` is
    called per session, in seq order (`LiveHub.announce`).
    """
    shots = [shot for post in posts for shot in post.shots]
    single = len(posts) == 1
    # Hits on multi-spot faces may rescore others (same-spot rule): those updates are notified
    # in the transaction, so the new shots are too, to keep their order.
    after = (
        announce is not None
        and isinstance(conn, asyncpg.Pool)
        and all(shot.spot_score is None for shot in shots)
    )
    args = insert_args(
        [(post.session_id, post.archer_id) for post in posts for _ in post.shots],
        shots,
        targets={t for post in posts for t in post.targets},
        max_shots=max_shots,
        request_id=posts[0].request_id if single else None,
        request_ids=None if single else [p.request_id for p in posts for _ in p.shots],
        live_after=after,
    )
    try:
        row = await conn.fetchrow(
            f"""SELECT array_agg(w.doc::text ORDER BY w.ord) AS docs,
                       array_agg(w.refused ORDER BY w.ord) AS refused
                FROM {INSERT_FUNCTION} AS w""",
            *args,
        )
    except asyncpg.PostgresError as exc:
        error = refusal(exc)
        if error is None:
            raise
        raise error from None
    assert row is not None
    docs: list[str | None] = row["docs"]
    refused: list[bool] = row["refused"]
    parts: list[str | None] = []
    written: dict[tuple[UUID, UUID], list[tuple[str, str | None]]] = {}
    start = 0
    for post in posts:
        end = start + len(post.shots)
        mine = docs[start:end]
        if any(refused[start:end]) or any(d is None for d in mine):
            parts.append(None)
        else:
            texts = [d for d in mine if d is not None]
            parts.append("[" + ",".join(texts) + "]")
            key = (post.session_id, post.archer_id)
            written.setdefault(key, []).extend((d, post.request_id) for d in texts)
        start = end
    if after and announce is not None:
        for (session_id, archer_id), items in written.items():
            try:
                announce(session_id, archer_id, items)
            except Exception:  # the shots are stored: a hub that fails must not fail the post
                log.exception("announcing new shots failed")
    return parts


async def id_secret(conn: Executor) -> bytes:
    """The instance's secret for shot ids derived from an Idempotency-Key."""
    secret: bytes | None = await conn.fetchval(
        "SELECT value FROM instance_secret WHERE name = 'shot_ids'"
    )
    if secret is None:
        raise RuntimeError("no 'shot_ids' row in instance_secret: migrate the database")
    return secret


async def stored(conn: Executor, shot_ids: Sequence[UUID]) -> dict[UUID, tuple[UUID, str]]:
    """Shots with these ids, whoever's: id → (archer, JSON)."""
    rows = await conn.fetch(
        "SELECT s.id, s.archer_id, s.doc::text AS doc FROM shot s WHERE s.id = ANY($1::uuid[])",
        list(shot_ids),
    )
    return {r["id"]: (r["archer_id"], r["doc"]) for r in rows}


async def list_json(
    conn: Executor, *, session_id: UUID, archer_id: UUID, after: int, limit: int
) -> tuple[str, int | None] | None:
    """A page of the session's shots in order: (JSON list of at most `limit` shots with
    seq > after, the `after` of the next page or None when this one is the last), or None
    when the session is not the archer's."""
    row = await conn.fetchrow(
        """SELECT '[' || coalesce(string_agg(p.doc::text, ',' ORDER BY p.seq)
                                   FILTER (WHERE p.n <= $4), '') || ']' AS json,
                  CASE WHEN count(p.n) > $4 THEN max(p.seq) FILTER (WHERE p.n <= $4) END AS next
           FROM session se
           LEFT JOIN LATERAL (
               SELECT s.seq, s.doc, row_number() OVER (ORDER BY s.seq) AS n
               FROM shot s WHERE s.session_id = se.id AND s.seq > $3
               ORDER BY s.seq LIMIT $4 + 1
           ) p ON true
           WHERE se.id = $1 AND se.archer_id = $2
           GROUP BY se.id""",
        session_id,
        archer_id,
        after,
        limit,
    )
    return None if row is None else (row["json"], row["next"])


async def get_json(conn: Executor, shot_id: UUID, archer_id: UUID) -> str | None:
    json: str | None = await conn.fetchval(
        f"SELECT {SHOT_JSON} FROM shot s WHERE s.id = $1 AND s.archer_id = $2", shot_id, archer_id
    )
    return json


async def for_update(conn: Connection, shot_id: UUID, archer_id: UUID) -> asyncpg.Record | None:
    """The shot with what a change needs, its row and its session's row locked.

    The session's lock puts this change in line with every write of the session's shots
    (posts take it too): what the transaction reads next is the session as it is now."""
    return await conn.fetchrow(
        """SELECT s.id, s.session_id, s.target_id, s.arrow_id, s.x_mm, s.y_mm, s.seq, s.end_no,
                  s.end_place, s.spot_score, s.spot_is_x, s.entered_by, s.face_index,
                  s.spot_index, s.score, s.is_x, se.is_open, se.arrows_per_end
           FROM shot s JOIN session se ON se.id = s.session_id
           WHERE s.id = $1 AND s.archer_id = $2
           FOR UPDATE OF s, se""",
        shot_id,
        archer_id,
    )


async def places_taken(conn: Executor, session_id: UUID, end_no: int) -> int:
    """The places taken in an end, as a bit mask (place p: bit p - 1)."""
    mask: int = await conn.fetchval(
        """SELECT coalesce(bit_or(1 << (end_place - 1)), 0) FROM shot
           WHERE session_id = $1 AND end_no = $2""",
        session_id,
        end_no,
    )
    return mask


async def outranked(
    conn: Executor, shot_id: UUID, session_id: UUID, end_no: int, row: ShotRow, seq: int
) -> bool:
    """Whether another hit of the end on the spot `row` hit ranks before it (shots/spots.py):
    then `row` is a same-spot miss."""
    found: bool = await conn.fetchval(
        """SELECT EXISTS (
               SELECT FROM shot b
               WHERE b.session_id = $2 AND b.end_no = $3 AND b.target_id = $4
                 AND b.face_index = $5 AND b.spot_index = $6 AND b.spot_score IS NOT NULL
                 AND b.id <> $1
                 AND (b.spot_score, b.spot_is_x, b.seq) < ($7::int2, $8::bool, $9::int))""",
        shot_id,
        session_id,
        end_no,
        row.target_id,
        row.face_index,
        row.spot_index,
        row.spot_score,
        row.spot_is_x,
        seq,
    )
    return found


async def rescore_spots(conn: Executor, session_id: UUID, ends: Collection[int]) -> None:
    """The same-spot rule over these ends of the session (definitions/shot_same_spot.sql)."""
    await conn.execute(
        f"SELECT shot_same_spot($1, $2::int[]) FROM {REQUEST_ID.format('$3')}",
        session_id,
        sorted(ends),
        request_id_var.get(),
    )


async def update(
    conn: Executor,
    shot_id: UUID,
    row: ShotRow,
    *,
    end_no: int,
    end_place: int,
    same_spot_miss: bool = False,
) -> str:
    """Write a corrected shot; `row` holds the value hit, counted as a miss when
    `same_spot_miss`. A move against the round (another target's ends) → Conflict."""
    try:
        return await _update(conn, shot_id, row, end_no, end_place, same_spot_miss)
    except asyncpg.CheckViolationError as exc:
        error = refusal(exc)
        if error is None:
            raise
        raise error from None


async def _update(
    conn: Executor, shot_id: UUID, row: ShotRow, end_no: int, end_place: int, same_spot_miss: bool
) -> str:
    json: str = await conn.fetchval(
        f"""UPDATE shot AS s SET arrow_id = $2, x_mm = $3, y_mm = $4, face_index = $5,
                   spot_index = $6, dx_mm = $7, dy_mm = $8,
                   score = CASE WHEN $16 THEN 0 ELSE $9 END,
                   is_x = $10 AND NOT $16,
                   end_no = $11, end_place = $12, spot_score = $13, spot_is_x = $14,
                   same_spot_miss = $16, entered_by = $17,
                   landed_at = CASE WHEN $3::float8 IS NULL THEN NULL ELSE landed_at END,
                   updated_at = now()
            FROM {REQUEST_ID.format("$15")}
            WHERE s.id = $1 RETURNING {SHOT_JSON}""",
        shot_id,
        row.arrow_id,
        row.x_mm,
        row.y_mm,
        row.face_index,
        row.spot_index,
        row.dx_mm,
        row.dy_mm,
        row.score,
        row.is_x,
        end_no,
        end_place,
        row.spot_score,
        row.spot_is_x,
        request_id_var.get(),
        same_spot_miss,
        row.entered_by,
    )
    return json


async def delete(conn: Connection, shot_id: UUID) -> str:
    """Delete a shot (locked by `for_update`); returns its JSON. Its place is free."""
    try:
        json: str = await conn.fetchval(
            f"""DELETE FROM shot s USING {REQUEST_ID.format("$2")}
                WHERE s.id = $1 RETURNING shot_json(s)::text""",
            shot_id,
            request_id_var.get(),
        )
    except asyncpg.CheckViolationError as exc:
        error = refusal(exc)
        if error is None:
            raise
        raise error from None
    return json
