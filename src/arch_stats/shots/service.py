"""Shot rules: ownership, open sessions, the target view, and scoring on the server."""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

import asyncpg

from arch_stats.core.database import Connection, Executor
from arch_stats.core.errors import AppError, BusinessRuleError, Conflict, InvalidInput, NotFound
from arch_stats.faces.catalog import FACES
from arch_stats.faces.scoring import score_impact
from arch_stats.faces.values import labels, value_of
from arch_stats.shots import repository as repo
from arch_stats.shots.repository import ShotRow, TargetInfo
from arch_stats.shots.schemas import ShotIn, ShotPatch
from arch_stats.shots.spots import spot_value
from arch_stats.shots.target_cache import TargetCache
from arch_stats.shots.writer import SessionWriter

# A page of a session's shots (GET /session/{id}/shot): by default, and at most.
DEFAULT_PAGE = 1000
MAX_PAGE = 10_000

# Concurrent posts are written together (shots/writer.py), whatever their sessions; one per
# process.
WRITER = SessionWriter()
# The scoring data of targets recently shot at (shots/target_cache.py); one per process.
TARGETS = TargetCache()
# A post whose targets changed (or session closed) under it is read and scored again.
_ATTEMPTS = 3
# The instance's secret for shot ids derived from an Idempotency-Key (read once per process).
_ID_SECRET: bytes | None = None


def _scored(
    target: TargetInfo,
    *,
    arrow_id: UUID | None,
    diameter: float | None,
    x_mm: float | None,
    y_mm: float | None,
    where: str,
    times: tuple[datetime | None, datetime | None, datetime | None] = (None, None, None),
    shot_id: UUID | None = None,
    end_no: int | None = None,
) -> ShotRow:
    engaged, released, landed = times
    if x_mm is None or y_mm is None:
        return ShotRow(
            target.id,
            arrow_id,
            None,
            None,
            None,
            None,
            None,
            None,
            0,
            False,
            engaged,
            released,
            None,
            id=shot_id,
            end_no=end_no,
        )
    if not (0 <= x_mm <= target.view_width_mm and 0 <= y_mm <= target.view_height_mm):
        raise InvalidInput(
            f"{where}: ({x_mm:g}, {y_mm:g}) mm is outside the target view "
            f"(0–{target.view_width_mm:g} × 0–{target.view_height_mm:g} mm)"
        )
    s = score_impact(target.faces, x_mm, y_mm, arrow_diameter_mm=diameter, compound=target.compound)
    spot_score, spot_is_x = spot_value(target, s.face_index, s.score, s.is_x)
    return ShotRow(
        target.id,
        arrow_id,
        x_mm,
        y_mm,
        s.face_index,
        s.spot_index,
        s.dx_mm,
        s.dy_mm,
        s.score,
        s.is_x,
        engaged,
        released,
        landed,
        id=shot_id,
        end_no=end_no,
        spot_score=spot_score,
        spot_is_x=spot_is_x,
    )


def _by_value(
    target: TargetInfo,
    *,
    arrow_id: UUID | None,
    value: str,
    face_index: int | None,
    spot_index: int | None,
    where: str,
    times: tuple[datetime | None, datetime | None, datetime | None] = (None, None, None),
    shot_id: UUID | None = None,
    end_no: int | None = None,
) -> ShotRow:
    """A shot scored by value: the face's value `value`, no position. On a multi-spot face
    with its spot given, the one-arrow-per-spot rule applies to it as to a plotted hit."""
    index = face_index or 0
    if index >= len(target.faces):
        raise InvalidInput(
            f"{where}: face_index {index}: the target has {len(target.faces)} "
            f"face{'s' if len(target.faces) > 1 else ''}"
        )
    face_type = target.faces[index].face_type
    face = FACES[face_type]
    if spot_index is not None and spot_index >= len(face.spots):
        raise InvalidInput(
            f"{where}: spot_index {spot_index}: the {face.name} face has {len(face.spots)} "
            f"spot{'s' if len(face.spots) > 1 else ''}"
        )
    compound = target.compound and face.compound_applies
    scored = value_of(face_type, value, compound=compound)
    if scored is None:
        rule = " under compound scoring (the inner 10 is the X)" if compound else ""
        raise InvalidInput(
            f"{where}: value {value!r} is not a value of the {face.name} face{rule}: "
            f"{' '.join(labels(face_type, compound=compound))}"
        )
    on_spot = spot_index is not None and len(face.spots) > 1 and scored.score > 0
    engaged, released, _ = times
    return ShotRow(
        target.id,
        arrow_id,
        None,
        None,
        index,
        spot_index,
        None,
        None,
        scored.score,
        scored.is_x,
        engaged,
        released,
        None,
        id=shot_id,
        end_no=end_no,
        spot_score=scored.score if on_spot else None,
        spot_is_x=scored.is_x if on_spot else None,
        entered_by="value",
    )


