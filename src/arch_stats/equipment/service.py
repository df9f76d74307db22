"""Equipment rules: a bow's setup changes by new versions, a session keeps the version it
was shot with, sight marks per bow and distance, and the analyses of `sight` and `tuning`
over the archer's shots."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from uuid import UUID

import orjson

from arch_stats.arrows import service as arrows
from arch_stats.core.database import Connection, Executor
from arch_stats.core.errors import BusinessRuleError, NotFound
from arch_stats.equipment import repository as repo
from arch_stats.equipment import sight, tuning
from arch_stats.equipment.schemas import (
    SETUP_FIELDS,
    ArrowSetIn,
    ArrowSetPatch,
    BowIn,
    BowPatch,
    SessionEquipmentIn,
    SightMarkIn,
    TuningIn,
)


def _json(data: Any) -> bytes:
    # asyncpg's UUIDs are not `uuid.UUID`: written as text.
    return orjson.dumps(data, default=str)


# -- bows --------------------------------------------------------------------------------------


async def _bow(conn: Executor, archer_id: UUID, bow_id: UUID) -> dict[str, Any]:
    found = await repo.bows(conn, archer_id, bow_id)
    if not found:
        raise NotFound("bow", bow_id)
    return found[0]


async def list_bows(conn: Executor, archer_id: UUID) -> bytes:
    return _json([{**b, "versions": None} for b in await repo.bows(conn, archer_id)])


async def get_bow(conn: Executor, archer_id: UUID, bow_id: UUID) -> bytes:
    return _json(await _bow(conn, archer_id, bow_id))


async def create_bow(conn: Connection, archer_id: UUID, body: BowIn) -> bytes:
    bow_id = await repo.insert_bow(conn, archer_id, body.name)
    await repo.insert_version(conn, bow_id, body.model_dump(include=set(SETUP_FIELDS)))
    return _json(await _bow(conn, archer_id, bow_id))


async def update_bow(conn: Connection, archer_id: UUID, bow_id: UUID, body: BowPatch) -> bytes:
    """Name and retirement change the bow; any other field that changes the setup makes a
    new version (a PATCH that changes nothing of the setup makes none)."""
    current = await repo.lock_bow(conn, bow_id, archer_id)
    if current is None:
        raise NotFound("bow", bow_id)
    sent = body.model_dump()  # MISSING fields are left out
    setup = {f: current[f] for f in SETUP_FIELDS}
    changed = {f: v for f, v in sent.items() if f in setup and setup[f] != v}
    if changed:
        await repo.insert_version(conn, bow_id, {**setup, **changed})
    own: dict[str, Any] = {k: sent[k] for k in ("name", "is_active") if k in sent}
    if own or changed:
        await repo.update_bow(conn, bow_id, own)
    return _json(await _bow(conn, archer_id, bow_id))


# -- sight marks -------------------------------------------------------------------------------


async def sight_marks(
    conn: Executor, archer_id: UUID, bow_id: UUID, predict: float | None
) -> bytes:
    marks = await repo.sight_marks(conn, bow_id, archer_id)
    if marks is None:
        raise NotFound("bow", bow_id)
    fit = sight.fit_marks([m["distance_m"] for m in marks], [m["mark"] for m in marks])
    return _json(
        {
            "bow_id": bow_id,
            "marks": marks,
            "fit": None
            if fit is None
            else {
                "degree": fit.degree,
                "coefficients": fit.coefficients,
                "residual_sd": fit.residual_sd,
                "dof": fit.dof,
            },
            "curve": [] if fit is None else sight.curve(fit),
            "prediction": None if fit is None or predict is None else fit.predict(predict),
        }
    )


async def add_sight_mark(
    conn: Connection, archer_id: UUID, bow_id: UUID, body: SightMarkIn
) -> bytes:
    """One mark per distance: a new one replaces the mark the bow had there."""
    if await repo.lock_bow(conn, bow_id, archer_id) is None:
        raise NotFound("bow", bow_id)
    if body.session_id is not None:
        distances = await repo.session_distances(conn, body.session_id, archer_id)
        if distances is None:
            raise NotFound("session", body.session_id)
        if body.distance_m not in distances:
            shot_at = ", ".join(f"{d:g} m" for d in sorted(distances))
            raise BusinessRuleError(
                f"the session was shot at {shot_at}, not at {body.distance_m:g} m"
            )
    return _json(
        await repo.upsert_sight_mark(conn, bow_id, body.distance_m, body.mark, body.session_id)
    )


async def delete_sight_mark(conn: Executor, archer_id: UUID, mark_id: UUID) -> bytes:
    mark = await repo.delete_sight_mark(conn, mark_id, archer_id)
    if mark is None:
        raise NotFound("sight mark", mark_id)
    return _json(mark)


# -- arrow sets --------------------------------------------------------------------------------


async def _set(conn: Executor, archer_id: UUID, set_id: UUID) -> dict[str, Any]:
    found = await repo.arrow_sets(conn, archer_id, set_id)
    if not found:
        raise NotFound("arrow set", set_id)
    return found[0]


def _set_out(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "arrows": orjson.Fragment(row["arrows"])}


async def list_sets(conn: Executor, archer_id: UUID) -> bytes:
    return _json([_set_out(s) for s in await repo.arrow_sets(conn, archer_id)])


async def get_set(conn: Executor, archer_id: UUID, set_id: UUID) -> bytes:
    return _json(_set_out(await _set(conn, archer_id, set_id)))


async def create_set(conn: Connection, archer_id: UUID, body: ArrowSetIn) -> bytes:
    """The set and, with `arrows`, its numbered arrows (all or nothing: 409 as
    `POST /arrow/set`)."""
    spec = body.model_dump(exclude={"name", "arrows"})
    set_id = await repo.insert_set(conn, archer_id, body.name, spec)
    if body.arrows is not None:
        numbered = body.arrows
        given = numbered.model_fields_set
        defaults = {"spine": body.spine, "length_mm": body.length_mm}
        numbered = numbered.model_copy(update={k: v for k, v in defaults.items() if k not in given})
        made = orjson.loads(await arrows.create_set(conn, archer_id, numbered))
        await repo.add_arrows(conn, set_id, archer_id, [UUID(a["id"]) for a in made])
    return _json(_set_out(await _set(conn, archer_id, set_id)))


async def update_set(conn: Connection, archer_id: UUID, set_id: UUID, body: ArrowSetPatch) -> bytes:
    changes = body.model_dump(exclude={"arrow_ids"})
    if not await repo.update_set(conn, set_id, archer_id, changes):
        raise NotFound("arrow set", set_id)
    if isinstance(body.arrow_ids, list):
        wanted = set(body.arrow_ids)
        if await repo.add_arrows(conn, set_id, archer_id, list(wanted)) != len(wanted):
            raise NotFound("arrow")
    return _json(_set_out(await _set(conn, archer_id, set_id)))


def _impacts(rows: list[Any]) -> dict[UUID, list[tuning.Impact]]:
    by_set: dict[UUID, list[tuning.Impact]] = defaultdict(list)
    for r in rows:
        by_set[r["arrow_set_id"]].append(
            tuning.Impact(
                (r["session_id"], r["distance_m"]), str(r["arrow_id"]), r["dx_mm"], r["dy_mm"]
            )
        )
    return by_set


async def compare_sets(conn: Executor, archer_id: UUID, set_a: UUID, set_b: UUID) -> bytes:
    if set_a == set_b:
        raise BusinessRuleError("compare two different arrow sets")
    names = await repo.set_names(conn, archer_id, [set_a, set_b])
    for set_id in (set_a, set_b):
        if set_id not in names:
            raise NotFound("arrow set", set_id)
    by_set = _impacts(await repo.set_impacts(conn, archer_id, [set_a, set_b]))
    out = tuning.compare_sets(by_set[set_a], by_set[set_b])
    return _json(
        {"a_id": set_a, "a_name": names[set_a], "b_id": set_b, "b_name": names[set_b], **out}
    )


async def culling(conn: Executor, archer_id: UUID, set_id: UUID) -> bytes:
    arrow_set = await _set(conn, archer_id, set_id)
    rows = tuning.cull(_impacts(await repo.set_impacts(conn, archer_id, [set_id]))[set_id])
    identifiers = {a["id"]: a["identifier"] for a in orjson.loads(arrow_set["arrows"])}
    for r in rows:
        r["identifier"] = identifiers.get(r["arrow_id"], "?")
    rows.sort(key=lambda r: (not r["flagged"], r["identifier"]))
    return _json({"arrow_set_id": set_id, "arrows": rows})


# -- sessions ----------------------------------------------------------------------------------


async def _equipment(conn: Executor, archer_id: UUID, session_id: UUID) -> dict[str, Any]:
    row = await repo.session_equipment(conn, session_id, archer_id)
    if row is None:
        raise NotFound("session", session_id)
    version_id = row["bow_version_id"]
    return {
        "session_id": session_id,
        "bow_id": row["bow_id"],
        "bow_name": row["bow_name"],
        "bow_version": None if version_id is None else await repo.bow_version(conn, version_id),
        "arrow_set_id": row["arrow_set_id"],
        "arrow_set_name": row["arrow_set_name"],
        "archer_bowstyle": row["archer_bowstyle"],
    }


async def session_equipment(conn: Executor, archer_id: UUID, session_id: UUID) -> bytes:
    out = await _equipment(conn, archer_id, session_id)
    del out["archer_bowstyle"]
    return _json(out)


async def set_session_equipment(
    conn: Connection, archer_id: UUID, session_id: UUID, body: SessionEquipmentIn
) -> bytes:
    """Record the bow's current version (it stays the session's when the bow changes) and
    the arrow set."""
    if not await repo.session_exists(conn, session_id, archer_id):
        raise NotFound("session", session_id)
    version_id = None
    if body.bow_id is not None:
        version_id = await repo.current_version_id(conn, body.bow_id, archer_id)
        if version_id is None:
            raise NotFound("bow", body.bow_id)
    if body.arrow_set_id is not None and not await repo.set_names(
        conn, archer_id, [body.arrow_set_id]
    ):
        raise NotFound("arrow set", body.arrow_set_id)
    await repo.set_session_equipment(conn, session_id, version_id, body.arrow_set_id)
    return await session_equipment(conn, archer_id, session_id)


async def set_tuning(conn: Connection, archer_id: UUID, session_id: UUID, body: TuningIn) -> bytes:
    if not await repo.session_exists(conn, session_id, archer_id):
        raise NotFound("session", session_id)
    both = set(body.arrows_a) & set(body.arrows_b)
    if both:
        raise BusinessRuleError("an arrow can be in one group only")
    groups = dict.fromkeys(body.arrows_a, "a") | dict.fromkeys(body.arrows_b, "b")
    if len(await repo.owned_arrows(conn, archer_id, list(groups))) != len(groups):
        raise NotFound("arrow")
    await repo.set_tuning(conn, session_id, (body.label_a, body.label_b), groups)
    return await tuning_json(conn, archer_id, session_id)


def _points(rows: list[Any], arrow_ids: set[UUID]) -> tuning.Points:
    mine = [r for r in rows if r["arrow_id"] in arrow_ids]
    return [r["dx_mm"] for r in mine], [r["dy_mm"] for r in mine]


async def tuning_json(conn: Executor, archer_id: UUID, session_id: UUID) -> bytes:
    """Both groups of a tuning session, their difference and the bare-shaft advice, for the
    hand and bowstyle of the session's bow."""
    equipment = await _equipment(conn, archer_id, session_id)
    head, arrows_of = await repo.tuning(conn, session_id)
    if head is None:
        raise NotFound("tuning groups of session", session_id)
    version = equipment["bow_version"]
    hand = "right" if version is None else version["handedness"]
    bowstyle = equipment["archer_bowstyle"] if version is None else version["bowstyle"]
    rows = await repo.session_impacts(conn, session_id)
    group = {g: {r["arrow_id"] for r in arrows_of if r["grp"] == g} for g in "ab"}
    out = tuning.compare_groups(
        _points(rows, group["a"]), _points(rows, group["b"]), handedness=hand, bowstyle=bowstyle
    )
    return _json(
        {
            "session_id": session_id,
            "label_a": head["label_a"],
            "label_b": head["label_b"],
            **{
                f"arrows_{g}": [
                    {"id": r["arrow_id"], "identifier": r["identifier"]}
                    for r in arrows_of
                    if r["grp"] == g
                ]
                for g in "ab"
            },
            "handedness": hand,
            "bowstyle": bowstyle,
            "from_bow": version is not None,
            **out,
        }
    )


async def sight_correction(
    conn: Executor, archer_id: UUID, session_id: UUID, end_no: int | None
) -> bytes:
    """The sight correction at each distance of the session (or of one end). In a tuning
    session the sight is set by the reference group (a: the fletched arrows), not by the
    arrows under test."""
    equipment = await _equipment(conn, archer_id, session_id)
    version = equipment["bow_version"]
    radius = None if version is None else version["sight_radius_mm"]
    head, arrows_of = await repo.tuning(conn, session_id)
    reference = None if head is None else {r["arrow_id"] for r in arrows_of if r["grp"] == "a"}
    by_distance: dict[float, tuple[list[float], list[float]]] = {}
    for r in await repo.session_impacts(conn, session_id, end_no):
        if reference is not None and r["arrow_id"] not in reference:
            continue
        xs, ys = by_distance.setdefault(r["distance_m"], ([], []))
        xs.append(r["dx_mm"])
        ys.append(r["dy_mm"])
    return _json(
        {
            "session_id": session_id,
            "end_no": end_no,
            "sight_radius_mm": radius,
            "group": None if head is None else head["label_a"],
            "distances": [
                sight.correction(xs, ys, d, radius) for d, (xs, ys) in sorted(by_distance.items())
            ],
        }
    )
