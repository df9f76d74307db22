"""Target rules: faces inside the view, and no change that would falsify existing scores."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from pydantic import MISSING

from arch_stats.core.database import Connection, Executor
from arch_stats.core.errors import Conflict, InvalidInput, NotFound
from arch_stats.targets import repository as repo
from arch_stats.targets.repository import FaceRow
from arch_stats.targets.schemas import FaceIn, TargetIn, TargetPatch


def _rows(faces: Sequence[FaceIn]) -> list[FaceRow]:
    return [(f.face_type, f.center_x_mm, f.center_y_mm) for f in faces]


def _shots(n: int) -> str:
    return "1 shot" if n == 1 else f"{n} shots"


def _check_inside(faces: Sequence[FaceRow], width: float, height: float) -> None:
    outside = [
        f"faces.{i}: centre ({x:g}, {y:g}) mm lies outside the view (0–{width:g} × 0–{height:g} mm)"
        for i, (_, x, y) in enumerate(faces)
        if not (0 <= x <= width and 0 <= y <= height)
    ]
    if outside:
        raise InvalidInput(*outside)


async def create(conn: Executor, archer_id: UUID, session_id: UUID, body: TargetIn) -> str:
    faces = _rows(body.faces)
    _check_inside(faces, body.view_width_mm, body.view_height_mm)
    json = await repo.insert(
        conn,
        session_id,
        archer_id,
        lane=body.lane,
        distance_m=None if body.distance_m is MISSING else body.distance_m,
        view_width_mm=body.view_width_mm,
        view_height_mm=body.view_height_mm,
        compound_scoring=None if body.compound_scoring is MISSING else body.compound_scoring,
        faces=faces,
    )
    if json is None:
        raise NotFound("session", session_id)
    return json


async def list_for_session(conn: Executor, archer_id: UUID, session_id: UUID) -> str:
    json = await repo.list_json(conn, session_id, archer_id)
    if json is None:
        raise NotFound("session", session_id)
    return json


async def get(conn: Executor, archer_id: UUID, target_id: UUID) -> str:
    json = await repo.get_json(conn, target_id, archer_id)
    if json is None:
        raise NotFound("target", target_id)
    return json


async def update(conn: Connection, archer_id: UUID, target_id: UUID, body: TargetPatch) -> str:
    current = await repo.lock(conn, target_id, archer_id)
    if current is None:
        raise NotFound("target", target_id)
    changes = body.model_dump(exclude={"faces"})  # MISSING fields are left out
    old_faces: list[FaceRow] = list(
        zip(current["face_types"], current["xs"], current["ys"], strict=True)
    )
    new_faces = None if body.faces is MISSING else _rows(body.faces)
    width = changes.get("view_width_mm", current["view_width_mm"])
    height = changes.get("view_height_mm", current["view_height_mm"])

    if current["shot_count"]:
        # Only real changes count: a client sending the target back unchanged is fine.
        changed: list[str] = [
            name
            for name in ("view_width_mm", "view_height_mm", "compound_scoring")
            if name in changes and changes[name] != current[name]
        ]
        if new_faces is not None and new_faces != old_faces:
            changed.append("faces")
        if changed:
            raise Conflict(
                f"target has {_shots(current['shot_count'])}, scored with its current "
                f"{', '.join(changed)}: delete the shots first, or add a new target"
            )
    _check_inside(new_faces if new_faces is not None else old_faces, width, height)
    return await repo.update(conn, target_id, changes, new_faces)


async def delete(conn: Connection, archer_id: UUID, target_id: UUID) -> str:
    current = await repo.lock(conn, target_id, archer_id)
    if current is None:
        raise NotFound("target", target_id)
    if current["shot_count"]:
        raise Conflict(
            f"target has {_shots(current['shot_count'])}: delete them first "
            "(their positions only make sense on this target)"
        )
    return await repo.delete(conn, target_id)
