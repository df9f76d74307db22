"""Target rules: faces inside the view, and no change that would falsify existing scores.

A hand-scored target may omit its view (and its faces' centres): `arch_stats.targets.layout`
derives them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg
from pydantic import MISSING

from arch_stats.core.database import Connection, Executor
from arch_stats.core.errors import Conflict, InvalidInput, NotFound
from arch_stats.targets import layout
from arch_stats.targets import repository as repo
from arch_stats.targets.repository import FaceRow
from arch_stats.targets.schemas import FaceIn, TargetIn, TargetPatch


def _placed(faces: Sequence[FaceIn]) -> list[FaceRow] | None:
    """The faces with their centres, or None when none has one (the server lays them out);
    422 when some have centres and others not."""
    rows = [
        (f.face_type, f.center_x_mm, f.center_y_mm)
        for f in faces
        if isinstance(f.center_x_mm, float) and isinstance(f.center_y_mm, float)
    ]
    if not rows:
        return None
    if len(rows) < len(faces):
        raise InvalidInput(
            "faces: give every face's centre, or none (to have the server lay them out)"
        )
    return rows


def _laid_out(faces: Sequence[FaceIn], *, view_given: bool) -> tuple[list[FaceRow], layout.View]:
    if view_given:
        raise InvalidInput(
            "faces: with a view size, give each face's centre in it "
            "(or omit the view too, to have the faces laid out)"
        )
    view = layout.lay_out([f.face_type for f in faces])
    return [(f.face_type, x, y) for f, (x, y) in zip(faces, view.centres, strict=True)], view


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


def _create_view(body: TargetIn) -> tuple[list[FaceRow], float, float]:
    """The faces and the view: as given, or derived (`arch_stats.targets.layout`)."""
    width, height = body.view_width_mm, body.view_height_mm
    if (width is MISSING) != (height is MISSING):
        raise InvalidInput("view_width_mm and view_height_mm go together: give both or neither")
    placed = _placed(body.faces)
    if placed is None:
        faces, view = _laid_out(body.faces, view_given=width is not MISSING)
    elif isinstance(width, float) and isinstance(height, float):
        return placed, width, height
    else:
        faces, view = placed, layout.around(placed)
    return faces, view.width_mm, view.height_mm


async def create(conn: Executor, archer_id: UUID, session_id: UUID, body: TargetIn) -> str:
    faces, width, height = _create_view(body)
    _check_inside(faces, width, height)
    json = await repo.insert(
        conn,
        session_id,
        archer_id,
        lane=body.lane,
        distance_m=None if body.distance_m is MISSING else body.distance_m,
        view_width_mm=width,
        view_height_mm=height,
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
    new_faces = None
    if body.faces is not MISSING:
        new_faces = _placed(body.faces)
        if new_faces is None:  # laid out by the server, the view derived, as on create
            view_given = "view_width_mm" in changes or "view_height_mm" in changes
            new_faces, view = _laid_out(body.faces, view_given=view_given)
            changes.update(view_width_mm=view.width_mm, view_height_mm=view.height_mm)
    width = changes.get("view_width_mm", current["view_width_mm"])
    height = changes.get("view_height_mm", current["view_height_mm"])
    if current["first_end"] is not None:
        _keep_the_rounds(current, changes, old_faces, new_faces)

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


def _keep_the_rounds(
    current: asyncpg.Record,
    changes: dict[str, Any],
    old_faces: Sequence[FaceRow],
    new_faces: Sequence[FaceRow] | None,
) -> None:
    """A target made from the session's round keeps the round's distance, faces and scoring
    (its view and the faces' places may change: a target sensor's view, say)."""
    changed: list[str] = [
        name
        for name in ("distance_m", "compound_scoring")
        if name in changes and changes[name] != current[name]
    ]
    if new_faces is not None and [f[0] for f in new_faces] != [f[0] for f in old_faces]:
        changed.append("faces")
    if changed:
        raise Conflict(
            f"this target is the round's (ends {current['first_end']}–{current['last_end']}): "
            f"its {', '.join(changed)} are the round's; change the session's round instead"
        )


async def delete(conn: Connection, archer_id: UUID, target_id: UUID) -> str:
    current = await repo.lock(conn, target_id, archer_id)
    if current is None:
        raise NotFound("target", target_id)
    if current["first_end"] is not None:
        raise Conflict(
            "this target is the round's: remove the session's round first (PATCH "
            "/session/{id} with round_code null), or delete the session"
        )
    if current["shot_count"]:
        raise Conflict(
            f"target has {_shots(current['shot_count'])}: delete them first "
            "(their positions only make sense on this target)"
        )
    return await repo.delete(conn, target_id)