def _label(score: int, is_x: bool) -> str:
    return "X" if is_x else ("M" if score == 0 else str(score))


async def _arrows(
    conn: Executor, arrow_ids: set[UUID], archer_id: UUID
) -> dict[UUID, asyncpg.Record]:
    if not arrow_ids:
        return {}
    found = await repo.arrows(conn, list(arrow_ids), archer_id)
    for arrow_id in arrow_ids:
        arrow = found.get(arrow_id)
        if arrow is None:
            raise NotFound("arrow", arrow_id)
    return found


@dataclass(frozen=True, slots=True)
class Created:
    parts: list[str]  # one JSON list per session (in practice one)
    # The post's shot ids were all stored by an earlier post: nothing was written (200).
    replayed: bool = False


async def create(
    conn: Executor,
    archer_id: UUID,
    shots: Sequence[ShotIn],
    *,
    max_shots: int | None = None,
    idempotency_key: str | None = None,
) -> Created:
    """Store a post of shots, all or nothing, or answer a retried one with what it stored.

    A post is recognised as a retry by its shot ids: chosen by the client, or derived from
    the archer and the post's Idempotency-Key. A first attempt writes them; any later
    attempt fails to (the ids are the table's key, so two attempts at once cannot both
    write) and then finds them all stored, the archer's: it answers those shots as they are
    now. A retry whose first attempt's answer was lost is answered the same way.
    """
    if not shots:
        raise InvalidInput("body: an empty list has no shots")
    keyed = idempotency_key is not None and any(shot.id is None for shot in shots)
    secret = await _id_secret(conn) if keyed else b""
    ids = chosen_ids(archer_id, shots, idempotency_key, secret)
    try:
        return Created(await _create(conn, archer_id, shots, ids, max_shots))
    except AppError as exc:
        if not any(ids):
            raise
        # Sent again? Then the refusal (a closed session, the ids taken…) is not the answer.
        stored = await _stored(conn, archer_id, ids, taken=isinstance(exc, repo.IdsTaken))
        if stored is None:
            raise
        return Created([stored], replayed=True)


async def _id_secret(conn: Executor) -> bytes:
    global _ID_SECRET
    if _ID_SECRET is None:
        _ID_SECRET = await repo.id_secret(conn)
    return _ID_SECRET


def keyed_id(secret: bytes, archer_id: UUID, index: int, idempotency_key: str) -> UUID:
    """The id of the shot at `index` of a post named by `idempotency_key`: the same for every
    attempt of the archer's post, in any process, and unguessable without the instance's
    secret (else another account could store shots under the victim's ids first)."""
    message = f"{archer_id}/{index}/{idempotency_key}".encode()
    return UUID(bytes=hmac.digest(secret, message, "sha256")[:16], version=4)


def chosen_ids(
    archer_id: UUID, shots: Sequence[ShotIn], idempotency_key: str | None, secret: bytes
) -> list[UUID | None]:
    """Each shot's id: its own, else one derived from the key, else None (the database's)."""
    ids = [
        shot.id
        if shot.id is not None or idempotency_key is None
        else keyed_id(secret, archer_id, i, idempotency_key)
        for i, shot in enumerate(shots)
    ]
    seen: set[UUID] = set()
    for i, shot_id in enumerate(ids):
        if shot_id is None:
            continue
        if shot_id in seen:
            where = f"shot {i}" if len(shots) > 1 else "shot"
            raise InvalidInput(f"{where}: id {shot_id} is given twice in this post")
        seen.add(shot_id)
    return ids


async def _stored(
    conn: Executor, archer_id: UUID, ids: Sequence[UUID | None], *, taken: bool
) -> str | None:
    """The post's shots as stored, in its order, when all are the archer's; else None, or
    when the write failed because ids are `taken`, the Conflict that explains it."""
    given = [i for i in ids if i is not None]
    found = await repo.stored(conn, given)
    if len(found) == len(ids) and all(owner == archer_id for owner, _ in found.values()):
        return "[" + ",".join(found[i][1] for i in given) + "]"
    if not taken or not found:
        return None
    if any(owner != archer_id for owner, _ in found.values()):
        raise Conflict("a shot id of this post is already used by another shot")
    raise Conflict(
        f"{len(found)} of the {len(ids)} shots of this post are stored already: a post "
        "sent again must carry the same shots (same ids), a new one new ids"
    )


async def _create(
    conn: Executor,
    archer_id: UUID,
    shots: Sequence[ShotIn],
    ids: Sequence[UUID | None],
    max_shots: int | None,
) -> list[str]:
    """Check and score every shot, then store them; returns one JSON list per session.

    Only open sessions take shots and an archer has at most one, so in practice one list.
    The targets' scoring data may come from this process's cache: the insert writes nothing
    unless every target is still the version the shots were scored against (and the session
    still open), and then everything is read afresh, checked and scored again.
    """
    target_ids = list({s.target_id for s in shots})
    for attempt in range(_ATTEMPTS):
        targets = TARGETS.get_all(target_ids, archer_id) if attempt == 0 else None
        cached = targets is not None
        if targets is None:
            targets = await repo.targets(conn, target_ids, archer_id)
            TARGETS.put_all(targets.values(), archer_id)
        try:
            by_session = await _check_and_score(conn, archer_id, shots, ids, targets)
        except AppError:
            if cached:  # the cache may be behind: errors are only ever said from fresh data
                TARGETS.forget(target_ids)
                continue
            raise
        out: list[str] = []
        for session_id, rows in by_session.items():
            versions = {(r.target_id, targets[r.target_id].version) for r in rows}
            if isinstance(conn, asyncpg.Pool):  # no transaction of the caller's: may write jointly
                json = await WRITER.insert(
                    conn,
                    session_id=session_id,
                    archer_id=archer_id,
                    shots=rows,
                    targets=versions,
                    max_shots=max_shots,
                )
            else:
                json = await repo.insert_shots(
                    conn,
                    session_id=session_id,
                    archer_id=archer_id,
                    shots=rows,
                    targets=versions,
                    max_shots=max_shots,
                )
            if json is None:
                # Closed, or a target changed, since they were read: nothing written. Read
                # again (and say precisely what is wrong), unless part of the post is stored.
                TARGETS.forget(target_ids)
                if out or attempt == _ATTEMPTS - 1:
                    raise BusinessRuleError(f"session {session_id} is closed")
                break
            out.append(json)
        else:
            return out
    raise AssertionError("unreachable")  # pragma: no cover


async def _check_and_score(
    conn: Executor,
    archer_id: UUID,
    shots: Sequence[ShotIn],
    ids: Sequence[UUID | None],
    targets: dict[UUID, TargetInfo],
) -> dict[UUID, list[ShotRow]]:
    arrows = await _arrows(conn, {s.arrow_id for s in shots if s.arrow_id is not None}, archer_id)
    by_session: dict[UUID, list[ShotRow]] = {}
    for i, shot in enumerate(shots):
        where = f"shot {i}" if len(shots) > 1 else "shot"
        target = targets.get(shot.target_id)
        if target is None or target.session_id != shot.session_id:
            raise NotFound("target", shot.target_id)
        if not target.session_open:
            raise BusinessRuleError(f"{where}: session {shot.session_id} is closed")
        diameter = None
        if shot.arrow_id is not None:
            arrow = arrows[shot.arrow_id]
            if not arrow["is_active"]:
                raise BusinessRuleError(f"{where}: arrow {arrow['identifier']} is retired")
            diameter = arrow["diameter_mm"]
        times = (shot.engaged_at, shot.released_at, shot.landed_at)
        if shot.value is not None:
            row = _by_value(
                target,
                arrow_id=shot.arrow_id,
                value=shot.value,
                face_index=shot.face_index,
                spot_index=shot.spot_index,
                where=where,
                times=times,
                shot_id=ids[i],
                end_no=shot.end_no,
            )
        else:
            row = _scored(
                target,
                arrow_id=shot.arrow_id,
                diameter=diameter,
                x_mm=shot.x_mm,
                y_mm=shot.y_mm,
                where=where,
                times=times,
                shot_id=ids[i],
                end_no=shot.end_no,
            )
        by_session.setdefault(shot.session_id, []).append(row)
    return by_session


@dataclass(frozen=True, slots=True)
class ShotPage:
    json: str  # the shots, a JSON list
    next_after: int | None  # `after` for the next page; None when this is the last

    def extra(self) -> bytes:
        """The envelope's member after code, data and errors."""
        return b',"next_after":%s' % (
            b"null" if self.next_after is None else b"%d" % self.next_after
        )


async def list_for_session(
    conn: Executor,
    archer_id: UUID,
    session_id: UUID,
    *,
    after: int = 0,
    limit: int = DEFAULT_PAGE,
) -> ShotPage:
    page = await repo.list_json(
        conn, session_id=session_id, archer_id=archer_id, after=after, limit=limit
    )
    if page is None:
        raise NotFound("session", session_id)
    return ShotPage(*page)


async def get(conn: Executor, archer_id: UUID, shot_id: UUID) -> str:
    json = await repo.get_json(conn, shot_id, archer_id)
    if json is None:
        raise NotFound("shot", shot_id)
    return json


async def update(conn: Connection, archer_id: UUID, shot_id: UUID, patch: ShotPatch) -> str:
    current = await repo.for_update(conn, shot_id, archer_id)
    if current is None:
        raise NotFound("shot", shot_id)
    if not current["is_open"]:
        raise BusinessRuleError("the session is closed: reopen it to change its shots")
    given = patch.model_fields_set
    arrow_id = patch.arrow_id if "arrow_id" in given else current["arrow_id"]
    x_mm, y_mm = (patch.x_mm, patch.y_mm) if "x_mm" in given else (current["x_mm"], current["y_mm"])
    diameter = None
    if arrow_id is not None:
        arrow = (await _arrows(conn, {arrow_id}, archer_id))[arrow_id]
        if not arrow["is_active"] and arrow_id != current["arrow_id"]:
            raise BusinessRuleError(f"arrow {arrow['identifier']} is retired")
        diameter = arrow["diameter_mm"]
    session_id = current["session_id"]
    end_no, end_place = current["end_no"], current["end_place"]
    if patch.end_no is not None and patch.end_no != end_no:
        end_no = patch.end_no
        taken = await repo.places_taken(conn, session_id, end_no)
        end_place = first_free_place(taken, current["arrows_per_end"], end_no)
    target = (await repo.targets(conn, [current["target_id"]], archer_id))[current["target_id"]]
    row = _corrected(current, patch, target, arrow_id=arrow_id, diameter=diameter, xy=(x_mm, y_mm))
    # The same-spot rule: the shot itself is scored against its end before it is written (one
    # shot.updated for it), then the ends it left and joined are rescored.
    same_spot_miss = row.spot_score is not None and await repo.outranked(
        conn, shot_id, session_id, end_no, row, current["seq"]
    )
    json = await repo.update(
        conn, shot_id, row, end_no=end_no, end_place=end_place, same_spot_miss=same_spot_miss
    )
    if current["spot_score"] is not None or row.spot_score is not None:
        await repo.rescore_spots(conn, session_id, {current["end_no"], end_no})
    return json


def _corrected(
    current: asyncpg.Record,
    patch: ShotPatch,
    target: TargetInfo,
    *,
    arrow_id: UUID | None,
    diameter: float | None,
    xy: tuple[float | None, float | None],
) -> ShotRow:
    """The shot as corrected: scored by the value given (or kept), or at its position. A
    position given by hand makes it plotted; a sensor's shot otherwise stays the sensor's."""
    given = patch.model_fields_set
    by_value = "value" in given or (current["entered_by"] == "value" and "x_mm" not in given)
    if by_value:
        value = patch.value
        if value is None:  # kept: its own value (a same-spot miss keeps what it hit)
            hit = current["spot_score"] is not None
            value = _label(
                current["spot_score"] if hit else current["score"],
                current["spot_is_x"] if hit else current["is_x"],
            )
        return _by_value(
            target,
            arrow_id=arrow_id,
            value=value,
            face_index=patch.face_index if "face_index" in given else current["face_index"],
            spot_index=patch.spot_index if "spot_index" in given else current["spot_index"],
            where="shot",
        )
    row = _scored(
        target, arrow_id=arrow_id, diameter=diameter, x_mm=xy[0], y_mm=xy[1], where="shot"
    )
    return replace(row, entered_by="plot" if "x_mm" in given else current["entered_by"])


def first_free_place(taken: int, per_end: int, end_no: int) -> int:
    """The first place not in the mask `taken` (place p: bit p - 1); a full end is refused."""
    for place in range(1, per_end + 1):
        if not taken & (1 << (place - 1)):
            return place
    raise BusinessRuleError(f"end {end_no} already has {per_end} of {per_end} arrows")


async def delete(conn: Connection, archer_id: UUID, shot_id: UUID) -> str:
    current = await repo.for_update(conn, shot_id, archer_id)
    if current is None:
        raise NotFound("shot", shot_id)
    if not current["is_open"]:
        raise BusinessRuleError("the session is closed: reopen it to change its shots")
    json = await repo.delete(conn, shot_id)
    if current["spot_score"] is not None:  # the hits of its spot it outranked count again
        await repo.rescore_spots(conn, current["session_id"], {current["end_no"]})
    return json
